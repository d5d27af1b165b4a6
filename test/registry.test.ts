import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineTransform } from '../src/pipeline-messages.js';
import { tenantTransform } from '../src/tenant/messages.js';
import { transforms } from '../transforms/index.js';
import { discoverFixtures, FIXTURES } from './support/fixtures.js';

const transformDir = path.resolve(import.meta.dirname, '../transforms');
const files = readdirSync(transformDir)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => f.replace(/\.ts$/, ''));

describe('transform registry', () => {
  it('registers every transform file exactly once, under its file name', () => {
    expect(transforms.map((t) => t.id).sort()).toEqual(files.sort());
    expect(new Set(transforms.map((t) => t.id)).size).toBe(transforms.length);
  });

  it('keeps rule-signature last: it needs the rule as every other transform left it', () => {
    expect(transforms.at(-1)?.id).toBe('rule-signature');
  });

  it.each(transforms.map((t) => [t.id, t] as const))('%s has a description, messages and fixtures', (id, t) => {
    expect(t.description.length).toBeGreaterThan(10);
    expect(Object.keys(t.messages).length).toBeGreaterThan(0);
    expect(existsSync(path.join(FIXTURES, id)), `fixtures/${id}/ is missing`).toBe(true);
    expect(discoverFixtures([id]).length, `fixtures/${id}/ has no case`).toBeGreaterThan(0);
    const source = readFileSync(path.join(transformDir, `${id}.ts`), 'utf8');
    expect(source).toContain(`id: '${id}'`);
  });

  it('every finding code in an expected report is declared by the transform that raises it', () => {
    const declared = new Set([pipelineTransform, tenantTransform, ...transforms].flatMap((t) => Object.keys(t.messages)));
    for (const c of discoverFixtures()) {
      for (const f of c.expectedReport.findings) expect(declared.has(f.code), `${c.id}: ${f.code}`).toBe(true);
    }
  });

  it('declares lowercase kebab-case codes only (findings on one position sort by code in code-unit order: report.ts)', () => {
    const declared = [pipelineTransform, tenantTransform, ...transforms].flatMap((t) => Object.keys(t.messages));
    expect(declared.filter((code) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(code))).toEqual([]);
  });
});
