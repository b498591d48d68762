import type { Child } from './processes';
import type { Data } from './data';
import type { Measurement, WrkLoad } from './wrk';

/*
 * What a scenario is. A load scenario is a small object: a name (for BENCH_ONLY), a row label, the server
 * it runs on, and load(), which does whatever set-up it needs and says what wrk sends and what every answer
 * must be. A task scenario (the worker drain, memory) runs on its own and returns its own section.
 * Adding a scenario: write the object in the file of its group (bench/scenarios/) and list it in that file's
 * export; bench/run.ts runs every exported scenario of every group.
 */

/** A world is a state of the bench's data: wiped before it, then shared by the servers started in it. */
export type WorldName = 'ceilings' | 'edges' | 'memory' | 'idle' | 'main' | 'fleet' | 'ceilings-last';

/** A process wrk talks to: the app, or a ceiling server. */
export interface Server {
  readonly name: string;
  readonly child: Child;
  readonly port: number;
  readonly pid: number;
}

/** A server the scenarios of a world run on, started once for all of them (in the order they are listed). */
export interface Instance {
  readonly name: string;
  readonly world: WorldName;
  /** The settings it runs with, shown in the report. */
  readonly settings: string;
  start(port: number): Promise<Server>;
}

/** Set-up shared by the servers of one world (the sale and its items, bought-out items, sessions...). */
export class World {
  readonly saleIds = new Set<number>();
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(readonly name: WorldName) {}

  /** Runs `make` the first time `key` is asked for in this world; later asks get the same result. */
  once<T>(key: string, make: () => Promise<T>): Promise<T> {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return this.memo.get(key) as Promise<T>;
  }
}

export interface Ctx {
  readonly data: Data;
  readonly world: World;
  readonly server: Server;
  /** The bare route whose short runs flank each slice of a scenario (null when BENCH_SLICES or BENCH_BARE_SLICE is 0). */
  readonly yardstick: Server | null;
}

/** The feature a row prices: its ratio to the bare route against the baseline row's (same world, same settings
 *  otherwise). */
export interface Cost {
  readonly baseline: string;
  /** The most it may cost (a fraction of the baseline's ratio), if the issue sets a limit. */
  readonly max?: number;
}

export interface LoadScenario {
  readonly name: string;
  readonly group: string;
  readonly label: string;
  readonly on: Instance;
  /** The target: at least this fraction of the bare route's req/s. */
  readonly target?: number;
  readonly cost?: Cost;
  /** Runs even when BENCH_ONLY does not name it (the bare route: every ratio needs it). */
  readonly always?: boolean;
  /** Set-up (shared through ctx.world where other scenarios need it too), then what wrk sends. */
  load(ctx: Ctx): Promise<WrkLoad>;
  /** Wraps the measured scenario: the streams scenario holds its streams open around it. */
  around?(ctx: Ctx, measure: () => Promise<Row>): Promise<Row>;
}

/** One measured scenario, as reported. */
export interface Row {
  readonly name: string;
  readonly group: string;
  readonly label: string;
  readonly server: string;
  readonly settings: string;
  readonly target?: number;
  readonly cost?: Cost;
  /** Undefined when the scenario failed before it could be measured (see problems). */
  readonly run?: Measurement;
  readonly warmupUnexpected: number;
  /** The slices `run` merges, and the bare route's runs around them (bare, slice, bare, ..., slice, bare); none
   *  for the bare route's own rows, or with BENCH_SLICES=0 / BENCH_BARE_SLICE=0. */
  readonly slices?: readonly Measurement[];
  readonly bareAround?: readonly Measurement[];
  /**
   * Filled in at the end: the mean over slices of a slice's req/s ÷ the mean of the bare route's runs on either
   * side of it (without slices: req/s ÷ the mean of the bare route's first and last runs); the cost against
   * the baseline row, by ratio (1 − ratio with ÷ without) and by CPU (1 − app+Redis µs/req without ÷ with).
   */
  ratio?: number;
  costFraction?: number;
  cpuCostFraction?: number;
  readonly notes: string[];
  /** Anything that makes the row's figures wrong: unexpected answers, a failed set-up or check. */
  readonly problems: string[];
}

/** What a task scenario hands back: a markdown section for the report, its data, and its problems. */
export interface TaskResult {
  readonly name: string;
  readonly section: string[];
  readonly json: unknown;
  readonly problems: string[];
}

export interface TaskScenario {
  readonly name: string;
  readonly group: string;
  readonly world: WorldName;
  /** Runs only when BENCH_ONLY names it or its group (the fleet: it would lengthen every run by minutes). */
  readonly optIn?: boolean;
  run(data: Data, world: World): Promise<TaskResult>;
}
