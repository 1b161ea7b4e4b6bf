/**
 * A DuckDB session over the Parquet lake, read in place from S3 (httpfs) or
 * from a local directory with the same layout
 * (`<root>/dt=YYYY-MM-DD/<topic>+<partition>+<first-offset>.parquet`), and its
 * query results as JSON-ready cells.
 *
 * @module
 */
import { type DuckDBConnection, DuckDBInstance, DuckDBTypeId } from "@duckdb/node-api";
import type { S3Config } from "../core/env.ts";
import { UserError } from "../core/errors.ts";
import { describeDuckDBError, duckdbString, eventsViewSql } from "./duckdb_sql.ts";
import { loadHttpfs } from "./httpfs.ts";
import { lakeGlob, lakeKeyHead, lakeObjectDate } from "./keys.ts";
import { createS3Client, describeS3Error, listObjects } from "./s3.ts";

/** A value in a query result, ready for JSON: integers beyond 2^53 stay exact as strings. */
export type Cell = string | number | boolean | null | Cell[] | { [k: string]: Cell };

/** A fully read query result. */
export interface QueryResult {
  columns: string[];
  /** DuckDB type names, e.g. `BIGINT`, `TIMESTAMP`. */
  types: string[];
  rows: Cell[][];
}

/** Where the lake is and which dates to read. */
export interface LakeOptions {
  /** `s3://bucket/prefix` or a local directory holding `dt=…` folders. */
  root: string;
  /** S3 settings; required when `root` is an `s3://` URL. */
  s3?: S3Config;
  /** First date (YYYY-MM-DD, UTC) to read; older `dt=` folders are not read. */
  from?: string;
  /** Last date (YYYY-MM-DD, UTC) to read, inclusive. */
  to?: string;
  /** DuckDB worker threads [DuckDB's default: one per core]. */
  threads?: number;
}

/** Creates the session's S3 secret from the configured endpoint and keys. */
export async function createS3Secret(conn: DuckDBConnection, s3: S3Config): Promise<void> {
  const url = new URL(s3.endpoint);
  await conn.run(`CREATE OR REPLACE SECRET lake_s3 (
    TYPE s3, KEY_ID ${duckdbString(s3.accessKey)}, SECRET ${duckdbString(s3.secretKey)},
    ENDPOINT ${duckdbString(url.host)}, URL_STYLE 'path', USE_SSL ${url.protocol === "https:"},
    REGION ${duckdbString(s3.region)})`);
}

/**
 * Lists the lake's Parquet objects under `root` (`s3://bucket/prefix`) with
 * the S3 API, keeping the dates in [from, to]. DuckDB's own S3 glob is not
 * used: it asks for URL-encoded listings and decodes `+` to a space, and
 * servers that ignore `encoding-type=url` (versitygw) then make every
 * `<topic>+<partition>+<offset>.parquet` key unreadable.
 */
export async function listLakeFiles(
  s3: S3Config,
  root: string,
  from?: string,
  to?: string,
): Promise<string[]> {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(root);
  if (!m) throw new TypeError(`Not an s3:// URL: ${root}`);
  const [, bucket, prefix] = m as unknown as [string, string, string];
  const client = createS3Client(s3);
  try {
    const objects = await listObjects(client, bucket, `${lakeKeyHead(prefix)}dt=`);
    return objects
      .map((o) => o.key)
      .filter((k) => {
        const d = lakeObjectDate(k, prefix);
        return d !== undefined && (!from || d >= from) && (!to || d <= to);
      })
      .sort()
      .map((k) => `s3://${bucket}/${k}`);
  } catch (e) {
    if ((e as Error).name === "NoSuchBucket") {
      throw new UserError(`S3 bucket "${bucket}" does not exist (check --bucket or S3_BUCKET)`);
    }
    throw new UserError(`Cannot list ${root}: ${describeS3Error(e, s3.endpoint)}`, { cause: e });
  } finally {
    client.destroy();
  }
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(toCell);
  if (typeof v === "object") {
    return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, toCell(x)]));
  }
  return v as Cell;
}

const INTEGER_TYPES = new Set<number>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.DECIMAL,
]);

