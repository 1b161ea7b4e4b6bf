/**
 * The console's view of the Parquet lake: dates and objects (rows, bytes,
 * offsets from the Parquet footers), one object's schema and first rows, the
 * named reports with their charts, and the read-only SQL box. One DuckDB
 * session, reopened when the lake's objects change, locked down once open:
 * file access only under the lake's prefix, configuration frozen.
 *
 * @module
 */
import type { Config } from "../../core/env.ts";
import { UserError } from "../../core/errors.ts";
import { barChart, perMinuteChart } from "../../lake/charts.ts";
import { Lake, listLakeFiles, type QueryResult } from "../../lake/duckdb.ts";
import { duckdbString } from "../../lake/duckdb_sql.ts";
import { lakeObjectDate, normalizePrefix, s3Root } from "../../lake/keys.ts";
import { findReport, REPORTS, runReport } from "../../lake/reports.ts";
import { createS3Client, listObjects } from "../../lake/s3.ts";
import { checkParseTree, checkSqlText } from "./sql_check.ts";

/** Rows the SQL box returns at most. */
export const SQL_MAX_ROWS = 1000;

/** One object of the lake with what its footer says. */
export interface LakeObject {
  key: string;
  date: string;
  rows: number;
  bytes: number;
  /** Smallest and largest `kafka_offset` (from the column statistics). */
  minOffset: number | null;
  maxOffset: number | null;
}

/** A report's result and, for the charted ones, its SVG. */
export interface ReportView {
  name: string;
  title: string;
  description: string;
  result: QueryResult;
  chart?: string;
}

/** The chart of a report, drawn by lib/lake/charts.ts; undefined when it has none. */
export function reportChart(name: string, r: QueryResult): string | undefined {
  if (name === "per-minute") return perMinuteChart(r, 1000, 320);
  if (name === "top-countries") {
    return barChart(r, "country", "events", { axisTitle: "Events", color: "#4e79a7" });
  }
  if (name === "top-tracks") {
    return barChart(r, "track_id", "playbacks", {
      axisTitle: "Playbacks",
      color: "#e15759",
      mono: true,
    });
  }
  return undefined;
}

