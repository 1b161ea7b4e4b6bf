/**
 * DuckDB over the Parquet lake, read in place from S3 (httpfs) or from a local
 * directory with the same layout:
 * `<root>/dt=YYYY-MM-DD/<topic>+<partition>+<first-offset>.parquet`.
 *
 * The node bindings ship without httpfs and DuckDB's extension repository is
 * not always reachable, so {@link loadHttpfs} also takes the official build
 * from PyPI (`duckdb-extension-httpfs`, same version as the bindings), checks
 * its SHA-256, caches it per user and loads it by path.
 *
 * @module
 */
import duckdb, { type DuckDBConnection, DuckDBInstance, DuckDBTypeId } from "@duckdb/node-api";
import { inflateRawSync } from "node:zlib";
import { UserError } from "./cli.ts";
import { cacheDir, type S3Config } from "./config.ts";
import { lakeKeyHead, lakeObjectDate, normalizePrefix } from "./lake.ts";
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

/** The DuckDB version of the bindings, e.g. `1.5.5`. */
export function duckdbVersion(): string {
  return duckdb.version().replace(/^v/, "");
}

/** Quotes a string as an SQL literal (for identifiers of our own config, never report values). */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The glob of every Parquet file of the lake under `root`. */
export function lakeGlob(root: string): string {
  return `${root.replace(/\/+$/, "")}/dt=*/*.parquet`;
}

/** Builds `s3://bucket/prefix`, rejecting prefixes that are not plain key paths. */
export function s3Root(bucket: string, prefix: string): string {
  const p = normalizePrefix(prefix);
  if (!/^[A-Za-z0-9._=+\-/]*$/.test(p) || p.includes("//") || p.split("/").includes("..")) {
    throw new UserError(
      `--prefix "${prefix}" is not a plain key prefix (letters, digits, . _ = + - /)`,
    );
  }
  return p === "" ? `s3://${bucket}` : `s3://${bucket}/${p}`;
}

/** Validates a YYYY-MM-DD date given on the command line. */
export function parseDate(value: string, what: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || d.toISOString().slice(0, 10) !== value.trim()) {
    throw new UserError(`${what} has "${value}"; expected a date such as 2024-05-31`);
  }
  return value.trim();
}

// ---------------------------------------------------------------- httpfs

/** Where this platform's extension comes from: DuckDB's platform name and the wheel tag. */
export function extensionPlatform(
  os: string = Deno.build.os,
  arch: string = Deno.build.arch,
): { duckdb: string; wheel: string } {
  const table: Record<string, { duckdb: string; wheel: string }> = {
    "linux/x86_64": { duckdb: "linux_amd64", wheel: "manylinux2014_x86_64" },
    "linux/aarch64": { duckdb: "linux_arm64", wheel: "manylinux2014_aarch64" },
    "darwin/x86_64": { duckdb: "osx_amd64", wheel: "macosx_11_0_x86_64" },
    "darwin/aarch64": { duckdb: "osx_arm64", wheel: "macosx_11_0_arm64" },
    "windows/x86_64": { duckdb: "windows_amd64", wheel: "win_amd64" },
  };
  const p = table[`${os}/${arch}`];
  if (!p) {
    throw new UserError(
      `No httpfs build on PyPI for ${os}/${arch}; install it by hand with DuckDB's "INSTALL httpfs"`,
    );
  }
  return p;
}

/**
 * Extracts the first entry whose name ends with `suffix` from a zip archive
 * (stored or deflated). Pure; reads the central directory, so data descriptors
 * and zip comments are handled.
 */
