/**
 * The music event: its type, the flattened columns every consumer derives
 * from, the validator (used by the sink for dead-letter decisions), the
 * encoder and a realistic deterministic generator. The single source of truth
 * for the seed's JSON:
 *
 * ```json
 * {"event_param":{"event_type_id":1,"event_type":"track_playback","user_id":"…",
 *   "platform_token":"…","ipv4":"…","country":"…","uuid_track":"…"},
 *  "event_timestamp":{"ts":1234567890,"ts_ms":1234567890123}}
 * ```
 *
 * @module
 */
import { base, en, Faker } from "@faker-js/faker";

/** Event type ids and names, fixed as in the seed. */
export const EVENT_TYPES = { 1: "track_playback", 2: "pause_track", 3: "resume_track" } as const;

/** Numeric id of an event type. */
export type EventTypeId = keyof typeof EVENT_TYPES;
/** Name of an event type. */
export type EventTypeName = (typeof EVENT_TYPES)[EventTypeId];

/** One music event exactly as the seed's producer sends it. */
export interface MusicEvent {
  event_param: {
    event_type_id: EventTypeId;
    event_type: EventTypeName;
    user_id: string;
    platform_token: string;
    ipv4: string;
    country: string;
    uuid_track: string;
  };
  event_timestamp: { ts: number; ts_ms: number };
}

/** Storage kind of a column; Parquet and ClickHouse types derive from it. */
export type ColumnKind = "int32" | "int64" | "string" | "uuid" | "ipv4";

/** Names of the flattened columns (pandas `json_normalize` names). */
export type EventColumnName =
  | "event_param.event_type_id"
  | "event_param.event_type"
  | "event_param.user_id"
  | "event_param.platform_token"
  | "event_param.ipv4"
  | "event_param.country"
  | "event_param.uuid_track"
  | "event_timestamp.ts"
  | "event_timestamp.ts_ms";

/** One flattened column of a music event. */
export interface EventColumn {
  /** `group.field`, as pandas `json_normalize` names it. */
  name: EventColumnName;
  group: "event_param" | "event_timestamp";
  field: string;
  kind: ColumnKind;
  /** Reads this column's value from an event. */
  get(e: MusicEvent): string | number;
}

/**
 * The seed's flattened columns in seed order (pandas json_normalize names),
 * the single description from which the Parquet schema, the validator and
 * ClickHouse columns derive.
 */
export const EVENT_COLUMNS: readonly EventColumn[] = Object.freeze(
  [
    {
      name: "event_param.event_type_id",
      group: "event_param",
      field: "event_type_id",
      kind: "int32",
      get: (e) => e.event_param.event_type_id,
    },
    {
      name: "event_param.event_type",
      group: "event_param",
      field: "event_type",
      kind: "string",
      get: (e) => e.event_param.event_type,
    },
    {
      name: "event_param.user_id",
      group: "event_param",
      field: "user_id",
      kind: "uuid",
      get: (e) => e.event_param.user_id,
    },
    {
      name: "event_param.platform_token",
      group: "event_param",
      field: "platform_token",
      kind: "string",
      get: (e) => e.event_param.platform_token,
    },
    {
      name: "event_param.ipv4",
      group: "event_param",
      field: "ipv4",
      kind: "ipv4",
      get: (e) => e.event_param.ipv4,
    },
    {
      name: "event_param.country",
      group: "event_param",
      field: "country",
      kind: "string",
      get: (e) => e.event_param.country,
    },
    {
      name: "event_param.uuid_track",
      group: "event_param",
      field: "uuid_track",
      kind: "uuid",
      get: (e) => e.event_param.uuid_track,
    },
    {
      name: "event_timestamp.ts",
      group: "event_timestamp",
      field: "ts",
      kind: "int64",
      get: (e) => e.event_timestamp.ts,
    },
    {
      name: "event_timestamp.ts_ms",
      group: "event_timestamp",
      field: "ts_ms",
      kind: "int64",
      get: (e) => e.event_timestamp.ts_ms,
    },
  ] satisfies EventColumn[],
);

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
 * Used by the sink for its dead-letter decisions.
 */
