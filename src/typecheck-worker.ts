// The type check on a worker thread, for verify: building its program holds a thread for seconds, and
// verify's main thread must meanwhile answer its children (their watchdogs are wall-clock).
import { parentPort, workerData } from 'node:worker_threads';
import { typeCheckDetailed, type TypeCheckInput } from './typecheck.js';
import { writeCacheFile } from './verify/child-caches.js';
import { recordLoads, useLoadCache } from './verify/load-cache.js';

const { inputs, cache } = workerData as { inputs: TypeCheckInput[]; cache: { file: string; fresh: boolean } | null };
// ts-morph and TypeScript from their code cache, or recorded into a new one (child-caches.ts).
const record = cache && !(cache.fresh && useLoadCache(cache.file)) ? recordLoads() : null;

typeCheckDetailed(inputs).then(
  (results) => {
    if (cache && record) {
      try {
        writeCacheFile(cache.file, record());
      } catch {
        // The next check records again.
      }
    }
    parentPort!.postMessage({ results: [...results] });
  },
  (error: unknown) => parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) }),
);
