/**
 * The shape of the simulated world the event generator draws from: where
 * listeners are (countries weighted by listener share), what they listen on
 * (platforms), which tracks are popular (Zipf), and when people listen (a
 * daily rhythm that differs between weekdays and weekends). Pure data and
 * small pure functions.
 *
 * @module
 */
import { mulberry32 } from "./prng.ts";

/**
 * Countries with a weight roughly proportional to their share of a music
 * streaming service's listeners (large markets first, then a long tail), so
 * "top countries" looks like a real service's, not like a uniform draw.
 */
export const COUNTRY_SHARES: readonly (readonly [string, number])[] = [
  ["United States", 16],
  ["Brazil", 7],
  ["Germany", 5.5],
  ["United Kingdom", 5.2],
  ["Mexico", 5],
  ["France", 4],
  ["India", 3.8],
  ["Japan", 3],
  ["Indonesia", 3],
  ["Canada", 2.6],
  ["Spain", 2.5],
  ["Italy", 2.2],
  ["Philippines", 2.1],
  ["Australia", 2],
  ["Turkey", 1.8],
  ["Argentina", 1.8],
  ["Netherlands", 1.6],
  ["Poland", 1.6],
  ["Colombia", 1.4],
  ["Sweden", 1.2],
  ["Chile", 1.1],
  ["Saudi Arabia", 1],
  ["Vietnam", 0.9],
  ["Peru", 0.9],
  ["South Korea", 0.8],
  ["Egypt", 0.8],
  ["South Africa", 0.8],
  ["Thailand", 0.8],
  ["Belgium", 0.7],
  ["Nigeria", 0.7],
  ["Malaysia", 0.7],
  ["Norway", 0.6],
  ["Denmark", 0.6],
  ["Switzerland", 0.6],
  ["Portugal", 0.6],
  ["Finland", 0.5],
  ["Austria", 0.5],
  ["Romania", 0.5],
  ["Ireland", 0.4],
  ["New Zealand", 0.4],
  ["Czechia", 0.4],
  ["Greece", 0.4],
  ["Ukraine", 0.4],
  ["Taiwan", 0.4],
  ["Hungary", 0.3],
  ["Israel", 0.3],
  ["Morocco", 0.3],
  ["Ecuador", 0.3],
  ["Singapore", 0.3],
  ["Hong Kong", 0.3],
  ["Kenya", 0.2],
  ["Guatemala", 0.2],
  ["Uruguay", 0.2],
  ["Iceland", 0.05],
  ["Luxembourg", 0.05],
  ["Cape Verde", 0.02],
];

/**
 * Platforms and their share of users: mostly phones, then desktop apps, the
 * web player and TVs/consoles. The platform is the `platform_token`'s prefix
 * (`android-…`), which the `platforms` report groups by.
 */
export const PLATFORM_SHARES: readonly (readonly [string, number])[] = [
  ["android", 44],
  ["ios", 31],
  ["desktop", 13],
  ["web", 8],
  ["tv", 4],
];

/**
 * A sampler of indices in [0, weights.length) with probability proportional
 * to each weight: cumulative sums and a binary search, O(log n) a draw.
 */
export function weightedPicker(weights: ArrayLike<number>): (u: number) => number {
  const n = weights.length;
  if (n < 1) throw new RangeError("weightedPicker needs at least one weight");
  const cum = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`bad weight ${w} at ${i}`);
    cum[i] = total += w;
  }
  if (!(total > 0)) throw new RangeError("weightedPicker needs a positive total weight");
  return (u) => {
    const x = u * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/** Zipf exponent of track popularity: rank r is played ∝ 1 / r^s. */
export const TRACK_ZIPF_EXPONENT = 1;

/** A Zipf sampler over ranks [0, n): rank 0 the most popular. */
export function zipfPicker(n: number, s = TRACK_ZIPF_EXPONENT): (u: number) => number {
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = 1 / (r + 1) ** s;
  return weightedPicker(w);
}

/**
 * Relative listening per UTC hour on Monday–Friday: quiet nights (02–06), a
 * commute bump, steady work-hours listening and the evening peak (18–22).
 */
export const WEEKDAY_HOURS: readonly number[] = [
  0.45,
  0.28,
  0.16,
  0.11,
  0.1,
  0.14,
  0.3,
  0.6,
  0.75,
  0.62,
  0.58,
  0.6, //
  0.68,
  0.64,
  0.62,
  0.66,
  0.75,
  0.88,
  1,
  1,
  0.96,
  0.88,
  0.72,
  0.58,
];

/**
 * Relative listening per UTC hour on Saturday and Sunday: later nights, a
 * late start, busy late mornings and afternoons, a flatter evening.
 */
export const WEEKEND_HOURS: readonly number[] = [
  0.62,
  0.46,
  0.28,
  0.17,
  0.12,
  0.11,
  0.13,
  0.22,
  0.4,
  0.66,
  0.84,
  0.92, //
  0.94,
  0.9,
  0.86,
  0.84,
  0.86,
  0.9,
  0.92,
  0.94,
  0.92,
  0.86,
  0.78,
  0.7,
];

const HOUR_MS = 3_600_000;

/** True on Saturday and Sunday (UTC) for the UTC day number `day` (days since 1970-01-01). */
export function isWeekendDay(day: number): boolean {
  const dow = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday (4)
  return dow === 0 || dow === 6;
}

/**
 * A listening-intensity curve over time: the weekday/weekend hourly rhythm,
 * linearly interpolated between hour midpoints (so minutes do not jump at
 * each full hour), times a per-day factor in [0.9, 1.1) drawn from `seed`
 * (real days differ a little). Values are relative (peak ≈ 1).
 */
export function listeningIntensity(seed: number): (ms: number) => number {
  const dayFactor = (day: number) => 0.9 + 0.2 * mulberry32(seed ^ Math.imul(day, 0x9e3779b1))();
  const hourValue = (hour: number) => {
    const day = Math.floor(hour / 24);
    const table = isWeekendDay(day) ? WEEKEND_HOURS : WEEKDAY_HOURS;
    return table[hour - day * 24]! * dayFactor(day);
  };
  return (ms) => {
    const pos = ms / HOUR_MS - 0.5;
    const h = Math.floor(pos);
    const f = pos - h;
    return hourValue(h) * (1 - f) + hourValue(h + 1) * f;
  };
}
