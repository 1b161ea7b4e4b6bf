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
  readSqlFile,
  renderSql,
  splitStatements,
  type SqlObject,
  sqlString,
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

/**
 * The lines `clickhouse:init` prints for a report: the server and brokers,
 * one line per object, then the counts.
 */
export function describeInit(report: InitReport, url: string, brokers: string[]): string[] {
  const lines = [`ClickHouse ${report.version} at ${url}, Kafka ${brokers.join(",")}`];
  for (const s of report.steps) {
    lines.push(`  ${s.status.padEnd(8)} ${s.kind.padEnd(5)} ${s.name}`);
  }
  const count = (st: string) => report.steps.filter((s) => s.status === st).length;
  const dropped = count("dropped");
  lines.push(
    `${dropped ? `${dropped} dropped, ` : ""}${count("created")} created, ` +
      `${count("exists")} already existed`,
  );
  return lines;
}
