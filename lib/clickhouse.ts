/**
 * ClickHouse over its HTTP interface: a small client, the SQL files under
 * `sql/clickhouse/` (Kafka-engine ingestion of both topics, named queries) and
 * the pure helpers that render, split and format them.
 *
 * One SQL for every ClickHouse from 21.6 on: the native stack's 26.x and the
 * compose file's 25.8.
 *
 * @module
 */
import type { ColumnKind } from "./events.ts";
import { UserError } from "./cli.ts";
import type { ClickHouseConfig } from "./config.ts";

/** Where the SQL files live, relative to this module. */
export const SQL_DIR: URL = new URL("../sql/clickhouse/", import.meta.url);

// ---------------------------------------------------------------------------
// Client

/** Options of {@link ClickHouseClient}. */
export interface ClickHouseClientOptions extends ClickHouseConfig {
  /** Bound for one request, connect included [30 000 ms]. */
  timeoutMs?: number;
}

/** Column of a query result, as ClickHouse's `FORMAT JSON` describes it. */
export interface ColumnMeta {
  name: string;
  type: string;
}

/** Rows of a query with their column names and types. */
export interface QueryResult<T = Record<string, unknown>> {
  meta: ColumnMeta[];
  data: T[];
}

/**
 * The server answered a query with an error (`Code: N` in its body). A user
 * error: its message is the server's reason, printed as one line.
 */
export class ClickHouseError extends UserError {
  override name = "ClickHouseError";
  /** ClickHouse error code (e.g. 60 unknown table), or undefined when none was given. */
  readonly code: number | undefined;
  constructor(message: string, code: number | undefined) {
    super(message);
    this.code = code;
  }
}

/** Extracts the error code and a one-line reason from a ClickHouse error body. */
export function parseServerError(body: string): { code: number | undefined; reason: string } {
  const code = /Code: (\d+)/.exec(body);
  const text = body.trim();
  // 18.16: "Code: 60, e.displayText() = DB::Exception: <reason>, e.what() = DB::Exception"
  // modern: "Code: 60. DB::Exception: <reason>. (UNKNOWN_TABLE) (version 24.3.1.1)"
  let reason = /DB::Exception: ([\s\S]*?)(?:, e\.what\(\) = |\s*\(version .*\)\s*$|$)/
    .exec(text)?.[1] ?? text;
  reason = reason.split("\n")[0]!.trim().replace(/\.$/, "");
  return { code: code ? Number(code[1]) : undefined, reason: reason || "no details" };
}

/** Error codes meaning the user or password is not accepted (all versions). */
const AUTH_CODES = new Set([192, 193, 194, 516]);

/** Turns a low-level fetch failure into a short phrase ("connection refused"). */
export function describeConnectError(e: unknown): string {
  const text = `${(e as Error)?.message ?? e} ${String((e as Error)?.cause ?? "")}`;
  if (/refused/i.test(text)) return "connection refused";
  if (/dns|lookup|resolve|name or service not known|no address/i.test(text)) {
    return "host not found";
  }
  if (/reset/i.test(text)) return "connection reset";
  if (/unreachable/i.test(text)) return "network unreachable";
  return ((e as Error)?.message ?? String(e)).split("\n")[0]!;
}

/**
 * A small ClickHouse HTTP client. One statement per request (as the HTTP
 * interface requires); credentials go in `X-ClickHouse-User/Key` headers,
 * which 18.16 and later accept.
 */
export class ClickHouseClient {
  readonly url: string;
  readonly user: string;
  readonly #password: string;
  readonly #timeoutMs: number;

