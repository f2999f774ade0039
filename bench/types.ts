/** One measured figure of a bench suite. */
export interface BenchRow {
  /** The suite, e.g. "hit", "redis". */
  readonly suite: string;
  /** What was measured, e.g. "graph-obo-auth" or "msal shared". */
  readonly subject: string;
  /** The metric, e.g. "hit µs/call, 1,000 users". */
  readonly metric: string;
  /** The figure. */
  readonly value: number;
  /** Its unit, e.g. "µs", "bytes", "requests". */
  readonly unit: string;
  /** Anything a reader needs to read the figure right. */
  readonly note?: string;
}

/** A group of measurements that `npm run bench` runs in one process, side by side. */
export interface BenchSuite {
  readonly name: string;
  run(options: BenchRunOptions): Promise<BenchRow[]>;
}

export interface BenchRunOptions {
  /** Smaller sizes and fewer repetitions (for a smoke run). */
  readonly quick: boolean;
  /** The long run (`--full`): larger sizes, such as 100,000 cached users. */
  readonly full?: boolean;
  /** Progress output (stderr). */
  readonly log: (message: string) => void;
}
