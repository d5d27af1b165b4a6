// Preloaded into the measured `migrate --out` (Linux): at exit, the CPU time of the main thread and of the
// threads still alive (V8's platform threads: concurrent GC marking, sweeping, scavenging, JIT; libuv's pool).
// The pool's worker threads have exited by then: theirs is the process total less these.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const ticks = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

function threadCpu(tid) {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

// Workers inherit the preload: only the main thread reports.
if (isMainThread) process.on('exit', () => {
  let main = 0;
  let helpers = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) === process.pid) main = threadCpu(tid);
    else helpers += threadCpu(tid);
  }
  writeFileSync(process.env.R2A_BENCH_THREADS, JSON.stringify({ main: main * 1000, helpers: helpers * 1000 }) + '\n');
});
