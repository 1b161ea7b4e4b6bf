/**
 * The sink against the real stack: exact counts, crashes, an S3 outage, bad
 * records, and two sinks in one group.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { createKafka } from "../lib/kafka/client.ts";
import { createS3Client, getObject } from "../lib/lake/s3.ts";
import { defaultPaths, down, upService } from "../lib/stack/stack.ts";
import { ensureStack, ROOT, stopsService, testConfig, uniqueName } from "./helpers.ts";
import { produceEvents, type RawMessage, storedCoordinates } from "./sink_helpers.ts";

await ensureStack();

const cfg = testConfig();

/** The sink's `deno run` arguments, taken from deno.json so the test runs what users run. */
async function sinkArgs(): Promise<string[]> {
  const deno = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const cmd: string = deno.tasks.sink.command;
  return cmd.split(/\s+/).slice(1); // drop "deno"
}

/** Starts a sink process (not through `deno task`, so its pid is the sink's). */
async function startSink(args: string[]): Promise<Deno.ChildProcess> {
  return new Deno.Command(Deno.execPath(), {
    args: [...await sinkArgs(), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(p: Deno.ChildProcess) {
  const out = await p.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function sinkFlags(topic: string, extra: string[] = []): string[] {
  return ["--topic", topic, "--group", `${topic}-g`, "--prefix", topic, ...extra];
}

/** Asserts the stored rows are exactly offsets 0..n-1 of each partition, once each. */
async function assertExactlyOnce(topic: string, expected: number) {
  const { objects, coords } = await storedCoordinates(cfg.s3.bucket, topic);
  const unique = new Set(coords);
  assertEquals(unique.size, coords.length, `duplicates: ${coords.length - unique.size}`);
  assertEquals(coords.length, expected);
  return objects;
}

Deno.test("sink: 100k events → 100k rows, each (partition, offset) once, DuckDB reads every file", async () => {
  const topic = uniqueName("sink-100k");
  await produceEvents(topic, 100_000, { partitions: 3 });
  const res = await finish(await startSink(sinkFlags(topic, ["--until-idle", "3s"])));
  assertEquals(res.code, 0, res.stderr);
  assert(/sink done: 100000 records/.test(res.stdout), res.stdout);
  const objects = await assertExactlyOnce(topic, 100_000);
  for (const o of objects) {
    assert(/\/dt=\d{4}-\d{2}-\d{2}\/[^/]+\+\d+\+\d{10}\.parquet$/.test(o.key), o.key);
  }
  // DuckDB reads each file (downloaded: this test does not depend on httpfs).
  const s3 = createS3Client(cfg.s3);
  const dir = await Deno.makeTempDir();
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  let total = 0n;
  for (const [i, o] of objects.entries()) {
    await Deno.writeFile(`${dir}/${i}.parquet`, await getObject(s3, cfg.s3.bucket, o.key));
    const r = await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${dir}/${i}.parquet')`);
    total += r.getRows()[0]![0] as bigint;
  }
  const schema = await conn.runAndReadAll(
    `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${dir}/0.parquet'))`,
  );
  const types = Object.fromEntries(schema.getRows().map(([n, t]) => [String(n), String(t)]));
  assertEquals(types["event_param.event_type_id"], "INTEGER");
  assertEquals(types["event_timestamp.ts_ms"], "BIGINT");
  assertEquals(types["kafka_timestamp"], "TIMESTAMP WITH TIME ZONE");
  conn.closeSync();
  s3.destroy();
  await Deno.remove(dir, { recursive: true });
  assertEquals(total, 100_000n);
});

Deno.test("sink: metrics endpoint, and SIGTERM stores what is buffered, then exits 0", async () => {
  const topic = uniqueName("sink-term");
  await produceEvents(topic, 1000, { partitions: 2, seed: 9 });
  const port = 20000 + Math.floor(Math.random() * 20000);
  // --max-age 10m: nothing is stored until the signal.
  const p = await startSink(sinkFlags(topic, ["--max-age", "10m", "--metrics-port", String(port)]));
  let metrics = "";
  for (let i = 0; i < 60 && !/sink_lag_records\{[^}]*partition="1"\} 0/.test(metrics); i++) {
    await new Promise((r) => setTimeout(r, 500));
    metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => "");
  }
  assert(/sink_records_total\{topic="[^"]+"\} 0/.test(metrics), metrics);
  assert(/# TYPE sink_files_total counter/.test(metrics), metrics);
  p.kill("SIGTERM");
  const res = await finish(p);
  assertEquals(res.code, 0, res.stderr);
  assert(/sink done: 1000 records/.test(res.stdout), res.stdout);
  await assertExactlyOnce(topic, 1000);
});

Deno.test("sink: SIGKILL at random moments, restarted each time → exactly-once", async () => {
  const topic = uniqueName("sink-kill");
  await produceEvents(topic, 200_000, { partitions: 3, seed: 7 });
  const flags = sinkFlags(topic, ["--max-records", "4000", "--max-age", "1s"]);
  for (let kill = 0; kill < 6; kill++) {
    const p = await startSink(flags);
    await new Promise((r) => setTimeout(r, 1500 + Math.random() * 2500));
    p.kill("SIGKILL");
    await finish(p);
  }
  const res = await finish(await startSink([...flags, "--until-idle", "3s"]));
  assertEquals(res.code, 0, res.stderr);
  await assertExactlyOnce(topic, 200_000);
});

Deno.test({
  ...await stopsService(
    "sink: S3 stopped for 30 s mid-run → no loss, no duplicate, bounded memory",
    "s3",
  ),
}, async () => {
  const paths = defaultPaths();
  const topic = uniqueName("sink-s3down");
  await produceEvents(topic, 60_000, { partitions: 3, seed: 3 });
  const p = await startSink(sinkFlags(topic, ["--max-records", "2000", "--until-idle", "5s"]));
  await new Promise((r) => setTimeout(r, 1500));
  await down(paths, () => {}, ["s3"]);
  let peakKb = 0;
  const until = Date.now() + 30_000;
  try {
    while (Date.now() < until) {
      const ps = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(p.pid)] })
        .output();
      const rss = Number(new TextDecoder().decode(ps.stdout).trim());
      assert(rss > 0, "the sink exited while S3 was down");
      peakKb = Math.max(peakKb, rss);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await produceEvents(topic, 20_000, { partitions: 3, seed: 4 });
  } finally {
    await upService(paths, cfg, "s3", { timeoutSec: 60, say: () => {} });
  }
  const res = await finish(p);
  assertEquals(res.code, 0, res.stderr);
  assert(/S3 at .* is back/.test(res.stderr), res.stderr);
  await assertExactlyOnce(topic, 80_000);
  assert(peakKb < 700_000, `peak RSS ${peakKb} kB while S3 was down`);
});

Deno.test({
  ...await stopsService(
    "sink: Kafka stopped for 20 s mid-run → the sink resumes by itself, exactly-once",
    "kafka",
  ),
}, async () => {
  const paths = defaultPaths();
  const topic = uniqueName("sink-kdown");
  await produceEvents(topic, 60_000, { partitions: 3, seed: 21 });
  const p = await startSink(sinkFlags(topic, ["--max-records", "2000", "--until-idle", "5s"]));
  await new Promise((r) => setTimeout(r, 1500));
  await down(paths, () => {}, ["kafka"]);
  try {
    await new Promise((r) => setTimeout(r, 20_000));
    const ps = await new Deno.Command("ps", { args: ["-o", "pid=", "-p", String(p.pid)] }).output();
    assert(
      new TextDecoder().decode(ps.stdout).trim() !== "",
      "the sink exited while Kafka was down",
    );
  } finally {
    await upService(paths, cfg, "kafka", { timeoutSec: 120, say: () => {} });
  }
  await produceEvents(topic, 10_000, { partitions: 3, seed: 22 });
  const res = await finish(p);
  assertEquals(res.code, 0, res.stderr);
  assert(/Kafka consumer restarting/.test(res.stderr), res.stderr);
  await assertExactlyOnce(topic, 70_000);
});

Deno.test("sink: every kind of bad record goes to the dead-letter topic; good ones are stored", async () => {
  const topic = uniqueName("sink-dlq");
  const bad: RawMessage[] = [
    { key: "k-notjson", value: "this is not json" },
    { key: "k-utf8", value: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) },
    { key: "k-shape", value: "[1,2,3]" },
    {
      key: "k-types",
      value: JSON.stringify({
        event_param: {
          event_type_id: "1",
          event_type: "track_playback",
          user_id: crypto.randomUUID(),
          platform_token: "t",
          ipv4: "1.2.3.4",
          country: "Chad",
          uuid_track: crypto.randomUUID(),
        },
        event_timestamp: { ts: 1, ts_ms: 1000 },
      }),
    },
    { key: "k-missing", value: JSON.stringify({ event_param: {}, event_timestamp: { ts: 1 } }) },
    { key: "k-empty", value: "" },
    { key: "k-null", value: null },
    { key: "k-big", value: `{"pad":"${"x".repeat(2 * 1024 * 1024)}"}` },
  ];
  await produceEvents(topic, 3000, {
    partitions: 2,
    seed: 11,
    extra: (i) => (i % 300 === 0 ? bad[(i / 300) % bad.length] : undefined),
  });
  const res = await finish(await startSink(sinkFlags(topic, ["--until-idle", "3s"])));
  assertEquals(res.code, 0, res.stderr);
  await assertExactlyOnce(topic, 3000);

  const kafka = createKafka({ brokers: cfg.kafkaBrokers });
  const consumer = kafka.consumer({ groupId: uniqueName("dlq-reader") });
  await consumer.connect();
  await consumer.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
  const got = new Map<string, Record<string, string>>();
  let messages = 0;
  await new Promise<void>((resolve) => {
    consumer.run({
      eachMessage: ({ message }) => {
        const h = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        got.set(String(message.key), h);
        if (++messages >= 10) resolve();
        return Promise.resolve();
      },
    });
    setTimeout(resolve, 30_000);
  });
  await consumer.disconnect();
  const reasons = Object.fromEntries([...got].map(([k, h]) => [k, h["dlq.reason"] ?? ""]));
  assertEquals(Object.keys(reasons).sort(), bad.map((b) => b.key!).sort());
  assert(/not JSON/i.test(reasons["k-notjson"]!), reasons["k-notjson"]);
  assert(/UTF-8/.test(reasons["k-utf8"]!), reasons["k-utf8"]);
  assert(/empty/.test(reasons["k-empty"]!), reasons["k-empty"]);
  assert(/null/.test(reasons["k-null"]!), reasons["k-null"]);
  assert(/limit/.test(reasons["k-big"]!), reasons["k-big"]);
  assertEquals(
    got.get("k-big")!["dlq.value.truncated"],
    undefined,
    "zstd lets 2 MiB of x through whole",
  );
  assert(/event_type_id/.test(reasons["k-types"]!), reasons["k-types"]);
  for (const h of got.values()) {
    assertEquals(h["dlq.source.topic"], topic);
    assert(/^\d+$/.test(h["dlq.source.offset"]!));
  }
  assertEquals(messages, 10);
  assert(/, 10 dead letters/.test(res.stdout), res.stdout);
});

Deno.test("sink: thousands of incompressible bad records in one batch all reach the DLQ", async () => {
  const topic = uniqueName("sink-dlqbulk");
  // 3000 × 1 KiB of random bytes: 3 MB that zstd cannot shrink, over the broker's 1 MB per request.
  await produceEvents(topic, 3000, {
    partitions: 1,
    seed: 13,
    extra: (i) => ({ key: `bad-${i}`, value: crypto.getRandomValues(new Uint8Array(1024)) }),
  });
  const res = await finish(await startSink(sinkFlags(topic, ["--until-idle", "3s"])));
  assertEquals(res.code, 0, res.stderr);
  await assertExactlyOnce(topic, 3000);
  const kafka = createKafka({ brokers: cfg.kafkaBrokers });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(`${topic}.dlq`);
  await admin.disconnect();
  assertEquals(offsets.reduce((n, o) => n + Number(o.high), 0), 3000);
});

Deno.test("sink: two sinks on 4 partitions, one killed mid-run → the other finishes, exact counts", async () => {
  const topic = uniqueName("sink-two");
  await produceEvents(topic, 0, { partitions: 4 });
  const flags = sinkFlags(topic, ["--max-records", "2000", "--max-age", "1s"]);
  const a = await startSink([...flags, "--until-idle", "8s"]);
  const b = await startSink([...flags, "--verbose"]);
  let bOutput = "";
  // Data keeps arriving while both sinks own partitions; b dies in the middle of it.
  for (let chunk = 0; chunk < 12; chunk++) {
    await produceEvents(topic, 10_000, { partitions: 4, seed: 100 + chunk });
    await new Promise((r) => setTimeout(r, 500));
    if (chunk === 6) {
      b.kill("SIGKILL");
      bOutput = (await finish(b)).stderr;
    }
  }
  const res = await finish(a);
  assertEquals(res.code, 0, res.stderr);
  assert(/stored s3:/.test(bOutput), `the killed sink had stored nothing:\n${bOutput}`);
  await assertExactlyOnce(topic, 120_000);
});
