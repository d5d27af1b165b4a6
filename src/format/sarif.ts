// The migration's findings as SARIF 2.1.0 (code-scanning views, github/codeql-action/upload-sarif):
// one result per finding, its rule id `rules2actions/<code>` (stable across runs), level, location
// and the transform's message template as the rule's help text. Pure: report in, text out.
import { pipelineTransform } from '../pipeline-messages.js';
import type { ReportSource } from './report-json.js';
import type { Finding, MessageSpec, Severity } from '../types.js';
import { transforms } from '../../transforms/index.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://www.npmjs.com/package/rules2actions';
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/** Findings that no transform declares (inputs, verify, the type check). */
const OTHER_MESSAGES: Record<string, string> = {
  'read-error': 'The input could not be read or parsed.',
  'too-large': 'The input file is over the size limit (--max-size).',
  'binary-file': 'The input file is binary.',
  'not-a-file': 'The input is not a regular file.',
  'unsupported-stage': 'Only login_success rules have a post-login Action.',
  'type-error': 'The Action does not type-check against the post-login API and the SDK types.',
  'behaviour-differs': 'The Action does not behave like its rule in a verify scenario.',
  'not-verified': 'The Action could not be run against its rule.',
};

function messageSpec(finding: Pick<Finding, 'transform' | 'code'>): MessageSpec | undefined {
  const owner = finding.transform === pipelineTransform.id ? pipelineTransform : transforms.find((t) => t.id === finding.transform);
  return owner?.messages[finding.code];
}

/** A message template without its placeholders, as a rule description. */
const describe = (text: string) => text.replace(/\{\{\s*\w+\s*\}\}/g, '…');

/** A repository-relative URI with forward slashes; `<file>#<rule>` dump entries point at the file. */
function artifactUri(source: string): string {
  const file = source.replace(/\\/g, '/').replace(/#.*$/, '').replace(/^\.\//, '');
  return file.split('/').map(encodeURIComponent).join('/');
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: Array<{
    tool: { driver: { name: string; version: string; informationUri: string; rules: SarifRule[] } };
    results: SarifResult[];
  }>;
}

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: 'error' | 'warning' | 'note' };
  properties: { transform: string };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: 'error' | 'warning' | 'note';
  message: { text: string };
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }>;
  partialFingerprints: { primaryLocationLineHash: string };
}

export function buildSarif(report: ReportSource): SarifLog {
  const { rules, index } = sarifRules(report);
  return sarifLog(report, rules, [...sarifResults(report, index)]);
}

/** The SARIF rules (one per finding code, in order of first appearance) and their indexes. */
function sarifRules(report: ReportSource): { rules: SarifRule[]; index: Map<string, number> } {
  const rules: SarifRule[] = [];
  const index = new Map<string, number>();
  for (const rule of report.rules) {
    for (const f of rule.findings) {
      const ruleId = `rules2actions/${f.code}`;
      if (!index.has(ruleId)) {
        const spec = messageSpec(f);
        const text = spec ? describe(spec.text) : (OTHER_MESSAGES[f.code] ?? f.message);
        index.set(ruleId, rules.length);
        rules.push({
          id: ruleId,
          name: f.code,
          shortDescription: { text: text.split(/(?<=[.:])\s/)[0] },
          fullDescription: { text },
          help: { text: spec?.suggestion ? `${text} Suggestion: ${describe(spec.suggestion)}` : text },
          defaultConfiguration: { level: LEVEL[spec?.severity ?? f.severity] },
          properties: { transform: f.transform },
        });
      }
    }
  }
  return { rules, index };
}

function* sarifResults(report: ReportSource, index: Map<string, number>): Generator<SarifResult> {
  for (const rule of report.rules) {
    const uri = artifactUri(rule.source);
    for (const f of rule.findings) {
      const ruleId = `rules2actions/${f.code}`;
      yield {
        ruleId,
        ruleIndex: index.get(ruleId)!,
        level: LEVEL[f.severity],
        message: { text: f.suggestion ? `${f.message} Suggestion: ${f.suggestion}` : f.message },
        locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: Math.max(1, f.line), startColumn: Math.max(1, f.column) } } }],
        // Stable across runs for the same finding at the same place; the upload action adds its own when missing.
        partialFingerprints: { primaryLocationLineHash: `${uri}:${f.code}:${f.line}:${f.column}` },
      };
    }
  }
}

function sarifLog(report: ReportSource, rules: SarifRule[], results: SarifResult[]): SarifLog {
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [{ tool: { driver: { name: report.tool.name, version: report.tool.version, informationUri: INFORMATION_URI, rules } }, results }],
  };
}

export function formatSarif(report: ReportSource): string {
  return JSON.stringify(buildSarif(report), null, 2) + '\n';
}

/**
 * formatSarif's text in pieces, one result at a time: the rules (which come first) from a first pass over
 * the report, the results from a second (a spooled report is read twice, never held).
 */
export function* sarifChunks(report: ReportSource): Generator<string> {
  const { rules, index } = sarifRules(report);
  const empty = JSON.stringify(sarifLog(report, rules, []), null, 2);
  // `results` is the last key of the only run: its items sit at a depth of 8 spaces.
  const at = empty.lastIndexOf('"results": []');
  let first = true;
  for (const result of sarifResults(report, index)) {
    yield first ? `${empty.slice(0, at)}"results": [\n` : ',\n';
    yield `        ${JSON.stringify(result, null, 2).replace(/\n/g, '\n        ')}`;
    first = false;
  }
  yield first ? `${empty}\n` : `\n      ]${empty.slice(at + '"results": []'.length)}\n`;
}
