/**
 * Topic administration on an admin client: creating a topic when missing
 * (replicated across the cluster) and counting the records it retains.
 *
 * @module
 */
import type { Admin } from "kafkajs";
import { sleep } from "../core/process.ts";
import { connectionFailure } from "./client.ts";

/**
 * How a topic of ours is replicated in a cluster of `brokers`: three copies at
 * most (fewer on a smaller cluster), and with three or more brokers a write
 * needs two in-sync copies (`min.insync.replicas=2`), so with acks=all an
 * acknowledged record survives the loss of any one broker.
 */
export function topicReplication(
  brokers: number,
): { replicationFactor: number; configEntries: { name: string; value: string }[] } {
  return {
    replicationFactor: Math.max(1, Math.min(3, brokers)),
    configEntries: brokers >= 3 ? [{ name: "min.insync.replicas", value: "2" }] : [],
  };
}

/**
 * Creates `topic` with `partitions` partitions unless it exists, replicated as
 * {@link topicReplication} says for the brokers in the cluster's metadata.
 * Returns whether it was created and its partition count. Safe to call
 * concurrently. A broker that dies meanwhile (a node of a cluster) is ridden
 * out: once the cluster has answered, a lost connection is retried for up to
 * 30 s; a cluster that does not answer at all fails at once.
 *
 * @example
 * ```ts
 * await admin.connect();
 * const { created, partitions } = await ensureTopic(admin, "music_events", 3);
 * ```
 */
export async function ensureTopic(
  admin: Admin,
  topic: string,
  partitions: number,
): Promise<{ created: boolean; partitions: number }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    let answered = false;
    try {
      const { brokers } = await admin.describeCluster();
      answered = true;
      return await createTopic(admin, topic, partitions, brokers.length);
    } catch (e) {
      // kafkajs gives up on createTopics when the broker it asks dies; creating again is harmless.
      if (!answered || connectionFailure(e) === undefined || Date.now() > deadline) throw e;
      await sleep(1000);
    }
  }
}

/** One attempt of {@link ensureTopic} on a cluster of `brokers`. */
async function createTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  brokers: number,
): Promise<{ created: boolean; partitions: number }> {
  let created: boolean;
  try {
    created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, ...topicReplication(brokers) }],
      waitForLeaders: true,
    });
  } catch (e) {
    // Created, but the broker kafkajs asked has not heard of it yet (a cluster).
    if (!notYet(e)) throw e;
    return { created: true, partitions: await waitForLeaders(admin, topic) ?? partitions };
  }
  if (created) return { created, partitions };
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  return { created, partitions: meta.topics[0]?.partitions.length ?? partitions };
}

/** Errors of a topic that exists on the controller but not yet on every broker. */
const NOT_YET = new Set(["UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE"]);

/** True for a {@link NOT_YET} error, also when kafkajs's retrier wrapped it. */
function notYet(e: unknown): boolean {
  type KafkaErr = { type?: string; originalError?: KafkaErr; cause?: KafkaErr };
  const err = e as KafkaErr | undefined;
  return [err?.type, err?.originalError?.type, err?.cause?.type].some((t) => NOT_YET.has(t ?? ""));
}

/**
 * Polls the topic's metadata until every partition has a leader (at most
 * 30 s); returns its partition count, or undefined if it never showed.
 * kafkajs's own `waitForLeaders` gives up on UNKNOWN_TOPIC_OR_PARTITION,
 * which a broker of a cluster answers until the new topic reaches it.
 */
async function waitForLeaders(admin: Admin, topic: string): Promise<number | undefined> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = meta.topics[0]?.partitions ?? [];
      if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return parts.length;
    } catch (e) {
      if (!notYet(e) || Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Records a topic retains: the sum over its partitions of high watermark minus
 * low watermark (log start offset). Equals the number of records written when
 * nothing was deleted or compacted away (transaction markers also count).
 */
export async function topicEndOffsetSum(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}
