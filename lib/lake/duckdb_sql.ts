/**
 * The SQL text the DuckDB session runs over the lake (string literals, the
 * `events` view) and DuckDB's errors turned into lines a user can act on. Pure.
 *
 * @module
 */

/**
 * Quotes a string as a DuckDB SQL literal (for paths and settings of our own
 * config, never report values). DuckDB only doubles quotes; ClickHouse's
 * literal also escapes backslashes, hence a separate function there.
 */
export function duckdbString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The first line of an error's message, trimmed. */
export function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0]!.trim();
}

/**
 * The `events` view: friendly names over the seed-named columns. The date
 * range lives in session variables so that every query (reports and ad-hoc
 * `--sql`) is pruned to the matching `dt=` folders; DuckDB folds
 * `getvariable` to a constant, which keeps the Hive-partition pruning.
 */
export function eventsViewSql(source: string | readonly string[]): string {
  const files = typeof source === "string"
    ? duckdbString(source)
    : `[${source.map(duckdbString).join(", ")}]`;
  return `
CREATE OR REPLACE VIEW raw_events AS
SELECT * FROM read_parquet(${files},
                           hive_partitioning = true, hive_types = {'dt': DATE})
WHERE (getvariable('lake_from') IS NULL OR dt >= getvariable('lake_from'))
  AND (getvariable('lake_to') IS NULL OR dt <= getvariable('lake_to'));

CREATE OR REPLACE VIEW events AS
SELECT "event_param.event_type_id"  AS event_type_id,
       "event_param.event_type"     AS event_type,
       "event_param.user_id"        AS user_id,
       "event_param.platform_token" AS platform_token,
       "event_param.ipv4"           AS ipv4,
       "event_param.country"        AS country,
       "event_param.uuid_track"     AS track_id,
       epoch_ms("event_timestamp.ts_ms") AS event_time,
       kafka_partition,
       kafka_offset,
       kafka_timestamp::TIMESTAMP   AS kafka_timestamp,
       dt
FROM raw_events;`;
}

/** Turns a DuckDB error into one line a user can act on. */
export function describeDuckDBError(e: unknown, root: string): string {
  const msg = String((e as Error)?.message ?? e);
  if (/No files found that match the pattern/i.test(msg)) {
    return `No Parquet files under ${root}/dt=*/ — the lake is empty (check --bucket/--prefix, or run the sink)`;
  }
  if (/NoSuchBucket/.test(msg)) {
    const bucket = /^s3:\/\/([^/]+)/.exec(root)?.[1] ?? root;
    return `S3 bucket "${bucket}" does not exist (check --bucket or S3_BUCKET)`;
  }
  if (/Could not establish connection|Connection refused|Failed to connect/i.test(msg)) {
    return `Cannot connect to S3 for ${root}: ${firstLine(e)}`;
  }
  if (/HTTP 403|AccessDenied|SignatureDoesNotMatch|InvalidAccessKeyId/.test(msg)) {
    return `S3 refused access to ${root} (check ACCESS_KEY and SECRET_KEY): ${firstLine(e)}`;
  }
  // Keep DuckDB's own first line ("Parser Error: syntax error at or near …") and its caret hint.
  const lines = msg.replace(/^Failed to extract statements: /, "").split("\n").map((l) =>
    l.trimEnd()
  ).filter((l) => l.trim() !== "");
  const where = lines.findIndex((l) => /^LINE \d+:/.test(l));
  return where > 0 ? [lines[0], lines[where], lines[where + 1]].join("\n") : lines[0] ?? msg;
}