export function decodeEvent(
  value: Uint8Array | null,
  maxBytes: number = DEFAULT_MAX_EVENT_BYTES,
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
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return { ok: false, reason: "value is not valid UTF-8" };
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

/** Options of {@link EventGenerator}. */
export interface EventGeneratorOptions {
  /** PRNG seed; the same seed (and clock) gives the same events. Random when omitted. */
  seed?: number;
  /** Number of distinct users [1000]. */
  users?: number;
  /** Number of distinct tracks [10000]. */
  tracks?: number;
  /** Clock in epoch milliseconds [Date.now]. */
  now?: () => number;
}

/** Small fast seeded PRNG (mulberry32); returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface User {
  id: string;
  token: string;
  ipv4: string;
  country: string;
  /** Index of the current track, or -1 when idle. */
  track: number;
  paused: boolean;
}

/** Listening behaviour: probabilities of the next action of a user. */
const P_PAUSE_WHILE_PLAYING = 0.3; // else a new track starts
const P_RESUME_WHILE_PAUSED = 0.7; // else the user switches to another track

/**
 * Deterministic (with `seed`) realistic event generator. A population of users
 * (each with a fixed country, IPv4 and platform token) and tracks is built once;
 * {@link next} then only draws from it, so it is cheap. A user plays a track,
 * may pause it, may resume it; pause/resume refer to the track the user is
 * playing, and there is no resume without a pause. Some users and tracks are
 * much more active/popular than others, as in real listening data.
 */
export class EventGenerator {
  readonly #rand: () => number;
  readonly #now: () => number;
  readonly #users: User[];
  readonly #tracks: string[];

  constructor(opts: EventGeneratorOptions = {}) {
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    const users = opts.users ?? 1000;
    const tracks = opts.tracks ?? 10_000;
    if (!Number.isInteger(users) || users < 1) {
      throw new RangeError(`users must be ≥ 1, got ${users}`);
    }
    if (!Number.isInteger(tracks) || tracks < 1) {
      throw new RangeError(`tracks must be ≥ 1, got ${tracks}`);
    }
    this.#rand = mulberry32(seed);
    this.#now = opts.now ?? Date.now;
    const faker = new Faker({ locale: [en, base] });
    faker.seed(seed);
    // A few dozen countries, weighted towards the first ones, so "by country" reports show shape.
    const countries = Array.from(
      new Set(Array.from({ length: 40 }, () => faker.location.country())),
    );
    const platforms = ["ios", "android", "web", "desktop", "tv"];
    this.#users = Array.from({ length: users }, () => {
      const platform = platforms[Math.floor(this.#skew(platforms.length, 1.5))]!;
      return {
        id: faker.string.uuid(),
        token: `${platform}-${faker.string.alphanumeric({ length: 24, casing: "lower" })}`,
        ipv4: faker.internet.ipv4(),
        country: countries[this.#skew(countries.length, 2)]!,
        track: -1,
        paused: false,
      };
    });
    this.#tracks = Array.from({ length: tracks }, () => faker.string.uuid());
  }

  /** Index in [0, n) skewed towards 0: larger `power` means more skew. */
  #skew(n: number, power: number): number {
    return Math.min(n - 1, Math.floor(n * this.#rand() ** power));
  }

  /** Number of users in the population. */
  get userCount(): number {
    return this.#users.length;
  }

  /** The next event; its timestamp is the clock's current time. */
  next(): MusicEvent {
    const user = this.#users[this.#skew(this.#users.length, 1.6)]!;
    let id: EventTypeId;
    if (user.track < 0) {
      id = 1;
    } else if (user.paused) {
      id = this.#rand() < P_RESUME_WHILE_PAUSED ? 3 : 1;
    } else {
      id = this.#rand() < P_PAUSE_WHILE_PLAYING ? 2 : 1;
    }
    if (id === 1) {
      user.track = this.#skew(this.#tracks.length, 3);
      user.paused = false;
    } else {
      user.paused = id === 2;
    }
    const ts_ms = Math.floor(this.#now());
    return {
      event_param: {
        event_type_id: id,
        event_type: EVENT_TYPES[id],
        user_id: user.id,
        platform_token: user.token,
        ipv4: user.ipv4,
        country: user.country,
        uuid_track: this.#tracks[user.track]!,
      },
      event_timestamp: { ts: Math.floor(ts_ms / 1000), ts_ms },
    };
  }
}
