import assert from "node:assert/strict";
import { BackfillClock } from "./backfill.ts";
import { validateEvent } from "./codec.ts";
import { EventGenerator } from "./generator.ts";
import { mulberry32 } from "./prng.ts";
import type { MusicEvent } from "./schema.ts";
import { COUNTRY_SHARES } from "./world.ts";

const DAY_MS = 86_400_000;
/** Wednesday 2025-06-18 12:00 UTC: a 7-day window holds two weekend days. */
const NOW = Date.UTC(2025, 5, 18, 12);

Deno.test("BackfillClock: n times in [start, end), never backwards, then undefined", () => {
  const clock = new BackfillClock({
    startMs: NOW - DAY_MS,
    endMs: NOW,
    events: 5000,
    rand: mulberry32(1),
    seed: 1,
  });
  assert.equal(clock.remaining, 5000);
  let prev = -Infinity;
  for (let i = 0; i < 5000; i++) {
    const t = clock.next();
    assert.ok(t !== undefined && t >= NOW - DAY_MS && t < NOW && t >= prev, `${i}: ${t}`);
    prev = t;
  }
  assert.equal(clock.remaining, 0);
  assert.equal(clock.next(), undefined);
  assert.throws(
    () => new BackfillClock({ startMs: NOW, endMs: NOW, events: 1, rand: Math.random, seed: 1 }),
    RangeError,
  );
});

Deno.test("BackfillClock: the gap between events is longer at night than in the evening", () => {
  const start = Date.UTC(2025, 5, 18); // a Wednesday, midnight
  const clock = new BackfillClock({
    startMs: start,
    endMs: start + DAY_MS,
    events: 24_000,
    rand: mulberry32(2),
    seed: 2,
  });
  const gapAt = new Map<number, number>();
  for (let t = clock.next(); t !== undefined; t = clock.next()) {
    gapAt.set(new Date(t).getUTCHours(), clock.gapMs);
  }
  assert.ok(gapAt.get(4)! > 4 * gapAt.get(19)!, `${gapAt.get(4)} vs ${gapAt.get(19)}`);
  // On average one event per 3.6 s over the day.
  assert.ok(gapAt.get(12)! > 1000 && gapAt.get(12)! < 10_000, `${gapAt.get(12)}`);
});

/** 100k events of a seeded 7-day backfill, with a few statistics. */
function week(seed: number) {
  const g = new EventGenerator({
    seed,
    now: () => NOW,
    backfillMs: 7 * DAY_MS,
    backfillEvents: 100_000,
  });
  const events: MusicEvent[] = Array.from({ length: 100_000 }, () => g.next());
  return { g, events };
}

const countBy = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
};

Deno.test("backfill: a week of history with a daily and weekly rhythm", () => {
  const { g, events } = week(7);
  assert.equal(g.backfillRemaining, 0);
  const times = events.map((e) => e.event_timestamp.ts_ms);
  assert.ok(times.every((t) => t >= NOW - 7 * DAY_MS && t < NOW));
  const hours = countBy(times, (t) => new Date(t).toISOString().slice(0, 13));
  const dates = countBy(times, (t) => new Date(t).toISOString().slice(0, 10));
  assert.ok(hours.size >= 7 * 24, `distinct hours ${hours.size}`);
  assert.ok(dates.size >= 7, `distinct dates ${dates.size}`);
  const byHour = countBy(times, (t) => String(new Date(t).getUTCHours()));
  const sum = (hs: number[]) => hs.reduce((s, h) => s + (byHour.get(String(h)) ?? 0), 0);
  const night = sum([2, 3, 4, 5]);
  const evening = sum([18, 19, 20, 21]);
  assert.ok(evening > 3 * night, `evening ${evening}, night ${night}`);
  // Weekend late mornings (09–13) hold a larger part of their day than weekday ones.
  const morningShare = (weekend: boolean) => {
    const days = times.filter((t) => [0, 6].includes(new Date(t).getUTCDay()) === weekend);
    return days.filter((t) => new Date(t).getUTCHours() >= 9 && new Date(t).getUTCHours() < 13)
      .length / days.length;
  };
  assert.ok(morningShare(true) > 1.15 * morningShare(false), `${morningShare(true)}`);
});

