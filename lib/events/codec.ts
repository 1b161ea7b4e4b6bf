/**
 * Music events to and from Kafka bytes: the validator (used by the sink for
 * its dead-letter decisions), the never-throwing decoder and the compact
 * encoder with the seed's key order.
 *
 * @module
 */
import {
  type ColumnKind,
  EVENT_COLUMNS,
  EVENT_TYPES,
  type EventTypeId,
  type EventTypeName,
  type MusicEvent,
} from "./schema.ts";

/** Outcome of validating or decoding one message. */
export type DecodeResult = { ok: true; event: MusicEvent } | { ok: false; reason: string };

/** Last millisecond of 9999-12-31 UTC: the latest event time with a four-digit-year date. */
export const MAX_TS_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Default limit for one message value in {@link decodeEvent}: 1 MiB. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for a canonical UUID string (8-4-4-4-12 hex digits). */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** True for a dotted-quad IPv4 address without leading zeros. */
export function isIpv4(s: string): boolean {
  return IPV4_RE.test(s);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") {
    return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  }
  if (typeof v === "number") return `number ${v}`;
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Fields of each group in seed order, derived from EVENT_COLUMNS. */
const GROUP_FIELDS = {
  event_param: EVENT_COLUMNS.filter((c) => c.group === "event_param"),
  event_timestamp: EVENT_COLUMNS.filter((c) => c.group === "event_timestamp"),
};
const GROUP_KEYS = {
  event_param: GROUP_FIELDS.event_param.map((c) => c.field),
  event_timestamp: GROUP_FIELDS.event_timestamp.map((c) => c.field),
};
const TOP_KEYS = ["event_param", "event_timestamp"];

/** Checks `obj` has exactly `expected` keys; returns a reason or undefined. */
function checkKeys(obj: Record<string, unknown>, expected: readonly string[], path: string) {
  for (const k of expected) {
    if (!(k in obj)) return `${path ? path + "." : ""}${k}: missing`;
  }
  // All expected keys are present, so equal counts mean no extra ones (the hot path).
  const keys = Object.keys(obj);
  if (keys.length === expected.length) return undefined;
  const extra = keys.find((k) => !expected.includes(k));
  return `${path ? path + "." : ""}${extra}: unexpected field`;
}

function checkColumn(kind: ColumnKind, v: unknown): string | undefined {
  switch (kind) {
    case "int32":
    case "int64":
      if (typeof v !== "number" || !Number.isSafeInteger(v)) {
        return `expected an integer, got ${describe(v)}`;
      }
      if (v < 0) return `expected a non-negative integer, got ${v}`;
      return undefined;
    case "string":
      if (typeof v !== "string") return `expected a string, got ${describe(v)}`;
      if (v.trim() === "") return "expected a non-empty string";
      return undefined;
    case "uuid":
      if (typeof v !== "string" || !isUuid(v)) return `expected a UUID, got ${describe(v)}`;
      return undefined;
    case "ipv4":
      if (typeof v !== "string" || !isIpv4(v)) {
        return `expected an IPv4 address, got ${describe(v)}`;
      }
      return undefined;
  }
}

/**
 * Validates an already-parsed JSON value against the schema, with a precise
 * reason (field path + what was wrong). Extra and missing fields are rejected.
 */
