import { LOG_ALL } from '../lib/instances';
import type { LoadScenario, Row } from '../lib/scenario';
import { checkout } from './buy';
import { readActive } from './reads';
import { itemSoldOut } from './refusals';

/*
 * Logging every request (LOG_REQUEST_SAMPLE_RATE=1) against the default 1% sample: three paths of the
 * main instance again on an instance that logs every request; each row's cost is against the same path's
 * row. The app writes its log to a regular file (bench/results/logs/<instance>.log): the bench counts the
 * lines it wrote per response, which must be about 1 here.
 */

async function checkLogged(measure: () => Promise<Row>): Promise<Row> {
  const row = await measure();
  const perResponse = row.run?.logLinesPerResponse ?? NaN;
  row.notes.push(`${perResponse.toFixed(2)} log lines per response`);
  // The log is written asynchronously: a few of the run's last lines may still be on their way.
  if (!(perResponse >= 0.95)) row.problems.push(`${perResponse.toFixed(2)} log lines per response, expected 1`);
  return row;
}

function loggingEveryRequest(base: LoadScenario): LoadScenario {
  return {
    name: `log-all-${base.name.replace(/^(refusal|read)-/, '')}`,
    group: 'logging',
    label: `${base.label}, every request logged`,
    on: LOG_ALL,
    cost: { baseline: base.name },
    load: base.load,
    around: (_ctx, measure) => checkLogged(measure),
  };
}

export const LOGGING: readonly LoadScenario[] = [itemSoldOut, readActive, checkout].map(loggingEveryRequest);
