// `rules2actions audit`: per tenant and overall, in every format; the HTML page checked in a headless
// browser (test/support/browser.ts: a system Chrome/Chromium, else the one @sparticuz/chromium ships).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../src/cli/main.js';
import { escapeHtml } from '../src/format/audit-html.js';
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
      // Effort counts enabled rules only (test/audit-counts.test.ts).
      const enabled = t.rules.filter((r) => r.enabled !== false);
      const union = (lists: string[][]) => new Set(lists.flat()).size;
      const expected = EFFORT.tenant + enabled.reduce((s, r) => s + r.effortHours, 0) + union(enabled.map((r) => r.secrets)) * EFFORT.perSecret + union(enabled.map((r) => r.scopes)) * EFFORT.perScope;
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

  it('keeps the terminal table aligned with CJK and emoji tenant names', async () => {
    const dir = tmp();
    const rule = [{ id: 'rul_1', name: 'Greet', order: 1, enabled: true, stage: 'login_success', script: 'function (user, context, callback) {\n  callback(null, user, context);\n}' }];
    for (const name of ['日本テナント', 'rocket-🚀', 'plain']) writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(rule));
    const { stdout } = await audit([path.join(dir, '日本テナント.json'), path.join(dir, 'rocket-🚀.json'), path.join(dir, 'plain.json')]);
    // Display width: CJK and emoji take two columns in a terminal.
    const width = (text: string) => [...text].reduce((n, c) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60\uffe0-\uffe6]|\p{Extended_Pictographic}/u.test(c) ? 2 : 1), 0);
    const lines = stdout.split('\n').slice(0, 4);
    const formatColumn = lines.map((line) => width(line.slice(0, line.search(/\s(Format|api)\b/) + 1)));
    expect(lines[1]).toMatch(/^日本テナント\s+api/);
    expect(lines[2]).toMatch(/^rocket-🚀\s+api/);
    expect(new Set(formatColumn).size).toBe(1);
    expect(new Set(lines.map(width)).size).toBe(1);
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
    // An unreadable export is listed as an input that could not be read (not a rule), and the run says so with exit 2.
    const broken = await audit([path.join(TENANTS, 'invalid/broken.json'), ACME, '--format', 'json']);
    expect(broken.code).toBe(2);
    const [tenant] = (JSON.parse(broken.stdout) as AuditReport).tenants;
    expect(tenant.rules).toEqual([]);
    expect(tenant.unreadable).toMatchObject([{ line: 6, column: 5 }]);
  });

  it('escapes everything in the HTML and loads nothing from the network', async () => {
    const { stdout } = await audit([hostileTenant(), '--format', 'html']);
    expect(stdout).not.toContain('<img');
    // Our three scripts only: the compressed details, diff2html and the page's own; a CSP allows those alone.
    expect(stdout.match(/<script[\s>]/g)).toHaveLength(3);
    expect(stdout).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Co&quot;');
    expect(stdout).not.toContain("</details></table><script>alert('x')");
    expect(stdout).toMatch(/Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-[^']+' 'sha256-[^']+'">/);
    expect(stdout).not.toMatch(/<(?:link|img|iframe)\b/i);
    expect(escapeHtml(`<a href='x'>&`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;');
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

  type Page = Awaited<ReturnType<HeadlessBrowser['browser']['newPage']>>;

  async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await headless.browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => void requests.push(r.url()));
    page.on('pageerror', (e) => void errors.push(String(e)));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, requests, errors };
  }

  /** Names (tenant / rule) of the rule rows on show, in page order. */
  const shownRules = (page: Page) =>
    page.$$eval('tr.rule', (rows) =>
      rows.filter((r) => !(r as HTMLElement).hidden).map((r) => `${r.getAttribute('data-tenant')} / ${r.querySelector('.rule-name')!.textContent}`),
    );
  const choose = (page: Page, id: string, value: string) => page.select(`#${id}`, value);

  it('the built binary writes one page that renders every tenant and rule, filters, sorts and expands', async () => {
    const dir = tmp();
    const file = path.join(dir, 'audit.html');
    const evil = hostileTenant();
    await promisify(execFile)(process.execPath, [BIN, 'audit', ACME, GLOBEX, INITECH, evil, '--format', 'html', '--output', file], {
      env: { ...process.env, SOURCE_DATE_EPOCH: '1780000000' },
    });
    const report = JSON.parse((await audit([ACME, GLOBEX, INITECH, evil, '--format', 'json'])).stdout) as AuditReport;
    const { page, requests, errors } = await open(file);
    try {
      // Renders: the date and version, the portfolio sentence, both charts, a row per tenant and per rule.
      expect(await page.$eval('#generated', (e) => e.textContent)).toBe(`rules2actions ${report.tool.version} · 2026-05-28 20:26 UTC`);
      const o = report.overall;
      expect(await page.$eval('p.overall', (e) => e.textContent)).toContain(`${o.tenants} tenants, ${o.rules} rules (${o.linking} account linking)`);
      expect(await page.$$eval('#chart-codes g.bar', (g) => g.length)).toBe(Math.min(25, Object.keys(o.codes).length));
      const effortBars = await page.$$eval('#chart-effort g.bar title', (t) => t.map((x) => x.textContent));
      expect(effortBars).toHaveLength(report.tenants.length);
      expect(effortBars[0]).toContain(`${[...report.tenants].sort((a, b) => b.counts.effortHours - a.counts.effortHours)[0].counts.effortHours.toFixed(2)} h`);
      expect(await page.$$eval('#tenant-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-tenant')))).toEqual(report.tenants.map((t) => t.name));
      const all = report.tenants.flatMap((t) => t.rules.map((r) => `${t.name} / ${r.name}`));
      expect(await shownRules(page)).toEqual(all);
      expect(await page.$eval('#shown', (e) => e.textContent)).toBe(`${o.rules} of ${o.rules} rules`);
      // Collapsed: no details are drawn until asked for.
      expect(await page.$$eval('tr.details', (rows) => rows.every((r) => (r as HTMLElement).hidden && r.textContent === ''))).toBe(true);
      // Secrets to create, with whether rules-configs has a key of that name (never a value).
      const secrets = await page.$$eval('#secret-table tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent)));
      const expected = report.tenants.flatMap((t) => t.counts.secrets.map((s) => [t.name, s, t.configKeys.includes(s) ? 'yes' : 'no']));
      expect(secrets.map(([tenant, secret, , value]) => [tenant, secret, value!.startsWith('yes') ? 'yes' : 'no'])).toEqual(expected);
      expect(expected.some(([, , v]) => v === 'yes')).toBe(true);

      // Filters: status, finding code, account linking, tenant, search; they combine.
      const rulesWhere = (test: (t: AuditReport['tenants'][number], r: AuditReport['tenants'][number]['rules'][number]) => boolean) =>
        report.tenants.flatMap((t) => t.rules.filter((r) => test(t, r)).map((r) => `${t.name} / ${r.name}`));
      await choose(page, 'filter-status', 'failed');
      expect(await shownRules(page)).toEqual(rulesWhere((t, r) => r.status === 'failed'));
      await choose(page, 'filter-code', 'unsupported-stage');
      expect(await shownRules(page)).toEqual(rulesWhere((t, r) => r.status === 'failed' && r.findings.some((f) => f.code === 'unsupported-stage')));
      await choose(page, 'filter-status', '');
      await choose(page, 'filter-code', '');
      await choose(page, 'filter-linking', 'yes');
      const linking = rulesWhere((t, r) => r.linking);
      expect(linking.length).toBeGreaterThan(0);
      expect(await shownRules(page)).toEqual(linking);
      await choose(page, 'filter-linking', '');
      await choose(page, 'filter-tenant', 'globex-yaml');
      expect(await shownRules(page)).toEqual(rulesWhere((t) => t.name === 'globex-yaml'));
      await choose(page, 'filter-tenant', '');
      await page.type('#filter-search', 'ZETA');
      expect(await shownRules(page)).toEqual(['acme-directory / Zeta Runs First']);
      expect(await page.$eval('#shown', (e) => e.textContent)).toBe(`1 of ${o.rules} rules`);
      await page.$eval('#filter-search', (e) => ((e as HTMLInputElement).value = ''));
      await page.type('#filter-search', ' '); // an input event with an empty query
      expect(await shownRules(page)).toEqual(all);

      // Sorting: effort ascending, then descending.
      const efforts = () => page.$$eval('tr.rule td[data-key="effort"]', (c) => c.map((x) => Number(x.textContent)));
      await page.click('#rule-table th[data-key="effort"]');
      const up = await efforts();
      expect(up).toEqual([...up].sort((a, b) => a - b));
      await page.click('#rule-table th[data-key="effort"]');
      const down = await efforts();
      expect(down).toEqual([...up].sort((a, b) => b - a));
      // Every details row still follows its rule row.
      expect(await page.$$eval('#rule-table tbody tr', (rows) => rows.every((r, i) => (i % 2 === 0 ? r.classList.contains('rule') : r.id === `details-${rows[i - 1].getAttribute('data-i')}`)))).toBe(true);

      // Expand on click: findings and the side-by-side diff (diff2html) of the linking rule.
      const link = report.tenants.find((t) => t.name === 'globex-yaml')!.rules.find((r) => r.linking)!;
      const linkRow = await page.$$eval('tr.rule', (rows, name) => rows.find((r) => r.querySelector('.rule-name')!.textContent === name)!.id, link.name);
      await page.click(`#${linkRow} td[data-key="rule"]`);
      await page.waitForSelector(`#${linkRow} + tr.details .d2h-file-side-diff`);
      const details = await page.$eval(`#${linkRow} + tr.details`, (d) => ({
        hidden: (d as HTMLElement).hidden,
        codes: [...d.querySelectorAll('li.finding')].map((li) => li.getAttribute('data-code')),
        sides: d.querySelectorAll('.d2h-file-side-diff').length,
        text: d.textContent,
      }));
      expect(details.hidden).toBe(false);
      expect(details.codes).toEqual(link.findings.map((f) => f.code));
      expect(details.sides).toBe(2);
      expect(details.text).toContain('exports.onExecutePostLogin');
      expect(await page.$eval(`#${linkRow} button.toggle`, (b) => b.getAttribute('aria-expanded'))).toBe('true');
      await page.click(`#${linkRow} td[data-key="rule"]`);
      expect(await page.$eval(`#${linkRow} + tr.details`, (d) => (d as HTMLElement).hidden)).toBe(true);

      // The hostile rule: its name and code show as text, and no element came from them.
      await page.type('#filter-search', 'evil-tenant');
      await page.click('#expand-all');
      await page.evaluate(() => (window as unknown as { __r2aPending: Promise<unknown> }).__r2aPending);
      const evilDetails = await page.$eval('tr.rule[data-tenant="evil-tenant"] + tr.details', (d) => ({ hidden: (d as HTMLElement).hidden, text: d.textContent ?? '' }));
      expect(evilDetails.hidden).toBe(false);
      expect(evilDetails.text).toContain("// </details></table><script>alert('x')</script>");
      expect(await page.$eval('tr.rule[data-tenant="evil-tenant"] .rule-name', (c) => c.textContent)).toBe('<img src=x onerror=alert(1)> & "Co"');
      expect(await page.$$eval('img, iframe, object, embed', (e) => e.length)).toBe(0);
      expect(await page.$$eval('script', (e) => e.length)).toBe(3);

      // Expand all opens every rule on show; collapse all closes them.
      await page.$eval('#filter-search', (e) => ((e as HTMLInputElement).value = ''));
      await page.type('#filter-search', ' ');
      await page.click('#expand-all');
      await page.evaluate(() => (window as unknown as { __r2aPending: Promise<unknown> }).__r2aPending);
      expect(await page.$$eval('tr.details', (rows) => rows.filter((r) => !(r as HTMLElement).hidden && r.querySelector('ol.findings, p.muted')).length)).toBe(o.rules);
      await page.click('#collapse-all');
      expect(await page.$$eval('tr.details', (rows) => rows.every((r) => (r as HTMLElement).hidden))).toBe(true);

      // Offline: the page itself is the only request, and nothing went wrong in it.
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('keeps a 100-tenant portfolio page under 5 MB, and it still filters and expands', async () => {
    const { generateCorpus } = (await import(pathToFileURL(path.join(ROOT, 'bench/corpus.mjs')).href)) as {
      generateCorpus: (dir: string, options: { tenants: number; rulesPerTenant: number }) => { files: string[] };
    };
    const corpus = tmp();
    // 12 rules per tenant, as in the portfolio of the issue (10 tenants, 117 rules), a third account linking.
    const { files } = generateCorpus(corpus, { tenants: 100, rulesPerTenant: 12 });
    const file = path.join(tmp(), 'portfolio.html');
    const { code } = await audit([corpus, '--format', 'html', '--output', file]);
    expect(code).toBe(0);
    const size = statSync(file).size;
    expect(size).toBeLessThan(5 * 1024 * 1024);
    if (process.env.R2A_PRINT_SIZES) console.log(`100-tenant audit page: ${files.length} rules, ${size} bytes`);
    const { page, errors } = await open(file);
    try {
      expect(await page.$$eval('tr.rule', (r) => r.length)).toBe(files.length);
      expect(await page.$$eval('#tenant-table tbody tr', (r) => r.length)).toBe(100);
      await choose(page, 'filter-tenant', 'tenant042');
      const shown = await shownRules(page);
      expect(shown).toHaveLength(12);
      expect(shown.every((s) => s.startsWith('tenant042 / '))).toBe(true);
      await page.click('#expand-all');
      await page.evaluate(() => (window as unknown as { __r2aPending: Promise<unknown> }).__r2aPending);
      expect(await page.$$eval('tr.details', (rows) => rows.filter((r) => !(r as HTMLElement).hidden).length)).toBe(12);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);
});
