/**
 * The SQL files under `sql/clickhouse/` and the pure helpers that read, fill,
 * split and inspect them: ClickHouse string literals, `{{name}}` placeholders,
 * statement splitting, table-name prefixes and column types.
 *
 * @module
 */
import type { ColumnKind } from "../events/schema.ts";
import { UserError } from "../core/errors.ts";

/** Where the SQL files live (`sql/clickhouse/` at the repository root). */
export const SQL_DIR: URL = new URL("../../sql/clickhouse/", import.meta.url);

/** A ClickHouse string literal for `s`, with `\` and `'` escaped. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * Fills `{{name}}` placeholders with SQL text from `values` (already quoted
 * with {@link sqlString} or validated as identifiers). Throws RangeError for a
 * placeholder without a value, so a typo in a file never reaches the server.
 *
 * @example
 * ```ts
 * renderSql("SELECT * FROM {{prefix}}t", { prefix: "p_" }); // "SELECT * FROM p_t"
 * ```
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

/**
 * The tables a view statement reads (`FROM`) and writes into (`TO`), each
 * undefined where absent (both, for a statement creating no view). Pure.
 */
export function viewFlow(
  statement: string,
): { from?: string | undefined; to?: string | undefined } {
  if (createdObject(statement)?.kind !== "view") return {};
  const name = (keyword: string) =>
    new RegExp(`\\b${keyword}\\s+([A-Za-z0-9_.]+)`, "i").exec(statement)?.[1];
  return { from: name("FROM"), to: name("TO") };
}

/** Reads a file under `sql/clickhouse/`. */
export async function readSqlFile(path: string): Promise<string> {
  return await Deno.readTextFile(new URL(path, SQL_DIR));
}

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

/** The `kafka_*` settings of a Kafka-engine table's `SHOW CREATE TABLE` text. */
export function kafkaSettings(statement: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of statement.matchAll(/\b(kafka_[a-z_]+)\s*=\s*'((?:[^'\\]|\\.)*)'/g)) {
    out[m[1]!] = m[2]!.replace(/\\(.)/g, "$1");
  }
  return out;
}

/** Engine and sorting key of a MergeTree-family table. */
export interface TableLayout {
  engine: string;
  /** Columns of `ORDER BY`, as `system.tables.sorting_key` shows them: `a, b`. */
  sortingKey: string;
}

/**
 * The layout a `CREATE TABLE` statement gives a MergeTree-family table, or
 * undefined for another engine. Pure.
 */
export function tableLayout(statement: string): TableLayout | undefined {
  const engine = /\bENGINE\s*=\s*(\w*MergeTree)\b/i.exec(statement)?.[1];
  const order = /\bORDER\s+BY\s+(\([^)]*\)|[\w.]+)/i.exec(statement)?.[1];
  if (engine === undefined || order === undefined) return undefined;
  return { engine, sortingKey: sortingKey(order) };
}

/**
 * A sorting key as `a, b`, from `ORDER BY` text or `system.tables.sorting_key`
 * (which shows a one-column key in parentheses: `(uuid)`). Pure.
 */
export function sortingKey(text: string): string {
  return text.trim().replace(/^\((.*)\)$/s, "$1").split(",").map((c) => c.trim()).join(", ");
}
