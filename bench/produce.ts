/**
 * Producer benchmark: our unthrottled producer (generator + kafkajs,
 * idempotent, acks=all) against Kafka's own `ProducerPerformance` (Java
 * client) in the same run, on the same broker, with the same records: the
 * Java tool replays a payload file of our generated events, so record size
 * and compressibility match.
 *
 * Run: `deno run --env-file=.env -A bench/produce.ts [--count 1000000] [--compression zstd]
 * [--json FILE]`
 *
 * @module
 */
import type { Admin, Kafka } from "kafkajs";
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { parseCount } from "../lib/core/flags.ts";
import { eventJson } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { topicEndOffsetSum } from "../lib/kafka/admin.ts";
import { createKafka, withKafkaErrors } from "../lib/kafka/client.ts";
import { formatBytes, formatCount } from "../lib/core/progress.ts";
import { parseCompression } from "../lib/kafka/produce_cli.ts";
import { startProducer } from "../lib/kafka/producer.ts";
import { type BenchResult, runKafkaTool, writeResult } from "./common.ts";

const spec = {
  name: "bench:produce",
  summary: "Benchmarks the producer against Kafka's ProducerPerformance in the same run.",
  options: {
    count: { type: "string", default: "1000000" },
    compression: { type: "string", default: "zstd" },
    partitions: { type: "string", default: "3" },
    "skip-java": { type: "boolean" },
    json: { type: "string" },
  },
  help: {
    count: "events per producer",
    compression: "zstd, gzip or none (both producers)",
    partitions: "partitions of the benchmark topics",
    "skip-java": "measure only our producer",
    json: "also write the figures as JSON to this file (for bench/run.ts)",
  },
} as const;

interface Result {
  name: string;
  records: number;
  seconds: number;
  bytes: number;
}

function line(r: Result): string {
  const rps = r.records / r.seconds;
  return `${r.name.padEnd(34)} ${formatCount(r.records).padStart(10)} records in ${
    r.seconds.toFixed(2).padStart(6)
  }s  ${formatCount(rps).padStart(9)} records/s  ${formatBytes(r.bytes / r.seconds).padStart(9)}/s`;
}

/** Events acked by `--rate 20 --duration 1s` (ideally 20). */
async function measurePacing(
  kafka: Kafka,
  brokers: string[],
  topic: string,
  admin: Admin,
): Promise<number> {
  const gen = new EventGenerator({ seed: 4 });
  const s = await startProducer({
    kafka,
    brokers,
    topic,
    partitions: 1,
    compression: "none",
    rate: 20,
    durationMs: 1000,
    next: () => {
      const e = gen.next();
      return { key: e.event_param.user_id, value: eventJson(e) };
    },
  }).done;
  if (s.error !== undefined) throw s.error;
  const inTopic = await topicEndOffsetSum(admin, topic);
  if (inTopic !== s.acked) throw new Error(`acked ${s.acked}, but ${topic} holds ${inTopic}`);
  return s.acked;
}

/** Milliseconds until a producer pointed at a closed port reports the broker unreachable. */
async function measureUnreachable(): Promise<number> {
  const brokers = ["127.0.0.1:1"];
  const t0 = performance.now();
  const run = startProducer({
    kafka: createKafka({ brokers, clientId: "bench-produce-unreachable" }),
    brokers,
    topic: "bench-unreachable",
    partitions: 1,
    compression: "none",
    rate: 0,
    count: 1,
    next: () => ({ key: "k", value: "v" }),
  });
  const s = await run.done.catch((e: unknown) => ({ error: e }));
  if (s.error === undefined) throw new Error("a producer reached 127.0.0.1:1");
  return performance.now() - t0;
}

