import assert from "node:assert/strict";
import kafkajs, { type Kafka } from "kafkajs";
import { UserError } from "../core/errors.ts";
import { DeliveryTimeoutError, keyPartitioner, type OutRecord, startProducer } from "./producer.ts";

// kafkajs spreads its error classes into module.exports, which defeats named ESM imports.
const {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} = kafkajs;

/** What producer.send() rejects with once kafkajs's reconnect to a stopped broker gave up. */
function brokerDown(): Error {
  const refused = new KafkaJSConnectionError("Connection error: connect ECONNREFUSED 127.0.0.1:1");
  const gaveUp = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 2000 });
  return new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(
    gaveUp,
    { cause: gaveUp },
  );
}

/** A record as handed to send(): with the partition the producer chose. */
type SentRecord = OutRecord & { partition: number };

/**
 * A Kafka whose admin always succeeds and whose producer's send() does what
 * `onSend` says; it records every send() and every connect().
 */
function fakeKafka(onSend: (call: number, messages: SentRecord[]) => Promise<void>) {
  const sends: SentRecord[][] = [];
  let connects = 0;
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    describeCluster: () => Promise.resolve({ brokers: [{ nodeId: 1 }] }),
    createTopics: () => Promise.resolve(true),
  };
  const producer = {
    connect: () => Promise.resolve(void connects++),
    disconnect: () => Promise.resolve(),
    send: ({ messages }: { messages: SentRecord[] }) => {
      sends.push(messages);
      return onSend(sends.length, messages);
    },
  };
  const kafka = { admin: () => admin, producer: () => producer } as unknown as Kafka;
  return { kafka, sends, connects: () => connects };
}

function options(kafka: Kafka, count: number) {
  let i = 0;
  return {
    kafka,
    brokers: ["b:1"],
    topic: "t",
    partitions: 1,
    compression: "none" as const,
    rate: 0,
    count,
    batchSize: 5,
    next: () => ({ key: `k${i}`, value: `v${i++}` }),
  };
}

Deno.test("a batch Kafka did not take is re-sent as the very same messages until acked", async () => {
  let waitingSeen = "";
  const f = fakeKafka((call) => {
    if (call === 2) waitingSeen = run.stats.waiting ? run.stats.waitReason : "not waiting";
    return call <= 2 ? Promise.reject(brokerDown()) : Promise.resolve();
  });
  const run = startProducer(options(f.kafka, 5));
  const s = await run.done;
  assert.equal(s.error, undefined);
  assert.equal(f.sends.length, 3);
  // The same array each time: never a rebuilt batch, so the same sequence numbers.
  assert.ok(f.sends[1] === f.sends[0] && f.sends[2] === f.sends[0]);
  assert.deepEqual(f.sends[0]!.map((r) => r.value), ["v0", "v1", "v2", "v3", "v4"]);
  assert.equal(f.connects(), 1); // never reconnected: a new producer id would defeat dedup
  assert.equal(waitingSeen, "connection refused");
  assert.deepEqual([s.sent, s.acked, s.failed, s.waiting], [5, 5, 0, false]);
});

Deno.test("Kafka unreachable past the delivery timeout: the run fails, counts exact", async () => {
  const f = fakeKafka((call) => call === 1 ? Promise.resolve() : Promise.reject(brokerDown()));
  const s = await startProducer({ ...options(f.kafka, 10), deliveryTimeoutMs: 300 }).done;
  assert.ok(s.error instanceof DeliveryTimeoutError, String(s.error));
  assert.equal(s.error.message, "Kafka at b:1 unreachable for 0.3s (connection refused)");
  assert.ok(f.sends.length >= 2);
  assert.ok(f.sends.slice(1).every((m) => m === f.sends[1]));
  assert.deepEqual([s.sent, s.acked, s.failed, s.stopped], [10, 5, 5, false]);
});

/** A run with a long delivery timeout that `stop` ends. */
function runUntilStopped(kafka: Kafka, stop: AbortController) {
  return startProducer({ ...options(kafka, 1000), deliveryTimeoutMs: 600_000, signal: stop.signal })
    .done;
}

Deno.test("a stop signal while waiting for Kafka ends the run like a normal stop", async () => {
  const stop = new AbortController();
  const f = fakeKafka((call) => {
    if (call === 1) return Promise.resolve();
    if (call === 3) stop.abort(); // during the first re-send of the second batch
    return Promise.reject(brokerDown());
  });
  const s = await runUntilStopped(f.kafka, stop);
  assert.equal(s.error, undefined);
  assert.equal(f.sends.length, 3);
  assert.deepEqual([s.stopped, s.sent, s.acked, s.failed], [true, 10, 5, 5]);
});

