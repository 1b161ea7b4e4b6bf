/**
 * The console's ClickHouse page: row counts of the ingestion tables, the
 * named queries of `sql/clickhouse/queries/`, and the newest messages
 * ClickHouse could not parse (`kafka_errors`).
 *
 * @module
 */
import type { Config } from "../../core/env.ts";
import { UserError } from "../../core/errors.ts";
import { ClickHouseClient, type QueryResult } from "../../clickhouse/client.ts";
import { listQueries, runQuery } from "../../clickhouse/queries.ts";
import { checkTablePrefix } from "../../clickhouse/sql.ts";

/** A named query as the page lists it. */
export interface QueryInfo {
  name: string;
  description: string;
}

/** ClickHouse for one table prefix. */
export class ClickHouseView {
  readonly #client: ClickHouseClient;
  readonly prefix: string;

  constructor(cfg: Config, prefix: string) {
    this.#client = new ClickHouseClient({ ...cfg.clickhouse, timeoutMs: 15_000 });
    this.prefix = checkTablePrefix(prefix);
  }

  /** The named queries, by name. */
  async queries(): Promise<QueryInfo[]> {
    return (await listQueries()).map((q) => ({ name: q.name, description: q.description }));
  }

  /** Runs one named query against the prefixed tables. */
  async run(name: string): Promise<QueryResult> {
    const q = (await listQueries()).find((x) => x.name === name);
    if (!q) throw new UserError(`no ClickHouse query "${name}"`);
    return await runQuery(this.#client, q, this.prefix);
  }

  /** The newest `limit` captured parse errors; empty when the table does not exist yet. */
  async errors(limit = 50): Promise<QueryResult> {
    const table = `${this.prefix}kafka_errors`;
    const found = await this.#client.query<{ n: number }>(
      `SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = '${table}'`,
    );
    if (Number(found.data[0]?.n ?? 0) === 0) return { meta: [], data: [] };
    return await this.#client.query(
      `SELECT topic, partition, offset, received_at, error, substring(raw_message, 1, 2000) AS raw_message
       FROM ${table} ORDER BY received_at DESC, topic, partition, offset DESC
       LIMIT ${Math.max(1, Math.min(500, Math.floor(limit)))}`,
    );
  }
}
