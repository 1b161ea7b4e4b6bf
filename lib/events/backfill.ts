/**
 * The clock of a backfill: spreads a known number of events over a past time
 * window following the listening rhythm of {@link listeningIntensity}, in
 * non-decreasing time order, one timestamp per call, in constant memory per
 * event.
 *
 * @module
 */
import { listeningIntensity } from "./world.ts";

/** Options of {@link BackfillClock}. */
export interface BackfillClockOptions {
  /** Window start, epoch ms (inclusive). */
  startMs: number;
  /** Window end, epoch ms (exclusive): every time is before it. */
  endMs: number;
  /** How many events the window holds. */
  events: number;
  /** Uniform [0, 1) draws (the generator's seeded PRNG). */
  rand: () => number;
  /** Seed of the day-to-day variation of the rhythm. */
  seed: number;
}

/** Finest resolution of the rhythm: one minute. */
const BUCKET_MS = 60_000;
/** Most buckets kept (8 MB each for weights and sums); longer windows get wider buckets. */
const MAX_BUCKETS = 1_000_000;

/**
 * Event `i` of `n` gets the time where the cumulative listening intensity
 * reaches `(i + u) / n` of the window's total (u uniform in [0, 1)): an
 * inverse-CDF draw whose positions strictly increase with `i`, so times never
 * go backwards, busy hours get many events and quiet ones few.
 *
 * @example
 * ```ts
 * const clock = new BackfillClock({ startMs: now - 7 * 86_400_000, endMs: now, events: 1e5, rand, seed });
 * const t = clock.next(); // undefined once all events have their time
 * ```
 */
export class BackfillClock {
  readonly #start: number;
  readonly #end: number;
  readonly #n: number;
  readonly #rand: () => number;
  readonly #bucketMs: number;
  /** Intensity of each bucket. */
  readonly #w: Float64Array;
  /** Cumulative intensity before each bucket. */
  readonly #cum: Float64Array;
  /** Intensity per event: the window's total over `n`. */
  readonly #perEvent: number;
  #i = 0;
  #b = 0;

  constructor(o: BackfillClockOptions) {
    const span = o.endMs - o.startMs;
    if (!(span > 0) || !Number.isFinite(span)) {
      throw new RangeError(`backfill window must be positive, got ${span} ms`);
    }
    if (!Number.isInteger(o.events) || o.events < 0) {
      throw new RangeError(`backfill events must be a whole number ≥ 0, got ${o.events}`);
    }
    this.#start = o.startMs;
    this.#end = o.endMs;
    this.#n = o.events;
    this.#rand = o.rand;
    const buckets = Math.max(1, Math.min(MAX_BUCKETS, Math.ceil(span / BUCKET_MS)));
    this.#bucketMs = span / buckets;
    const intensity = listeningIntensity(o.seed);
    this.#w = new Float64Array(buckets);
    this.#cum = new Float64Array(buckets);
    let total = 0;
    for (let b = 0; b < buckets; b++) {
      this.#cum[b] = total;
      this.#w[b] = intensity(o.startMs + (b + 0.5) * this.#bucketMs);
      total += this.#w[b]!;
    }
    this.#perEvent = total / Math.max(1, o.events);
  }

  /** Events still to be given a time. */
  get remaining(): number {
    return this.#n - this.#i;
  }

  /**
   * Expected milliseconds between two consecutive events (of all users) at
   * the time last returned: small in busy hours, large at night.
   */
  get gapMs(): number {
    return this.#bucketMs * this.#perEvent / this.#w[this.#b]!;
  }

  /** The next event's time in epoch ms (fractional), or undefined when all are out. */
  next(): number | undefined {
    if (this.#i >= this.#n) return undefined;
    const pos = (this.#i++ + this.#rand()) * this.#perEvent;
    const last = this.#w.length - 1;
    while (this.#b < last && this.#cum[this.#b + 1]! <= pos) this.#b++;
    const b = this.#b;
    const t = this.#start + (b + (pos - this.#cum[b]!) / this.#w[b]!) * this.#bucketMs;
    // Rounding must not push the last events onto or past the window's end.
    return Math.min(Math.max(t, this.#start), this.#end - 1);
  }
}
