/**
 * Sink benchmark: a backlog of N generated events in a fresh topic, consumed
 * (a) by Kafka's own `ConsumerPerformance` (Java client, no processing) and
 * (b) by our sink — the real `tasks/sink.ts` run as a subprocess with the
 * permissions of deno.json's `sink` task — which decodes, validates, encodes
 * Parquet and stores it on S3 with exactly-once commits. Same topic, same run.
 *
 * Our time is from spawning the sink to the last row stored (each stored file
 * is announced by `--verbose`), minus the `--until-idle` wait that ends it.
 * Its peak RSS is sampled every 200 ms. The stored objects are read back with
 * hyparquet: every (partition, offset) of the topic must be stored exactly
 * once, or the run fails. Topics, groups and objects are deleted afterwards.
 *
 * Run: `deno run --env-file=.env -A bench/sink.ts [--events 1000000] [--json FILE]`
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { zstdDecompressSync } from "node:zlib";
import { parquetReadObjects } from "hyparquet";
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { parseCount, parseDuration } from "../lib/core/flags.ts";
import { eventJson } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { topicEndOffsetSum } from "../lib/kafka/admin.ts";
import { createKafka, withKafkaErrors } from "../lib/kafka/client.ts";
import { formatBytes, formatCount } from "../lib/core/progress.ts";
import { parseCompression } from "../lib/kafka/produce_cli.ts";
import { startProducer } from "../lib/kafka/producer.ts";
import { createS3Client, deletePrefix, getObject, listObjects } from "../lib/lake/s3.ts";
import { type BenchResult, RssSampler, runKafkaTool, writeResult } from "./common.ts";

const spec = {
  name: "bench:sink",
  summary: "Benchmarks the sink on a backlog against Kafka's ConsumerPerformance in the same run.",
  options: {
    events: { type: "string", default: "1000000" },
    partitions: { type: "string", default: "3" },
    compression: { type: "string", default: "zstd" },
    "until-idle": { type: "string", default: "3s" },
    "skip-java": { type: "boolean" },
    json: { type: "string" },
  },
  help: {
    events: "events in the backlog",
    partitions: "partitions of the benchmark topic",
    compression: "Kafka compression of the backlog: zstd, gzip or none",
    "until-idle": "the sink's --until-idle (subtracted from its time)",
    "skip-java": "measure only our sink",
    json: "also write the figures as JSON to this file (for bench/run.ts)",
  },
} as const;

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** `deno run` flags of deno.json's sink task, so the bench runs the sink as users do. */
async function sinkTaskFlags(): Promise<string[]> {
  const deno = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const command: string | undefined = deno.tasks?.sink?.command ?? deno.tasks?.sink;
  const words = command?.split(/\s+/) ?? [];
  const run = words.indexOf("run");
  const script = words.findIndex((w) => w.endsWith("tasks/sink.ts"));
  if (run < 0 || script < 0) throw new Error(`Unexpected sink task in deno.json: ${command}`);
  return words.slice(run + 1, script);
}

/** Reads lines from a stream, calling `onLine` with each as it arrives. */
async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const l of parts) onLine(l);
  }
  if (rest) onLine(rest);
}

interface OurRun {
  /** Spawn → last row stored, minus the idle wait, seconds. */
  seconds: number;
  /** Spawn → process exit, seconds. */
  wallSeconds: number;
  /** Spawn → "sink: …" ready line (connect, topics, bucket, group), seconds. */
  readySeconds: number;
  peakRssBytes: number;
  files: number;
  restarts: number;
  summary: string;
  deadLetters: number;
}