  constructor(opts: ClickHouseClientOptions) {
    this.url = opts.url.replace(/\/+$/, "");
    this.user = opts.user;
    this.#password = opts.password;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Sends one statement; returns the body text. Throws UserError / ClickHouseError. */
  async #post(sql: string, params: Record<string, string> = {}): Promise<string> {
    const url = new URL(this.url + "/");
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        body: sql,
        headers: { "X-ClickHouse-User": this.user, "X-ClickHouse-Key": this.#password },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      if ((e as Error)?.name === "TimeoutError") {
        throw new UserError(
          `ClickHouse at ${this.url} did not answer within ${this.#timeoutMs / 1000} s`,
        );
      }
      throw new UserError(
        `Cannot connect to ClickHouse at ${this.url}: ${describeConnectError(e)}`,
      );
    }
    let body: string;
    try {
      body = await res.text();
    } catch (e) {
      if ((e as Error)?.name === "TimeoutError") {
        throw new UserError(
          `ClickHouse at ${this.url} did not answer within ${this.#timeoutMs / 1000} s`,
        );
      }
      throw new UserError(`Cannot read the answer of ClickHouse at ${this.url}: ${e}`);
    }
    if (res.ok) return body;
    const { code, reason } = parseServerError(body);
    if (res.status === 401 || res.status === 403 || (code !== undefined && AUTH_CODES.has(code))) {
      throw new UserError(
        `ClickHouse at ${this.url} rejected user "${this.user}": wrong password or no such user`,
      );
    }
    if (code === undefined) {
      // Not a ClickHouse answer at all (wrong port, proxy): say what came back.
      throw new UserError(
        `${this.url} did not answer like ClickHouse: HTTP ${res.status} ${
          body.trim().split("\n")[0]!.slice(0, 120)
        }`,
      );
    }
    throw new ClickHouseError(`ClickHouse error ${code}: ${reason}`, code);
  }

  /** Runs a statement that returns nothing of interest (DDL, INSERT). */
  async exec(sql: string): Promise<void> {
    await this.#post(sql);
  }

  /**
   * Runs a query and returns its rows as objects. 64-bit integers come back as
   * numbers (exact up to 2^53, enough for counts and epoch milliseconds).
   */
  async query<T = Record<string, unknown>>(sql: string): Promise<QueryResult<T>> {
    const body = await this.#post(sql, {
      default_format: "JSON",
      output_format_json_quote_64bit_integers: "0",
    });
    const parsed = JSON.parse(body) as { meta?: ColumnMeta[]; data?: T[] };
    return { meta: parsed.meta ?? [], data: parsed.data ?? [] };
  }

  /** The server's version string, e.g. `18.16.1`. */
  async version(): Promise<string> {
    return (await this.#post("SELECT version()")).trim();
  }
}

// ---------------------------------------------------------------------------
// SQL templates (pure)

/** A ClickHouse string literal for `s`, with `\` and `'` escaped. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * Fills `{{name}}` placeholders with SQL text from `values` (already quoted
 * with {@link sqlString} or validated as identifiers). Throws RangeError for a
 * placeholder without a value, so a typo in a file never reaches the server.
 */
export function renderSql(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new RangeError(`SQL placeholder {{${name}}} has no value`);
    return v;
  });
}

/**
 * Splits a SQL file into statements: drops `--` comment lines, splits at a `;`
 * that ends a line. (Our files hold no `;` inside literals.)
 */
export function splitStatements(sql: string): string[] {
  const code = sql.split("\n").filter((l) => !/^\s*--/.test(l)).join("\n");
  return code.split(/;[ \t]*(?:\n|$)/).map((s) => s.trim()).filter((s) => s !== "");
}

/** What a CREATE statement creates. */
export interface SqlObject {
  kind: "table" | "view";
  name: string;
}

/** The object a `CREATE TABLE|MATERIALIZED VIEW [IF NOT EXISTS] name` creates, or undefined. */
export function createdObject(statement: string): SqlObject | undefined {
  const m =
    /^\s*CREATE\s+(TABLE|MATERIALIZED\s+VIEW|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z0-9_.]+)/i
      .exec(statement);
  if (!m) return undefined;
  return { kind: /TABLE/i.test(m[1]!) ? "table" : "view", name: m[2]! };
}

// ---------------------------------------------------------------------------
// Ingestion schema

/** Names and Kafka settings of the ingestion objects; defaults from the seed. */
export interface IngestOptions {
  /** Kafka bootstrap servers as `host:port`, as the ClickHouse server reaches them. */
  brokers: string[];
  /** Topic of the music events [music_events]. */
  musicTopic?: string | undefined;
  /** Topic of the person records [my_topic]. */
  easyTopic?: string | undefined;
  /** ClickHouse's consumer group for music events [{@link clickhouseGroups} of the prefix]; not the sink's. */
  musicGroup?: string | undefined;
  /** ClickHouse's consumer group for person records [{@link clickhouseGroups} of the prefix]. */
  easyGroup?: string | undefined;
  /** Prefix of every table and view name [""], e.g. `t1234_` for an isolated test. */
  prefix?: string | undefined;
}

/** {@link IngestOptions} with every default resolved. */
export type ResolvedIngestOptions = { [K in keyof IngestOptions]-?: NonNullable<IngestOptions[K]> };

/** Defaults of {@link IngestOptions}; the groups are those of the empty prefix. */
export const INGEST_DEFAULTS = {
  musicTopic: "music_events",
  easyTopic: "my_topic",
  musicGroup: "clickhouse-music",
  easyGroup: "clickhouse-easy",
  prefix: "",
} as const;

