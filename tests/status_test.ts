/**
 * `deno task status` against the real stack: a topic, group and lake prefix of
 * its own show the figures we made; a service that is down is shown as down.
 */
import assert from "node:assert/strict";
import { createKafka } from "../lib/kafka/client.ts";
import { createS3Client, listObjects } from "../lib/lake/s3.ts";
import { Sink } from "../lib/sink/create.ts";
import type { StatusReport } from "../lib/ops/status_report.ts";
import {
  deleteTestPrefix as deletePrefix,
  ensureStack,
  runTask,
  testConfig,
  uniqueName,
} from "./helpers.ts";
import { produceEvents } from "./sink_helpers.ts";

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

Deno.test(
  "status --format json shows our topic, the sink group's lag 0 and the lake",
  opts,
  async () => {
    const topic = uniqueName("status");
    const group = `${topic}-g`;
    const prefix = topic;
    const N = 300;
    const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "status-test" });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await produceEvents(topic, N, { partitions: 3 });
      const sink = new Sink(cfg, {
        topic,
        group,
        bucket: cfg.s3.bucket,
        prefix,
        limits: { maxRecords: 50_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 },
        compression: "zstd",
        dlqTopic: `${topic}.dlq`,
        partitions: 3,
        untilIdleMs: 1500,
        maxRecordBytes: 1024 * 1024,
        log: () => {},
        debug: undefined,
      });
      await sink.start();
      await sink.done;

      const res = await runTask("status", [
        "--format",
        "json",
        "--topic",
        topic,
        "--group",
        group,
        "--prefix",
        prefix,
      ]);
      assert.equal(res.code, 0, res.stderr);
      const r = JSON.parse(res.stdout) as StatusReport;
      assert.equal(r.ok, true);
      assert.deepEqual(r.services.map((s) => [s.name, s.up]), [
        ["kafka", true],
        ["s3", true],
        ["clickhouse", true],
      ]);

      assert.ok(r.kafka.available, JSON.stringify(r.kafka));
      const t = r.kafka.topics.find((x) => x.topic === topic)!;
      assert.equal(t.exists, true);
      assert.equal(t.partitions.length, 3);
      assert.equal(t.messages, N);
      assert.deepEqual(
        r.kafka.topics.map((x) => x.topic).sort(),
        [topic, `${topic}.dlq`, "my_topic"].sort(),
      );

      const g = r.kafka.groups.find((x) => x.group === group)!;
      assert.ok(g, `group ${group} listed`);
      assert.equal(g.lag, 0);
      assert.equal(g.topics.length, 1);
      assert.equal(g.topics[0]!.topic, topic);
      const ends = t.partitions.map((p) => p.high);
      assert.deepEqual(g.topics[0]!.partitions.map((p) => p.lag), [0, 0, 0]);
      assert.deepEqual(
        g.topics[0]!.partitions.map((p) => p.committed ?? 0),
        ends,
        "committed = end offset",
      );
      // The known groups are always listed, found or not.
      for (const known of ["clickhouse-music", "clickhouse-easy"]) {
        assert.ok(r.kafka.groups.some((x) => x.group === known), known);
      }
      assert.deepEqual(r.kafka.dlq, { topic: `${topic}.dlq`, exists: true, messages: 0 });

      assert.ok(r.lake.available, JSON.stringify(r.lake));
      const s3 = createS3Client(cfg.s3);
      const objects = await listObjects(s3, cfg.s3.bucket, `${prefix}/`);
      s3.destroy();
      assert.ok(objects.length > 0);
      assert.equal(r.lake.objects, objects.length);
      assert.equal(r.lake.bytes, objects.reduce((n, o) => n + o.size, 0));
      assert.equal(r.lake.dates.reduce((n, d) => n + d.objects, 0), objects.length);
      assert.match(r.lake.dates[0]!.date, /^\d{4}-\d{2}-\d{2}$/);

      assert.ok(r.clickhouse.available, JSON.stringify(r.clickhouse));
      assert.deepEqual(r.clickhouse.tables.map((x) => x.table), [
        "music_consumer_phys",
        "easy_consumer_phys",
      ]);

      // The text view shows the same figures.
      const text = await runTask("status", [
        "--topic",
        topic,
        "--group",
        group,
        "--prefix",
        prefix,
      ]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        new RegExp(`${group}\\s+${topic}\\s+\\w+\\s+\\d+\\s+0\\s+0:0  1:0  2:0`),
      );
      assert.match(text.stdout, new RegExp(`${topic}\\s+3\\s+${N}\\s`));
    } finally {
      await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => {});
      await admin.deleteGroups([group]).catch(() => {});
      await admin.disconnect();
      await deletePrefix(prefix);
    }
  },
);

Deno.test(
  "status: a service that is down is shown down, its section unavailable, exit 1",
  opts,
  async () => {
    const port = closedPort();
    const env = { CLICKHOUSE_URL: `http://127.0.0.1:${port}` };
    const res = await runTask("status", ["--format", "json"], env);
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

    const text = await runTask("status", [], env);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /clickhouse\s+DOWN/);
    assert.match(text.stdout, /CLICKHOUSE {2}unavailable/);
    assert.equal(text.stderr.trim(), "", "no stack trace");
  },
);

Deno.test("status: bad flags are one-line errors", opts, async () => {
  const res = await runTask("status", ["--format", "xml"]);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /^error: --format has "xml"; expected text or json/);
});

Deno.test("status --clickhouse-prefix lists that prefix's ClickHouse groups", opts, async () => {
  const chPrefix = `t${crypto.randomUUID().slice(0, 8)}_`;
  const res = await runTask("status", ["--format", "json", "--clickhouse-prefix", chPrefix]);
  assert.equal(res.code, 0, res.stderr);
  const r = JSON.parse(res.stdout) as StatusReport;
  assert.ok(r.kafka.available, JSON.stringify(r.kafka));
  const groups = r.kafka.groups.map((g) => g.group);
  const tag = chPrefix.slice(0, -1);
  for (const g of [`clickhouse-music-${tag}`, `clickhouse-easy-${tag}`]) {
    assert.ok(groups.includes(g), `${g} in ${groups}`);
  }
  const bad = await runTask("status", ["--clickhouse-prefix", "a-b"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: table prefix "a-b" must be/);
});