async function runOurSink(
  n: number,
  args: string[],
  idleMs: number,
): Promise<OurRun> {
  const flags = await sinkTaskFlags();
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, "tasks/sink.ts", ...args, "--verbose"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const rss = new RssSampler(child.pid);
  let stored = 0;
  let files = 0;
  let restarts = 0;
  let allStoredAt: number | undefined;
  let readyAt: number | undefined;
  let summary = "";
  const errLines = eachLine(child.stderr, (line) => {
    const m = /^stored s3:\/\/\S+ rows=(\d+) /.exec(line);
    if (m) {
      stored += Number(m[1]);
      files++;
      if (stored >= n && allStoredAt === undefined) allStoredAt = performance.now();
      return; // one line per file: too chatty to echo
    }
    if (line.startsWith("sink: ")) readyAt ??= performance.now();
    if (/consumer restarting/.test(line)) restarts++;
    console.error(`  [sink] ${line}`);
  });
  const outLines = eachLine(child.stdout, (line) => {
    if (line.startsWith("sink done:")) summary = line;
    else if (line.trim()) console.error(`  [sink] ${line}`);
  });
  const status = await child.status;
  const end = performance.now();
  await Promise.all([errLines, outLines]);
  rss.stop();
  if (!status.success) throw new Error(`the sink exited with code ${status.code}`);
  if (allStoredAt === undefined) {
    throw new Error(`the sink announced ${stored} stored rows, expected ${n}: ${summary}`);
  }
  const m = /sink done: (\d+) records in (\d+) files .*, (\d+) dead letters/.exec(summary);
  if (!m) throw new Error(`no summary line from the sink (got "${summary}")`);
  return {
    seconds: (allStoredAt - t0 - idleMs) / 1000,
    wallSeconds: (end - t0) / 1000,
    readySeconds: ((readyAt ?? t0) - t0) / 1000,
    peakRssBytes: rss.peakBytes,
    files,
    restarts,
    summary,
    deadLetters: Number(m[3]),
  };
}

interface JavaResult {
  records: number;
  seconds: number;
  bytes: number;
  fetchRecordsPerSec: number;
  rebalanceMs: number;
  wallSeconds: number;
  peakRssBytes: number;
}

/** Kafka's ConsumerPerformance over the whole topic; parses its header + CSV line. */
async function runConsumerPerformance(
  brokers: string[],
  topic: string,
  group: string,
  n: number,
): Promise<JavaResult> {
  const run = await runKafkaTool("org.apache.kafka.tools.ConsumerPerformance", [
    "--bootstrap-server",
    brokers.join(","),
    "--topic",
    topic,
    "--num-records",
    String(n),
    "--group",
    group,
    "--timeout",
    "60000",
  ]);
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const lines = run.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  const h = lines.findIndex((l) => l.startsWith("start.time"));
  const head = lines[h]?.split(/,\s*/) ?? [];
  const row = lines[h + 1]?.split(/,\s*/) ?? [];
  const col = (name: string) => {
    const i = head.indexOf(name);
    return i < 0 ? NaN : Number(row[i]);
  };
  const records = col("data.consumed.in.nMsg");
  const rps = col("nMsg.sec");
  if (run.code !== 0 || h < 0 || !Number.isFinite(records) || !Number.isFinite(rps)) {
    throw new Error(
      `ConsumerPerformance failed (exit ${run.code}):\n${run.stdout}\n${run.stderr.slice(-2000)}`,
    );
  }
  return {
    records,
    seconds: records / rps,
    bytes: col("data.consumed.in.MB") * 1024 * 1024,
    fetchRecordsPerSec: col("fetch.nMsg.sec"),
    rebalanceMs: col("rebalance.time.ms"),
    wallSeconds: run.wallMs / 1000,
    peakRssBytes: run.peakRssBytes,
  };
}

/** Reads every stored object back; checks each (partition, offset) is stored exactly once. */
async function verifyStored(
  s3: ReturnType<typeof createS3Client>,
  bucket: string,
  prefix: string,
  ends: Map<number, number>,
) {
  const objects = await listObjects(s3, bucket, `${prefix}/`);
  const seen = new Map([...ends].map(([p, end]) => [p, new Uint8Array(end)]));
  let rows = 0;
  let duplicates = 0;
  let strays = 0;
  for (const o of objects) {
    const bytes = await getObject(s3, bucket, o.key);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const read = await parquetReadObjects({
      file: file as ArrayBuffer,
      columns: ["kafka_partition", "kafka_offset"],
      compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)) },
    });
    for (const r of read) {
      rows++;
      const marks = seen.get(Number(r.kafka_partition));
      const offset = Number(r.kafka_offset);
      if (!marks || offset < 0 || offset >= marks.length) strays++;
      else if (marks[offset]) duplicates++;
      else marks[offset] = 1;
    }
  }
  let missing = 0;
  for (const marks of seen.values()) for (const x of marks) if (x === 0) missing++;
  return {
    objects: objects.length,
    bytes: objects.reduce((s, o) => s + o.size, 0),
    rows,
    duplicates,
    missing,
    strays,
  };
}