/**
 * Validates a table-name prefix (it is pasted into SQL): letters, digits and
 * `_`, not starting with a digit. Returns it; throws UserError otherwise.
 */
export function checkTablePrefix(prefix: string): string {
  if (!/^[A-Za-z0-9_]*$/.test(prefix) || /^[0-9]/.test(prefix)) {
    throw new UserError(
      `table prefix "${prefix}" must be letters, digits and _ and not start with a digit`,
    );
  }
  return prefix;
}

/**
 * ClickHouse's default consumer groups for a table prefix: `clickhouse-music`
 * / `clickhouse-easy` without one, `clickhouse-music-<prefix>` /
 * `clickhouse-easy-<prefix>` (trailing `_` dropped) with one, so prefixed
 * tables never share a group, and its partitions, with the unprefixed ones.
 */
export function clickhouseGroups(prefix: string): { musicGroup: string; easyGroup: string } {
  const tag = prefix.replace(/_+$/, "");
  if (tag === "") {
    return { musicGroup: INGEST_DEFAULTS.musicGroup, easyGroup: INGEST_DEFAULTS.easyGroup };
  }
  return {
    musicGroup: `${INGEST_DEFAULTS.musicGroup}-${tag}`,
    easyGroup: `${INGEST_DEFAULTS.easyGroup}-${tag}`,
  };
}

/**
 * Resolves defaults (groups from the prefix, see {@link clickhouseGroups}) and
 * validates names; throws UserError naming the bad value.
 */
export function resolveIngestOptions(opts: IngestOptions): ResolvedIngestOptions {
  const given = stripUndefined(opts);
  const prefix = checkTablePrefix(given.prefix ?? INGEST_DEFAULTS.prefix);
  const r = {
    ...INGEST_DEFAULTS,
    ...clickhouseGroups(prefix),
    ...given,
  } as ResolvedIngestOptions;
  for (const [what, topic] of [["music topic", r.musicTopic], ["easy topic", r.easyTopic]]) {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic!)) {
      throw new UserError(`${what} "${topic}" is not a valid Kafka topic name`);
    }
  }
  for (const [what, group] of [["music group", r.musicGroup], ["easy group", r.easyGroup]]) {
    if (group!.trim() === "") throw new UserError(`${what} must not be empty`);
  }
  if (r.brokers.length === 0) throw new UserError("no Kafka brokers given");
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Values of the placeholders in the ingestion SQL. */
export function ingestValues(o: ResolvedIngestOptions): Record<string, string> {
  return {
    prefix: o.prefix,
    brokers: sqlString(o.brokers.join(",")),
    music_topic: sqlString(o.musicTopic),
    easy_topic: sqlString(o.easyTopic),
    music_group: sqlString(o.musicGroup),
    easy_group: sqlString(o.easyGroup),
  };
}

/** Reads a file under `sql/clickhouse/`. */
export async function readSqlFile(path: string): Promise<string> {
  return await Deno.readTextFile(new URL(path, SQL_DIR));
}

/** The rendered ingestion statements in creation order: MergeTree tables, then Kafka + views. */
export async function ingestStatements(opts: ResolvedIngestOptions): Promise<string[]> {
  const values = ingestValues(opts);
  const files = ["tables.sql", "ingest.sql"];
  const out: string[] = [];
  for (const f of files) {
    // Split first: comments are dropped, so placeholders mentioned in them need no value.
    out.push(...splitStatements(await readSqlFile(f)).map((s) => renderSql(s, values)));
  }
  return out;
}

/** What {@link initClickHouse} did to one object. */
export interface InitStep extends SqlObject {
  status: "created" | "exists" | "dropped";
}

/** Outcome of {@link initClickHouse}. */
export interface InitReport {
  version: string;
  steps: InitStep[];
}

async function existingTables(client: ClickHouseClient): Promise<Set<string>> {
  const r = await client.query<{ name: string }>(
    "SELECT name FROM system.tables WHERE database = currentDatabase()",
  );
  return new Set(r.data.map((row) => row.name));
}

/**
 * Creates the ingestion tables and views idempotently (`IF NOT EXISTS`). With
 * `drop`, first drops them (views before their sources, data included).
 * Reports, per object, whether it was created or already existed.
 */
export async function initClickHouse(
  client: ClickHouseClient,
  options: IngestOptions & { drop?: boolean },
): Promise<InitReport> {
  const opts = resolveIngestOptions(options);
  const version = await client.version();
  const statements = await ingestStatements(opts);
  const steps: InitStep[] = [];
  if (options.drop) steps.push(...await dropObjects(client, statements));
  const existing = await existingTables(client);
  for (const s of statements) {
    const obj = createdObject(s);
    await client.exec(s);
    if (obj) steps.push({ ...obj, status: existing.has(obj.name) ? "exists" : "created" });
  }
  return { version, steps };
}

