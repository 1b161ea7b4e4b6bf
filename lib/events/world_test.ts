import assert from "node:assert/strict";
import {
  COUNTRY_SHARES,
  isWeekendDay,
  listeningIntensity,
  PLATFORM_SHARES,
  WEEKDAY_HOURS,
  WEEKEND_HOURS,
  weightedPicker,
  zipfPicker,
} from "./world.ts";
import { mulberry32 } from "./prng.ts";

const DAY_MS = 86_400_000;

Deno.test("weightedPicker: proportional to the weights, ends included, zero weight never", () => {
  const pick = weightedPicker([1, 0, 3]);
  assert.equal(pick(0), 0);
  assert.equal(pick(0.2499), 0);
  assert.equal(pick(0.25), 2);
  assert.equal(pick(0.999999), 2);
  const rand = mulberry32(9);
  const n = [0, 0, 0];
  for (let i = 0; i < 40_000; i++) n[pick(rand())]!++;
  assert.equal(n[1], 0);
  assert.ok(Math.abs(n[2]! / n[0]! - 3) < 0.15, `${n}`);
  assert.throws(() => weightedPicker([]), RangeError);
  assert.throws(() => weightedPicker([0, 0]), RangeError);
  assert.throws(() => weightedPicker([1, -1]), RangeError);
});

Deno.test("zipfPicker: rank r drawn ∝ 1/(r+1); the top 1% of 10,000 get about half", () => {
  const pick = zipfPicker(10_000);
  const rand = mulberry32(4);
  const counts = new Map<number, number>();
  const N = 200_000;
  for (let i = 0; i < N; i++) {
    const r = pick(rand());
    counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  let top = 0;
  for (let r = 0; r < 100; r++) top += counts.get(r) ?? 0;
  // Exactly: H(100) / H(10000) = 5.187 / 9.788 = 0.530.
  assert.ok(Math.abs(top / N - 0.53) < 0.01, `top 1% share ${top / N}`);
  const ratio = counts.get(0)! / counts.get(1)!;
  assert.ok(ratio > 1.8 && ratio < 2.2, `rank 0 / rank 1 = ${ratio}`);
});

Deno.test("world: large markets first, distinct names, platforms as token prefixes", () => {
  const names = COUNTRY_SHARES.map(([c]) => c);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(names.slice(0, 3), ["United States", "Brazil", "Germany"]);
  const total = COUNTRY_SHARES.reduce((s, [, w]) => s + w, 0);
  // A long tail: the ten largest hold well over half, but far from all.
  const top10 = COUNTRY_SHARES.slice(0, 10).reduce((s, [, w]) => s + w, 0) / total;
  assert.ok(top10 > 0.5 && top10 < 0.8, `top 10 share ${top10}`);
  for (const [p] of PLATFORM_SHARES) assert.match(p, /^[a-z]+$/);
});

Deno.test("isWeekendDay: Saturday and Sunday in UTC", () => {
  const day = (iso: string) => Date.parse(iso) / DAY_MS;
  assert.equal(isWeekendDay(day("2024-06-01")), true); // Saturday
  assert.equal(isWeekendDay(day("2024-06-02")), true); // Sunday
  assert.equal(isWeekendDay(day("2024-06-03")), false); // Monday
  assert.equal(isWeekendDay(day("2024-06-07")), false); // Friday
  assert.equal(isWeekendDay(day("1969-12-27")), true); // a Saturday before the epoch
});

Deno.test("listeningIntensity: quiet nights, evening peak, busier weekend mornings, smooth", () => {
  assert.equal(WEEKDAY_HOURS.length, 24);
  assert.equal(WEEKEND_HOURS.length, 24);
  const f = listeningIntensity(1);
  const at = (iso: string) => f(Date.parse(iso));
  // Wednesday 2024-06-05: 04:00 vs 20:00 (the day factor cancels out within a day).
  assert.ok(at("2024-06-05T20:00:00Z") / at("2024-06-05T04:00:00Z") > 5);
  // Saturday 10:30 vs Wednesday 10:30, relative to each day's evening.
  const weekend = at("2024-06-08T10:30:00Z") / at("2024-06-08T19:30:00Z");
  const weekday = at("2024-06-05T10:30:00Z") / at("2024-06-05T19:30:00Z");
  assert.ok(weekend > weekday * 1.3, `${weekend} vs ${weekday}`);
  // No jump at a full hour: one second apart differ by well under 1%.
  const a = at("2024-06-05T17:59:59Z");
  const b = at("2024-06-05T18:00:00Z");
  assert.ok(Math.abs(a - b) / b < 0.001, `${a} vs ${b}`);
  // Days differ a little with the seed, and the same seed gives the same curve.
  assert.equal(
    listeningIntensity(1)(Date.parse("2024-06-05T12:00:00Z")),
    at("2024-06-05T12:00:00Z"),
  );
  assert.notEqual(
    listeningIntensity(2)(Date.parse("2024-06-05T12:00:00Z")),
    at("2024-06-05T12:00:00Z"),
  );
});
