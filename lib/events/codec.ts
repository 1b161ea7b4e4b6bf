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

const utf8Encoder = new TextEncoder();

/** Outcome of validating or decoding one message. */
export type DecodeResult = { ok: true; event: MusicEvent } | { ok: false; reason: string };

/** Last millisecond of 9999-12-31 UTC: the latest event time with a four-digit-year date. */
export const MAX_TS_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Default limit for one message value in {@link decodeEvent}: 1 MiB. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/** Bytes `[start, end)` of `b` are a canonical UUID: 8-4-4-4-12 hex digits, either case. */
function uuidAt(b: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = b[start + i]!;
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false; // "-"
    } else if (!((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102))) return false;
  }
  return true;
}

/** Bytes `[start, end)` of `b` are a dotted-quad IPv4 address without leading zeros. */
function ipv4At(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  for (let part = 0; part < 4; part++) {
    if (part > 0 && (i >= end || b[i++] !== 46)) return false; // "."
    const first = i;
    let n = 0;
    for (; i < end && i - first < 3 && b[i]! >= 48 && b[i]! <= 57; i++) n = n * 10 + b[i]! - 48;
    const digits = i - first;
    if (digits === 0 || n > 255 || (digits > 1 && b[first] === 48)) return false;
  }
  return i === end;
}

// The checks work on bytes (loops, not regular expressions) because the sink runs them
// on the bytes of every event it stores; the string forms serve the general path.

/** True for a canonical UUID string (8-4-4-4-12 hex digits). */
export function isUuid(s: string): boolean {
  const b = utf8Encoder.encode(s);
  return uuidAt(b, 0, b.length);
}

/** True for a dotted-quad IPv4 address without leading zeros. */
export function isIpv4(s: string): boolean {
  const b = utf8Encoder.encode(s);
  return ipv4At(b, 0, b.length);
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
  const why = checkRules(e);
  return why === undefined ? { ok: true, event: e } : { ok: false, reason: why };
}

/** The rules across fields, for an event whose fields have their types; the reason, or undefined. */
function checkRules(e: MusicEvent): string | undefined {
  const id = e.event_param.event_type_id;
  const name = EVENT_TYPES[id as EventTypeId] as EventTypeName | undefined;
  if (name === undefined) return `event_param.event_type_id: expected 1, 2 or 3, got ${id}`;
  if (e.event_param.event_type !== name) {
    return `event_param.event_type: expected "${name}" for event_type_id ${id}, got ${
      JSON.stringify(e.event_param.event_type)
    }`;
  }
  const { ts, ts_ms } = e.event_timestamp;
  if (ts_ms > MAX_TS_MS) {
    // Later instants have no YYYY-MM-DD date, which the lake's layout needs.
    return `event_timestamp.ts_ms: expected a time before year 10000, got ${ts_ms}`;
  }
  if (ts !== Math.floor(ts_ms / 1000)) {
    return `event_timestamp.ts: expected floor(ts_ms / 1000) = ${
      Math.floor(ts_ms / 1000)
    }, got ${ts}`;
  }
  return undefined;
}

/** What precedes each column's value in {@link eventJson}'s text (ASCII bytes), derived from the schema. */
const CANONICAL = EVENT_COLUMNS.map((c, i) => {
  const prev = EVENT_COLUMNS[i - 1];
  const open = !prev ? `{"${c.group}":{` : prev.group === c.group ? "," : `},"${c.group}":{`;
  return { column: c, before: utf8Encoder.encode(`${open}"${c.field}":`) };
});

/**
 * The event in `value` when it has exactly {@link eventJson}'s layout (key
 * order, no whitespace, no escapes, plain integers, ASCII) and is valid;
 * undefined otherwise — then JSON.parse and {@link validateEvent} decide and
 * give the reason. `text` is `value` decoded. The sink's fast path: fields are
 * read by position from the bytes, with no generic JSON object to check.
 */
export function scanEvent(value: Uint8Array, text: string): MusicEvent | undefined {
  if (text.length !== value.length) return undefined; // not ASCII: positions differ
  const values: (string | number)[] = [];
  let pos = 0;
  for (let k = 0; k < CANONICAL.length; k++) {
    const { column, before } = CANONICAL[k]!;
    for (let j = 0; j < before.length; j++) if (value[pos + j] !== before[j]) return undefined;
    pos += before.length;
    let v: string | number;
    if (column.kind === "int32" || column.kind === "int64") {
      const first = pos;
      let n = 0;
      for (; pos < value.length && value[pos]! >= 48 && value[pos]! <= 57; pos++) {
        n = n * 10 + value[pos]! - 48;
      }
      // JSON has no leading zeros; 15 digits stay below 2^53, so `n` is exact.
      const digits = pos - first;
      if (digits === 0 || digits > 15 || (digits > 1 && value[first] === 48)) return undefined;
      v = n;
    } else {
      if (value[pos] !== 34) return undefined; // '"'
      const first = pos + 1;
      let end = first;
      for (; end < value.length && value[end] !== 34; end++) {
        // No escapes or control characters: then the JSON string is its characters as they are.
        if (value[end] === 92 || value[end]! < 32) return undefined;
      }
      if (end === value.length) return undefined;
      if (column.kind === "uuid" && !uuidAt(value, first, end)) return undefined;
      if (column.kind === "ipv4" && !ipv4At(value, first, end)) return undefined;
      v = text.slice(first, end);
      pos = end + 1;
    }
    if (column.kind !== "uuid" && column.kind !== "ipv4" && checkColumn(column.kind, v)) {
      return undefined;
    }
    values.push(v);
  }
  if (pos + 2 !== value.length || value[pos] !== 125 || value[pos + 1] !== 125) return undefined; // "}}"
  // EVENT_COLUMNS order; codec_test compares the result with JSON.parse's.
  const [event_type_id, event_type, user_id, platform_token, ipv4, country, uuid_track, ts, ts_ms] =
    values;
  const e = {
    event_param: { event_type_id, event_type, user_id, platform_token, ipv4, country, uuid_track },
    event_timestamp: { ts, ts_ms },
  } as unknown as MusicEvent;
  return checkRules(e) === undefined ? e : undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

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
  const scanned = scanEvent(value, text);
  if (scanned !== undefined) return { ok: true, event: scanned };
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
