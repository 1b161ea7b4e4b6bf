/**
 * The sink against the real stack: exact counts, crashes, an S3 outage, bad
 * records, and two sinks in one group. Each test uses its own topic, group and
 * lake prefix, and deletes them (with the dead-letter topic) when it ends.
 */
import { Buffer } from "node:buffer";
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Admin } from "kafkajs";
import { createKafka } from "../lib/kafka/client.ts";
import { createS3Client, getObject } from "../lib/lake/s3.ts";
import { defaultPaths, down, upService } from "../lib/stack/stack.ts";
import { ourPid } from "../lib/stack/processes.ts";
import { taskCommand } from "../lib/core/process.ts";
import { ensureStack, ROOT, stopsService, testConfig, uniqueName, waitFor } from "./helpers.ts";
import {
  committedSum,
  dropKafkaResources,
  freePort,
  type GroupCommit,
  groupCommits,
  produceEvents,
  type RawMessage,
  readTopic,
  storedCoordinates,
  storedObjectCount,
} from "./sink_helpers.ts";

await ensureStack();

const cfg = testConfig();
const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "sink-test" });

/** The sink's `deno run` arguments and variables, from deno.json so the test runs what users run. */
async function sinkCommand() {
  return taskCommand(await Deno.readTextFile(`${ROOT}deno.json`), "sink");
}

/** How a sink process ended. */
interface SinkResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** A running sink process whose output is read as it comes (so a full pipe never blocks it). */
interface SinkProcess {
  proc: Deno.ChildProcess;
  /** Its stderr so far. */
  stderr(): string;
  /** Settles when it has exited and its output is read. */
  done: Promise<SinkResult>;
}

async function readAll(stream: ReadableStream<Uint8Array>, onText: (s: string) => void) {
  for await (const s of stream.pipeThrough(new TextDecoderStream())) onText(s);
}

/** What one test created; all of it is removed in its `finally`. */
interface TestCtx {
  topic: string;
  /** The sinks' consumer group. */
  group: string;
  /** Running sinks, killed at the end if still alive. */
  sinks: Set<SinkProcess>;
}

