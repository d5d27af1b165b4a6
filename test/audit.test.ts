// `rules2actions audit`: per tenant and overall, in every format; the HTML page checked in a headless
// browser (test/support/browser.ts: a system Chrome/Chromium, else the one @sparticuz/chromium ships).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../src/cli/main.js';
import { escapeHtml, sideBySide } from '../src/format/audit-html.js';
import { EFFORT, type AuditReport } from '../src/format/audit-model.js';
import { launchBrowser, type HeadlessBrowser } from './support/browser.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TENANTS = path.join(ROOT, 'fixtures/tenants');
const ACME = path.join(TENANTS, 'acme-directory');
const GLOBEX = path.join(TENANTS, 'globex-yaml');
const INITECH = path.join(TENANTS, 'initech-api.json');
const BIN = path.join(ROOT, 'bin/rules2actions.js');

function capture() {
  const out = { stdout: '', stderr: '' };
  const io: Io = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), isTTY: false };
  return { io, out };
}

async function audit(args: string[]) {
  const { io, out } = capture();
  const code = await main(['audit', ...args], io);
  return { code, ...out };
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'r2a-audit-'));

/** A dump whose names and code try to break out of the HTML. */
function hostileTenant(): string {
  const dir = tmp();
  const file = path.join(dir, 'evil-tenant.json');
  writeFileSync(
    file,
    JSON.stringify([
      {
        id: 'rul_evil1',
        name: '<img src=x onerror=alert(1)> & "Co"',
        order: 1,
        enabled: true,
        stage: 'login_success',
        script: "function (user, context, callback) {\n  // </details></table><script>alert('x')</script>\n  callback(null, user, context);\n}",
      },
    ]),
  );
  return file;
}

