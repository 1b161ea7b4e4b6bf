/**
 * Topic administration on an admin client: creating a topic when missing and
 * counting the records it retains.
 *
 * @module
 */
import type { Admin } from "kafkajs";

/**
 * Creates `topic` with `partitions` partitions unless it exists. Returns
 * whether it was created and its partition count. Safe to call concurrently.
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
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: partitions }],
    waitForLeaders: true,
  });
  if (created) return { created, partitions };
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  return { created, partitions: meta.topics[0]?.partitions.length ?? partitions };
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
