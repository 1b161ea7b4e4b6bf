import assert from "node:assert/strict";
import {
  decodeEvent,
  encodeEvent,
  EVENT_COLUMNS,
  EVENT_TYPES,
  EventGenerator,
  eventJson,
  MAX_TS_MS,
  type MusicEvent,
  validateEvent,
} from "./events.ts";

const enc = new TextEncoder();

const SAMPLE = new EventGenerator({ seed: 7, now: () => 1_700_000_000_123 }).next();

function sample(): MusicEvent {
  return structuredClone(SAMPLE);
}

function reasonOf(value: unknown): string {
  const r = validateEvent(value);
  assert.equal(r.ok, false, "expected a rejection");
  return (r as { reason: string }).reason;
}

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

Deno.test("EVENT_COLUMNS lists the seed's flattened columns in seed order", () => {
  assert.deepEqual(EVENT_COLUMNS.map((c) => c.name), [
    "event_param.event_type_id",
    "event_param.event_type",
    "event_param.user_id",
    "event_param.platform_token",
    "event_param.ipv4",
    "event_param.country",
    "event_param.uuid_track",
    "event_timestamp.ts",
    "event_timestamp.ts_ms",
  ]);
  const e = sample();
  for (const c of EVENT_COLUMNS) {
    assert.equal(c.name, `${c.group}.${c.field}`);
    assert.equal(c.get(e), (e[c.group] as Record<string, unknown>)[c.field]);
  }
});

Deno.test("encodeEvent writes compact JSON with the seed's key order", () => {
  const e = sample();
  const text = new TextDecoder().decode(encodeEvent(e));
  assert.equal(text, JSON.stringify(e));
  assert.match(
    text,
    /^\{"event_param":\{"event_type_id":\d,"event_type":"[a-z_]+","user_id":"[^"]+","platform_token":"[^"]+","ipv4":"[^"]+","country":"[^"]+","uuid_track":"[^"]+"\},"event_timestamp":\{"ts":\d+,"ts_ms":\d+\}\}$/,
  );
});

Deno.test("decodeEvent: null, empty, oversized, invalid UTF-8, not JSON", () => {
  const bad = (v: Uint8Array | null, max?: number) => {
    const r = decodeEvent(v, max);
    assert.equal(r.ok, false);
    return (r as { reason: string }).reason;
  };
  assert.match(bad(null), /null/);
  assert.match(bad(new Uint8Array()), /empty/);
  assert.match(bad(encodeEvent(sample()), 100), /over the 100-byte limit/);
  assert.match(bad(new Uint8Array(2 * 1024 * 1024).fill(32)), /over the 1048576-byte limit/);
  assert.match(bad(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/);
  assert.match(bad(enc.encode("{not json")), /not JSON/);
  assert.match(bad(enc.encode("[1,2]")), /expected an object, got an array/);
  assert.match(bad(enc.encode("42")), /expected an object, got number 42/);
});

Deno.test("validateEvent: wrong shape, wrong types, missing and extra fields", () => {
  const e = () => structuredClone(sample()) as unknown as Record<string, Record<string, unknown>>;
  let v = e();
  delete v.event_timestamp;
  assert.equal(reasonOf(v), "event_timestamp: missing");
  v = e();
  v.extra = {};
  assert.equal(reasonOf(v), "extra: unexpected field");
  v = e();
  v.event_param = "x" as unknown as Record<string, unknown>;
  assert.match(reasonOf(v), /^event_param: expected an object, got string "x"$/);
  v = e();
  delete v.event_param!.country;
  assert.equal(reasonOf(v), "event_param.country: missing");
  v = e();
  v.event_param!.genre = "rock";
  assert.equal(reasonOf(v), "event_param.genre: unexpected field");
  v = e();
  v.event_param!.event_type_id = "1";
  assert.match(reasonOf(v), /^event_param\.event_type_id: expected an integer, got string "1"$/);
  v = e();
  v.event_param!.event_type_id = 4;
  assert.match(reasonOf(v), /^event_param\.event_type_id: expected 1, 2 or 3, got 4$/);
  v = e();
  v.event_param!.event_type_id = 2;
  assert.match(reasonOf(v), /^event_param\.event_type: expected "pause_track" for event_type_id 2/);
  v = e();
  v.event_param!.user_id = "not-a-uuid";
  assert.match(reasonOf(v), /^event_param\.user_id: expected a UUID/);
  v = e();
  v.event_param!.uuid_track = 12;
  assert.match(reasonOf(v), /^event_param\.uuid_track: expected a UUID, got number 12$/);
  v = e();
  v.event_param!.ipv4 = "256.1.1.1";
  assert.match(reasonOf(v), /^event_param\.ipv4: expected an IPv4 address/);
  v = e();
  v.event_param!.country = "";
  assert.match(reasonOf(v), /^event_param\.country: expected a non-empty string$/);
  v = e();
  v.event_param!.platform_token = null;
  assert.match(reasonOf(v), /^event_param\.platform_token: expected a string, got null$/);
  v = e();
  v.event_timestamp!.ts_ms = 1.5;
  assert.match(reasonOf(v), /^event_timestamp\.ts_ms: expected an integer/);
  v = e();
  v.event_timestamp!.ts = 1;
  assert.match(reasonOf(v), /^event_timestamp\.ts: expected floor\(ts_ms \/ 1000\) = 1700000000/);
});

Deno.test("generator rejects an empty population", () => {
  assert.throws(() => new EventGenerator({ users: 0 }), RangeError);
  assert.throws(() => new EventGenerator({ tracks: -1 }), RangeError);
});

Deno.test("validateEvent: a time past year 9999 (no YYYY-MM-DD date) is rejected", () => {
  const v = structuredClone(sample());
  v.event_timestamp.ts_ms = 9_000_000_000_000_000;
  v.event_timestamp.ts = Math.floor(v.event_timestamp.ts_ms / 1000);
  assert.match(reasonOf(v), /^event_timestamp\.ts_ms: expected a time before year 10000/);
  v.event_timestamp.ts_ms = MAX_TS_MS;
  v.event_timestamp.ts = Math.floor(MAX_TS_MS / 1000);
  assert.equal(validateEvent(v).ok, true);
});
