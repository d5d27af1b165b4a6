// Runs migrate() from the build in a worker thread so that the fuzz test can stop a case that hangs.
import { parentPort } from 'node:worker_threads';
import { migrate } from '../../dist/src/migrate.js';

parentPort.on('message', ({ id, source, options }) => {
  try {
    const { status, code, findings } = migrate(source, options);
    parentPort.postMessage({ id, result: { status, code, findings } });
  } catch (error) {
    parentPort.postMessage({ id, thrown: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
  }
});
