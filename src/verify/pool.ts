/**
 * Verify children, kept between pairs: starting Node and loading request and the auth0 SDKs costs about a
 * second, a scenario about 60 ms. Each child runs one pair at a time (its emulator and clock are
 * process-wide); at most `size` children run at once, because run time limits are wall-clock.
 * A child that times out or dies is discarded and replaced on demand.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { ChildJob, ChildReply } from './child.js';
import type { Certificate } from './emulator.js';

type Results = Extract<ChildReply, { ok: true }>['results'];

interface Worker {
  child: ChildProcess;
  stderr: string;
  busy: boolean;
}

interface Task {
  job: ChildJob;
  limitMs: number;
  resolve: (results: Results) => void;
  reject: (error: Error) => void;
}

export interface ChildPool {
  run(job: ChildJob, limitMs: number): Promise<Results>;
  close(): void;
}

export function createChildPool(script: string, certificate: Certificate, size: number): ChildPool {
  const workers = new Set<Worker>();
  const queue: Task[] = [];
  let closed = false;

  const spawn = (): Worker => {
    const child = fork(script, [], {
      // NODE_EXTRA_CA_CERTS is read at start-up only: the reason verification runs in children.
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.certPath },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const worker: Worker = { child, stderr: '', busy: false };
    child.stderr?.on('data', (chunk: Buffer) => {
      worker.stderr = (worker.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.stdout?.resume();
    child.once('exit', () => workers.delete(worker));
    workers.add(worker);
    return worker;
  };

  const dispatch = () => {
    while (!closed && queue.length > 0) {
      let worker = [...workers].find((w) => !w.busy && w.child.connected);
      if (!worker && workers.size < size) worker = spawn();
      if (!worker) return;
      start(worker, queue.shift()!);
    }
  };

  const start = (worker: Worker, task: Task) => {
    worker.busy = true;
    worker.stderr = '';
    const { child } = worker;
    let settled = false;
    const finish = (error: Error | null, results?: Results, discard = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (discard) {
        workers.delete(worker);
        child.kill('SIGKILL');
      }
      worker.busy = false;
      if (error) task.reject(error);
      else task.resolve(results ?? []);
      dispatch();
    };
    const onMessage = (message: ChildReply) => {
      if (message.ok) finish(null, message.results);
      else finish(new Error(`verify child failed: ${message.error}\n${worker.stderr}`), undefined, true);
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`verify child exited (${signal ?? code}) before answering\n${worker.stderr}`), undefined, true);
    const timer = setTimeout(
      () => finish(new Error(`verify child did not finish within ${task.limitMs} ms\n${worker.stderr}`), undefined, true),
      task.limitMs,
    );
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(task.job);
  };

  return {
    run(job, limitMs) {
      if (closed) return Promise.reject(new Error('the verifier is closed'));
      return new Promise<Results>((resolve, reject) => {
        queue.push({ job, limitMs, resolve, reject });
        dispatch();
      });
    },
    close() {
      closed = true;
      for (const task of queue.splice(0)) task.reject(new Error('the verifier was closed'));
      // A child exits once its IPC channel closes.
      for (const { child } of workers) if (child.connected) child.disconnect();
      workers.clear();
    },
  };
}
