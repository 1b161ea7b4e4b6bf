/**
 * `deno task demo` end to end, isolated: its own topic, sink group, lake
 * prefix, ClickHouse tables and groups. Runs twice to show it is re-runnable,
 * then checks `deno task status` sees lag 0 for the sink and ClickHouse.
 */
import assert from "node:assert/strict";
import { ClickHouseClient } from "../lib/clickhouse/client.ts";
import { clickhouseGroups, dropClickHouse } from "../lib/clickhouse/ingest.ts";
import type { StatusReport } from "../lib/ops/status_report.ts";
import { ensureStack, runTask, testConfig, uniqueName } from "./helpers.ts";
import { dropKafkaResources } from "./sink_helpers.ts";

await ensureStack();

const cfg = testConfig();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("demo: isolated run agrees, writes the HTML, re-runs, leaves lag 0", opts, async (t) => {
  const topic = uniqueName("demo");
  const group = `${topic}-g`;
  const prefix = topic;
  const chPrefix = `t${topic.slice(-8)}_`;
  const { musicGroup, easyGroup } = clickhouseGroups(chPrefix);
  const html = await Deno.makeTempFile({ suffix: ".html" });
  await Deno.remove(html);
  const flags = [
    "--topic",
    topic,
    "--group",
    group,
    "--prefix",
    prefix,
    "--clickhouse-prefix",
    chPrefix,
    "--html",
    html,
    "--until-idle",
    "2s",
  ];
  const ch = new ClickHouseClient(cfg.clickhouse);
  try {
    await t.step("first run: 5,000 events, figures agree, HTML written", async () => {
      const res = await runTask("demo", ["--events", "5000", ...flags]);
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      for (let i = 1; i <= 7; i++) assert.match(res.stdout, new RegExp(`\\[${i}/7\\] `));
      assert.match(res.stdout, /✓ Analytics and ClickHouse agree: 5,000 events, 3 event types/);
      assert.match(res.stdout, /total\s+5,000\s+5,000\s+✓/);
      assert.match(res.stdout, new RegExp(`HTML report\\s+${html}`));
      assert.match(res.stdout, /Next:/);
      const page = await Deno.readTextFile(html);
      assert.match(page, /^<!DOCTYPE html>/);
      assert.match(page, /Music events report/);
      assert.ok(page.includes(`s3://${cfg.s3.bucket}/${prefix}`));
    });

    await t.step("second run adds 1,000: totals over the whole topic still agree", async () => {
      const res = await runTask("demo", ["--events", "1000", ...flags]);
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      assert.match(res.stdout, /0 objects created, 9 already existed/);
      assert.match(res.stdout, /✓ Analytics and ClickHouse agree: 6,000 events/);
      assert.match(res.stdout, /stored 1,000 new records/);
    });

    await t.step("status shows lag 0 for the sink and ClickHouse, and the row count", async () => {
      const res = await runTask("status", [
        "--format",
        "json",
        "--topic",
        topic,
        "--group",
        group,
        "--prefix",
        prefix,
        "--clickhouse-prefix",
        chPrefix,
      ]);
      assert.equal(res.code, 0, res.stderr);
      const r = JSON.parse(res.stdout) as StatusReport;
      assert.ok(r.kafka.available && r.clickhouse.available && r.lake.available);
      const lagOf = (g: string) => r.kafka.available && r.kafka.groups.find((x) => x.group === g);
      const sinkGroup = lagOf(group);
      assert.ok(sinkGroup, "sink group listed");
      assert.equal(sinkGroup.lag, 0);
      assert.equal(sinkGroup.topics[0]!.partitions.length, 3);
      const chGroup = lagOf(musicGroup);
      assert.ok(chGroup, "ClickHouse group listed");
      assert.equal(chGroup.lag, 0);
      assert.deepEqual(r.clickhouse.tables[0], {
        table: `${chPrefix}music_consumer_phys`,
        rows: 6000,
      });
      assert.ok(r.lake.objects > 0);
    });

    await t.step("figures that disagree end with exit 1 and the reason", async () => {
      // A row ClickHouse did not read from the topic: the lake cannot have it.
      await ch.exec(
        `INSERT INTO ${chPrefix}music_consumer_phys (event_type_id, event_type) VALUES (1, 'track_playback')`,
      );
      // The first run wrote the page: remove it, so only this run can have written it again.
      await Deno.remove(html);
      const res = await runTask("demo", ["--events", "0", "--wait", "2s", ...flags]);
      assert.equal(res.code, 1, res.stdout);
      assert.match(
        res.stdout,
        /✗ Analytics and ClickHouse disagree: the lake has 6,000 events, ClickHouse 6,001/,
      );
      assert.match(res.stdout, /1 track_playback\s+[\d,]+\s+[\d,]+\s+✗/);
      assert.match(
        res.stderr,
        /error: analytics and ClickHouse disagree \(lake 6,000, ClickHouse 6,001\): ClickHouse has read the whole topic/,
      );
      const page = await Deno.readTextFile(html).catch(() => "");
      assert.match(page, /^<!DOCTYPE html>/, "the disagreeing run still writes the HTML report");
      assert.ok(page.includes(`s3://${cfg.s3.bucket}/${prefix}`));
    });

    await t.step(
      "a --topic already bound to other ClickHouse tables is refused clearly",
      async () => {
        // The isolated tables read `topic`; asking them to read another topic must not pass silently.
        const res = await runTask("demo", [
          "--events",
          "0",
          ...flags.map((f) => (f === topic ? `${topic}-other` : f)),
        ]);
        assert.equal(res.code, 1);
        assert.match(
          res.stderr,
          new RegExp(`error: ClickHouse table ${chPrefix}music_consumer reads topic "${topic}"`),
        );
      },
    );
  } finally {
    // ClickHouse first, so its consumers have left their groups; the Kafka and lake clean-up
    // never throws, and runs even when dropping the tables fails.
    try {
      await dropClickHouse(ch, {
        brokers: cfg.kafkaBrokers,
        musicTopic: topic,
        musicGroup,
        easyGroup,
        prefix: chPrefix,
      });
    } finally {
      await dropKafkaResources({
        topics: [topic, `${topic}.dlq`, `${topic}-other`, `${topic}-other.dlq`],
        groups: [group, musicGroup, easyGroup],
        prefixes: [prefix],
      });
      await Deno.remove(html).catch(() => {}); // absent when a step failed before writing it
    }
  }
});