export function validateEvent(value: unknown): DecodeResult {
  if (!isPlainObject(value)) {
    return { ok: false, reason: `expected an object, got ${describe(value)}` };
  }
  const top = checkKeys(value, TOP_KEYS, "");
  if (top) return { ok: false, reason: top };
  for (const group of ["event_param", "event_timestamp"] as const) {
    const obj = value[group];
    if (!isPlainObject(obj)) {
      return { ok: false, reason: `${group}: expected an object, got ${describe(obj)}` };
    }
    const cols = GROUP_FIELDS[group];
    const keys = checkKeys(obj, GROUP_KEYS[group], group);
    if (keys) return { ok: false, reason: keys };
    for (const c of cols) {
      const why = checkColumn(c.kind, obj[c.field]);
      if (why) return { ok: false, reason: `${c.name}: ${why}` };
    }
  }
  const e = value as unknown as MusicEvent;
  const id = e.event_param.event_type_id;
  const name = EVENT_TYPES[id as EventTypeId] as EventTypeName | undefined;
  if (name === undefined) {
    return { ok: false, reason: `event_param.event_type_id: expected 1, 2 or 3, got ${id}` };
  }
  if (e.event_param.event_type !== name) {
    return {
      ok: false,
      reason: `event_param.event_type: expected "${name}" for event_type_id ${id}, got ${
        JSON.stringify(e.event_param.event_type)
      }`,
    };
  }
  const { ts, ts_ms } = e.event_timestamp;
  if (ts_ms > MAX_TS_MS) {
    // Later instants have no YYYY-MM-DD date, which the lake's layout needs.
    return {
      ok: false,
      reason: `event_timestamp.ts_ms: expected a time before year 10000, got ${ts_ms}`,
    };
  }
  if (ts !== Math.floor(ts_ms / 1000)) {
    return {
      ok: false,
      reason: `event_timestamp.ts: expected floor(ts_ms / 1000) = ${
        Math.floor(ts_ms / 1000)
      }, got ${ts}`,
    };
  }
  return { ok: true, event: e };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes raw Kafka value bytes: null/empty, oversized (maxBytes, default
 * 1 MiB), invalid UTF-8, not JSON, then {@link validateEvent}. Never throws.
 * Used by the sink for its dead-letter decisions. `text`, when given, is the
 * value already decoded as UTF-8 (the sink decodes a whole batch at once).
 *
 * @example
 * ```ts
 * const r = decodeEvent(message.value);
 * if (!r.ok) console.error(`dead letter: ${r.reason}`);
 * ```
 */
export function decodeEvent(
  value: Uint8Array | null,
  maxBytes: number = DEFAULT_MAX_EVENT_BYTES,
  text?: string,
): DecodeResult {
  if (value === null || value === undefined) {
    return { ok: false, reason: "value is null (tombstone)" };
  }
  if (value.byteLength === 0) return { ok: false, reason: "value is empty" };
  if (value.byteLength > maxBytes) {
    return {
      ok: false,
      reason: `value is ${value.byteLength} bytes, over the ${maxBytes}-byte limit`,
    };
  }
  if (text === undefined) {
    try {
      text = utf8.decode(value);
    } catch {
      return { ok: false, reason: "value is not valid UTF-8" };
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `value is not JSON: ${(e as Error).message}` };
  }
  try {
    return validateEvent(parsed);
  } catch (e) {
    // validateEvent is total by construction; this only guards the "never throws" promise.
    return { ok: false, reason: `validation failed: ${(e as Error).message}` };
  }
}

/** Compact JSON text of an event, keys in the seed's order. */
export function eventJson(e: MusicEvent): string {
  const p = e.event_param;
  const t = e.event_timestamp;
  // Built by hand: fixed key order regardless of how the object was created, and fast.
  return `{"event_param":{"event_type_id":${p.event_type_id},"event_type":${
    JSON.stringify(p.event_type)
  },"user_id":${JSON.stringify(p.user_id)},"platform_token":${
    JSON.stringify(p.platform_token)
  },"ipv4":${JSON.stringify(p.ipv4)},"country":${JSON.stringify(p.country)},"uuid_track":${
    JSON.stringify(p.uuid_track)
  }},"event_timestamp":{"ts":${t.ts},"ts_ms":${t.ts_ms}}}`;
}

/** Encodes an event as compact UTF-8 JSON, key order as the seed. */
export function encodeEvent(e: MusicEvent): Uint8Array {
  return utf8Encoder.encode(eventJson(e));
}
