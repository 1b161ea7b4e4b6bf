/**
 * `deno task status` against the real stack: topics, groups, a lake prefix and
 * ClickHouse tables of its own (selected with the task's flags) show the figures
 * we made; a service that is down is shown as down.
 */
import assert from "node:assert/strict";
import { ClickHouseClient } from "../lib/clickhouse/client.ts";
import { clickhouseGroups, dropClickHouse, initClickHouse } from "../lib/clickhouse/ingest.ts";
import { createS3Client, listObjects } from "../lib/lake/s3.ts";
import { Sink } from "../lib/sink/create.ts";
import { gatherStatus } from "../lib/ops/status.ts";
import type { StatusReport } from "../lib/ops/status_report.ts";
import { defaultPaths } from "../lib/stack/stack.ts";
import { ensureStack, runTask, testConfig, uniqueName, waitFor } from "./helpers.ts";
import { dropKafkaResources, produceEvents } from "./sink_helpers.ts";

await ensureStack();

const cfg = testConfig();
const opts = { sanitizeOps: false, sanitizeResources: false };

/** A port nothing listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Unique names for everything status shows, and the flags that select them. */
function isolatedStatus() {
  const topic = uniqueName("status");
  const names = {
    topic,
    easyTopic: `${topic}-easy`,
    dlqTopic: `${topic}-dead`,
    group: `${topic}-g`,
    prefix: topic,
    chPrefix: `t${topic.slice(-8)}_`,
  };
  const flags = [
    ["--topic", names.topic],
    ["--easy-topic", names.easyTopic],
    ["--dlq-topic", names.dlqTopic],
    ["--group", names.group],
    ["--prefix", names.prefix],
    ["--clickhouse-prefix", names.chPrefix],
  ].flat();
  return { ...names, ...clickhouseGroups(names.chPrefix), flags };
}

Deno.test(
  "status --format json shows our topics, groups' lag 0, the lake and ClickHouse's rows",
  opts,
  async () => {
    const n = isolatedStatus();
    const N = 300;
    const ch = new ClickHouseClient(cfg.clickhouse);
    const ingest = {
      brokers: cfg.kafkaBrokers,
      musicTopic: n.topic,
      easyTopic: n.easyTopic,
      prefix: n.chPrefix,
    };
    try {
      await produceEvents(n.topic, N, { partitions: 3 });
      await produceEvents(n.easyTopic, 0, { partitions: 1 });
      await initClickHouse(ch, ingest);
      const sink = new Sink(cfg, {
        topic: n.topic,
        group: n.group,
        bucket: cfg.s3.bucket,
        prefix: n.prefix,
        limits: { maxRecords: 50_000, maxBytes: 4 * 1024 * 1024, maxAgeMs: 60_000 },
        compression: "zstd",
        dlqTopic: n.dlqTopic,
        partitions: 3,
        untilIdleMs: 1500,
        maxRecordBytes: 1024 * 1024,
        workers: 1,
        log: () => {},
        debug: undefined,
      });
      await sink.start();
      await sink.done;

      // ClickHouse reads the topic on its own. Status is read as often as it can be until its
      // group is at lag 0: the report that first says so must already count every row, though
      // ClickHouse commits the offsets a few milliseconds after storing them.
      const statusOpts = {
        cfg,
        paths: defaultPaths(),
        topics: [n.topic, n.easyTopic, n.dlqTopic],
        groups: [n.group],
        dlqTopic: n.dlqTopic,
        bucket: cfg.s3.bucket,
        prefix: n.prefix,
        clickhousePrefix: n.chPrefix,
      };
      let first: StatusReport | undefined;
      const caughtUp = await waitFor(
        async () => {
          first = await gatherStatus(statusOpts);
          const g = first.kafka.available &&
            first.kafka.groups.find((x) => x.group === n.musicGroup);
          return !!g && g.topics.length === 1 && g.lag === 0;
        },
        60_000,
        0,
      );
      assert.ok(caughtUp, `ClickHouse's group did not reach lag 0 in 60 s`);
      assert.deepEqual(
        first!.clickhouse.available && first!.clickhouse.tables[0],
        { table: `${n.chPrefix}music_consumer_phys`, rows: N },
        "the report showing lag 0 counts every row",
      );

      const res = await runTask("status", ["--format", "json", ...n.flags]);
      assert.equal(res.code, 0, res.stderr);
      const r = JSON.parse(res.stdout) as StatusReport;
      assert.equal(r.ok, true);
      assert.deepEqual(r.services.map((s) => [s.name, s.up]), [
        ["kafka", true],
        ["s3", true],
        ["clickhouse", true],
      ]);

      assert.ok(r.kafka.available, JSON.stringify(r.kafka));
      assert.deepEqual(
        r.kafka.topics.map((x) => [x.topic, x.exists, x.partitions.length, x.messages]).sort(),
        [[n.topic, true, 3, N], [n.easyTopic, true, 1, 0], [n.dlqTopic, true, 1, 0]].sort(),
      );
      const t = r.kafka.topics.find((x) => x.topic === n.topic)!;

      const g = r.kafka.groups.find((x) => x.group === n.group);
      assert.ok(g, `group ${n.group} listed`);
      assert.equal(g.lag, 0);
      assert.equal(g.topics.length, 1);
      assert.equal(g.topics[0]!.topic, n.topic);
      const ends = t.partitions.map((p) => p.high);
      assert.deepEqual(g.topics[0]!.partitions.map((p) => p.lag), [0, 0, 0]);
      assert.deepEqual(
        g.topics[0]!.partitions.map((p) => p.committed ?? 0),
        ends,
        "committed = end offset",
      );
      // The sink's group and the prefix's ClickHouse groups, and no other group (none reads
      // these topics).
      assert.deepEqual(
        r.kafka.groups.map((x) => x.group).sort(),
        [n.group, n.musicGroup, n.easyGroup].sort(),
      );
      assert.deepEqual(r.kafka.dlq, { topic: n.dlqTopic, exists: true, messages: 0 });

      assert.ok(r.lake.available, JSON.stringify(r.lake));
      const s3 = createS3Client(cfg.s3);
      const objects = await listObjects(s3, cfg.s3.bucket, `${n.prefix}/`);
      s3.destroy();
      assert.ok(objects.length > 0);
      assert.equal(r.lake.objects, objects.length);
      assert.equal(r.lake.bytes, objects.reduce((sum, o) => sum + o.size, 0));
      assert.equal(r.lake.dates.reduce((sum, d) => sum + d.objects, 0), objects.length);
      assert.match(r.lake.dates[0]!.date, /^\d{4}-\d{2}-\d{2}$/);

      assert.ok(r.clickhouse.available, JSON.stringify(r.clickhouse));
      assert.deepEqual(r.clickhouse.tables, [
        { table: `${n.chPrefix}music_consumer_phys`, rows: N },
        { table: `${n.chPrefix}easy_consumer_phys`, rows: 0 },
      ]);

      // The text view shows the same figures.
      const text = await runTask("status", n.flags);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        new RegExp(`${n.group}\\s+${n.topic}\\s+\\w+\\s+\\d+\\s+0\\s+0:0  1:0  2:0`),
      );
      assert.match(text.stdout, new RegExp(`${n.topic}\\s+3\\s+${N}\\s`));
    } finally {
      try {
        await dropClickHouse(ch, ingest);
      } finally {
        await dropKafkaResources({
          topics: [n.topic, n.easyTopic, n.dlqTopic],
          groups: [n.group, n.musicGroup, n.easyGroup],
          prefixes: [n.prefix],
        });
      }
    }
  },
);

