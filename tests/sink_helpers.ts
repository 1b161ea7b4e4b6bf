/**
 * Helpers for sink tests: produce generated events, read the stored lake back.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { zstdDecompressSync } from "node:zlib";
import { CompressionTypes } from "kafkajs";
import { chunksByBytes } from "../lib/sink/plan.ts";
import { encodeEvent } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { ensureTopic } from "../lib/kafka/admin.ts";
import { createKafka } from "../lib/kafka/client.ts";
import { createS3Client, getObject, listObjects } from "../lib/lake/s3.ts";
import { parquetReadObjects } from "hyparquet";
import { testConfig } from "./helpers.ts";

const cfg = testConfig();

/** Raw messages to produce: key and value bytes (null value = tombstone). */
export interface RawMessage {
  key: string | null;
  value: Uint8Array | string | null;
}

/** Produces `count` generated events (seeded) to `topic`, creating it with `partitions`. */
export async function produceEvents(
  topic: string,
  count: number,
  opts: { partitions?: number; seed?: number; extra?: (i: number) => RawMessage | undefined } = {},
): Promise<void> {
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "sink-test" });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopic(admin, topic, opts.partitions ?? 3);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const gen = new EventGenerator({ seed: opts.seed ?? 1 });
  const chunk = 5000;
  for (let i = 0; i < count; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(count, i + chunk); j++) {
      const extra = opts.extra?.(j);
      if (extra) {
        messages.push({
          key: extra.key,
          value: extra.value === null ? null : Buffer.from(extra.value),
        });
      }
      const e = gen.next();
      messages.push({ key: e.event_param.user_id, value: Buffer.from(encodeEvent(e)) });
    }
    // The broker takes at most ~1 MB per request, whatever the test's extras weigh.
    const size = (m: { value: Buffer | null }) => (m.value?.byteLength ?? 0) + 64;
    for (const part of chunksByBytes(messages, size, 512 * 1024)) {
      await producer.send({ topic, messages: part, acks: -1, compression: CompressionTypes.GZIP });
    }
  }
  await producer.disconnect();
}

/** Every stored row's (partition, offset), from every object under `prefix`. */
export async function storedCoordinates(bucket: string, prefix: string) {
  const s3 = createS3Client(cfg.s3);
  const objects = await listObjects(s3, bucket, `${prefix}/`);
  const coords: string[] = [];
  for (const o of objects) {
    const bytes = await getObject(s3, bucket, o.key);
    const rows = await parquetReadObjects({
      file: bytes.buffer.slice(
        bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength,
      ) as ArrayBuffer,
      columns: ["kafka_partition", "kafka_offset"],
      compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)) },
    });
    for (const r of rows) coords.push(`${r.kafka_partition}:${r.kafka_offset}`);
  }
  s3.destroy();
  return { objects, coords };
}
