/**
 * The whole pipeline in one run: stack up, ClickHouse tables, a dataset
 * produced at full speed, the sink until idle, DuckDB reports over the lake,
 * ClickHouse's figures side by side (they must agree), the HTML report, and
 * where everything is. This module only sequences the steps.
 *
 * The figures cover the whole topic, not only this run's events: the sink
 * stores every record of the topic once (its group resumes where it stopped)
 * and ClickHouse's group reads the topic once, so on a re-run the lake and
 * ClickHouse both count everything produced so far and still agree.
 *
 * @module
 */
import { formatCount } from "../core/progress.ts";
import { ClickHouseClient } from "../clickhouse/client.ts";
import { Lake } from "../lake/duckdb.ts";
import { s3Root } from "../lake/keys.ts";
import { createKafka } from "../kafka/client.ts";
import { compareWithClickHouse, type Comparison } from "./demo_compare.ts";
import type { DemoOptions } from "./demo_options.ts";
import {
  demoBinding,
  lakeReports,
  prepareTopicsAndTables,
  produceEvents,
  runSink,
  startStack,
  topicTotal,
  writeHtml,
} from "./demo_steps.ts";
import { explainDisagreement, printSummary } from "./demo_summary.ts";

const STEPS = 7;

/**
 * Runs the demo; returns the exit code: 0 when the lake's and ClickHouse's
 * figures agree, 1 when they do not (after `waitMs`), 130 when interrupted.
 * Unreachable services and bad settings throw UserErrors.
 *
 * @example
 * ```ts
 * const code = await runDemo({ ...options, out: console.log, err: console.error });
 * ```
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  const { cfg } = o;
  const started = Date.now();
  let n = 0;
  const step = (text: string) => o.out(`\n[${++n}/${STEPS}] ${text}`);
  const root = s3Root(o.bucket, o.prefix);
  const binding = demoBinding(o);

  step(`Starting the stack (${o.stack})…`);
  await startStack(o);

  step("Preparing the Kafka topics and the ClickHouse tables…");
  const admin = createKafka({ brokers: cfg.kafkaBrokers, clientId: "music-demo" }).admin();
  const ch = new ClickHouseClient(cfg.clickhouse);
  try {
    await prepareTopicsAndTables(admin, ch, o, binding);

    step(`Producing ${formatCount(o.events)} events to ${o.topic} at full speed…`);
    if (!(await produceEvents(o))) return 130;
    const total = await topicTotal(admin, o);

    step(`Storing the topic in the lake: ${o.topic} → ${root}/ (group ${o.group})…`);
    const sunk = await runSink(o);
    o.out(sunk.line);
    if (sunk.interrupted) return 130;

    step(`Analytics over the lake with DuckDB (${root})…`);
    // Steps 5 to 7 share one DuckDB session over the lake.
    const lake = await Lake.open({ root, s3: cfg.s3 });
    let cmp: Comparison;
    try {
      const lakeByType = await lakeReports(lake, o);
      step(`ClickHouse side by side (${o.clickhousePrefix}music_consumer_phys)…`);
      cmp = await compareWithClickHouse(ch, o, lakeByType, total);
      step("Writing the HTML report…");
      await writeHtml(lake, o);
    } finally {
      lake.close();
    }

    await printSummary(o, root, binding, started);
    if (!cmp.agree) {
      await explainDisagreement(admin, o, cmp, root, binding);
      return 1;
    }
    return 0;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