Deno.test(
  "status: a service that is down is shown down, its section unavailable, exit 1",
  opts,
  async () => {
    const port = closedPort();
    const env = { CLICKHOUSE_URL: `http://127.0.0.1:${port}` };
    // Names nobody uses: status only reads, and the figures of shared ones are not ours to see.
    const { flags } = isolatedStatus();
    const res = await runTask("status", ["--format", "json", ...flags], env);
    assert.equal(res.code, 1, res.stderr);
    const r = JSON.parse(res.stdout) as StatusReport;
    assert.equal(r.ok, false);
    const ch = r.services.find((s) => s.name === "clickhouse")!;
    assert.equal(ch.up, false);
    assert.equal(ch.endpoint, `http://127.0.0.1:${port}`);
    assert.equal(r.clickhouse.available, false);
    assert.ok(!r.clickhouse.available && /clickhouse is down/.test(r.clickhouse.reason));
    // The other sections are still there.
    assert.equal(r.kafka.available, true);
    assert.equal(r.lake.available, true);

    const text = await runTask("status", flags, env);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /clickhouse\s+DOWN/);
    assert.match(text.stdout, /CLICKHOUSE {2}unavailable/);
    assert.equal(text.stderr.trim(), "", "no stack trace");
  },
);

Deno.test("status: bad flags are one-line errors", opts, async () => {
  const res = await runTask("status", ["--format", "xml"]);
  assert.equal(res.code, 1);
  assert.equal(res.stderr, 'error: --format has "xml"; expected text or json\n');
  assert.equal(res.stdout, "");
});

Deno.test("status --clickhouse-prefix lists that prefix's groups and tables", opts, async () => {
  const n = isolatedStatus();
  const res = await runTask("status", ["--format", "json", ...n.flags]);
  assert.equal(res.code, 0, res.stderr);
  const r = JSON.parse(res.stdout) as StatusReport;
  assert.ok(r.kafka.available, JSON.stringify(r.kafka));
  // Nothing exists under these names: each group is listed, unknown to the broker.
  const tag = n.chPrefix.slice(0, -1);
  assert.deepEqual(
    r.kafka.groups.map((g) => [g.group, g.state, g.lag]),
    [[n.group, "Unknown", 0], [`clickhouse-music-${tag}`, "Unknown", 0], [
      `clickhouse-easy-${tag}`,
      "Unknown",
      0,
    ]],
  );
  assert.ok(r.clickhouse.available, JSON.stringify(r.clickhouse));
  assert.deepEqual(r.clickhouse.tables, [
    { table: `${n.chPrefix}music_consumer_phys`, rows: null },
    { table: `${n.chPrefix}easy_consumer_phys`, rows: null },
  ]);
  const bad = await runTask("status", ["--clickhouse-prefix", "a-b"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: table prefix "a-b" must be/);
});
