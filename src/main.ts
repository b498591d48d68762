import 'reflect-metadata';
import { configOrExit, startApi, startWorker } from './bootstrap';

// Production entry: `node dist/main.js`. WORKER_ONLY=true runs the background work without HTTP.
const config = configOrExit();
(config.WORKER_ONLY ? startWorker(config) : startApi(config)).catch((e: Error) => {
  process.stderr.write(`flashsale: failed to start: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
