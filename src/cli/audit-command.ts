// `rules2actions audit`: its options and help. What it runs is in audit.ts (loaded when audit runs).
import { Command, Option } from 'commander';
import type { AuditFormat } from '../format/audit.js';
import { UsageError } from '../io/errors.js';
import type { SdkMajor } from '../types.js';
import type { AuditFlags } from './audit.js';
import { parseSdk } from './flags.js';
import type { Io } from './main.js';

const AUDIT_FORMATS: AuditFormat[] = ['table', 'json', 'markdown', 'csv', 'html'];

/** The `audit` subcommand; `setExit` receives its exit code. */
export function auditCommand(io: Io, setExit: (code: number) => void, version = '0.0.0'): Command {
  return new Command('audit')
    .description('Audit tenants: per tenant and overall, rules, account linking, statuses, findings, secrets, scopes and effort.')
    .argument('[tenants...]', 'tenant exports (deploy-cli folder, tenant.yaml, rules JSON dump, .js folder), or a folder of them')
    .addOption(new Option('-f, --format <format>', 'report format').choices(AUDIT_FORMATS).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--from-tenant <domain>', 'also audit a live tenant (AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET; repeatable)', (v: string, p: string[]) => [...p, v], [])
    .addOption(new Option('--sdk <major>', 'auth0 SDK major for Management API calls').choices(['7', '4']).default(7 as SdkMajor).argParser(parseSdk))
    .option('--no-color', 'no colours even on a terminal')
    .addHelpText(
      'after',
      `
Examples:
  $ rules2actions audit exports/acme exports/globex      one row per tenant and a total
  $ rules2actions audit exports/ --format html -o audit.html   every tenant folder below exports/
  $ rules2actions audit tenant.yaml rules.json --format csv

Counts are rules, not errors: an input that could not be read is listed as such, not as a rule. Effort
counts enabled rules only (0 h for a tenant without any); see the README's "Effort estimate".

Exit codes: 0 the report was produced; 2 usage or fatal error, or an input could not be read (the report
still lists it).`,
    )
    .action(async (paths: string[], flags: AuditFlags) => {
      if (paths.length === 0 && flags.fromTenant.length === 0) throw new UsageError('Give at least one tenant export (see --help).');
      const { runAudit } = await import('./audit.js');
      setExit(await runAudit(paths, flags, io, version));
    });
}