runMain(async () => {
  const { values: v } = parseCommand(spec, Deno.args);
  const cfg = loadConfig();
  const count = parseCount(v.count, "--count", 1);
  const partitions = parseCount(v.partitions, "--partitions", 1);
  const compression = parseCompression(v.compression, "--compression");
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "bench-produce" });
  const id = crypto.randomUUID().slice(0, 8);
  const ours = `bench-produce-${id}`;
  const java = `bench-produce-java-${id}`;
  const admin = kafka.admin();
  await withKafkaErrors(cfg.kafkaBrokers, () => admin.connect());
  const payloadFile = await Deno.makeTempFile({ suffix: ".jsonl" });
  const results: Result[] = [];
  try {
    await admin.createTopics({
      topics: [ours, java].map((topic) => ({ topic, numPartitions: partitions })),
      waitForLeaders: true,
    });

    // 1. Generation alone: what the CPU costs before any I/O.
    {
      const gen = new EventGenerator({ seed: 1 });
      const n = Math.min(count, 200_000);
      let bytes = 0;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) bytes += eventJson(gen.next()).length;
      const secs = (performance.now() - t0) / 1000;
      results.push({ name: "generator only (no Kafka)", records: n, seconds: secs, bytes });
    }

    // 2. Our producer, unthrottled.
    const gen = new EventGenerator({ seed: 2 });
    const run = startProducer({
      kafka,
      brokers: cfg.kafkaBrokers,
      topic: ours,
      partitions,
      compression,
      rate: 0,
      count,
      next: () => {
        const e = gen.next();
        return { key: e.event_param.user_id, value: eventJson(e) };
      },
    });
    const s = await run.done;
    if (s.error !== undefined) throw s.error;
    const inTopic = await topicEndOffsetSum(admin, ours);
    if (inTopic !== count) {
      throw new Error(`expected ${count} records in ${ours}, found ${inTopic}`);
    }
    const ourResult = {
      name: `ours (kafkajs, ${compression}, acks=all)`,
      records: s.acked,
      seconds: s.elapsedMs / 1000,
      bytes: s.bytes,
    };
    results.push(ourResult);
    const recordSize = Math.round(s.bytes / s.acked);

    // 3. Kafka's ProducerPerformance replaying the same kind of events.
    let ratio: number | undefined;
    let javaRps: number | undefined;
    if (!v["skip-java"]) {
      const sampleGen = new EventGenerator({ seed: 3 });
      const sample = Array.from({ length: 20_000 }, () => eventJson(sampleGen.next()));
      await Deno.writeTextFile(payloadFile, sample.join("\n") + "\n");
      const out = await runKafkaTool("org.apache.kafka.tools.ProducerPerformance", [
        "--topic",
        java,
        "--num-records",
        String(count),
        "--payload-file",
        payloadFile,
        "--throughput",
        "-1",
        "--producer-props",
        `bootstrap.servers=${cfg.kafkaBrokers.join(",")}`,
        "acks=all",
        "enable.idempotence=true",
        `compression.type=${compression}`,
      ]);
      // Final line: "N records sent, R records/sec (M MB/sec), ... avg latency, ..."
      const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)[^\n]*$/.exec(
        out.stdout.trim(),
      );
      if (out.code !== 0 || !m) {
        throw new Error(
          `ProducerPerformance failed (exit ${out.code}):\n${out.stdout}\n${out.stderr}`,
        );
      }
      const rps = Number(m[2]);
      const records = Number(m[1]);
      const avgPayload = sample.reduce((n, x) => n + x.length, 0) / sample.length;
      results.push({
        name: `Kafka ProducerPerformance (Java)`,
        records,
        seconds: records / rps,
        bytes: records * avgPayload,
      });
      ratio = (ourResult.records / ourResult.seconds) / rps;
      javaRps = rps;
    }

    // 4. Timings the tests do not assert: how closely a low --rate is kept, and how soon
    //    an unreachable broker is reported.
    const pacing = await measurePacing(kafka, cfg.kafkaBrokers, `${ours}-pace`, admin);
    const refusedMs = await measureUnreachable();

    console.log(
      `Producer benchmark: ${formatCount(count)} events, ~${recordSize} B each, ${compression}, ` +
        `${partitions} partitions, broker ${cfg.kafkaBrokers.join(",")}`,
    );
    for (const r of results) console.log(line(r));
    if (ratio !== undefined) {
      console.log(`ratio ours / ProducerPerformance: ${ratio.toFixed(2)}`);
    }
    const pacingNote = `--rate 20 --duration 1s acked ${pacing} events (ideal 20).`;
    const refusedNote = `An unreachable broker (127.0.0.1:1) was reported after ` +
      `${(refusedMs / 1000).toFixed(1)} s.`;
    console.log(pacingNote);
    console.log(refusedNote);
    const head = ["producer", "records", "seconds", "records/s", "MB/s"];
    const rows = results.map((r) => [
      r.name,
      formatCount(r.records),
      r.seconds.toFixed(2),
      formatCount(r.records / r.seconds),
      `${formatBytes(r.bytes / r.seconds)}/s`,
    ]);
    const result: BenchResult = {
      bench: "produce",
      title: "Producer → Kafka",
      sizes: `${formatCount(count)} events (~${recordSize} B), ${compression}, ${partitions} ` +
        `partitions, acks=all, idempotent`,
      ours: {
        label: `our producer (kafkajs, ${compression}, acks=all)`,
        value: ourResult.records / ourResult.seconds,
        unit: "events/s",
      },
      ...(javaRps !== undefined
        ? {
          reference: {
            label: "Kafka ProducerPerformance (Java), same events",
            value: javaRps,
            unit: "events/s",
          },
        }
        : {}),
      ...(ratio !== undefined ? { ratio } : {}),
      table: { head, rows },
      notes: [
        "Both producers unthrottled, idempotent, acks=all, same compression, one topic each on " +
        "the same broker. ProducerPerformance replays a file of 20,000 of our generated events, " +
        "so record size and compressibility match; our figure includes generating the events.",
        pacingNote,
        refusedNote,
      ],
    };
    await writeResult(v.json, result);
  } finally {
    await admin.deleteTopics({ topics: [ours, java, `${ours}-pace`] }).catch(() => {});
    await admin.disconnect();
    await Deno.remove(payloadFile).catch(() => {});
  }
});
