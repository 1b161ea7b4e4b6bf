/**
 * Sink benchmark: a backlog of N generated events in a fresh topic, consumed
 * in one run, one after another, by
 * (a) Kafka's own `ConsumerPerformance` (Java client, no processing): the limit;
 * (b) our sink — the real `tasks/sink.ts` run as a subprocess with the
 *     permissions of deno.json's `sink` task — which decodes, validates,
 *     encodes Parquet and stores it on S3 with exactly-once commits;
 * (c) the seed's `kafka_to_s3.py` rebuilt (`bench/seed_sink.py`: confluent-kafka
 *     → pandas.json_normalize → pyarrow Parquet → boto3, commit after each
 *     upload) at batch 100 (the seed's default) and 10,000: the reference.
 *     Its PyPI packages are installed into the stack's cache, once.
 *
 * Our time is from spawning the sink to the last row stored (each stored file
 * is announced by `--verbose`), minus the `--until-idle` wait that ends it;
 * the seed-style sink's is from spawning it to its last upload. Both include
 * start-up and joining the group. Peak RSS (the kernel's VmHWM) and CPU time
 * (utime + stime) of each process are polled from /proc. The stored objects
 * are read back with hyparquet: every (partition, offset) of the topic must be
 * stored exactly once by ours, and the seed-style objects must hold N rows, or
 * the run fails. Topics, groups and objects are deleted afterwards.
 *
 * Run: `deno run --env-file=.env -A bench/sink.ts [--events 1000000] [--json FILE]`
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { zstdDecompressSync } from "node:zlib";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { UserError } from "../lib/core/errors.ts";
import { parseCount, parseDuration } from "../lib/core/flags.ts";
import { run, taskCommand } from "../lib/core/process.ts";
import { boxTable } from "../lib/core/tables.ts";
import { eventJson } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { topicEndOffsetSum } from "../lib/kafka/admin.ts";
import { createKafka, withKafkaErrors } from "../lib/kafka/client.ts";
import { formatBytes, formatCount } from "../lib/core/progress.ts";
import { parseCompression } from "../lib/kafka/produce_cli.ts";
import { startProducer } from "../lib/kafka/producer.ts";
import { createS3Client, deletePrefix, getObject, listObjects } from "../lib/lake/s3.ts";
import { needPython, PrerequisiteError, pythonPackage } from "../lib/stack/installers.ts";
import { defaultPaths } from "../lib/stack/stack.ts";
import {
  type BenchResult,
  mapLimit,
  ProcessSampler,
  type Ratio,
  runKafkaTool,
  writeResult,
} from "./common.ts";

const spec = {
  name: "bench:sink",
  summary: "Benchmarks our sink on one backlog beside Kafka's ConsumerPerformance (the limit) " +
    "and the seed's Python sink rebuilt (the reference), all in the same run.",
  options: {
    events: { type: "string", default: "1000000" },
    partitions: { type: "string", default: "3" },
    compression: { type: "string", default: "zstd" },
    "until-idle": { type: "string", default: "3s" },
    "sink-args": { type: "string" },
    "python-batches": { type: "string", default: "100,10000" },
    "python-compression": { type: "string", default: "snappy" },
    "skip-java": { type: "boolean" },
    "skip-python": { type: "boolean" },
    "skip-ours": { type: "boolean" },
    json: { type: "string" },
  },
  help: {
    events: "events in the backlog",
    partitions: "partitions of the benchmark topic",
    compression: "Kafka compression of the backlog: zstd, gzip or none",
    "until-idle": "the sink's --until-idle (subtracted from its time)",
    "sink-args": 'more flags for our sink, e.g. --sink-args="--workers 2" (note the =)',
    "python-batches": "batch sizes of the seed-style Python sink, one run each (the largest " +
      "is the headline reference)",
    "python-compression": "Parquet compression of the seed-style sink: snappy (pandas' and " +
      "pyarrow's default, as the seed) or zstd",
    "skip-java": "do not run Kafka's ConsumerPerformance",
    "skip-python": "do not run the seed-style Python sink",
    "skip-ours": "do not run our sink (to try the references; no --json then)",
    json: "also write the figures as JSON to this file (for bench/run.ts)",
  },
  epilog: "Needs the stack up, java (ConsumerPerformance) and python3 3.11+ with pip (the " +
    "seed-style sink; its packages are fetched from PyPI into the stack cache once).",
} as const;

/**
 * The seed-style sink's PyPI packages with everything they need, pinned and
 * installed one by one without dependencies, so nothing floats between
 * machines. Resolved for CPython 3.11+ (manylinux wheels).
 */
