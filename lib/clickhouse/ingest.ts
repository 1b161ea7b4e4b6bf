/**
 * The ingestion schema: Kafka-engine tables, materialized views and MergeTree
 * tables for both topics, created idempotently (`clickhouse:init`) or dropped.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { checkTopicName } from "../core/flags.ts";
import type { ClickHouseClient } from "./client.ts";
import {
  checkTablePrefix,
  createdObject,
  kafkaSettings,
  readSqlFile,
  renderSql,
  sortingKey,
  splitStatements,
  type SqlObject,
  sqlString,
  tableLayout,
  viewFlow,
} from "./sql.ts";

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

/** Kafka's topic rule (core's check), with this module's own message. */
function checkTopic(what: string, topic: string): void {
  try {
    checkTopicName(topic, what);
  } catch {
    throw new UserError(`${what} "${topic}" is not a valid Kafka topic name`);
  }
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
  checkTopic("music topic", r.musicTopic);
  checkTopic("easy topic", r.easyTopic);
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
  status: "created" | "exists" | "dropped" | "replaced";
  /** Why it was replaced: the Kafka settings that changed, or the replaced table it reads. */
  why?: string;
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
 * Kafka tables of `statements` that exist with other settings (brokers,
 * format) than the statements give, e.g. after `KAFKA_BROKERS` changed to list
 * a cluster; by name, with what changed. A table that reads another topic or
 * group is not among them: its MergeTree table holds another stream, which
 * must not be mixed with this one (the demo refuses it, see `checkBinding`).
 */
async function staleKafkaTables(
  client: ClickHouseClient,
  statements: string[],
): Promise<Map<string, string>> {
  const r = await client.query<{ name: string; create_table_query: string }>(
    "SELECT name, create_table_query FROM system.tables " +
      "WHERE database = currentDatabase() AND engine = 'Kafka'",
  );
  const current = new Map(r.data.map((t) => [t.name, kafkaSettings(t.create_table_query)]));
  const stale = new Map<string, string>();
  for (const s of statements) {
    const name = createdObject(s)?.name ?? "";
    const now = current.get(name);
    const want = kafkaSettings(s);
    const sameStream = now?.kafka_topic_list === want.kafka_topic_list &&
      now?.kafka_group_name === want.kafka_group_name;
    if (!now || !sameStream) continue;
    const changed = Object.entries(want)
      .filter(([k, v]) => now[k] !== v)
      .map(([k, v]) => `${k} '${now[k] ?? ""}' → '${v}'`);
    if (changed.length > 0) stale.set(name, changed.join(", "));
  }
  return stale;
}

/** The statements creating `table` or reading from it. */
function withReaders(statements: string[], table: string): string[] {
  return statements.filter((s) => createdObject(s)?.name === table || viewFlow(s).from === table);
}

/**
 * MergeTree tables of `statements` that exist with another engine or sorting
 * key than the statements give (made by an older version); by name, with what
 * changed.
 */
async function outdatedTables(
  client: ClickHouseClient,
  statements: string[],
): Promise<Map<string, string>> {
  const r = await client.query<{ name: string; engine: string; sorting_key: string }>(
    "SELECT name, engine, sorting_key FROM system.tables WHERE database = currentDatabase()",
  );
  const current = new Map(r.data.map((t) => [t.name, t]));
  const outdated = new Map<string, string>();
  for (const s of statements) {
    const name = createdObject(s)?.name ?? "";
    const [now, want] = [current.get(name), tableLayout(s)];
    if (!now || !want) continue;
    // A Replicated database or ClickHouse Cloud names its engines so; the layout is the same.
    const engine = now.engine.replace(/^(Replicated|Shared)(?=\w*MergeTree$)/, "");
    const changed = [
      engine === want.engine ? "" : `engine ${now.engine} → ${want.engine}`,
      sortingKey(now.sorting_key) === want.sortingKey
        ? ""
        : `order by (${now.sorting_key}) → (${want.sortingKey})`,
    ].filter((c) => c !== "");
    if (changed.length > 0) outdated.set(name, changed.join(", "));
  }
  return outdated;
}

/**
 * Values for columns an outdated table lacks, in its rows' copy: partition -1
 * and a row number as offset keep every old row apart (tables.sql says why).
 */
const UPGRADE_VALUES: Record<string, string> = {
  kafka_partition: "-1",
  kafka_offset: "toInt64(rowNumberInAllBlocks())",
};

/** How long copying an outdated table's rows may take (a big table takes minutes). */
const UPGRADE_COPY_MS = 3_600_000;

/**
 * Rebuilds `table` as `statement` creates it, keeping its rows: a new table
 * is filled from the old one, checked to hold as many rows, and exchanged
 * with it (atomically); the old one is dropped. Whatever writes into `table`
 * must be stopped first. Returns the rows kept.
 */
async function upgradeTable(
  client: ClickHouseClient,
  statement: string,
  table: string,
): Promise<number> {
  const fresh = `${table}_upgrade`;
  // Left over by an upgrade that was interrupted: `table` itself is intact.
  await client.exec(`DROP TABLE IF EXISTS ${fresh}`);
  await client.exec(statement.replace(new RegExp(`\\b${table}\\b`), fresh));
  const columns = async (t: string) =>
    (await client.query<{ name: string }>(
      `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = ${
        sqlString(t)
      } ORDER BY position`,
    )).data.map((c) => c.name);
  const had = new Set(await columns(table));
  const copied = (await columns(fresh)).filter((c) => had.has(c) || c in UPGRADE_VALUES);
  await client.exec(
    `INSERT INTO ${fresh} (${copied.join(", ")}) SELECT ${
      copied.map((c) => had.has(c) ? c : `${UPGRADE_VALUES[c]} AS ${c}`).join(", ")
    } FROM ${table}`,
    { timeoutMs: UPGRADE_COPY_MS },
  );
  const rows = async (t: string) =>
    Number((await client.query<{ n: number }>(`SELECT count() AS n FROM ${t}`)).data[0]!.n);
  const [before, after] = [await rows(table), await rows(fresh)];
  if (before !== after) {
    await client.exec(`DROP TABLE ${fresh}`);
    throw new Error(`upgrading ${table}: copied ${after} of its ${before} rows; it is unchanged`);
  }
  await client.exec(`EXCHANGE TABLES ${table} AND ${fresh}`);
  await client.exec(`DROP TABLE ${fresh}`);
  return before;
}

/**
 * Creates the ingestion tables and views idempotently (`IF NOT EXISTS`). With
 * `drop`, first drops them (views before their sources, data included).
 * A Kafka table of the same topic and group whose other settings (brokers)
 * differ is replaced, with the views reading it:
 * it holds no rows and its group's offsets live in Kafka, so ingestion resumes
 * where it stood and the MergeTree tables keep their data.
 * A MergeTree table made by an older version (another engine or sorting key)
 * is rebuilt with its rows while the Kafka tables feeding it and their views
 * are dropped and recreated (ingestion pauses; their offsets stay in Kafka).
 * Reports, per object, whether it was created, replaced or already existed.
 *
 * @example
 * ```ts
 * const client = new ClickHouseClient(loadConfig().clickhouse);
 * const report = await initClickHouse(client, { brokers: ["127.0.0.1:9092"] });
 * console.log(describeInit(report, client.url, ["127.0.0.1:9092"]).join("\n"));
 * ```
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
  const stale = await staleKafkaTables(client, statements);
  const replaced = new Map<string, string>();
  for (const [table, why] of stale) {
    for (const d of await dropObjects(client, withReaders(statements, table))) {
      replaced.set(d.name, d.name === table ? why : `reads ${table}`);
    }
  }
  for (const [table, why] of await outdatedTables(client, statements)) {
    // Ingestion pauses while the rows are copied: the Kafka tables feeding `table` go, with every
    // view reading them (one left attached would keep the consumer reading and committing, and
    // its messages would miss `table`). Offsets stay in Kafka: it resumes where it stood.
    const sources = statements.map(viewFlow).filter((v) => v.to === table)
      .flatMap((v) => v.from ?? []);
    const paused = sources.flatMap((source) => withReaders(statements, source));
    for (const d of await dropObjects(client, paused)) {
      replaced.set(d.name, `stopped while ${table} was rebuilt`);
    }
    const statement = statements.find((s) => createdObject(s)?.name === table)!;
    const rows = await upgradeTable(client, statement, table);
    replaced.set(table, `${why}; ${rows} rows kept`);
  }
  const existing = await existingTables(client);
  for (const s of statements) {
    const obj = createdObject(s);
    await client.exec(s);
    if (!obj) continue;
    const why = replaced.get(obj.name);
    if (why !== undefined) steps.push({ ...obj, status: "replaced", why });
    else steps.push({ ...obj, status: existing.has(obj.name) ? "exists" : "created" });
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

/**
 * The lines `clickhouse:init` prints for a report: the server and brokers,
 * one line per object, then the counts.
 */
export function describeInit(report: InitReport, url: string, brokers: string[]): string[] {
  const lines = [`ClickHouse ${report.version} at ${url}, Kafka ${brokers.join(",")}`];
  for (const s of report.steps) {
    const why = s.why ? ` (${s.why})` : "";
    lines.push(`  ${s.status.padEnd(8)} ${s.kind.padEnd(5)} ${s.name}${why}`);
  }
  const count = (st: string) => report.steps.filter((s) => s.status === st).length;
  const [dropped, replaced] = [count("dropped"), count("replaced")];
  lines.push(
    `${dropped ? `${dropped} dropped, ` : ""}${count("created")} created, ` +
      `${replaced ? `${replaced} replaced, ` : ""}${count("exists")} already existed`,
  );
  return lines;
}
