import assert from "node:assert/strict";
import { decodeEvent, encodeEvent, eventJson, validateEvent } from "./codec.ts";
import { EventGenerator } from "./generator.ts";
import { EVENT_TYPES } from "./schema.ts";

Deno.test("every generated event validates and round-trips through bytes", () => {
  const g = new EventGenerator({ seed: 1, users: 50, tracks: 200 });
  for (let i = 0; i < 5000; i++) {
    const e = g.next();
    const v = validateEvent(e);
    assert.ok(v.ok, !v.ok ? v.reason : "");
    const d = decodeEvent(encodeEvent(e));
    assert.ok(d.ok);
    assert.deepEqual(d.event, e);
  }
});

Deno.test("event_type_id and event_type follow the fixed mapping", () => {
  assert.deepEqual(EVENT_TYPES, { 1: "track_playback", 2: "pause_track", 3: "resume_track" });
  const g = new EventGenerator({ seed: 2 });
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const p = g.next().event_param;
    assert.equal(p.event_type, EVENT_TYPES[p.event_type_id]);
    seen.add(p.event_type_id);
  }
  assert.deepEqual([...seen].sort(), [1, 2, 3]);
});

Deno.test("ts is floor(ts_ms / 1000) of the clock", () => {
  let t = 1_700_000_000_999;
  const g = new EventGenerator({ seed: 3, now: () => t++ });
  const a = g.next().event_timestamp;
  const b = g.next().event_timestamp;
  assert.deepEqual(a, { ts: 1_700_000_000, ts_ms: 1_700_000_000_999 });
  assert.deepEqual(b, { ts: 1_700_000_001, ts_ms: 1_700_000_001_000 });
});

Deno.test("no two events are identical: a user's events are at least 1 ms apart", () => {
  // A frozen clock and few users: without the rule, equal events would be common.
  const g = new EventGenerator({ seed: 4, users: 5, tracks: 3, now: () => 1_700_000_000_000 });
  const events = Array.from({ length: 3000 }, () => g.next());
  assert.equal(new Set(events.map(eventJson)).size, events.length);
  const last = new Map<string, number>();
  for (const e of events) {
    const { user_id } = e.event_param;
    const { ts_ms, ts } = e.event_timestamp;
    assert.ok(ts_ms > (last.get(user_id) ?? -1), "strictly later than the user's last");
    assert.equal(ts, Math.floor(ts_ms / 1000));
    last.set(user_id, ts_ms);
  }
  // With a clock that moves, events keep the clock's time.
  let t = 1_700_000_000_000;
  const live = new EventGenerator({ seed: 4, users: 1000, now: () => (t += 10) });
  for (let i = 0; i < 100; i++) assert.equal(live.next().event_timestamp.ts_ms, t);
});

Deno.test("the same seed gives the same events; another seed differs", () => {
  const now = () => 1_700_000_000_000;
  const run = (seed: number) => {
    const g = new EventGenerator({ seed, now });
    return Array.from({ length: 200 }, () => eventJson(g.next()));
  };
  assert.deepEqual(run(42), run(42));
  assert.notDeepEqual(run(42), run(43));
});

Deno.test("sequences are plausible: pause/resume refer to the playing track, no resume without pause", () => {
  const g = new EventGenerator({ seed: 5, users: 20, tracks: 100 });
  const state = new Map<string, { track: string; paused: boolean }>();
  const counts = { 1: 0, 2: 0, 3: 0 };
  const users = new Map<string, string>();
  for (let i = 0; i < 20_000; i++) {
    const p = g.next().event_param;
    counts[p.event_type_id]++;
    // a user's country, ip and token are fixed
    const profile = `${p.country}|${p.ipv4}|${p.platform_token}`;
    assert.equal(users.get(p.user_id) ?? profile, profile);
    users.set(p.user_id, profile);
    const s = state.get(p.user_id);
    if (p.event_type_id === 1) {
      state.set(p.user_id, { track: p.uuid_track, paused: false });
    } else if (p.event_type_id === 2) {
      assert.ok(s && !s.paused, "pause only while playing");
      assert.equal(p.uuid_track, s.track);
      s.paused = true;
    } else {
      assert.ok(s && s.paused, "resume only after a pause");
      assert.equal(p.uuid_track, s.track);
      s.paused = false;
    }
  }
  assert.ok(users.size <= 20);
  assert.ok(counts[1] > counts[2] && counts[2] >= counts[3]);
});

Deno.test("generator rejects an empty population", () => {
  assert.throws(() => new EventGenerator({ users: 0 }), RangeError);
  assert.throws(() => new EventGenerator({ tracks: -1 }), RangeError);
});

Deno.test("live events draw from the same world: large markets, platform-prefixed tokens", () => {
  const g = new EventGenerator({ seed: 6 });
  const countries = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    const p = g.next().event_param;
    assert.match(p.platform_token, /^(android|ios|desktop|web|tv)-[a-z0-9]{24}$/);
    countries.set(p.country, (countries.get(p.country) ?? 0) + 1);
  }
  const top = [...countries].sort((a, b) => b[1] - a[1])[0]![0];
  assert.ok(
    ["United States", "Brazil", "Germany", "United Kingdom", "Mexico", "France", "India"]
      .includes(top),
    top,
  );
  assert.equal(g.backfillRemaining, 0);
});