Deno.test("backfill: realistic countries, long-tailed tracks, plausible platforms", () => {
  const { events } = week(8);
  const p = events.map((e) => e.event_param);
  const countries = [...countBy(p, (x) => x.country)].sort((a, b) => b[1] - a[1]);
  const large = COUNTRY_SHARES.slice(0, 10).map(([c]) => c);
  assert.ok(large.includes(countries[0]![0]), `top country ${countries[0]![0]}`);
  assert.ok(countries.length >= 30, `${countries.length} countries`);
  const tracks = [...countBy(p, (x) => x.uuid_track).values()].sort((a, b) => b - a);
  const top1pct = tracks.slice(0, 100).reduce((s, n) => s + n, 0) / p.length;
  assert.ok(top1pct > 0.35, `top 100 of 10,000 tracks hold ${top1pct}`);
  const platforms = countBy(p, (x) => /^([a-z]+)-[a-z0-9]{24}$/.exec(x.platform_token)![1]!);
  assert.deepEqual([...platforms.keys()].sort(), ["android", "desktop", "ios", "tv", "web"]);
  const share = (k: string) => platforms.get(k)! / p.length;
  assert.ok(share("android") + share("ios") > 0.6 && share("tv") < share("web"));
});

Deno.test("backfill: per user, time order and coherent sessions minutes apart", () => {
  const { events } = week(9);
  const state = new Map<string, { t: number; track: string; paused: boolean }>();
  const gaps: number[] = [];
  for (const e of events) {
    assert.ok(validateEvent(JSON.parse(JSON.stringify(e))).ok);
    const { ts, ts_ms } = e.event_timestamp;
    assert.equal(ts, Math.floor(ts_ms / 1000));
    const p = e.event_param;
    const s = state.get(p.user_id);
    if (s) {
      assert.ok(ts_ms >= s.t, "a user's events never go back in time");
      gaps.push(ts_ms - s.t);
    }
    if (p.event_type_id !== 1) {
      assert.ok(s && s.paused === (p.event_type_id === 3), "pause while playing, resume paused");
      assert.equal(p.uuid_track, s.track);
    }
    state.set(p.user_id, { t: ts_ms, track: p.uuid_track, paused: p.event_type_id === 2 });
  }
  // Within sessions a user's next event follows within minutes, not hours or milliseconds.
  gaps.sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1]!;
  assert.ok(median > 30_000 && median < 10 * 60_000, `median gap ${median} ms`);
  assert.ok(state.size > 500, `${state.size} active users`);
});

Deno.test("backfill: the same seed gives the same events; then live at the clock", () => {
  let clock = NOW;
  const make = (seed: number) =>
    new EventGenerator({ seed, now: () => clock, backfillMs: DAY_MS, backfillEvents: 300 });
  const a = make(3);
  const b = make(3);
  const c = make(4);
  const first = Array.from({ length: 300 }, () => a.next());
  assert.deepEqual(first, Array.from({ length: 300 }, () => b.next()));
  assert.notDeepEqual(first, Array.from({ length: 300 }, () => c.next()));
  assert.ok(first.every((e) => e.event_timestamp.ts_ms < NOW));
  clock = NOW + 5_000;
  assert.equal(a.backfillRemaining, 0);
  assert.equal(a.next().event_timestamp.ts_ms, NOW + 5_000);
  assert.throws(() => new EventGenerator({ backfillMs: DAY_MS }), RangeError);
  assert.throws(() => new EventGenerator({ backfillMs: 0, backfillEvents: 1 }), RangeError);
});
