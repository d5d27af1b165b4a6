// migrate --out as a stream (issue 16): each tenant is written once its own rules are in, before the
// next tenant's rules are migrated, with the same files as writing everything at the end.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { streamTenants, writeTenantTo, type TenantDone } from '../src/cli/stream.js';
import { runAll } from '../src/cli/pool.js';
import { writeTenant } from '../src/emit/index.js';
import { readTenants } from '../src/inputs/index.js';
import { groupRuns, tenantRules, withTenantViews } from '../src/tenants.js';

const TENANTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/tenants');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'r2a-stream-'));

function files(dir: string, base = dir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) Object.assign(out, files(file, base));
    else out[path.relative(base, file)] = readFileSync(file, 'utf8');
  }
  return out;
}

async function tenants() {
  const read = await readTenants([path.join(TENANTS, 'acme-directory'), path.join(TENANTS, 'globex-yaml')], { mergePlain: true, fromTenant: [] });
  return read.map(withTenantViews);
}

describe('streamTenants', () => {
  it('writes a tenant as soon as its last rule is back, the same files and report entries as writing at the end', async () => {
    const read = await tenants();
    const [first, second] = read;
    expect(first.rules.length).toBeGreaterThan(0);
    expect(second.rules.length).toBeGreaterThan(0);
    const streamedDir = tmp();
    const seen: boolean[] = [];
    let count = 0;
    const streamed: TenantDone[] = [];
    await streamTenants(read, {}, {
      finish: (group) => writeTenantTo(streamedDir, read.length > 1 ? group.tenant.name : '', group, undefined, {}),
      pool: { threads: 0 },
      tick: () => {
        // When the second tenant's first rule arrives, the first tenant is on disk already.
        if (count++ === first.rules.length) seen.push(existsSync(path.join(streamedDir, first.name)));
      },
    }, (done) => {
      streamed.push(done);
    });
    expect(seen).toEqual([true]);

    const atEndDir = tmp();
    const again = await tenants();
    const groups = groupRuns(again, await runAll(tenantRules(again), {}, undefined, { threads: 0 }));
    const before = JSON.stringify(groups.map((g) => g.runs.map((r) => r.report)));
    const written = [];
    for (const group of groups) written.push(await writeTenant(atEndDir, group, groups.length > 1 ? group.tenant.name : ''));
    expect(files(streamedDir)).toEqual(files(atEndDir));
    expect(streamed.flatMap((d) => d.entries.map((e) => e.report))).toEqual(written.flatMap((w) => w.reports));
    expect(streamed.flatMap((d) => d.notes)).toEqual(written.flatMap((w) => w.notes));
    expect(streamed.map((d) => d.heldBack?.heldBack)).toEqual(written.map((w) => w.plan.heldBack));
    // Writing returns the report entries: the runs it was given stay as they were.
    expect(JSON.stringify(groups.map((g) => g.runs.map((r) => r.report)))).toEqual(before);
  });
});
