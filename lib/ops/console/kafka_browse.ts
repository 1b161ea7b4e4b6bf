/**
 * Reading messages of one partition for the console (Topics and Dead letters
 * pages): the newest N, or N from an offset. kafkajs has no consumer without
 * a group, so each read joins a throwaway group, seeks, never commits, and
 * deletes the group afterwards; reads run one at a time.
 *
 * @module
 */
import type { Admin, Kafka, KafkaMessage } from "kafkajs";
import { UserError } from "../../core/errors.ts";

/** Most messages one read returns. */
export const MAX_BROWSE = 500;

/** Longest a read waits for its messages before returning what it has. */
export const BROWSE_TIMEOUT_MS = 20_000;

/** Largest value (bytes) a read hands to the page; longer ones are cut. */
export const MAX_VALUE_BYTES = 64 * 1024;

/** What to read. */
export interface BrowseRequest {
  topic: string;
  partition: number;
  /** First offset to read; undefined reads the newest `limit` messages. */
  offset?: number | undefined;
  limit: number;
}

/** One message as the page shows it. */
export interface BrowsedMessage {
  partition: number;
  offset: number;
  /** ISO time of the record's timestamp. */
  timestamp: string;
  key: string | null;
  /** The value as UTF-8 text, or base64 when it is not UTF-8 (`binary`). */
  value: string | null;
  binary: boolean;
  /** Size of the value in bytes (before any cut). */
  size: number;
  truncated: boolean;
  headers: Record<string, string>;
}

/** A read's result: the partition's offsets and the messages from `start`. */
export interface BrowseResult {
  topic: string;
  partition: number;
  low: number;
  high: number;
  start: number;
  messages: BrowsedMessage[];
  /** True when the read stopped at {@link BROWSE_TIMEOUT_MS} before reaching its end. */
  timedOut: boolean;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function text(b: Buffer | Uint8Array | string | null | undefined): { s: string; bin: boolean } {
  if (b === null || b === undefined) return { s: "", bin: false };
  if (typeof b === "string") return { s: b, bin: false };
  try {
    return { s: utf8.decode(b), bin: false };
  } catch {
    return { s: btoa(String.fromCharCode(...b.subarray(0, MAX_VALUE_BYTES))), bin: true };
  }
}

/** A kafkajs message as the page shows it (pure). */
export function toBrowsed(partition: number, m: KafkaMessage): BrowsedMessage {
  const raw = m.value;
  const size = raw ? raw.length : 0;
  const cut = raw && raw.length > MAX_VALUE_BYTES ? raw.subarray(0, MAX_VALUE_BYTES) : raw;
  const v = text(cut);
  const headers: Record<string, string> = {};
  for (const [k, h] of Object.entries(m.headers ?? {})) {
    const one = Array.isArray(h) ? h[0] : h;
    headers[k] = text(one as Buffer | undefined).s;
  }
  return {
    partition,
    offset: Number(m.offset),
    timestamp: new Date(Number(m.timestamp)).toISOString(),
    key: m.key ? text(m.key).s : null,
    value: raw ? v.s : null,
    binary: v.bin,
    size,
    truncated: size > MAX_VALUE_BYTES,
    headers,
  };
}

/** Which offsets to read: `[start, end)` within the partition's `[low, high)`. */
export function browseRange(
  low: number,
  high: number,
  offset: number | undefined,
  limit: number,
): { start: number; end: number } {
  const n = Math.max(1, Math.min(MAX_BROWSE, Math.floor(limit)));
  const start = offset === undefined
    ? Math.max(low, high - n)
    : Math.min(Math.max(low, Math.floor(offset)), high);
  return { start, end: Math.min(high, start + n) };
}

async function partitionOffsets(admin: Admin, req: BrowseRequest) {
  const topics = await admin.listTopics();
  if (!topics.includes(req.topic)) throw new UserError(`topic "${req.topic}" does not exist`);
  const offsets = await admin.fetchTopicOffsets(req.topic);
  const p = offsets.find((o) => o.partition === req.partition);
  if (!p) {
    throw new UserError(`topic "${req.topic}" has no partition ${req.partition}`);
  }
  return { low: Number(p.low), high: Number(p.high) };
}

/** Deletes the throwaway group; retried while the broker still sees its member leaving. */
async function deleteGroup(admin: Admin, groupId: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    try {
      await admin.deleteGroups([groupId]);
      return;
    } catch (e) {
      const codes = JSON.stringify((e as { groups?: unknown }).groups ?? String(e));
      if (/GROUP_ID_NOT_FOUND/.test(codes)) return;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Reads `[start, end)` of one partition with a consumer that seeks and never commits. */
async function readRange(
  kafka: Kafka,
  req: BrowseRequest,
  start: number,
  end: number,
  groupId: string,
): Promise<{ messages: BrowsedMessage[]; timedOut: boolean }> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, sessionTimeout: 10_000 });
  const messages: BrowsedMessage[] = [];
  let finish!: (timedOut: boolean) => void;
  const finished = new Promise<boolean>((r) => (finish = r));
  const timer = setTimeout(() => finish(true), BROWSE_TIMEOUT_MS);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: req.topic });
    consumer.on(consumer.events.CRASH, () => finish(true));
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        if (batch.partition !== req.partition) return Promise.resolve();
        for (const m of batch.messages) {
          const o = Number(m.offset);
          if (o >= start && o < end) messages.push(toBrowsed(batch.partition, m));
        }
        // Offsets may have gaps (transaction markers): the batch's last offset says how far.
        if (Number(batch.lastOffset()) >= end - 1) finish(false);
        return Promise.resolve();
      },
    });
    consumer.seek({ topic: req.topic, partition: req.partition, offset: String(start) });
    const timedOut = await finished;
    return { messages: messages.sort((a, b) => a.offset - b.offset), timedOut };
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
  }
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Reads the newest `limit` messages of a partition, or `limit` from `offset`.
 * Reads are serialized: each joins a group of its own, which is deleted after.
 *
 * @example
 * ```ts
 * const r = await browse(createKafka({ brokers }), { topic: "music_events", partition: 0, limit: 20 });
 * ```
 */
export function browse(kafka: Kafka, req: BrowseRequest): Promise<BrowseResult> {
  const run = async (): Promise<BrowseResult> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { low, high } = await partitionOffsets(admin, req);
      const { start, end } = browseRange(low, high, req.offset, req.limit);
      const base = { topic: req.topic, partition: req.partition, low, high, start };
      if (start >= end) return { ...base, messages: [], timedOut: false };
      const groupId = `music-console-${crypto.randomUUID().slice(0, 12)}`;
      try {
        return { ...base, ...(await readRange(kafka, req, start, end, groupId)) };
      } finally {
        await deleteGroup(admin, groupId);
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
  const p = queue.then(run, run);
  queue = p.catch(() => {});
  return p;
}