const SEED_PACKAGES: Readonly<Record<string, string>> = {
  "confluent-kafka": "2.16.1",
  pandas: "3.1.1",
  numpy: "2.4.6",
  "python-dateutil": "2.9.0.post0",
  six: "1.17.0",
  pyarrow: "26.0.1",
  boto3: "1.44.8",
  botocore: "1.44.8",
  s3transfer: "0.19.3",
  jmespath: "1.1.0",
  urllib3: "2.8.0",
};

/** Oldest Python the pinned pandas and numpy have wheels for. */
const SEED_MIN_PYTHON_MINOR = 11;

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** `deno run` flags of deno.json's sink task, so the bench runs the sink as users do. */
async function sinkTaskFlags(): Promise<{ env: Record<string, string>; flags: string[] }> {
  const { env, args } = taskCommand(await Deno.readTextFile(`${ROOT}deno.json`), "sink");
  const script = args.findIndex((w) => w.endsWith("tasks/sink.ts"));
  if (args[0] !== "run" || script < 0) throw new Error(`Unexpected sink task in deno.json`);
  return { env, flags: args.slice(1, script) };
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
  cpuSeconds: number;
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
  const { env, flags } = await sinkTaskFlags();
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, "tasks/sink.ts", ...args, "--verbose"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { ...env, NO_COLOR: "1" },
  }).spawn();
  const usage = new ProcessSampler(child.pid);
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
    if (line.startsWith("sink done:")) {
      summary = line;
      // Its last words: the CPU time now is (nearly) its total.
      void usage.sample();
    } else if (line.trim()) console.error(`  [sink] ${line}`);
  });
  const status = await child.status;
  const end = performance.now();
  await Promise.all([errLines, outLines]);
  usage.stop();
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
    peakRssBytes: usage.peakBytes,
    cpuSeconds: usage.cpuSeconds,
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
  cpuSeconds: number;
}

