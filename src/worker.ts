import 'reflect-metadata';
import { configOrExit, startWorker } from './bootstrap';

// Second entry point: `node dist/worker.js` runs the order worker and background loops without HTTP.
startWorker(configOrExit()).catch((e: Error) => {
  process.stderr.write(`flashsale: failed to start the worker: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
