/**
 * Unit tests of the README's guarantees (Exactly-once objects, faults,
 * metrics) on the real {@link SinkCore} with the in-memory group, store and
 * dead-letter topic of `fakes_test.ts`.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { SinkCore } from "./sink.ts";
import { type BatchEncoder, inlineEncoder } from "./encoders.ts";
import { encodePlan } from "./plan.ts";
import { metricsText } from "./metrics.ts";
import {
  eventValue,
  FakeCluster,
  type Fate,
  newMember,
  settle,
  sinkOptions,
  storedRows,
  until,
} from "./test_fake_member.ts";

/** Around midnight UTC, so batches span two dates. */
const MIDNIGHT = Date.UTC(2026, 10, 25);

/** Decoded rows as `key: offsets`, keys sorted. */
async function rowsByKey(objects: Map<string, Uint8Array>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const r of await storedRows(objects)) (out[r.key] ??= []).push(Number(r.offset));
  return Object.fromEntries(
    Object.entries(out).sort().map(([k, v]) => [k, v.sort((a, b) => a - b)]),
  );
}

const commitsOf = (cluster: FakeCluster) =>
  cluster.commits.map((c) => [c.member, c.partition, Number(c.offset), c.metadata && "plan"]);

Deno.test("restart: a new process replays the recorded plan exactly, though its own limits and more records would cut elsewhere", async () => {
  const cluster = new FakeCluster(1);
  for (let i = 0; i < 8; i++) cluster.append(0, eventValue(MIDNIGHT - 4 + i), MIDNIGHT);
  const a = newMember(cluster);
  // Process A cuts [0, 5), records the plan, and dies on its first upload.
  cluster.fault = (c) => c.kind === "put" ? "crash-before" : "ok";
  const sinkA = new SinkCore(a.parts(), sinkOptions({ limits: { maxRecords: 5 } }));
  await sinkA.start();
  void a.fetch(0, 8);
  await settle();
  assertEquals([a.dead, cluster.objects.size], [true, 0]);
  assertEquals(cluster.committedOffsets.get(0), {
    offset: 0n,
    metadata: encodePlan({ start: 0n, end: 5n }),
  });
  void sinkA.stop();

  // Four more records arrive; B would take everything at once (max-age 0, max-records 100).
  for (let i = 8; i < 12; i++) cluster.append(0, eventValue(MIDNIGHT + i), MIDNIGHT);
  cluster.fault = () => "ok";
  const b = newMember(cluster);
  const sinkB = new SinkCore(b.parts(), sinkOptions({ limits: { maxRecords: 100, maxAgeMs: 0 } }));
  await sinkB.start();
  await b.fetch(0, 100);
  await sinkB.stop();

  // B completes A's plan without recording another, then cuts the rest under its own plan.
  assertEquals(commitsOf(cluster), [[0, 0, 0, "plan"], [1, 0, 5, null], [1, 0, 5, "plan"], [
    1,
    0,
    12,
    null,
  ]]);
  assertEquals(await rowsByKey(cluster.objects), {
    "p/dt=2026-11-24/t+0+0000000000.parquet": [0, 1, 2, 3],
    "p/dt=2026-11-25/t+0+0000000004.parquet": [4],
    "p/dt=2026-11-25/t+0+0000000005.parquet": [5, 6, 7, 8, 9, 10, 11],
  });
  assertEquals([sinkB.stats.records, sinkB.stats.files, sinkB.stats.flushes], [12, 3, 2]);
});

