/**
 * Helpers for sink tests (and other Kafka tests): produce generated events,
 * read a topic or the stored lake back, read a group's commits, and delete
 * what a test created.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { zstdDecompressSync } from "node:zlib";
import { type Admin, CompressionTypes, type DeleteGroupsResult, type IHeaders } from "kafkajs";
import { chunksByBytes, decodePlan, type PlannedCut } from "../lib/sink/plan.ts";
import { encodeEvent } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { ensureTopic } from "../lib/kafka/admin.ts";
import { createKafka } from "../lib/kafka/client.ts";
import { createS3Client, getObject, listObjects } from "../lib/lake/s3.ts";
import { parquetReadObjects } from "hyparquet";
import { deleteTestPrefix, testConfig, uniqueName, waitFor } from "./helpers.ts";

const cfg = testConfig();

/** Raw messages to produce: key and value bytes (null value = tombstone). */
export interface RawMessage {
  key: string | null;
  value: Uint8Array | string | null;
  /** Headers to send with the record. */
  headers?: Record<string, string>;
  /** The partition to send it to (else the key's). */
  partition?: number;
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
          ...(extra.headers ? { headers: extra.headers } : {}),
          ...(extra.partition !== undefined ? { partition: extra.partition } : {}),
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

/** How many objects are stored under `prefix/` (0 while the bucket or prefix is empty). */
export async function storedObjectCount(prefix: string): Promise<number> {
  const s3 = createS3Client(cfg.s3);
  try {
    return (await listObjects(s3, cfg.s3.bucket, `${prefix}/`)).length;
  } catch {
    return 0;
  } finally {
    s3.destroy();
  }
}

/** One record read back by {@link readTopic}. */
export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

function headerText(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.map(String).join(",") : String(v);
  }
  return out;
}

/**
 * Reads `topic` from the beginning in a throw-away group until `expected`
 * records arrived or `timeoutMs` passed, and returns what it read. Nothing is
 * asserted inside kafkajs's callback (a throw there restarts the consumer);
 * callers assert on the result. The group is deleted afterwards.
 */
export async function readTopic(
  topic: string,
  expected: number,
  timeoutMs: number,
): Promise<ReadRecord[]> {
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "sink-test-reader" });
  const group = uniqueName("test-reader");
  const consumer = kafka.consumer({ groupId: group });
  const got: ReadRecord[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        got.push({
          partition,
          offset: message.offset,
          key: message.key === null ? null : message.key.toString(),
          value: message.value,
          headers: headerText(message.headers),
        });
        return Promise.resolve();
      },
    });
    await waitFor(() => Promise.resolve(got.length >= expected), timeoutMs, 200);
  } finally {
    await consumer.disconnect().catch(() => {});
    await dropKafkaResources({ groups: [group] });
  }
  return got;
}

/** A partition's committed offset and, when one is outstanding, the planned cut. */
export interface GroupCommit {
  offset: bigint;
  plan: PlannedCut | undefined;
}

/** The group's commits on `topic` by partition (offset -1 when none). */
export async function groupCommits(
  admin: Admin,
  group: string,
  topic: string,
): Promise<Map<number, GroupCommit>> {
  const out = new Map<number, GroupCommit>();
  for (const t of await admin.fetchOffsets({ groupId: group, topics: [topic] })) {
    for (const p of t.partitions) {
      const offset = BigInt(p.offset);
      out.set(p.partition, { offset, plan: decodePlan(p.metadata, offset) });
    }
  }
  return out;
}

/** Sum of committed offsets over partitions (uncommitted ones count 0). */
export function committedSum(commits: Map<number, GroupCommit>): bigint {
  let n = 0n;
  for (const c of commits.values()) if (c.offset > 0n) n += c.offset;
  return n;
}

/** A free TCP port on 127.0.0.1 right now (another process may still take it). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Test clean-up: deletes `topics` (those that exist), consumer `groups` (waiting
 * up to 30 s for a killed member's session to expire) and lake `prefixes`.
 * Never throws, so it cannot hide the test's own failure; says what it could not delete.
 */
export async function dropKafkaResources(
  what: { topics?: string[]; groups?: string[]; prefixes?: string[] },
): Promise<void> {
  const warn = (e: unknown, x: string) =>
    console.error(`clean-up: could not delete ${x}: ${(e as Error).message}`);
  const admin = createKafka({ brokers: cfg.kafkaBrokers, clientId: "test-cleanup" }).admin();
  try {
    await admin.connect();
    if (what.topics?.length) {
      const existing = new Set(await admin.listTopics());
      const topics = what.topics.filter((t) => existing.has(t));
      if (topics.length) await admin.deleteTopics({ topics }).catch((e) => warn(e, `${topics}`));
    }
    for (const group of what.groups ?? []) {
      let last: unknown;
      const gone = await waitFor(
        async () => {
          try {
            await admin.deleteGroups([group]);
            return true;
          } catch (e) {
            last = e;
            // Never created, or already gone: nothing to delete.
            const groups = (e as { groups?: DeleteGroupsResult[] }).groups;
            return groups !== undefined &&
              groups.every((g) => g.error?.type === "GROUP_ID_NOT_FOUND");
          }
        },
        30_000,
        1000,
      );
      if (!gone) warn(last, `group ${group}`);
    }
  } catch (e) {
    warn(e, "Kafka resources");
  } finally {
    await admin.disconnect().catch(() => {});
  }
  for (const prefix of what.prefixes ?? []) {
    await deleteTestPrefix(prefix).catch((e) => warn(e, `prefix ${prefix}/`));
  }
}

/** Runs a command to its end; kills it (and fails) after a generous `deadlineMs`, never hangs. */
export async function outputWithin(
  cmd: Deno.Command | Deno.ChildProcess,
  deadlineMs: number,
): Promise<Deno.CommandOutput> {
  const child = cmd instanceof Deno.Command ? cmd.spawn() : cmd;
  let overdue = false;
  const timer = setTimeout(() => {
    overdue = true;
    child.kill("SIGKILL");
  }, deadlineMs);
  try {
    const out = await child.output();
    if (overdue) throw new Error(`still running after ${deadlineMs / 1000} s; killed`);
    return out;
  } finally {
    clearTimeout(timer);
  }
}
