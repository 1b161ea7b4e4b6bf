import assert from "node:assert/strict";
import {
  decodeEvent,
  encodeEvent,
  eventJson,
  isIpv4,
  isUuid,
  MAX_TS_MS,
  scanEvent,
  validateEvent,
} from "./codec.ts";
import { mulberry32 } from "./prng.ts";
import { EventGenerator } from "./generator.ts";
import type { MusicEvent } from "./schema.ts";

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

Deno.test("validateEvent: a time past year 9999 (no YYYY-MM-DD date) is rejected", () => {
  const v = structuredClone(sample());
  v.event_timestamp.ts_ms = 9_000_000_000_000_000;
  v.event_timestamp.ts = Math.floor(v.event_timestamp.ts_ms / 1000);
  assert.match(reasonOf(v), /^event_timestamp\.ts_ms: expected a time before year 10000/);
  v.event_timestamp.ts_ms = MAX_TS_MS;
  v.event_timestamp.ts = Math.floor(MAX_TS_MS / 1000);
  assert.equal(validateEvent(v).ok, true);
});

/** What the general path (JSON.parse, then validateEvent) makes of `text`. */
function general(text: string): MusicEvent | undefined {
  try {
    const r = validateEvent(JSON.parse(text));
    return r.ok ? r.event : undefined;
  } catch {
    return undefined;
  }
}

/** scanEvent on `text` as the sink calls it: its UTF-8 bytes and the text. */
function scan(text: string): MusicEvent | undefined {
  return scanEvent(enc.encode(text), text);
}

Deno.test("scanEvent reads every generated event as JSON.parse does", () => {
  const gen = new EventGenerator({ seed: 11 });
  for (let i = 0; i < 2000; i++) {
    const text = eventJson(gen.next());
    const e = scan(text);
    assert.ok(e, text);
    assert.deepEqual(e, JSON.parse(text));
  }
});

Deno.test("scanEvent accepts nothing the general path rejects, and reads what it accepts alike", () => {
  const rand = mulberry32(5);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const gen = new EventGenerator({ seed: 12 });
  // Edits that keep or break the canonical layout, the JSON, or the schema's rules.
  const inserts = [
    " ",
    "\\",
    '\\"',
    "\\u0041",
    "0",
    "9",
    "-",
    ".",
    "e5",
    "A",
    "g",
    ",",
    '"',
    "}",
    "\t",
    "é",
    "00",
  ];
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const base = eventJson(gen.next());
    const at = Math.floor(rand() * base.length);
    const edit = rand();
    const text = edit < 0.4
      ? base.slice(0, at) + pick(inserts) + base.slice(at) // insert
      : edit < 0.7
      ? base.slice(0, at) + base.slice(at + 1) // delete
      : base.slice(0, at) + pick(inserts) + base.slice(at + 1); // replace
    const fast = scan(text);
    if (fast === undefined) continue; // the general path decides: always allowed
    accepted++;
    assert.deepEqual(fast, general(text), text);
  }
  assert.ok(accepted > 1000, `only ${accepted} edited events were read by the fast path`);
});

Deno.test("scanEvent: rules and odd forms go to the general path", () => {
  const text = eventJson(SAMPLE);
  const cases = [
    text.replace('"ts_ms":', '"ts_ms": '), // whitespace
    text.replace('"country":"', '"country":"\\u0053'), // an escape
    text.replace(/"ts":(\d+)/, '"ts":0$1'), // a leading zero
    text.replace(/"ts_ms":(\d+)/, '"ts_ms":$1.0'), // a fraction
    text.replace('"event_type_id":1', '"event_type_id":4'), // no such type
    text.replace(/"ts":(\d+)/, '"ts":1'), // ts ≠ floor(ts_ms / 1000)
    text.replace(/"user_id":"[^"]+"/, '"user_id":"not-a-uuid"'),
    text.replace(/"ipv4":"[^"]+"/, '"ipv4":"256.1.1.1"'),
    text.replace(/"country":"[^"]+"/, '"country":"  "'),
    text.slice(0, -1), // truncated
    text + " ", // trailing space
  ];
  for (const c of cases) {
    assert.notEqual(c, text);
    assert.equal(scan(c), undefined, c);
  }
  // A valid event with an escape is still read, by the general path.
  const escaped = text.replace(/"country":"([^"]+)"/, '"country":"\\u0041$1"');
  const r = decodeEvent(enc.encode(escaped));
  assert.ok(r.ok && r.event.event_param.country.startsWith("A"));
});

Deno.test("isUuid and isIpv4 agree with their regular expressions", () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  const rand = mulberry32(9);
  const chars = "0123456789abcdefABCDEFgG-. é\n";
  const mutate = (s: string) => {
    const at = Math.floor(rand() * (s.length + 1));
    const c = chars[Math.floor(rand() * chars.length)]!;
    const r = rand();
    return r < 0.3
      ? s.slice(0, at) + c + s.slice(at)
      : r < 0.6
      ? s.slice(0, at) + s.slice(at + 1)
      : s.slice(0, at) + c + s.slice(at + 1);
  };
  for (let i = 0; i < 20_000; i++) {
    const u = mutate(crypto.randomUUID());
    assert.equal(isUuid(u), UUID.test(u), u);
  }
  for (
    const a of [
      "0",
      "00",
      "01",
      "9",
      "10",
      "99",
      "100",
      "199",
      "249",
      "250",
      "255",
      "256",
      "300",
      "999",
      "1000",
      "",
    ]
  ) {
    for (const b of ["0", "1", "255", "256", "01"]) {
      for (
        const ip of [`${a}.${b}.2.3`, `1.${b}.${a}.3`, `1.2.3.${a}`, `${a}.${b}.3`, `${a}.1.2.3.`]
      ) {
        assert.equal(isIpv4(ip), IPV4.test(ip), ip);
      }
    }
  }
  for (let i = 0; i < 20_000; i++) {
    const ip = mutate(Array.from({ length: 4 }, () => Math.floor(rand() * 256)).join("."));
    assert.equal(isIpv4(ip), IPV4.test(ip), ip);
  }
});
