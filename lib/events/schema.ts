/**
 * The music event: its type and the flattened columns every consumer (Parquet
 * schema, validator, ClickHouse tables) derives from. The single source of
 * truth for the seed's JSON:
 *
 * ```json
 * {"event_param":{"event_type_id":1,"event_type":"track_playback","user_id":"…",
 *   "platform_token":"…","ipv4":"…","country":"…","uuid_track":"…"},
 *  "event_timestamp":{"ts":1234567890,"ts_ms":1234567890123}}
 * ```
 *
 * @module
 */

/** Topic the seed's music producer writes to, and the default of every music-event task. */
export const DEFAULT_EVENT_TOPIC = "music_events";

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
 *
 * @example
 * ```ts
 * const names = EVENT_COLUMNS.map((c) => c.name); // ["event_param.event_type_id", …]
 * ```
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
