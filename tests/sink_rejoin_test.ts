/**
 * The sink's input on real Kafka: when the group membership is renewed without
 * a REBALANCING event (here: the member's session expired while its thread was
 * busy, so kafkajs rejoins after UNKNOWN_MEMBER_ID), the sink is told to
 * revoke (from the JoinGroup answer) before kafkajs installs the new
 * generation and before GROUP_JOIN. So no flush of the old membership can
 * commit a plan under the new generation: the "timer flush between a new
 * generation and GROUP_JOIN" window is closed.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createKafka } from "../lib/kafka/client.ts";
import { KafkaInput } from "../lib/sink/input.ts";
import { ensureStack, testConfig, uniqueName, waitFor } from "./helpers.ts";
import { dropKafkaResources, produceEvents } from "./sink_helpers.ts";

const cfg = testConfig();

Deno.test("sink input: an expired member's rejoin revokes before the new generation is announced", async () => {
  await ensureStack();
  const topic = uniqueName("sink-rejoin");
  const group = `${topic}-g`;
  await produceEvents(topic, 10, { partitions: 1 });
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "sink-rejoin-test" });
  const input = new KafkaInput(kafka, {
    brokers: cfg.kafkaBrokers,
    topic,
    group,
    topics: [{ topic, partitions: 1 }],
  });
  const events: string[] = [];
  let blocked = false;
  try {
    await input.prepare();
    await input.run({
      onBatch: (batch, { resolveOffset }) => {
        events.push("batch");
        resolveOffset(batch.lastOffset());
        if (!blocked) {
          blocked = true;
          // Busy past the 15 s session: the coordinator drops this member.
          const until = Date.now() + 17_000;
          while (Date.now() < until) { /* the thread is busy */ }
        }
        return Promise.resolve();
      },
      onRevoke: () => void events.push("revoke"),
      onJoin: (partitions) => void events.push(`join ${partitions}`),
      onRestart: () => {
        events.push("restart");
        return true;
      },
    });
    assert(
      await waitFor(
        () => Promise.resolve(events.filter((e) => e.startsWith("join")).length >= 2),
        60_000,
      ),
      `events: ${events}`,
    );
    // Each join hands over the assignment: the topic's one partition.
    const joins = events.filter((e) => e.startsWith("join"));
    assert(joins.every((e) => e === "join 0"), `events: ${events}`);
    // First join, the busy batch, then the rejoin: revoked before it is announced.
    const second = events.lastIndexOf("join 0");
    const afterBatch = events.slice(events.indexOf("batch"), second + 1);
    assertEquals(afterBatch.filter((e) => e === "revoke").length >= 1, true, `events: ${events}`);
    assertEquals(afterBatch.at(-1), "join 0");
    assert(afterBatch.indexOf("revoke") < afterBatch.lastIndexOf("join 0"), `events: ${events}`);
  } finally {
    await input.leave().catch(() => {});
    await input.close().catch(() => {});
    await dropKafkaResources({ topics: [topic], groups: [group] });
  }
});