/** Integers (and decimals) that DuckDB hands over as text become numbers when exact. */
function numeric(v: Cell): Cell {
  if (typeof v !== "string") return v;
  const n = Number(v);
  return Number.isFinite(n) && (!/^-?\d+$/.test(v) || Number.isSafeInteger(n)) ? n : v;
}

/** An open DuckDB session with the `events` view over the lake. */
export class Lake {
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  /** Where the lake is (`s3://bucket/prefix` or a directory). */
  readonly root: string;
  /** How httpfs was loaded (undefined for a local lake). */
  readonly httpfs: string | undefined;
  /** Number of S3 objects the views read (undefined for a local lake, globbed by DuckDB). */
  readonly files: number | undefined;

  private constructor(
    instance: DuckDBInstance,
    conn: DuckDBConnection,
    root: string,
    httpfs: string | undefined,
    files: number | undefined,
  ) {
    this.files = files;
    this.#instance = instance;
    this.#conn = conn;
    this.root = root;
    this.httpfs = httpfs;
  }

  /**
   * Opens DuckDB, connects to S3 if needed, and defines the views.
   *
   * @example
   * ```ts
   * const lake = await Lake.open({ root: "s3://prod-python/music_events", s3: loadConfig().s3 });
   * try {
   *   console.log((await lake.query("SELECT count(*) AS n FROM events")).rows);
   * } finally {
   *   lake.close();
   * }
   * ```
   */
  static async open(opts: LakeOptions): Promise<Lake> {
    const root = opts.root.replace(/\/+$/, "");
    const instance = await DuckDBInstance.create(":memory:", {
      ...(opts.threads ? { threads: String(opts.threads) } : {}),
    });
    const conn = await instance.connect();
    try {
      await conn.run("SET TimeZone = 'UTC'");
      let httpfs: string | undefined;
      let source: string | string[] = lakeGlob(root);
      if (root.startsWith("s3://")) {
        if (!opts.s3) throw new TypeError("Lake.open: an s3:// root needs the S3 settings");
        source = await listLakeFiles(opts.s3, root, opts.from, opts.to);
        if (source.length === 0) {
          throw new UserError(
            `No Parquet files under ${root}/dt=*/${
              opts.from || opts.to ? " for the dates asked" : ""
            } — the lake is empty (check --bucket/--prefix, or run the sink)`,
          );
        }
        httpfs = await loadHttpfs(conn);
        await createS3Secret(conn, opts.s3);
      }
      // Variables first: the view definition is bound (and the lake listed) right away.
      await conn.run("SET VARIABLE lake_from = $d::DATE", { d: opts.from ?? null });
      await conn.run("SET VARIABLE lake_to = $d::DATE", { d: opts.to ?? null });
      try {
        await conn.run(eventsViewSql(source));
      } catch (e) {
        throw new UserError(describeDuckDBError(e, root), { cause: e });
      }
      return new Lake(
        instance,
        conn,
        root,
        httpfs,
        typeof source === "string" ? undefined : source.length,
      );
    } catch (e) {
      conn.closeSync();
      instance.closeSync();
      throw e;
    }
  }

  /**
   * Runs one statement with named parameters (`$name`) and reads all rows.
   * DuckDB errors become a UserError with a one-line (plus caret) message.
   */
  async query(
    sql: string,
    params: Record<string, string | number | null> = {},
  ): Promise<QueryResult> {
    let reader;
    try {
      reader = await this.#conn.runAndReadAll(sql, params);
    } catch (e) {
      throw new UserError(describeDuckDBError(e, this.root), { cause: e });
    }
    const types = reader.columnTypes();
    const ints = types.map((t) => INTEGER_TYPES.has(t.typeId));
    const rows = (reader.getRowsJson() as unknown[][]).map((r) =>
      r.map((v, i) => ints[i] ? numeric(toCell(v)) : toCell(v))
    );
    return { columns: reader.columnNames(), types: types.map((t) => t.toString()), rows };
  }

  /** Closes the connection and the database. */
  close(): void {
    this.#conn.closeSync();
    this.#instance.closeSync();
  }
}
