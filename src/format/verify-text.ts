import { plural } from './plural.js';
import pc from 'picocolors';
import type { RuleVerification, VerifySummary } from './verify-model.js';

type Colors = ReturnType<typeof pc.createColors>;

/** One rule: its verdict, then every scenario (equal or different, with the differences), type errors and notes. */
export function formatVerification(result: RuleVerification, c: Colors): string {
  const out: string[] = [];
  const head =
    result.verdict === 'equal' ? c.green('✔ equal') : result.verdict === 'different' ? c.red('✖ different') : c.yellow('? not verified');
  const matrix = result.matrix === 'none' ? 'scenario file' : `${result.matrix} matrix`;
  const action = result.action === 'migrated' ? '' : `, action ${result.action}`;
  out.push(`${head} ${result.source} ${c.dim(`(sdk ${result.sdk}, ${matrix}${action})`)}`);
  if (result.reason) out.push(`  ${result.reason}`);
  for (const s of result.scenarios) {
    out.push(`  ${s.equal ? c.green('✔') : c.red('✖')} ${s.scenario}${s.equal ? '' : c.red(' differs')}`);
    for (const d of s.differences) out.push(`      ${oneLine(d)}`);
    for (const n of s.notes) out.push(c.dim(`      note: ${oneLine(n)}`));
  }
  for (const f of result.typeErrors) out.push(`  ${c.red('type error')} ${result.action === 'migrated' ? 'action' : result.action}:${f.line}:${f.column}  ${f.message}`);
  for (const n of result.notes) out.push(c.dim(`  note: ${oneLine(n)}`));
  return out.join('\n') + '\n';
}

export function formatVerifySummary(s: VerifySummary, c: Colors): string {
  const rules =
    `${c.bold(plural(s.rules, 'rule'))}: ${c.green(`${s.equal} equal`)}, ${c.red(`${s.different} different`)}, ` +
    `${c.yellow(`${s.notVerified} not verified`)}`;
  const scenarios = `${plural(s.scenarios, 'scenario')}: ${s.scenariosEqual} equal, ${s.scenariosDifferent} different`;
  return `${rules}; ${scenarios}${s.typeErrors ? `; ${plural(s.typeErrors, 'type error')}` : ''}\n`;
}

/** SDK error texts span lines (status, body): one line per item keeps the listing readable. */
function oneLine(text: string): string {
  return text.replace(/\s*(\\n|\n)\s*/g, ' ');
}