describe('audit', () => {
  it('summarises a folder of tenant folders per tenant and overall (json)', async () => {
    const { code, stdout } = await audit([TENANTS, '--format', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as AuditReport;
    expect(report.tenants.map((t) => t.name)).toEqual(['acme-directory', 'globex-yaml', 'hooli-cli', 'initech-api']);
    const acme = report.tenants[0];
    expect(acme.counts).toMatchObject({ rules: 7, enabled: 6, disabled: 1, failed: 1, migrated: 6, review: 0, secrets: ['API_KEY', 'SLACK_HOOK'] });
    expect(acme.counts.codes['unsupported-stage']).toBe(1);
    // Rules listed in execution order: Failure Logger (order 1) first, the rule without order last.
    expect(acme.rules.map((r) => r.name)).toEqual(['Failure Logger', 'Zeta Runs First', 'Legacy Disabled', 'Add Claims', 'Enrich Profile', 'minimal', 'orphan-no-sidecar']);
    expect(acme.rules[0]).toMatchObject({ status: 'failed', stage: 'login_failure', effortHours: EFFORT.status.failed + EFFORT.perError });
    const globex = report.tenants[1];
    expect(globex.counts.failed).toBe(1); // pre_authorize
    expect(globex.counts.dependencies.length).toBeGreaterThan(0); // the linking rule requires a package
    expect(globex.counts.dependencies).toEqual([...new Set(globex.rules.flatMap((r) => r.dependencies))].sort());

    for (const t of report.tenants) {
      const c = t.counts;
      expect(c.migrated + c.review + c.failed).toBe(c.rules);
      expect(c.linking).toBe(t.rules.filter((r) => r.linking).length);
      expect(c.findings.error).toBe(t.rules.flatMap((r) => r.findings).filter((f) => f.severity === 'error').length);
      const expected = EFFORT.tenant + t.rules.reduce((s, r) => s + r.effortHours, 0) + c.secrets.length * EFFORT.perSecret + c.scopes.length * EFFORT.perScope;
      expect(c.effortHours).toBeCloseTo(expected, 2);
    }
    const o = report.overall;
    expect(o.tenants).toBe(4);
    expect(o.rules).toBe(report.tenants.reduce((s, t) => s + t.counts.rules, 0));
    expect(o.failed).toBe(report.tenants.reduce((s, t) => s + t.counts.failed, 0));
    expect(o.effortHours).toBeCloseTo(report.tenants.reduce((s, t) => s + t.counts.effortHours, 0), 2);
    expect(stdout).not.toContain('"before"');
    expect(stdout).not.toContain('never-to-appear');
  });

  it('prints a terminal table with one row per argument and a total', async () => {
    const { code, stdout } = await audit([ACME, INITECH]);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^Tenant\s+Format\s+Rules\s+Disabled\s+Linking\s+Migrated\s+Review\s+Failed\s+Errors\s+Warnings\s+Info\s+Secrets\s+Scopes\s+Effort \(h\)$/);
    expect(lines[1]).toMatch(/^acme-directory\s+directory\s+7\s+1\s/);
    expect(lines[2]).toMatch(/^initech-api\s+api\s+3\s+1\s/);
    expect(lines[3]).toMatch(/^All \(2 tenants\)\s+10\s+2\s/);
    expect(stdout).toContain('secrets to create: API_KEY, SLACK_HOOK');
  });

  it('writes CSV with a row per rule, per tenant and overall, quoting what needs it', async () => {
    const { stdout } = await audit([ACME, hostileTenant(), '--format', 'csv']);
    const rows = stdout.trimEnd().split('\r\n');
    expect(rows[0].split(',').slice(0, 3)).toEqual(['level', 'tenant', 'rule']);
    expect(rows.filter((r) => r.startsWith('rule,'))).toHaveLength(8);
    expect(rows.filter((r) => r.startsWith('tenant,'))).toHaveLength(2);
    expect(rows.at(-1)).toMatch(/^overall,/);
    expect(stdout).toContain('"<img src=x onerror=alert(1)> & ""Co"""');
  });

  it('writes Markdown with the portfolio table and a section per tenant', async () => {
    const { stdout } = await audit([ACME, GLOBEX, '--format', 'markdown']);
    expect(stdout).toContain('| acme-directory | directory | 7 | 1 |');
    expect(stdout).toContain('## globex-yaml');
    expect(stdout).toMatch(/\| 40 \| Pre Authorize Check \| failed \|/);
  });

  it('writes to --output and says so; a folder it cannot write is exit 2', async () => {
    const dir = tmp();
    const file = path.join(dir, 'audit.md');
    const { code, stdout } = await audit([ACME, '--format', 'markdown', '--output', file]);
    expect(code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('# Rules → Actions audit');
    expect(stdout).toBe(`Wrote the markdown audit of 1 tenant (7 rules) to ${file}\n`);
    writeFileSync(path.join(dir, 'not-a-folder'), '');
    expect((await audit([ACME, '--output', path.join(dir, 'not-a-folder', 'x.html')])).code).toBe(2);
    expect((await audit(['--format', 'pdf', ACME])).code).toBe(2);
    // An unreadable export is listed as failed, and the run says so with exit 2.
    const broken = await audit([path.join(TENANTS, 'invalid/broken.json'), ACME, '--format', 'json']);
    expect(broken.code).toBe(2);
    const failed = (JSON.parse(broken.stdout) as AuditReport).tenants[0].rules[0];
    expect(failed).toMatchObject({ status: 'failed', findings: [{ code: 'read-error', line: 6, column: 5 }] });
  });

  it('escapes everything in the HTML and loads nothing from the network', async () => {
    const { stdout } = await audit([hostileTenant(), '--format', 'html']);
    expect(stdout).not.toContain('<img');
    expect(stdout).not.toContain('<script');
    expect(stdout).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Co&quot;');
    expect(stdout).toContain('&lt;/details&gt;&lt;/table&gt;&lt;script&gt;');
    expect(stdout).not.toMatch(/\s(?:src|href)="(?!#)/);
    expect(stdout).toContain("Content-Security-Policy\" content=\"default-src 'none'");
    expect(escapeHtml(`<a href='x'>&`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;');
  });

  it('pairs removed and added lines in the side-by-side diff', () => {
    const rows = sideBySide('a\nb\nc\n', 'a\nB\nB2\nc\n');
    expect(rows.map((r) => [r.left?.text ?? null, r.left?.kind ?? null, r.right?.text ?? null, r.right?.kind ?? null])).toEqual([
      ['a', 'ctx', 'a', 'ctx'],
      ['b', 'del', 'B', 'add'],
      [null, null, 'B2', 'add'],
      ['c', 'ctx', 'c', 'ctx'],
    ]);
    expect(rows.at(-1)).toMatchObject({ left: { n: 3 }, right: { n: 4 } });
  });
});

describe('audit HTML in headless Chromium', () => {
  let headless: HeadlessBrowser;
  beforeAll(async () => {
    headless = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await headless?.close();
  });

  async function dumpDom(file: string): Promise<string> {
    const page = await headless.browser.newPage();
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      return await page.content();
    } finally {
      await page.close();
    }
  }

  it('the built binary writes one page that shows every tenant summary and every rule', async () => {
    const dir = tmp();
    const file = path.join(dir, 'audit.html');
    const evil = hostileTenant();
    await promisify(execFile)(process.execPath, [BIN, 'audit', ACME, GLOBEX, INITECH, evil, '--format', 'html', '--output', file]);
    const report = JSON.parse((await audit([ACME, GLOBEX, INITECH, evil, '--format', 'json'])).stdout) as AuditReport;
    const dom = await dumpDom(file);

    const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    // Chromium parsed the page into the structure we wrote: no element came from input text.
    expect(dom).not.toMatch(/<script|<img/i);
    const overall = /<p class="overall">([\s\S]*?)<\/p>/.exec(dom)?.[1];
    expect(text(overall ?? '')).toContain(`${report.overall.tenants} tenants, ${report.overall.rules} rules`);
    const chart = /<svg class="chart"[\s\S]*?<\/svg>/.exec(dom)?.[0] ?? '';
    const segments = report.tenants.flatMap((t) => (['migrated', 'review', 'failed'] as const).filter((s) => t.counts[s] > 0));
    expect(chart.match(/<rect /g)).toHaveLength(segments.length + 3); // + the legend

    const sections = [...dom.matchAll(/<section class="tenant" id="tenant-(\d+)"><h2>([\s\S]*?)<\/h2>([\s\S]*?)<\/section>/g)];
    expect(sections.map((m) => text(m[2]))).toEqual(report.tenants.map((t) => t.name));
    for (const [index, tenant] of report.tenants.entries()) {
      const section = sections[index][3];
      const summary = /<p class="tenant-summary">([\s\S]*?)<\/p>/.exec(section)?.[1] ?? '';
      const c = tenant.counts;
      expect(text(summary)).toContain(`${c.rules} rules: ${c.migrated} migrated, ${c.review} need review, ${c.failed} failed`);
      const summaryRow = new RegExp(`<tr><td><a href="#tenant-${index + 1}">[^<]*</a></td><td>${tenant.format}</td><td class="num">${c.rules}</td>`);
      expect(dom).toMatch(summaryRow);
      // Every rule: a row in the tenant table and a details block with its findings and diff.
      const details = [...section.matchAll(/<details class="rule" id="rule-\d+-\d+"(?: open="")?><summary>([\s\S]*?)<\/summary>([\s\S]*?)<\/details>/g)];
      expect(details.map((d) => text(d[1]).split(/ (?:migrated|review|failed)/)[0])).toEqual(tenant.rules.map((r) => r.name));
      for (const [k, rule] of tenant.rules.entries()) {
        const body = details[k][2];
        for (const f of rule.findings) expect(body).toContain(`<code>${escapeHtml(f.code)}</code>`);
        if (rule.status !== 'failed') expect(body).toContain('<table class="diff">');
      }
    }
    const evilSection = sections.at(-1)![3];
    expect(text(evilSection)).toContain(`<img src=x onerror=alert(1)> & "Co"`);
    expect(text(evilSection)).toContain("// </details></table><script>alert('x')</script>");
  }, 90_000);
});
