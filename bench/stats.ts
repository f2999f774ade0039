/** Small statistics helpers for the bench. */

/** The median of `values` (a copy is sorted). NaN for no values. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * The `p`-th percentile of `values`, nearest rank (a copy is sorted). NaN for no values.
 *
 * @param values - the samples
 * @param p - 0 to 100
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  if (p === 50 && sorted.length % 2 === 0) {
    const mid = sorted.length / 2;
    return ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  }
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** The arithmetic mean. NaN for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Forces a full garbage collection (twice, so weak and finalized objects go too). */
export function forceGc(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error("The bench child needs node --expose-gc.");
  gc();
  gc();
}

/** Heap bytes in use after a forced GC. */
export function heapAfterGc(): number {
  forceGc();
  return process.memoryUsage().heapUsed;
}

/** Microseconds elapsed since `start` (a `process.hrtime.bigint()` value). */
export function usSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}

/** Random integers in [0, n), `count` of them. */
export function randomIndexes(n: number, count: number): Uint32Array {
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(Math.random() * n);
  return out;
}