export function unzipEntry(zip: Uint8Array, suffix: string): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new TypeError("Not a zip archive: no end of central directory");
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const names = new TextDecoder();
  for (let n = 0; n < entries; n++) {
    if (view.getUint32(p, true) !== 0x02014b50) {
      throw new TypeError("Corrupt zip central directory");
    }
    const method = view.getUint16(p + 10, true);
    const compressed = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = names.decode(zip.subarray(p + 46, p + 46 + nameLen));
    if (name.endsWith(suffix)) {
      if (view.getUint32(local, true) !== 0x04034b50) throw new TypeError("Corrupt zip entry");
      const start = local + 30 + view.getUint16(local + 26, true) +
        view.getUint16(local + 28, true);
      const data = zip.subarray(start, start + compressed);
      let out: Uint8Array;
      if (method === 0) out = data.slice();
      else if (method === 8) out = new Uint8Array(inflateRawSync(data));
      else throw new TypeError(`Zip entry "${name}" uses unsupported method ${method}`);
      if (out.length !== size) throw new TypeError(`Zip entry "${name}" has the wrong size`);
      return out;
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new TypeError(`No entry ending with "${suffix}" in the zip archive`);
}

interface PyPIFile {
  filename: string;
  url: string;
  digests: { sha256: string };
}

async function fetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${url}: HTTP ${res.status}`);
  }
  return await res.json();
}

/** Lists the wheels of `duckdb-extension-httpfs` at `version` from PyPI's JSON API. */
async function pypiFiles(version: string): Promise<PyPIFile[]> {
  const base = "https://pypi.org/pypi/duckdb-extension-httpfs";
  try {
    return ((await fetchJson(`${base}/${version}/json`)) as { urls: PyPIFile[] }).urls;
  } catch {
    // Some mirrors only serve the project document; its `releases` has every version.
    const all = (await fetchJson(`${base}/json`)) as { releases: Record<string, PyPIFile[]> };
    const files = all.releases[version];
    if (!files?.length) throw new Error(`PyPI has no duckdb-extension-httpfs ${version}`);
    return files;
  }
}

/**
 * Downloads the official httpfs extension for `version` from PyPI into
 * `dest` (atomically: a temp file renamed into place). Verifies the wheel's SHA-256.
 */
export async function downloadHttpfs(version: string, dest: string): Promise<void> {
  const platform = extensionPlatform();
  const wheel = (await pypiFiles(version)).find((f) =>
    f.filename.endsWith(`-${platform.wheel}.whl`)
  );
  if (!wheel) {
    throw new Error(`PyPI has no duckdb-extension-httpfs ${version} wheel for ${platform.wheel}`);
  }
  const res = await fetch(wheel.url, { signal: AbortSignal.timeout(300_000) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${wheel.url}: HTTP ${res.status}`);
  }
  const zip = new Uint8Array(await res.arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", zip));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== wheel.digests.sha256) {
    throw new Error(
      `${wheel.filename}: SHA-256 ${hex} differs from PyPI's ${wheel.digests.sha256}`,
    );
  }
  const ext = unzipEntry(zip, "/httpfs.duckdb_extension");
  const dir = dest.slice(0, dest.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${dest}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeFile(tmp, ext);
  await Deno.rename(tmp, dest);
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0]!.trim();
}

/** Where the cached httpfs extension for this DuckDB version and platform lives. */
export function cachedHttpfsPath(version = duckdbVersion()): string {
  return `${cacheDir()}/duckdb/v${version}/${extensionPlatform().duckdb}/httpfs.duckdb_extension`;
}

/**
 * Loads httpfs into `conn`: an already installed copy (`LOAD httpfs`, no
 * network), else the cached PyPI build, else a fresh PyPI download, else
 * DuckDB's own `INSTALL httpfs`. Returns how it was loaded; throws a
 * UserError listing every attempt when none works.
 */
export async function loadHttpfs(conn: DuckDBConnection): Promise<string> {
  const tried: string[] = [];
  try {
    await conn.run("LOAD httpfs");
    return "installed extension";
  } catch (e) {
    tried.push(`LOAD httpfs: ${firstLine(e)}`);
  }
  const version = duckdbVersion();
  let path: string | undefined;
  try {
    path = cachedHttpfsPath(version);
    if (!(await exists(path))) await downloadHttpfs(version, path);
    await conn.run(`LOAD ${sqlString(path)}`);
    return path;
  } catch (e) {
    tried.push(`PyPI duckdb-extension-httpfs==${version}: ${firstLine(e)}`);
    // A corrupt cached file would fail forever; drop it so the next run downloads again.
    if (path && /not a valid|invalid|corrupt|signature/i.test(firstLine(e))) {
      await Deno.remove(path).catch(() => {});
    }
  }
  try {
    await conn.run("INSTALL httpfs");
    await conn.run("LOAD httpfs");
    return "INSTALL httpfs";
  } catch (e) {
    tried.push(`INSTALL httpfs: ${firstLine(e)}`);
  }
  throw new UserError(
    `Cannot load DuckDB's httpfs extension (needed to read S3):\n  ${tried.join("\n  ")}`,
  );
}

/** Creates the session's S3 secret from the configured endpoint and keys. */
export async function createS3Secret(conn: DuckDBConnection, s3: S3Config): Promise<void> {
  const url = new URL(s3.endpoint);
  await conn.run(`CREATE OR REPLACE SECRET lake_s3 (
    TYPE s3, KEY_ID ${sqlString(s3.accessKey)}, SECRET ${sqlString(s3.secretKey)},
    ENDPOINT ${sqlString(url.host)}, URL_STYLE 'path', USE_SSL ${url.protocol === "https:"},
    REGION ${sqlString(s3.region)})`);
}

// ---------------------------------------------------------------- the lake

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

/**
 * The `events` view: friendly names over the seed-named columns. The date
 * range lives in session variables so that every query (reports and ad-hoc
 * `--sql`) is pruned to the matching `dt=` folders; DuckDB folds
 * `getvariable` to a constant, which keeps the Hive-partition pruning.
 */
export function eventsViewSql(source: string | readonly string[]): string {
  const files = typeof source === "string"
    ? sqlString(source)
    : `[${source.map(sqlString).join(", ")}]`;
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

  /** Opens DuckDB, connects to S3 if needed, and defines the views. */
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
