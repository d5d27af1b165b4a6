// The type check on a worker thread, for verify: building its program holds a thread for seconds, and
// verify's main thread must meanwhile answer its children (their watchdogs are wall-clock).
import { parentPort, workerData } from 'node:worker_threads';
import { typeCheckDetailed, type TypeCheckInput } from './typecheck.js';

typeCheckDetailed(workerData as TypeCheckInput[]).then(
  (results) => parentPort!.postMessage({ results: [...results] }),
  (error: unknown) => parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) }),
);
