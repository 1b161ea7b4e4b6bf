/**
 * The ClickHouse section of the status: the server's version and the row
 * counts of the ingestion tables (null for a table not created yet).
 *
 * @module
 */
import type { Config } from "../core/env.ts";
import { ClickHouseClient } from "../clickhouse/client.ts";
import type { ClickHouseStatus, TableCount } from "./status_report.ts";

/** Names of the ClickHouse tables whose rows are counted. */
export function clickhouseTables(prefix: string): string[] {
  return [`${prefix}music_consumer_phys`, `${prefix}easy_consumer_phys`];
}

/** Reads the version and counts the rows of {@link clickhouseTables} that exist. */
export async function readClickHouse(cfg: Config, prefix: string): Promise<ClickHouseStatus> {
  const client = new ClickHouseClient({ ...cfg.clickhouse, timeoutMs: 10_000 });
  const version = await client.version();
  const names = clickhouseTables(prefix);
  const found = await client.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN (${
      names.map((n) => `'${n}'`).join(", ")
    })`,
  );
  const existing = new Set(found.data.map((r) => r.name));
  const tables = await Promise.all(names.map(async (table): Promise<TableCount> => {
    if (!existing.has(table)) return { table, rows: null };
    // final: a message stored twice (see sql/clickhouse/tables.sql) counts once.
    const r = await client.query<{ n: number }>(
      `SELECT count() AS n FROM ${table} SETTINGS final = 1`,
    );
    return { table, rows: Number(r.data[0]?.n ?? 0) };
  }));
  return { version, tables };
}