/** Starts a sink process (not through `deno task`, so its pid is the sink's). */
async function startSink(ctx: TestCtx, args: string[]): Promise<SinkProcess> {
  const command = await sinkCommand();
  const proc = new Deno.Command(Deno.execPath(), {
    args: [...command.args, ...args],
    cwd: ROOT,
    env: { ...command.env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const sink: SinkProcess = {
    proc,
    stderr: () => err,
    done: Promise.all([
      readAll(proc.stdout, (s) => (out += s)),
      readAll(proc.stderr, (s) => (err += s)),
    ]).then(async () => {
      const st = await proc.status;
      ctx.sinks.delete(sink);
      return { code: st.code, signal: st.signal, stdout: out, stderr: err };
    }),
  };
  ctx.sinks.add(sink);
  return sink;
}

function sinkFlags(ctx: TestCtx, extra: string[] = []): string[] {
  return ["--topic", ctx.topic, "--group", ctx.group, "--prefix", ctx.topic, ...extra];
}

/**
 * Runs `fn` with a fresh topic, group and prefix; afterwards kills any sink
 * still running and deletes the topic, its dead-letter topic, the group and the prefix.
 */
async function withSinkTest(name: string, fn: (ctx: TestCtx) => Promise<void>): Promise<void> {
  const topic = uniqueName(name);
  const ctx: TestCtx = { topic, group: `${topic}-g`, sinks: new Set() };
  try {
    await fn(ctx);
  } finally {
    for (const s of [...ctx.sinks]) {
      s.proc.kill("SIGKILL");
      await s.done;
    }
    await dropKafkaResources({
      topics: [topic, `${topic}.dlq`],
      groups: [ctx.group],
      prefixes: [topic],
    });
  }
}

/** Asserts the stored rows are exactly offsets 0..n-1 of each partition, once each. */
async function assertExactlyOnce(topic: string, expected: number) {
  const { objects, coords } = await storedCoordinates(cfg.s3.bucket, topic);
  const unique = new Set(coords);
  assertEquals(unique.size, coords.length, `duplicates: ${coords.length - unique.size}`);
  assertEquals(coords.length, expected);
  return objects;
}

/** Resident memory of a process in KiB; 0 once it has exited. */
async function rssKb(pid: number): Promise<number> {
  const ps = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  return Number(new TextDecoder().decode(ps.stdout).trim());
}

async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The metrics page, or "" while nothing answers. */
function scrape(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => "");
}

/**
 * Starts a sink serving metrics on a free port and waits until it answers. The
 * port is free when chosen but another process may take it before the sink
 * binds it; the sink then exits with "Cannot serve metrics…", and we try another.
 */
async function startSinkWithMetrics(ctx: TestCtx, flags: string[]) {
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    const sink = await startSink(ctx, [...flags, "--metrics-port", String(port)]);
    let exited = false;
    sink.done.then(() => (exited = true));
    const up = await waitFor(async () => exited || (await scrape(port)) !== "", 120_000);
    if (!exited) {
      assert(up, `metrics never answered on port ${port}:\n${sink.stderr()}`);
      return { sink, port };
    }
    const res = await sink.done;
    if (attempt < 5 && /Cannot serve metrics on .*in use/i.test(res.stderr)) continue;
    throw new Error(`the sink exited (${res.code}):\n${res.stderr}`);
  }
}

/** Waits until every one of `partitions` shows lag 0 in the metrics; returns the last page. */
async function waitCaughtUp(port: number, partitions: number): Promise<string> {
  let metrics = "";
  const caughtUp = await waitFor(async () => {
    metrics = await scrape(port);
    return Array.from({ length: partitions }, (_, p) => p).every((p) =>
      new RegExp(`sink_lag_records\\{[^}]*partition="${p}"\\} 0\\n`).test(metrics)
    );
  }, 120_000);
  assert(caughtUp, `the sink did not catch up:\n${metrics}`);
  return metrics;
}

Deno.test("sink: 100k events → 100k rows, each (partition, offset) once, DuckDB reads every file", async () => {
  await withSinkTest("sink-100k", async (ctx) => {
    await produceEvents(ctx.topic, 100_000, { partitions: 3 });
    const res = await (await startSink(ctx, sinkFlags(ctx, ["--until-idle", "3s"]))).done;
    assertEquals(res.code, 0, res.stderr);
    assert(/sink done: 100000 records/.test(res.stdout), res.stdout);
    const objects = await assertExactlyOnce(ctx.topic, 100_000);
    for (const o of objects) {
      assert(/\/dt=\d{4}-\d{2}-\d{2}\/[^/]+\+\d+\+\d{10}\.parquet$/.test(o.key), o.key);
    }
    // DuckDB reads each file (downloaded: this test does not depend on httpfs).
    const s3 = createS3Client(cfg.s3);
    const dir = await Deno.makeTempDir();
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      let total = 0n;
      for (const [i, o] of objects.entries()) {
        await Deno.writeFile(`${dir}/${i}.parquet`, await getObject(s3, cfg.s3.bucket, o.key));
        const r = await conn.runAndReadAll(
          `SELECT count(*) FROM read_parquet('${dir}/${i}.parquet')`,
        );
        total += r.getRows()[0]![0] as bigint;
      }
      const schema = await conn.runAndReadAll(
        `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${dir}/0.parquet'))`,
      );
      const types = Object.fromEntries(schema.getRows().map(([n, t]) => [String(n), String(t)]));
      assertEquals(types["event_param.event_type_id"], "INTEGER");
      assertEquals(types["event_timestamp.ts_ms"], "BIGINT");
      assertEquals(types["kafka_timestamp"], "TIMESTAMP WITH TIME ZONE");
      assertEquals(total, 100_000n);
    } finally {
      conn.closeSync();
      s3.destroy();
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("sink: metrics endpoint, and SIGTERM stores what is buffered, then exits 0", async () => {
  await withSinkTest("sink-term", async (ctx) => {
    await produceEvents(ctx.topic, 1000, { partitions: 2, seed: 9 });
    // --max-age 10m: nothing is stored until the signal.
    const { sink, port } = await startSinkWithMetrics(ctx, sinkFlags(ctx, ["--max-age", "10m"]));
    const metrics = await waitCaughtUp(port, 2);
    assert(/sink_records_total\{topic="[^"]+"\} 0\n/.test(metrics), metrics);
    assert(/# TYPE sink_files_total counter/.test(metrics), metrics);
    sink.proc.kill("SIGTERM");
    const res = await sink.done;
    assertEquals(res.code, 0, res.stderr);
    assert(/sink done: 1000 records/.test(res.stdout), res.stdout);
    await assertExactlyOnce(ctx.topic, 1000);
  });
});

Deno.test("sink: SIGINT stores what is buffered, leaves the group at once, exits 0", async () => {
  await withSinkTest("sink-int", async (ctx) => {
    await produceEvents(ctx.topic, 500, { partitions: 2, seed: 5 });
    const { sink, port } = await startSinkWithMetrics(ctx, sinkFlags(ctx, ["--max-age", "10m"]));
    await waitCaughtUp(port, 2);
    const before = await withAdmin((a) => a.describeGroups([ctx.group]));
    assertEquals(before.groups[0]?.members.length, 1, JSON.stringify(before));
    sink.proc.kill("SIGINT");
    const res = await sink.done;
    assertEquals(res.code, 0, res.stderr);
    assert(/sink done: 500 records/.test(res.stdout), res.stdout);
    // A member that did not leave stays in the group until its 15 s session expires.
    const after = await withAdmin((a) => a.describeGroups([ctx.group]));
    assertEquals(after.groups[0]?.members, [], JSON.stringify(after));
    assertEquals(after.groups[0]?.state, "Empty");
    await assertExactlyOnce(ctx.topic, 500);
  });
});

/** Partitions whose outstanding plan is new since `before` (a cut this run recorded). */
function newPlans(before: Map<number, GroupCommit>, after: Map<number, GroupCommit>): number[] {
  return [...after].filter(([p, c]) => {
    const old = before.get(p)?.plan;
    return c.plan && !(old && old.start === c.plan.start && old.end === c.plan.end);
  }).map(([p]) => p);
}

Deno.test("sink: SIGKILL at random moments, restarted each time → exactly-once", async () => {
  await withSinkTest("sink-kill", async (ctx) => {
    // Data arrives before each run, so every run has batches to store when it is killed.
    await produceEvents(ctx.topic, 80_000, { partitions: 3, seed: 7 });
    const flags = sinkFlags(ctx, ["--max-records", "4000", "--max-age", "1s"]);
    const midBatch = await withAdmin(async (admin) => {
      const commits = () => groupCommits(admin, ctx.group, ctx.topic);
      const midBatch: number[] = [];
      for (let kill = 0; kill < 6; kill++) {
        await produceEvents(ctx.topic, 20_000, { partitions: 3, seed: 70 + kill });
        const before = await commits();
        const sink = await startSink(ctx, flags);
        // Kill only once this run has stored and committed a batch of its own…
        const stored = await waitFor(
          async () => committedSum(await commits()) > committedSum(before),
          120_000,
          100,
        );
        assert(stored, `run ${kill} committed nothing:\n${sink.stderr()}`);
        // …then, every other run, while a cut is recorded but not yet committed (mid-batch);
        // otherwise at a random moment up to a second later.
        if (kill % 2 === 0) {
          await waitFor(async () => newPlans(before, await commits()).length > 0, 30_000, 20);
        } else {
          await new Promise((r) => setTimeout(r, Math.random() * 1000));
        }
        sink.proc.kill("SIGKILL");
        const res = await sink.done;
        assertEquals(res.signal, "SIGKILL", `run ${kill} was not killed: ${res.stderr}`);
        // Nothing commits after the kill, so an outstanding new plan means it died mid-batch.
        if (newPlans(before, await commits()).length > 0) midBatch.push(kill);
      }
      return midBatch;
    });
    assert(midBatch.length >= 1, "no kill landed between a recorded cut and its commit");
    const res = await (await startSink(ctx, [...flags, "--until-idle", "3s"])).done;
    assertEquals(res.code, 0, res.stderr);
    await assertExactlyOnce(ctx.topic, 200_000);
    console.error(`  kills mid-batch: runs ${midBatch.join(", ")} of 0-5`);
  });
});

Deno.test({
  ...await stopsService(
    "sink: S3 stopped for 30 s mid-run → no loss, no duplicate, bounded memory",
    "s3",
  ),
}, async () => {
  await withSinkTest("sink-s3down", async (ctx) => {
    const paths = defaultPaths();
    await produceEvents(ctx.topic, 60_000, { partitions: 3, seed: 3 });
    const sink = await startSink(
      ctx,
      sinkFlags(ctx, ["--max-records", "2000", "--until-idle", "5s"]),
    );
    // Mid-run: the sink has stored something before S3 goes away.
    assert(await waitFor(async () => (await storedObjectCount(ctx.topic)) > 0, 120_000));
    await down(paths, () => {}, ["s3"]);
    let peakKb = 0;
    const until = Date.now() + 30_000;
    try {
      while (Date.now() < until) {
        const rss = await rssKb(sink.proc.pid);
        assert(rss > 0, "the sink exited while S3 was down");
        peakKb = Math.max(peakKb, rss);
        await new Promise((r) => setTimeout(r, 1000));
      }
      await produceEvents(ctx.topic, 20_000, { partitions: 3, seed: 4 });
    } finally {
      await upService(paths, cfg, "s3", { timeoutSec: 60, say: () => {} });
    }
    const res = await sink.done;
    assertEquals(res.code, 0, res.stderr);
    assert(/S3 at .* is back/.test(res.stderr), res.stderr);
    await assertExactlyOnce(ctx.topic, 80_000);
    assert(peakKb < 700_000, `peak RSS ${peakKb} kB while S3 was down`);
  });
});

Deno.test({
  ...await stopsService(
    "sink: S3 hung (SIGSTOP) for 40 s mid-run → uploads time out, the group session lives, one warning and one recovery line, exactly-once",
    "s3",
  ),
}, async () => {
  await withSinkTest("sink-s3hung", async (ctx) => {
    const s3Pid = (await ourPid(defaultPaths(), "s3"))!;
    await produceEvents(ctx.topic, 60_000, { partitions: 3, seed: 5 });
    const sink = await startSink(
      ctx,
      sinkFlags(ctx, ["--max-records", "2000", "--until-idle", "5s"]),
    );
    assert(await waitFor(async () => (await storedObjectCount(ctx.topic)) > 0, 120_000));
    // Connections stay open but nothing answers: longer than the upload timeout (10 s)
    // and the group session (15 s).
    Deno.kill(s3Pid, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 40_000));
      assert((await rssKb(sink.proc.pid)) > 0, "the sink exited while S3 hung");
    } finally {
      Deno.kill(s3Pid, "SIGCONT");
    }
    const res = await sink.done;
    assertEquals(res.code, 0, res.stderr);
    const lines = res.stderr.split("\n").filter((l) => l.trim() !== "");
    const hung = lines.filter((l) =>
      /S3 at .* is not answering \(no response within 10 s\)/.test(l)
    );
    const back = lines.filter((l) => /S3 at .* is back; resuming/.test(l));
    assertEquals([hung.length, back.length], [1, 1], res.stderr);
    // The session stayed alive (no commit refused, no restart) and no library wrote to the terminal.
    const noise = lines.filter((l) =>
      /Kafka commit failed|restarting|not aware of this member|@smithy|kafkajs|requestTimeout/i
        .test(l)
    );
    assertEquals(noise, []);
    await assertExactlyOnce(ctx.topic, 60_000);
  });
});

Deno.test({
  ...await stopsService(
    "sink: Kafka stopped for 20 s mid-run → the sink resumes by itself, exactly-once",
    "kafka",
  ),
}, async () => {
  await withSinkTest("sink-kdown", async (ctx) => {
    const paths = defaultPaths();
    await produceEvents(ctx.topic, 60_000, { partitions: 3, seed: 21 });
    const sink = await startSink(
      ctx,
      sinkFlags(ctx, ["--max-records", "2000", "--until-idle", "5s"]),
    );
    // Mid-run: the sink has stored something before Kafka goes away.
    assert(await waitFor(async () => (await storedObjectCount(ctx.topic)) > 0, 120_000));
    await down(paths, () => {}, ["kafka"]);
    try {
      // The outage itself lasts 20 s; the sink must outlive it.
      await new Promise((r) => setTimeout(r, 20_000));
      assert((await rssKb(sink.proc.pid)) > 0, "the sink exited while Kafka was down");
    } finally {
      await upService(paths, cfg, "kafka", { timeoutSec: 120, say: () => {} });
    }
    await produceEvents(ctx.topic, 10_000, { partitions: 3, seed: 22 });
    const res = await sink.done;
    assertEquals(res.code, 0, res.stderr);
    assert(/Kafka consumer restarting/.test(res.stderr), res.stderr);
    await assertExactlyOnce(ctx.topic, 70_000);
  });
});

/** Bytes of a record value as sent (null stays null). */
function bytesOf(v: RawMessage["value"]): Buffer | null {
  return v === null ? null : Buffer.from(typeof v === "string" ? new TextEncoder().encode(v) : v);
}

Deno.test("sink: every kind of bad record goes to the dead-letter topic; good ones are stored", async () => {
  await withSinkTest("sink-dlq", async (ctx) => {
    const dlqTopic = `${ctx.topic}.dlq`;
    const TRUNCATED_AT = 256 * 1024;
    // The dead-letter topic takes at most 300 KiB per batch: a 400 KiB value the sink cannot
    // store (not UTF-8, incompressible) is refused whole and must be truncated to 256 KiB.
    await withAdmin((a) =>
      a.createTopics({
        topics: [{
          topic: dlqTopic,
          numPartitions: 1,
          configEntries: [{ name: "max.message.bytes", value: String(300 * 1024) }],
        }],
        waitForLeaders: true,
      })
    );
    const huge = new Uint8Array(400 * 1024);
    for (let i = 0; i < huge.length; i += 65536) {
      crypto.getRandomValues(huge.subarray(i, i + 65536));
    }
    huge[0] = 0xff; // never valid UTF-8
    const kinds: RawMessage[] = [
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
      { key: "k-huge", value: huge },
    ];
    // Ten bad records (one of each kind, then k-notjson again), each with its own key and
    // headers, alternating between the two partitions.
    const sent = new Map<string, RawMessage & { partition: number }>();
    await produceEvents(ctx.topic, 3000, {
      partitions: 2,
      seed: 11,
      extra: (i) => {
        if (i % 300 !== 0) return undefined;
        const j = i / 300;
        const kind = kinds[j % kinds.length]!;
        const m = {
          key: `${kind.key}-${j}`,
          value: kind.value,
          headers: { "x-test-id": String(j), "x-origin": "sink-test" },
          partition: j % 2,
        };
        sent.set(m.key, m);
        return m;
      },
    });
    const res = await (await startSink(ctx, sinkFlags(ctx, ["--until-idle", "3s"]))).done;
    assertEquals(res.code, 0, res.stderr);
    await assertExactlyOnce(ctx.topic, 3000);
    assert(/, 10 dead letters/.test(res.stdout), res.stdout);

    const dead = await readTopic(dlqTopic, 10, 60_000);
    const byKey = new Map(dead.map((d) => [d.key ?? "", d]));
    assertEquals([...byKey.keys()].sort(), [...sent.keys()].sort());
    assertEquals(dead.length, 10);
    const reason = (kind: string) =>
      [...byKey].find(([k]) => k.startsWith(`${kind}-`))![1].headers["dlq.reason"] ?? "";
    assert(/not JSON/i.test(reason("k-notjson")), reason("k-notjson"));
    assert(/UTF-8/.test(reason("k-utf8")), reason("k-utf8"));
    assert(/UTF-8/.test(reason("k-huge")), reason("k-huge"));
    assert(/empty/.test(reason("k-empty")), reason("k-empty"));
    assert(/null/.test(reason("k-null")), reason("k-null"));
    assert(/limit/.test(reason("k-big")), reason("k-big"));
    assert(/event_type_id/.test(reason("k-types")), reason("k-types"));

    // Each keeps its original value and headers and names where it came from.
    for (const [key, m] of sent) {
      const d = byKey.get(key)!;
      assertEquals(d.headers["dlq.source.topic"], ctx.topic, key);
      assertEquals(d.headers["dlq.source.partition"], String(m.partition), key);
      assert(/^\d+$/.test(d.headers["dlq.source.offset"]!), key);
      assertEquals(d.headers["x-test-id"], m.headers!["x-test-id"], key);
      assertEquals(d.headers["x-origin"], "sink-test", key);
      const original = bytesOf(m.value);
      if (key.startsWith("k-huge-")) {
        // Refused whole by the dead-letter topic: the first 256 KiB, and the original size.
        assertEquals(d.headers["dlq.value.truncated"], String(huge.byteLength));
        assertEquals(d.value?.byteLength, TRUNCATED_AT);
        assert(d.value!.equals(original!.subarray(0, TRUNCATED_AT)), "truncated value differs");
      } else {
        assertEquals(d.headers["dlq.value.truncated"], undefined, `${key} was truncated`);
        // kafkajs reads an empty value back as null or as zero bytes.
        assertEquals(d.value?.byteLength ?? 0, original?.byteLength ?? 0, key);
        if (original && original.byteLength > 0) assert(d.value!.equals(original), key);
        if (m.value === null) assertEquals(d.value, null, key);
      }
    }
    assertEquals(new Set(dead.map((d) => d.headers["dlq.source.partition"])).size, 2);
  });
});

Deno.test("sink: thousands of incompressible bad records in one batch all reach the DLQ", async () => {
  await withSinkTest("sink-dlqbulk", async (ctx) => {
    // 3000 × 1 KiB of random bytes: 3 MB that zstd cannot shrink, over the broker's 1 MB per request.
    await produceEvents(ctx.topic, 3000, {
      partitions: 1,
      seed: 13,
      extra: (i) => ({ key: `bad-${i}`, value: crypto.getRandomValues(new Uint8Array(1024)) }),
    });
    const res = await (await startSink(ctx, sinkFlags(ctx, ["--until-idle", "3s"]))).done;
    assertEquals(res.code, 0, res.stderr);
    await assertExactlyOnce(ctx.topic, 3000);
    const offsets = await withAdmin((a) => a.fetchTopicOffsets(`${ctx.topic}.dlq`));
    assertEquals(offsets.reduce((n, o) => n + Number(o.high), 0), 3000);
  });
});

Deno.test("sink: two sinks on 4 partitions, one killed mid-run → the other finishes, exact counts", async () => {
  await withSinkTest("sink-two", async (ctx) => {
    await produceEvents(ctx.topic, 0, { partitions: 4 });
    const flags = sinkFlags(ctx, ["--max-records", "2000", "--max-age", "1s"]);
    const a = await startSink(ctx, [...flags, "--until-idle", "8s"]);
    const b = await startSink(ctx, [...flags, "--verbose"]);
    // Data keeps arriving while both sinks own partitions; b dies in the middle of it, once
    // it has stored files of its own.
    for (let chunk = 0; chunk < 12; chunk++) {
      await produceEvents(ctx.topic, 10_000, { partitions: 4, seed: 100 + chunk });
      if (chunk === 6) {
        const stored = await waitFor(() => Promise.resolve(/stored s3:/.test(b.stderr())), 120_000);
        assert(stored, `the sink to be killed stored nothing:\n${b.stderr()}`);
        b.proc.kill("SIGKILL");
        assertEquals((await b.done).signal, "SIGKILL");
      }
    }
    const res = await a.done;
    assertEquals(res.code, 0, res.stderr);
    await assertExactlyOnce(ctx.topic, 120_000);
  });
});