Deno.test("a broker refusal fails the run at once, without re-sending", async () => {
  const tooLarge = new KafkaJSProtocolError(
    {
      type: "MESSAGE_TOO_LARGE",
      code: 10,
      retriable: false,
      message: "too large",
    } as unknown as Error,
  );
  const f = fakeKafka(() => Promise.reject(tooLarge));
  const s = await startProducer({ ...options(f.kafka, 5), deliveryTimeoutMs: 600_000 }).done;
  assert.equal(f.sends.length, 1);
  assert.ok(s.error instanceof UserError && !(s.error instanceof DeliveryTimeoutError));
  assert.equal(s.error.message, "Kafka refused: too large (MESSAGE_TOO_LARGE)");
  assert.deepEqual([s.acked, s.failed], [0, 5]);
});

Deno.test("the delivery timeout reads as the flag is usually written", () => {
  const msg = (ms: number) =>
    new DeliveryTimeoutError(["a:1", "b:2"], ms, "connection refused").message;
  assert.equal(msg(120_000), "Kafka at a:1,b:2 unreachable for 2m (connection refused)");
  assert.equal(msg(45_000), "Kafka at a:1,b:2 unreachable for 45s (connection refused)");
  assert.equal(msg(1500), "Kafka at a:1,b:2 unreachable for 1.5s (connection refused)");
});

Deno.test("keys spread over every partition, each key always to the same one", () => {
  const partitionOf = keyPartitioner("t", 3);
  const keys = Array.from({ length: 300 }, (_, i) => `user-${i}`);
  const counts = [0, 0, 0];
  for (const k of keys) counts[partitionOf(k)]!++;
  assert.ok(counts.every((c) => c > 50), String(counts)); // spread over every partition
  assert.equal(partitionOf("user-7"), partitionOf("user-7"));
});

Deno.test("each send() carries one partition's records; only a failed share is re-sent", async () => {
  let failedOnce = false;
  const f = fakeKafka((_call, messages) => {
    // The first share of partition 1 fails once, as if its leader had died.
    if (messages[0]!.partition === 1 && !failedOnce) {
      failedOnce = true;
      return Promise.reject(brokerDown());
    }
    return Promise.resolve();
  });
  const s = await startProducer({ ...options(f.kafka, 30), partitions: 3, batchSize: 30 }).done;
  assert.equal(s.error, undefined);
  const partitionOf = keyPartitioner("t", 3);
  for (const sent of f.sends) {
    assert.equal(new Set(sent.map((r) => r.partition)).size, 1);
    for (const r of sent) assert.equal(r.partition, partitionOf(r.key));
  }
  // Three shares, one re-sent as the same array: 4 sends, each record acked once.
  assert.equal(f.sends.length, 4);
  const resent = f.sends.filter((m, i) => f.sends.indexOf(m) !== i);
  assert.equal(resent.length, 1);
  assert.equal(resent[0]![0]!.partition, 1);
  const values = [...new Set(f.sends)].flat().map((r) => r.value).sort();
  assert.deepEqual(values, Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
  assert.deepEqual([s.sent, s.acked, s.failed], [30, 30, 0]);
});

Deno.test("a partition's next share waits until its previous one is acked", async () => {
  let inFlight = 0;
  let most = 0;
  const f = fakeKafka(async (call) => {
    most = Math.max(most, ++inFlight);
    // Each send takes a while and the first few fail: shares pile up behind them.
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    if (call <= 2) throw brokerDown();
  });
  const s = await startProducer({
    ...options(f.kafka, 40),
    partitions: 1,
    maxInFlight: 4,
  }).done;
  assert.equal(s.error, undefined);
  assert.equal(most, 1);
  assert.deepEqual(
    [...new Set(f.sends)].flat().map((r) => r.value),
    Array.from({ length: 40 }, (_, i) => `v${i}`),
  );
  assert.deepEqual([s.acked, s.failed], [40, 0]);
});

Deno.test("a send kafkajs never answers fails the run at the delivery timeout; its partition gets nothing more", async () => {
  const f = fakeKafka((call) => call === 1 ? Promise.resolve() : new Promise(() => {}));
  const s = await startProducer({
    ...options(f.kafka, 15),
    maxInFlight: 3,
    deliveryTimeoutMs: 200,
  }).done;
  assert.ok(s.error instanceof DeliveryTimeoutError, String(s.error));
  assert.equal(s.error.message, "Kafka at b:1 unreachable for 0.2s (no answer)");
  // The third batch was handed over but never sent: its fate would be unknown.
  assert.equal(f.sends.length, 2);
  assert.deepEqual([s.sent, s.acked, s.failed, s.abandoned], [15, 5, 10, 1]);
});

Deno.test("a stop while kafkajs still retries a send ends the run without waiting for it", async () => {
  const stop = new AbortController();
  const f = fakeKafka((call) => {
    if (call === 1) return Promise.resolve();
    stop.abort();
    return new Promise(() => {}); // kafkajs retrying a broker that does not answer
  });
  const s = await runUntilStopped(f.kafka, stop);
  assert.equal(s.error, undefined);
  assert.deepEqual([s.stopped, s.sent, s.acked, s.failed, s.abandoned], [true, 10, 5, 5, 1]);
});
