import assert from "node:assert/strict";
import { decodeEvent, encodeEvent, MAX_TS_MS, validateEvent } from "./codec.ts";
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