runMain(async () => {
  const { values: v } = parseCommand(spec, Deno.args);
  const cfg = loadConfig();
  const n = parseCount(v.events, "--events", 1);
  const partitions = parseCount(v.partitions, "--partitions", 1);
  const compression = parseCompression(v.compression, "--compression");
  const idleMs = parseDuration(v["until-idle"], "--until-idle");
  const id = crypto.randomUUID().slice(0, 8);
  const topic = `bench-sink-${id}`;
  const dlq = `${topic}.dlq`;
  const ourGroup = `bench-sink-${id}`;
  const javaGroup = `bench-sink-java-${id}`;
  const top = `bench-sink-${id}`;
  const prefix = `${top}/music_events`;
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "bench-sink" });
  const admin = kafka.admin();
  await withKafkaErrors(cfg.kafkaBrokers, () => admin.connect());
  const s3 = createS3Client(cfg.s3, { timeoutMs: 60_000 });
  try {
    // 1. The backlog.
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
    console.error(`producing a backlog of ${formatCount(n)} events to ${topic}…`);
    const gen = new EventGenerator({ seed: 7 });
    let keyBytes = 0;
    const produced = await startProducer({
      kafka,
      brokers: cfg.kafkaBrokers,
      topic,
      partitions,
      compression,
      rate: 0,
      count: n,
      next: () => {
        const e = gen.next();
        keyBytes += e.event_param.user_id.length;
        return { key: e.event_param.user_id, value: eventJson(e) };
      },
    }).done;
    if (produced.error !== undefined) throw produced.error;
    const inTopic = await topicEndOffsetSum(admin, topic);
    if (inTopic !== n) throw new Error(`expected ${n} records in ${topic}, found ${inTopic}`);
    const ends = new Map(
      (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]),
    );
    const dataBytes = produced.bytes + keyBytes;
    console.error(
      `  ${formatCount(n)} events, ${formatBytes(dataBytes)} (keys + values) in ${
        (produced.elapsedMs / 1000).toFixed(1)
      } s`,
    );

    // 2. Kafka's own consumer, no processing: the ceiling for this broker and machine.
    let java: JavaResult | undefined;
    if (!v["skip-java"]) {
      console.error(`Kafka ConsumerPerformance on ${topic}…`);
      java = await runConsumerPerformance(cfg.kafkaBrokers, topic, javaGroup, n);
      if (java.records !== n) {
        throw new Error(`ConsumerPerformance consumed ${java.records} records, expected ${n}`);
      }
    }

    // 3. Our sink, as `deno task sink` runs it.
    console.error(`our sink on ${topic} → s3://${cfg.s3.bucket}/${prefix}/…`);
    const ours = await runOurSink(n, [
      "--topic",
      topic,
      "--group",
      ourGroup,
      "--prefix",
      prefix,
      "--dlq-topic",
      dlq,
      "--until-idle",
      v["until-idle"],
    ], idleMs);

    // 4. A benchmark that lost or duplicated rows is not a result.
    const check = await verifyStored(s3, cfg.s3.bucket, prefix, ends);
    if (
      check.rows !== n || check.duplicates || check.missing || check.strays || ours.deadLetters
    ) {
      throw new Error(
        `stored rows do not match the backlog: ${check.rows} rows for ${n} events, ` +
          `${check.duplicates} duplicates, ${check.missing} missing, ${check.strays} stray, ` +
          `${ours.deadLetters} dead letters`,
      );
    }

    const ourRps = n / ours.seconds;
    const javaRps = java ? java.records / java.seconds : undefined;
    const ratio = javaRps ? ourRps / javaRps : undefined;
    const row = (
      name: string,
      rps: number,
      bytesPerSec: number,
      seconds: number,
      wall: number,
      rss: number,
    ) => [
      name,
      formatCount(rps),
      `${formatBytes(bytesPerSec)}/s`,
      seconds.toFixed(2),
      wall.toFixed(2),
      formatBytes(rss),
    ];
    const head = ["consumer", "events/s", "MB/s", "seconds", "process wall s", "peak RSS"];
    const rows = [
      row(
        "our sink (kafkajs → Parquet zstd → S3, exactly-once commits)",
        ourRps,
        dataBytes / ours.seconds,
        ours.seconds,
        ours.wallSeconds,
        ours.peakRssBytes,
      ),
    ];
    if (java) {
      rows.push(row(
        "Kafka ConsumerPerformance (Java, consume only)",
        javaRps!,
        java.bytes / java.seconds,
        java.seconds,
        java.wallSeconds,
        java.peakRssBytes,
      ));
    }

    console.log(
      `Sink benchmark: backlog of ${formatCount(n)} events (${
        formatBytes(dataBytes)
      }, ${compression}), ${partitions} partitions, broker ${cfg.kafkaBrokers.join(",")}`,
    );
    for (const r of [head, ...rows]) {
      console.log(
        `${r[0]!.padEnd(62)}${r[1]!.padStart(10)}${r[2]!.padStart(12)}${r[3]!.padStart(9)}${
          r[4]!.padStart(16)
        }${r[5]!.padStart(10)}`,
      );
    }
    if (ratio !== undefined) console.log(`ratio ours / ConsumerPerformance: ${ratio.toFixed(2)}`);
    console.log(
      `stored: ${check.objects} Parquet objects, ${formatBytes(check.bytes)} (${
        (check.bytes / dataBytes * 100).toFixed(1)
      }% of the JSON), ${formatCount(check.rows)} rows — each (partition, offset) exactly once`,
    );

    const notes = [
      `Our time runs from spawning \`tasks/sink.ts\` (with deno.json's sink-task flags, default ` +
      `limits) to the last row stored, minus the ${v["until-idle"]} \`--until-idle\` wait; it ` +
      `includes Deno start-up, connecting and joining the group (${
        ours.readySeconds.toFixed(1)
      } s).`,
      `ConsumerPerformance only fetches and counts records (no decoding); its nMsg.sec includes ` +
      `its group join (${java ? formatCount(java.rebalanceMs) : "–"} ms) but not JVM start-up; ` +
      `fetch-only rate ${java ? formatCount(java.fetchRecordsPerSec) : "–"} events/s.`,
      `Stored: ${check.objects} Parquet objects, ${
        formatBytes(check.bytes)
      } (zstd); read back with hyparquet: ${
        formatCount(check.rows)
      } rows, each (partition, offset) exactly once.${
        ours.restarts ? ` Consumer restarts: ${ours.restarts}.` : ""
      }`,
      `Peak RSS: the kernel's high-water mark (VmHWM), sampled every 200 ms.`,
    ];
    const result: BenchResult = {
      bench: "sink",
      title: "Sink: Kafka backlog → Parquet on S3",
      sizes: `${formatCount(n)} events backlog (${
        formatBytes(dataBytes)
      }, ${compression}), ${partitions} partitions`,
      ours: {
        label: `our sink (peak RSS ${formatBytes(ours.peakRssBytes)})`,
        value: ourRps,
        unit: "events/s",
      },
      ...(java
        ? {
          reference: {
            label: "Kafka ConsumerPerformance (consume only)",
            value: javaRps!,
            unit: "events/s",
          },
        }
        : {}),
      ...(ratio !== undefined ? { ratio } : {}),
      table: { head, rows },
      notes,
    };
    await writeResult(v.json, result);
  } finally {
    await deletePrefix(s3, cfg.s3.bucket, `${top}/`).catch((e) =>
      console.error(`warning: could not delete s3://${cfg.s3.bucket}/${top}/: ${e.message}`)
    );
    s3.destroy();
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => {});
    await admin.deleteGroups([ourGroup, javaGroup]).catch(() => {});
    await admin.disconnect();
  }
});