/** The lake under one bucket and prefix, read through one serialized DuckDB session. */
export class LakeSession {
  readonly #cfg: Config;
  readonly root: string;
  #lake: Lake | undefined;
  #files: string[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(cfg: Config, bucket: string, prefix: string) {
    this.#cfg = cfg;
    this.root = s3Root(bucket, normalizePrefix(prefix));
  }

  /** Runs `fn` on an up-to-date, locked-down session; one at a time. */
  #with<T>(fn: (lake: Lake, files: string[]) => Promise<T>): Promise<T> {
    const run = async () => {
      const files = await listLakeFiles(this.#cfg.s3, this.root);
      if (files.length === 0) {
        throw new UserError(`the lake ${this.root}/ is empty (run the sink)`);
      }
      if (!this.#lake || files.join("\n") !== this.#files.join("\n")) {
        this.#lake?.close();
        this.#lake = undefined;
        const lake = await Lake.open({ root: this.root, s3: this.#cfg.s3 });
        try {
          // From here on the session reads the lake's prefix only and cannot be reconfigured.
          await lake.query(`SET allowed_directories = [${duckdbString(`${this.root}/`)}]`);
          await lake.query("SET enable_external_access = false");
          await lake.query("SET lock_configuration = true");
        } catch (e) {
          lake.close();
          throw e;
        }
        this.#lake = lake;
        this.#files = files;
      }
      return await fn(this.#lake, files);
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  /** Every object with rows and offsets from the footers, optionally of one date only. */
  objects(date?: string): Promise<LakeObject[]> {
    return this.#with(async (lake, all) => {
      const prefix = this.root.replace(/^s3:\/\/[^/]+\/?/, "");
      const files = all.filter((f) => !date || lakeObjectDate(keyOf(f), prefix) === date);
      if (files.length === 0) return [];
      const r = await lake.query(`
        SELECT file_name, sum(row_group_num_rows) AS rows, sum(total_compressed_size) AS col_bytes,
               min(TRY_CAST(stats_min_value AS BIGINT)) AS lo, max(TRY_CAST(stats_max_value AS BIGINT)) AS hi
        FROM parquet_metadata([${files.map(duckdbString).join(", ")}])
        WHERE path_in_schema = 'kafka_offset' GROUP BY file_name ORDER BY file_name`);
      const sizes = new Map((await this.#sizes()).map((o) => [o.key, o.size]));
      return r.rows.map((row): LakeObject => {
        const key = keyOf(String(row[0]));
        return {
          key,
          date: lakeObjectDate(key, prefix) ?? "",
          rows: Number(row[1]),
          bytes: sizes.get(key) ?? 0,
          minOffset: row[3] === null ? null : Number(row[3]),
          maxOffset: row[4] === null ? null : Number(row[4]),
        };
      });
    });
  }

  async #sizes(): Promise<{ key: string; size: number }[]> {
    const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(this.root)!;
    const client = createS3Client(this.#cfg.s3, { timeoutMs: 10_000 });
    try {
      return await listObjects(client, m[1]!, `${m[2]}/dt=`);
    } finally {
      client.destroy();
    }
  }

  /** One object's schema and first `limit` rows; the key must be one of the lake's objects. */
  object(
    key: string,
    limit = 20,
  ): Promise<{ key: string; schema: QueryResult; head: QueryResult }> {
    return this.#with(async (lake, files) => {
      const url = files.find((f) => keyOf(f) === key);
      if (!url) throw new UserError(`no object "${key}" in ${this.root}/`);
      const schema = await lake.query(
        `SELECT column_name, column_type, "null" FROM (DESCRIBE SELECT * FROM read_parquet(${
          duckdbString(url)
        }))`,
      );
      const head = await lake.query(
        `SELECT * FROM read_parquet(${duckdbString(url)}) ORDER BY kafka_offset LIMIT ${
          Math.max(1, Math.min(200, Math.floor(limit)))
        }`,
      );
      return { key, schema, head };
    });
  }

  /** A named report with its chart. */
  report(name: string): Promise<ReportView> {
    const spec = findReport(name);
    if (!spec) {
      throw new UserError(`no report "${name}"; known: ${REPORTS.map((r) => r.name).join(", ")}`);
    }
    return this.#with(async (lake) => {
      const result = await runReport(lake, name);
      const chart = reportChart(name, result);
      return {
        name,
        title: spec.title,
        description: spec.description,
        result,
        ...(chart ? { chart } : {}),
      };
    });
  }

  /**
   * Runs one read-only SELECT from the SQL box: the text is checked, then
   * DuckDB's parse of it, then it runs with at most {@link SQL_MAX_ROWS} rows.
   */
  sql(text: string): Promise<QueryResult & { truncated: boolean }> {
    const refused = checkSqlText(text);
    if (refused) return Promise.reject(new UserError(refused));
    return this.#with(async (lake) => {
      const tree = await lake.query("SELECT json_serialize_sql($q::VARCHAR) AS t", { q: text });
      const bad = checkParseTree(String(tree.rows[0]?.[0] ?? ""));
      if (bad) throw new UserError(bad);
      const body = text.trim().replace(/;\s*$/, "");
      const r = await lake.query(`SELECT * FROM (\n${body}\n) LIMIT ${SQL_MAX_ROWS + 1}`);
      return { ...r, rows: r.rows.slice(0, SQL_MAX_ROWS), truncated: r.rows.length > SQL_MAX_ROWS };
    });
  }

  /** Closes the DuckDB session. */
  close(): void {
    this.#lake?.close();
    this.#lake = undefined;
  }
}

/** The object key of an `s3://bucket/key` URL. */
function keyOf(url: string): string {
  return url.replace(/^s3:\/\/[^/]+\//, "");
}