/** Kafka's ConsumerPerformance over the whole topic; parses its header + CSV line. */
async function runConsumerPerformance(
  brokers: string[],
  topic: string,
  group: string,
  n: number,
): Promise<JavaResult> {
  const tool = await runKafkaTool("org.apache.kafka.tools.ConsumerPerformance", [
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
  const lines = tool.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  const h = lines.findIndex((l) => l.startsWith("start.time"));
  const head = lines[h]?.split(/,\s*/) ?? [];
  const row = lines[h + 1]?.split(/,\s*/) ?? [];
  const col = (name: string) => {
    const i = head.indexOf(name);
    return i < 0 ? NaN : Number(row[i]);
  };
  const records = col("data.consumed.in.nMsg");
  const rps = col("nMsg.sec");
  if (tool.code !== 0 || h < 0 || !Number.isFinite(records) || !Number.isFinite(rps)) {
    throw new Error(
      `ConsumerPerformance failed (exit ${tool.code}):\n${tool.stdout}\n${
        tool.stderr.slice(-2000)
      }`,
    );
  }
  return {
    records,
    seconds: records / rps,
    bytes: col("data.consumed.in.MB") * 1024 * 1024,
    fetchRecordsPerSec: col("fetch.nMsg.sec"),
    rebalanceMs: col("rebalance.time.ms"),
    wallSeconds: tool.wallMs / 1000,
    peakRssBytes: tool.peakRssBytes,
    cpuSeconds: tool.cpuSeconds,
  };
}

/**
 * Python and the seed-style sink's pinned packages, installed into the stack
 * cache on first use; returns the interpreter and the `PYTHONPATH` to run
 * `bench/seed_sink.py` with.
 */
async function seedPython(): Promise<{ python: string; path: string }> {
  const python = await needPython();
  const minor = Number(
    (await run(python, ["-c", "import sys; print(sys.version_info[1])"])).output,
  );
  if (!(minor >= SEED_MIN_PYTHON_MINOR)) {
    throw new PrerequisiteError(
      `The seed-style sink's pinned pandas and numpy need Python 3.${SEED_MIN_PYTHON_MINOR} ` +
        `or newer, found 3.${minor}: install a newer python3, or pass --skip-python.`,
    );
  }
  const t0 = performance.now();
  let fetched = 0;
  const paths = defaultPaths();
  // A few pip processes at once: the downloads overlap, the machine stays usable.
  const dirs = await mapLimit(
    Object.entries(SEED_PACKAGES),
    4,
    ([name, version]) =>
      pythonPackage(paths, name, version, (m) => {
        fetched++;
        console.error(`  ${m}`);
      }),
  );
  if (fetched > 0) {
    console.error(
      `  ${fetched} Python packages installed in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  return { python, path: dirs.join(":") };
}

interface SeedRun {
  /** Spawn → last upload done, seconds. */
  seconds: number;
  /** Spawn → process exit, seconds. */
  wallSeconds: number;
  peakRssBytes: number;
  cpuSeconds: number;
  files: number;
}

/** Runs `bench/seed_sink.py` over the whole backlog; throws unless it uploaded `n` rows. */
async function runSeedSink(
  py: { python: string; path: string },
  cfg: ReturnType<typeof loadConfig>,
  o: {
    n: number;
    topic: string;
    group: string;
    prefix: string;
    batch: number;
    compression: string;
  },
): Promise<SeedRun> {
  const tag = `[seed@${o.batch}]`;
  const t0 = performance.now();
  const child = new Deno.Command(py.python, {
    args: [
      `${ROOT}bench/seed_sink.py`,
      "--topic",
      o.topic,
      "--group",
      o.group,
      "--prefix",
      o.prefix,
      "--events",
      String(o.n),
      "--batch-size",
      String(o.batch),
      "--compression",
      o.compression,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: {
      PYTHONPATH: py.path,
      // The bench's settings, not whatever the caller's shell has.
      KAFKA_BROKERS: cfg.kafkaBrokers.join(","),
      S3_ENDPOINT: cfg.s3.endpoint,
      S3_REGION: cfg.s3.region,
      S3_BUCKET: cfg.s3.bucket,
      ACCESS_KEY: cfg.s3.accessKey,
      SECRET_KEY: cfg.s3.secretKey,
    },
  }).spawn();
  const usage = new ProcessSampler(child.pid);
  let uploaded = 0;
  let files = 0;
  let allUploadedAt: number | undefined;
  const outLines = eachLine(child.stdout, (line) => {
    const m = /^uploaded s3:\/\/\S+ rows=(\d+)$/.exec(line);
    if (m) {
      uploaded += Number(m[1]);
      files++;
      if (uploaded >= o.n && allUploadedAt === undefined) allUploadedAt = performance.now();
      return;
    }
    if (line.startsWith("done ")) void usage.sample();
    else if (line.trim()) console.error(`  ${tag} ${line}`);
  });
  const errLines = eachLine(child.stderr, (line) => console.error(`  ${tag} ${line}`));
  const status = await child.status;
  const end = performance.now();
  await Promise.all([outLines, errLines]);
  usage.stop();
  if (!status.success) throw new Error(`the seed-style sink exited with code ${status.code}`);
  if (allUploadedAt === undefined || uploaded !== o.n) {
    throw new Error(`the seed-style sink announced ${uploaded} uploaded rows, expected ${o.n}`);
  }
  return {
    seconds: (allUploadedAt - t0) / 1000,
    wallSeconds: (end - t0) / 1000,
    peakRssBytes: usage.peakBytes,
    cpuSeconds: usage.cpuSeconds,
    files,
  };
}

/** Rows and bytes of the Parquet objects under `prefix`, from each file's footer (hyparquet). */
async function countStoredRows(
  s3: ReturnType<typeof createS3Client>,
  bucket: string,
  prefix: string,
) {
  const objects = await listObjects(s3, bucket, `${prefix}/`);
  const rows = await mapLimit(objects, 8, async (o) => {
    const bytes = await getObject(s3, bucket, o.key);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    return Number(parquetMetadata(file as ArrayBuffer).num_rows);
  });
  return {
    objects: objects.length,
    bytes: objects.reduce((s, o) => s + o.size, 0),
    rows: rows.reduce((a, b) => a + b, 0),
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

/** One contender's figures on the backlog. */
interface Contender {
  /** Row label of the table. */
  name: string;
  /** Short name for the ratios, e.g. "seed-style sink, batch 100". */
  short: string;
  /** The timed span, seconds (see the notes for each). */
  seconds: number;
  /** Bytes consumed per second (keys + values as produced). */
  bytesPerSec: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssBytes: number;
}

runMain(async () => {
  const { values: v } = parseCommand(spec, Deno.args);
  const cfg = loadConfig();
  const n = parseCount(v.events, "--events", 1);
  const partitions = parseCount(v.partitions, "--partitions", 1);
  const compression = parseCompression(v.compression, "--compression");
  const idleMs = parseDuration(v["until-idle"], "--until-idle");
  const sinkArgs = (v["sink-args"] ?? "").split(/\s+/).filter(Boolean);
  const batches = v["skip-python"]
    ? []
    : [...new Set(v["python-batches"].split(",").map((b) => parseCount(b, "--python-batches", 1)))]
      .sort((a, b) => a - b);
  const pyCompression = v["python-compression"];
  if (!["snappy", "zstd"].includes(pyCompression)) {
    throw new UserError(`--python-compression has "${pyCompression}"; expected snappy or zstd`);
  }
  if (v["skip-ours"] && v.json) {
    throw new UserError("--skip-ours measures no headline figure: leave out --json");
  }
  // Installed before anything is measured, so pip's work disturbs no figure.
  const py = batches.length > 0 ? await seedPython() : undefined;

  const id = crypto.randomUUID().slice(0, 8);
  const topic = `bench-sink-${id}`;
  const dlq = `${topic}.dlq`;
  const ourGroup = `bench-sink-${id}`;
  const javaGroup = `bench-sink-java-${id}`;
  const seedGroup = (batch: number) => `bench-sink-seed${batch}-${id}`;
  const top = `bench-sink-${id}`;
  const prefix = `${top}/music_events`;
  const seedPrefix = (batch: number) => `${top}/seed-${batch}`;
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
    let java: Contender | undefined;
    let javaRun: JavaResult | undefined;
    if (!v["skip-java"]) {
      console.error(`Kafka ConsumerPerformance on ${topic}…`);
      javaRun = await runConsumerPerformance(cfg.kafkaBrokers, topic, javaGroup, n);
      if (javaRun.records !== n) {
        throw new Error(`ConsumerPerformance consumed ${javaRun.records} records, expected ${n}`);
      }
      java = {
        name: "Kafka ConsumerPerformance (Java, consume only)",
        short: "Kafka ConsumerPerformance",
        seconds: javaRun.seconds,
        bytesPerSec: javaRun.bytes / javaRun.seconds,
        wallSeconds: javaRun.wallSeconds,
        cpuSeconds: javaRun.cpuSeconds,
        peakRssBytes: javaRun.peakRssBytes,
      };
    }

    // 3. Our sink, as `deno task sink` runs it.
    let ours: Contender | undefined;
    let ourRun: OurRun | undefined;
    let check: Awaited<ReturnType<typeof verifyStored>> | undefined;
    if (!v["skip-ours"]) {
      console.error(
        `our sink on ${topic} → s3://${cfg.s3.bucket}/${prefix}/…${
          sinkArgs.length ? ` (${sinkArgs.join(" ")})` : ""
        }`,
      );
      ourRun = await runOurSink(n, [
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
        // Last, so they can override the flags above.
        ...sinkArgs,
      ], idleMs);

      // A benchmark that lost or duplicated rows is not a result.
      check = await verifyStored(s3, cfg.s3.bucket, prefix, ends);
      if (
        check.rows !== n || check.duplicates || check.missing || check.strays ||
        ourRun.deadLetters
      ) {
        throw new Error(
          `stored rows do not match the backlog: ${check.rows} rows for ${n} events, ` +
            `${check.duplicates} duplicates, ${check.missing} missing, ${check.strays} stray, ` +
            `${ourRun.deadLetters} dead letters`,
        );
      }
      ours = {
        name: `our sink (Deno, exactly once)${sinkArgs.length ? ` ${sinkArgs.join(" ")}` : ""}`,
        short: "ours",
        seconds: ourRun.seconds,
        bytesPerSec: dataBytes / ourRun.seconds,
        wallSeconds: ourRun.wallSeconds,
        cpuSeconds: ourRun.cpuSeconds,
        peakRssBytes: ourRun.peakRssBytes,
      };
    }

    // 4. The seed's own approach, at its default batch and at a sensible one.
    const seeds: { batch: number; c: Contender; objects: number; bytes: number }[] = [];
    for (const batch of batches) {
      const p = seedPrefix(batch);
      console.error(
        `seed-style Python sink, batch ${
          formatCount(batch)
        }, on ${topic} → s3://${cfg.s3.bucket}/${p}/…`,
      );
      const r = await runSeedSink(py!, cfg, {
        n,
        topic,
        group: seedGroup(batch),
        prefix: p,
        batch,
        compression: pyCompression,
      });
      const stored = await countStoredRows(s3, cfg.s3.bucket, p);
      if (stored.rows !== n || stored.objects !== r.files) {
        throw new Error(
          `the seed-style sink (batch ${batch}) stored ${stored.rows} rows in ${stored.objects} ` +
            `objects, expected ${n} rows in the ${r.files} it announced`,
        );
      }
      seeds.push({
        batch,
        objects: stored.objects,
        bytes: stored.bytes,
        c: {
          name: `seed-style Python sink, batch ${formatCount(batch)} (${pyCompression})`,
          short: `seed-style sink, batch ${formatCount(batch)}`,
          seconds: r.seconds,
          bytesPerSec: dataBytes / r.seconds,
          wallSeconds: r.wallSeconds,
          cpuSeconds: r.cpuSeconds,
          peakRssBytes: r.peakRssBytes,
        },
      });
    }

    // 5. The table and the ratios.
    const rps = (c: Contender) => n / c.seconds;
    const usPerEvent = (c: Contender) => c.cpuSeconds / n * 1e6;
    const contenders = [java, ours, ...seeds.map((s) => s.c)].filter((c) => c !== undefined);
    const head = [
      "consumer",
      "events/s",
      "MB/s",
      "seconds",
      "process wall s",
      "CPU µs/event",
      "peak RSS",
    ];
    const rows = contenders.map((c) => [
      c.name,
      formatCount(rps(c)),
      `${formatBytes(c.bytesPerSec)}/s`,
      c.seconds.toFixed(2),
      c.wallSeconds.toFixed(2),
      Number.isFinite(c.cpuSeconds) ? usPerEvent(c).toFixed(1) : "–",
      formatBytes(c.peakRssBytes),
    ]);
    // The headline reference first: the seed's approach at its best batch size.
    const others = [...seeds.map((s) => s.c).reverse(), ...(java ? [java] : [])];
    const ratios: Ratio[] = ours
      ? others.map((o) => ({
        against: o.short,
        throughput: rps(ours) / rps(o),
        cpuPerEvent: ours.cpuSeconds / o.cpuSeconds,
        peakRss: ours.peakRssBytes / o.peakRssBytes,
      }))
      : [];

    console.log(
      `Sink benchmark: backlog of ${formatCount(n)} events (${
        formatBytes(dataBytes)
      }, ${compression}), ${partitions} partitions, broker ${cfg.kafkaBrokers.join(",")}`,
    );
    console.log(boxTable({ columns: head, rows, right: head.map((_, i) => i > 0) }));
    const x = (r: number) => Number.isFinite(r) ? `${r.toFixed(2)}×` : "–";
    for (const r of ratios) {
      console.log(
        `ours ÷ ${r.against}: events/s ${x(r.throughput)}, CPU µs/event ${
          x(r.cpuPerEvent!)
        }, peak RSS ${x(r.peakRss!)}`,
      );
    }
    if (check) {
      console.log(
        `stored by ours: ${check.objects} Parquet objects, ${formatBytes(check.bytes)} (${
          (check.bytes / dataBytes * 100).toFixed(1)
        }% of the JSON), ${formatCount(check.rows)} rows — each (partition, offset) exactly once`,
      );
    }
    for (const s of seeds) {
      console.log(
        `stored by the seed-style sink at batch ${formatCount(s.batch)}: ${
          formatCount(s.objects)
        } Parquet objects, ${formatBytes(s.bytes)}, ${formatCount(n)} rows`,
      );
    }
    if (!ours || !ourRun || !check) return;

    const versions = Object.entries(SEED_PACKAGES).map(([p, ver]) => `${p} ${ver}`).join(", ");
    const notes = [
      `Our time runs from spawning \`tasks/sink.ts\` (with deno.json's sink-task flags${
        sinkArgs.length ? ` and \`${sinkArgs.join(" ")}\`` : ", default limits"
      }) to the last row stored, minus the ${v["until-idle"]} \`--until-idle\` wait that ` +
      `flushes the last partial files; it includes Deno start-up, connecting and joining the ` +
      `group (${ourRun.readySeconds.toFixed(1)} s).`,
      ...(seeds.length
        ? [
          `The seed-style sink is the seed's \`kafka_to_s3.py\` rebuilt (\`bench/seed_sink.py\`): ` +
          `confluent-kafka \`poll()\` one message at a time into a batch, ` +
          `\`pandas.json_normalize\`, \`pyarrow\` Table → Parquet (${pyCompression}) in memory, ` +
          `boto3 \`put_object\` to PREFIX/YYYY-MM-DD/UUID.parquet, then a synchronous commit ` +
          `(at least once). Its time runs from spawning python3 to its last upload, so it ` +
          `includes Python start-up and imports, connecting and joining the group; it needs no ` +
          `idle wait, it stops after the N-th message. Every object's footer was read back with ` +
          `hyparquet: ${formatCount(n)} rows per run. Packages (PyPI, pinned): ${versions}; ` +
          `Python ${(await run(py!.python, ["--version"])).output.trim().replace(/^Python /, "")}.`,
        ]
        : []),
      `ConsumerPerformance only fetches and counts records (no decoding); its nMsg.sec includes ` +
      `its group join (${javaRun ? formatCount(javaRun.rebalanceMs) : "–"} ms) but not JVM ` +
      `start-up (its CPU time does include start-up and JIT); fetch-only rate ${
        javaRun ? formatCount(javaRun.fetchRecordsPerSec) : "–"
      } events/s.`,
      `CPU µs/event: the process's user + system time (all its threads, from /proc/PID/stat, ` +
      `polled every 100 ms and once more at its last line) ÷ events. Peak RSS: the kernel's ` +
      `high-water mark (VmHWM), polled alike.`,
      `Stored by ours: ${check.objects} Parquet objects, ${
        formatBytes(check.bytes)
      } (zstd); read back with hyparquet: ${
        formatCount(check.rows)
      } rows, each (partition, offset) exactly once.${
        ourRun.restarts ? ` Consumer restarts: ${ourRun.restarts}.` : ""
      }`,
    ];
    const reference = seeds.at(-1)?.c ?? java;
    const result: BenchResult = {
      bench: "sink",
      title: "Sink: Kafka backlog → Parquet on S3",
      sizes: `${formatCount(n)} events backlog (${
        formatBytes(dataBytes)
      }, ${compression}), ${partitions} partitions`,
      ours: {
        label: `our sink (peak RSS ${formatBytes(ours.peakRssBytes)}, ${
          usPerEvent(ours).toFixed(1)
        } µs CPU/event)`,
        value: rps(ours),
        unit: "events/s",
      },
      ...(reference
        ? {
          reference: {
            label: `${reference.short} (peak RSS ${formatBytes(reference.peakRssBytes)}, ${
              usPerEvent(reference).toFixed(1)
            } µs CPU/event)`,
            value: rps(reference),
            unit: "events/s",
          },
          ratio: rps(ours) / rps(reference),
        }
        : {}),
      ratios,
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
    await admin.deleteGroups([ourGroup, javaGroup, ...batches.map(seedGroup)]).catch(() => {});
    await admin.disconnect();
  }
});
