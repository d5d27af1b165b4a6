// Preloaded into the measured CLI when GNU time is missing: reports the process's own peak RSS
// (all threads) and CPU time when it exits, in GNU time's `%M %U %S` format.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const usage = process.resourceUsage();
  writeFileSync(process.env.R2A_BENCH_USAGE, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
});