Deno.test("ownership: a commit from a stale generation is refused, and the former owner gives up the batch without uploading", async () => {
  const cluster = new FakeCluster(1);
  for (let i = 0; i < 3; i++) cluster.append(0, eventValue(MIDNIGHT + i), MIDNIGHT);
  const logA: string[] = [];
  // A learns of the rebalance late: it still handles its batch when B has taken the partition.
  const a = newMember(cluster, false);
  const sinkA = new SinkCore(
    a.parts(),
    sinkOptions({ limits: { maxAgeMs: 0 }, log: (l) => logA.push(l) }),
  );
  let sinkB: SinkCore | undefined;
  const b = newMember(cluster);
  cluster.fault = async (c): Promise<Fate> => {
    if (c.member === a && !sinkB) {
      sinkB = new SinkCore(b.parts(), sinkOptions({ limits: { maxAgeMs: 0 } }));
      await sinkB.start();
    }
    return "ok";
  };
  await sinkA.start();
  await a.fetch(0, 10);
  // A stores in the background; its heartbeat between attempts tells it the partition is gone.
  await until("A gave up", () => cluster.refused.length > 0 && !sinkA.storing);

  assertEquals(cluster.refused, [{ member: 0, partition: 0, offset: 0n }]);
  assertEquals([cluster.commits.length, cluster.puts.length], [0, 0]);
  assertEquals(a.batchErrors.map((e) => e.message), ["fake broker: REBALANCE_IN_PROGRESS"]);
  assertEquals([sinkA.stats.records, sinkA.stats.files, sinkA.stats.restarts], [0, 0, 1]);
  assertEquals(logA.map((l) => l.replace(/ \(member.*/, "")), [
    "warning: Kafka commit failed (attempt 1): fake broker: ILLEGAL_GENERATION",
    "warning: Kafka consumer restarting after: fake broker: REBALANCE_IN_PROGRESS",
  ]);

  // The new owner stores the batch, once.
  await b.fetch(0, 10);
  await until("B stored", () => sinkB!.stats.flushes === 1);
  assertEquals(commitsOf(cluster), [[1, 0, 0, "plan"], [1, 0, 3, null]]);
  assertEquals(await rowsByKey(cluster.objects), {
    "p/dt=2026-11-25/t+0+0000000000.parquet": [0, 1, 2],
  });
  await Promise.all([sinkA.stop(), sinkB!.stop()]);
});

Deno.test("late upload: a dead former owner's upload that arrives after the new owner's commit writes byte-identical content", async () => {
  const cluster = new FakeCluster(1);
  for (let i = 0; i < 6; i++) cluster.append(0, eventValue(MIDNIGHT - 3 + i), MIDNIGHT);
  const a = newMember(cluster);
  cluster.fault = (c) => c.kind === "put" ? "delay" : "ok";
  const opts = { compression: "zstd" as const, limits: { maxAgeMs: 0 } };
  const sinkA = new SinkCore(a.parts(), sinkOptions(opts));
  await sinkA.start();
  void a.fetch(0, 10);
  await settle();
  // A recorded plan [0, 6) and has its first upload on the wire when it dies.
  assertEquals(cluster.inflight.map((p) => p.key), ["p/dt=2026-11-24/t+0+0000000000.parquet"]);
  a.die();
  void sinkA.stop();

  for (let i = 6; i < 9; i++) cluster.append(0, eventValue(MIDNIGHT + i), MIDNIGHT);
  cluster.fault = () => "ok";
  const b = newMember(cluster);
  const sinkB = new SinkCore(b.parts(), sinkOptions(opts));
  await sinkB.start();
  await b.fetch(0, 100);
  await sinkB.stop();
  assertEquals(commitsOf(cluster), [[0, 0, 0, "plan"], [1, 0, 6, null], [1, 0, 6, "plan"], [
    1,
    0,
    9,
    null,
  ]]);
  const stored = cluster.objects.get("p/dt=2026-11-24/t+0+0000000000.parquet");

  cluster.land(0);
  assertEquals(cluster.puts.at(-1), {
    key: "p/dt=2026-11-24/t+0+0000000000.parquet",
    member: 0,
    replaced: "same",
    late: true,
  });
  assertEquals(cluster.objects.get("p/dt=2026-11-24/t+0+0000000000.parquet"), stored);
  assertEquals(await rowsByKey(cluster.objects), {
    "p/dt=2026-11-24/t+0+0000000000.parquet": [0, 1, 2],
    "p/dt=2026-11-25/t+0+0000000003.parquet": [3, 4, 5],
    "p/dt=2026-11-25/t+0+0000000006.parquet": [6, 7, 8],
  });
});

Deno.test("S3 errors: the batch is held with backoff and nothing committed while consuming goes on", async () => {
  const cluster = new FakeCluster(1);
  for (let i = 0; i < 3; i++) cluster.append(0, eventValue(MIDNIGHT + i), MIDNIGHT);
  const attempts: number[] = [];
  let failures = 3;
  cluster.fault = (c) => {
    if (c.kind !== "put") return "ok";
    attempts.push(performance.now());
    return failures-- > 0 ? "error" : "ok";
  };
  const logs: string[] = [];
  const a = newMember(cluster);
  const sink = new SinkCore(
    a.parts(),
    sinkOptions({ limits: { maxAgeMs: 0 }, log: (l) => logs.push(l) }),
  );
  await sink.start();
  let handled = false;
  const batch = a.fetch(0, 10)!.then(() => void (handled = true));
  await until("two failed uploads", () => attempts.length >= 2);

  // Plan recorded, end not committed, nothing stored; the batch handler has returned, so
  // the partition's next batch can be fetched meanwhile.
  assertEquals(handled, true);
  assertEquals(cluster.committedOffsets.get(0), {
    offset: 0n,
    metadata: encodePlan({ start: 0n, end: 3n }),
  });
  assertEquals(cluster.objects.size, 0);

  await batch;
  await until("stored", () => sink.stats.flushes === 1);
  assertEquals(cluster.committedOffsets.get(0), { offset: 3n, metadata: null });
  assertEquals(attempts.length, 4);
  // Backoff: 250 ms, then doubling (lower bounds only: a slow machine waits longer).
  const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
  assertEquals(gaps.map((g, i) => g >= 250 * 2 ** i - 10), [true, true, true], `gaps ${gaps}`);
  assertEquals(logs, [
    "warning: fake S3 refused the upload: 503 SlowDown: Please reduce your request rate.; holding the batch and retrying",
    "fake S3 is back; resuming",
  ]);
  assertEquals([sink.stats.s3Retries, sink.stats.files, sink.stats.records], [3, 1, 3]);
  assert(metricsText(sink.stats, "t").includes('\nsink_s3_retries_total{topic="t"} 3\n'));
  assertEquals(await rowsByKey(cluster.objects), {
    "p/dt=2026-11-25/t+0+0000000000.parquet": [0, 1, 2],
  });
  await sink.stop();
});

Deno.test("metrics: sink_consumer_restarts_total counts consumer restarts; after a restart the sink resumes from the committed offsets", async () => {
  const cluster = new FakeCluster(1);
  for (let i = 0; i < 4; i++) cluster.append(0, eventValue(MIDNIGHT + i), MIDNIGHT);
  const logs: string[] = [];
  const a = newMember(cluster);
  const sink = new SinkCore(
    a.parts(),
    sinkOptions({ limits: { maxRecords: 2 }, log: (l) => logs.push(l) }),
  );
  await sink.start();
  await a.fetch(0, 3); // stores [0, 2); offset 2 stays buffered
  await until("[0, 2) stored", () => sink.stats.flushes === 1);
  const restarted = [
    a.restart(new Error("Connection timeout"), true),
    a.restart(new Error("The group coordinator is not available"), true),
  ];
  // The buffered offset 2 was dropped; fetching resumes at the committed offset 2.
  assertEquals(a.positions.get(0), 2n);
  await a.fetch(0, 10);
  await until("[2, 4) stored", () => sink.stats.flushes === 2);
  assertEquals(commitsOf(cluster), [[0, 0, 0, "plan"], [0, 0, 2, null], [0, 0, 2, "plan"], [
    0,
    0,
    4,
    null,
  ]]);
  await sink.stop();
  restarted.push(a.restart(new Error("after stop"), false));
  assertEquals(restarted, [true, true, false]);
  assertEquals(sink.stats.restarts, 3);
  assert(metricsText(sink.stats, "t").includes('\nsink_consumer_restarts_total{topic="t"} 3\n'));
  assertEquals(logs, [
    "warning: Kafka consumer restarting after: Connection timeout",
    "warning: Kafka consumer restarting after: The group coordinator is not available",
    "warning: Kafka consumer restarting after: after stop",
  ]);
  assertEquals(await rowsByKey(cluster.objects), {
    "p/dt=2026-11-25/t+0+0000000000.parquet": [0, 1],
    "p/dt=2026-11-25/t+0+0000000002.parquet": [2, 3],
  });
});

Deno.test("a batch that cannot be encoded is not committed: the sink rewinds to the committed offset and stores it again, exactly", async () => {
  const cluster = new FakeCluster(1);
  for (let i = 0; i < 3; i++) cluster.append(0, eventValue(MIDNIGHT + i), MIDNIGHT);
  const logs: string[] = [];
  const opts = sinkOptions({ limits: { maxAgeMs: 0 }, log: (l) => logs.push(l) });
  let failures = 1;
  const inline = inlineEncoder(opts);
  const encoder: BatchEncoder = {
    encode: (b) => failures-- > 0 ? Promise.reject(new Error("worker died")) : inline.encode(b),
    close: () => {},
  };
  const a = newMember(cluster);
  const sink = new SinkCore({ ...a.parts(), encoder }, opts);
  await sink.start();
  await a.fetch(0, 10);
  // Nothing else arrives: the sink must not wait for another batch to notice.
  await until("rewound", () => sink.stats.restarts === 1);
  assertEquals(cluster.committedOffsets.get(0), {
    offset: 0n,
    metadata: encodePlan({ start: 0n, end: 3n }),
  });
  assertEquals(cluster.objects.size, 0);
  a.join(); // kafkajs runs the consumer again from the committed offsets
  await a.fetch(0, 10);
  await until("stored", () => sink.stats.flushes === 1);
  assertEquals(commitsOf(cluster), [[0, 0, 0, "plan"], [0, 0, 3, null]]);
  assertEquals(await rowsByKey(cluster.objects), {
    "p/dt=2026-11-25/t+0+0000000000.parquet": [0, 1, 2],
  });
  assertEquals(logs, [
    "warning: storing a batch of partition 0 failed (worker died); it is not committed and will be replayed",
    "warning: Kafka consumer restarting after: worker died",
  ]);
  await sink.stop();
});