/**
 * Drops what `statements` create: views first (they hold the Kafka consumers
 * and write into the other tables), then Kafka tables, then the rest.
 */
async function dropObjects(client: ClickHouseClient, statements: string[]): Promise<InitStep[]> {
  const rank = (s: string) =>
    createdObject(s)?.kind === "view" ? 0 : /ENGINE\s*=\s*Kafka/i.test(s) ? 1 : 2;
  const ordered = [...statements].sort((a, b) => rank(a) - rank(b));
  const existing = await existingTables(client);
  const steps: InitStep[] = [];
  for (const s of ordered) {
    const obj = createdObject(s);
    if (!obj || !existing.has(obj.name)) continue;
    await client.exec(`DROP TABLE IF EXISTS ${obj.name}`);
    steps.push({ ...obj, status: "dropped" });
  }
  return steps;
}

/** Drops every ingestion object of `options`; for tests and teardown. */
export async function dropClickHouse(
  client: ClickHouseClient,
  options: IngestOptions,
): Promise<InitStep[]> {
  const opts = resolveIngestOptions(options);
  return await dropObjects(client, await ingestStatements(opts));
}

// ---------------------------------------------------------------------------
// Named queries

/** A named query from `sql/clickhouse/queries/NAME.sql`. */
export interface NamedQuery {
  name: string;
  /** The file's first `--` comment line. */
  description: string;
  /** SQL with `{{prefix}}` placeholders. */
  template: string;
}

/** Reads every named query, sorted by name. */
export async function listQueries(): Promise<NamedQuery[]> {
  const dir = new URL("queries/", SQL_DIR);
  const out: NamedQuery[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".sql")) continue;
    const template = await Deno.readTextFile(new URL(e.name, dir));
    const description = /^\s*--\s*(.*)$/m.exec(template)?.[1]?.trim() ?? "";
    out.push({ name: e.name.slice(0, -4), description, template });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Runs one named query against the tables with `prefix`. */
export async function runQuery(
  client: ClickHouseClient,
  query: NamedQuery,
  prefix = "",
): Promise<QueryResult> {
  const [sql] = splitStatements(query.template);
  if (sql === undefined) throw new RangeError(`query "${query.name}" is empty`);
  try {
    return await client.query(renderSql(sql, { prefix: checkTablePrefix(prefix) }));
  } catch (e) {
    if (e instanceof ClickHouseError && e.code === 60) {
      const init = `deno task clickhouse:init${prefix ? ` --prefix ${prefix}` : ""}`;
      throw new ClickHouseError(`${e.message} (run "${init}" first)`, e.code);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Output formatting (pure)

/** Output formats of `clickhouse:query`. */
export const OUTPUT_FORMATS = ["table", "json", "csv"] as const;
/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

const NUMERIC_TYPE = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

/** Renders rows as an aligned text table; numeric columns are right-aligned. */
export function formatTable(result: QueryResult): string {
  const names = result.meta.map((m) => m.name);
  const right = result.meta.map((m) => NUMERIC_TYPE.test(m.type));
  const cells = result.data.map((row) => names.map((n) => cellText(row[n])));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ")
      .trimEnd();
  const out = [line(names), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
  out.push(`(${result.data.length} row${result.data.length === 1 ? "" : "s"})`);
  return out.join("\n");
}

/** Renders rows as RFC 4180 CSV with a header line. */
export function formatCsv(result: QueryResult): string {
  const quote = (s: string) => /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  const names = result.meta.map((m) => m.name);
  const lines = [names.map(quote).join(",")];
  for (const row of result.data) lines.push(names.map((n) => quote(cellText(row[n]))).join(","));
  return lines.join("\n");
}

/** Renders rows in `format` (`json`: an array of row objects). */
export function formatResult(result: QueryResult, format: OutputFormat): string {
  switch (format) {
    case "table":
      return formatTable(result);
    case "csv":
      return formatCsv(result);
    case "json":
      return JSON.stringify(result.data, null, 2);
  }
}

// ---------------------------------------------------------------------------
// Types

/**
 * The ClickHouse type of a typed `music_consumer_phys` column for an event
 * column kind. `ipv4` stays a String, as in the seed.
 */
export function clickhouseType(kind: ColumnKind): string {
  switch (kind) {
    case "int32":
      return "Int32";
    case "int64":
      return "Int64";
    case "string":
    case "ipv4":
      return "String";
    case "uuid":
      return "UUID";
  }
}
