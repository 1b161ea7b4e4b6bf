import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { encodeEvent } from "../events/codec.ts";
import type { ConsumerGroup, InputBatch, InputHandlers } from "./input.ts";
import type { DeadLetterWriter, DeadRecord, ObjectStore } from "./outputs.ts";
import type { SinkMessage } from "./batcher.ts";
import { SinkCore, type SinkOptions } from "./sink.ts";
import { event } from "./test_fake_cluster.ts";

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

/** In-memory collaborators that write every call to one shared log. */
function fakes(log: string[]) {
  let handlers: InputHandlers | undefined;
  const group: ConsumerGroup = {
    prepare: () => Promise.resolve(void log.push("group prepare")),
    run: (h) => {
      handlers = h;
      log.push("group run");
      return Promise.resolve();
    },
    commit: (partition, offset, metadata) => {
      log.push(`commit p${partition} ${offset} ${metadata === null ? "null" : "plan"}`);
      return Promise.resolve();
    },
    committed: () => Promise.resolve(new Map([[0, { offset: 0n, metadata: null }]])),
    ends: () => Promise.resolve([{ partition: 0, low: 0n, high: 3n }]),
    pause: () => void log.push("group pause"),
    rewind: (e) => void log.push(`group rewind ${e.message}`),
    pausePartition: (p) => void log.push(`group pause p${p}`),
    resumePartition: (p) => void log.push(`group resume p${p}`),
    leave: () => Promise.resolve(void log.push("group leave")),
    close: () => Promise.resolve(void log.push("group close")),
  };
  const objects = new Map<string, Uint8Array>();
  const store: ObjectStore = {
    name: "memory",
    prepare: () => Promise.resolve(void log.push("store prepare")),
    put: (key, body) => {
      objects.set(key, body);
      log.push(`put ${key}`);
      return Promise.resolve();
    },
    describeError: (e) => String(e),
    close: () => void log.push("store close"),
  };
  const dead: DeadRecord[] = [];
  const deadLetters: DeadLetterWriter = {
    connect: () => Promise.resolve(void log.push("dlq connect")),
    write: (partition, records) => {
      dead.push(...records);
      log.push(`dlq p${partition} ${records.map((r) => r.offset).join(",")}`);
      return Promise.resolve();
    },
    close: () => Promise.resolve(void log.push("dlq close")),
  };
  return { group, store, deadLetters, objects, dead, handlers: () => handlers! };
}

function batch(partition: number, messages: SinkMessage[], high: bigint): InputBatch {
  return {
    partition,
    highWatermark: high.toString(),
    messages,
    firstOffset: () => messages[0]?.offset ?? null,
    lastOffset: () => messages[messages.length - 1]!.offset,
  };
}

const message = (offset: number, value: Uint8Array | null): SinkMessage => ({
  offset: String(offset),
  key: null,
  value,
  timestamp: String(T0),
  headers: {},
});

Deno.test("SinkCore with in-memory collaborators: plan committed, objects stored, then the end offset", async () => {
  const log: string[] = [];
  const f = fakes(log);
  const opts: SinkOptions = {
    topic: "t",
    group: "g",
    bucket: "b",
    prefix: "p",
    limits: { maxRecords: 3, maxBytes: 1 << 20, maxAgeMs: 60_000 },
    compression: "none",
    dlqTopic: "t.dlq",
    partitions: 1,
    untilIdleMs: undefined,
    maxRecordBytes: 1 << 20,
    log: (l) => log.push(`log ${l}`),
    debug: undefined,
  };
  const sink = new SinkCore(f, opts);
  await sink.start();
  f.handlers().onJoin();
  const resolved: string[] = [];
  await f.handlers().onBatch(
    batch(0, [
      message(0, encodeEvent(event(T0))),
      message(1, null),
      message(2, encodeEvent(event(T0 + 1))),
    ], 3n),
    { resolveOffset: (o) => void resolved.push(o), heartbeat: () => Promise.resolve() },
  );
  // The batch is stored in the background while consuming goes on.
  while (sink.stats.flushes < 1) await new Promise((r) => setTimeout(r, 1));
  await sink.stop();
  await sink.done;

  assertEquals(log, [
    "store prepare",
    "group prepare",
    "dlq connect",
    "group run",
    "commit p0 0 plan",
    "put p/dt=2026-11-24/t+0+0000000000.parquet",
    "dlq p0 1",
    "commit p0 3 null",
    "group pause",
    "group leave",
    "dlq close",
    "group close",
    "store close",
  ]);
  assertEquals(resolved, ["2"]);
  assertEquals(f.dead.map((d) => d.reason), ["value is null (tombstone)"]);
  assertEquals([...f.objects.values()].every((b) => b.byteLength > 0), true);
  assertEquals(
    [sink.stats.records, sink.stats.deadLetters, sink.stats.files, sink.stats.flushes],
    [2, 1, 1, 1],
  );
  assertEquals(sink.stats.lag.get(0), 0);
});

Deno.test("SinkCore replays a recorded plan: cuts exactly at its end, commits no new plan", async () => {
  const log: string[] = [];
  const f = fakes(log);
  const plan = JSON.stringify({ plan: "music-sink-cut:v1", start: "0", end: "2" });
  f.group.committed = () => Promise.resolve(new Map([[0, { offset: 0n, metadata: plan }]]));
  const sink = new SinkCore(f, {
    topic: "t",
    group: "g",
    bucket: "b",
    prefix: "p",
    limits: { maxRecords: 100, maxBytes: 1 << 20, maxAgeMs: 60_000 },
    compression: "none",
    dlqTopic: "t.dlq",
    partitions: 1,
    untilIdleMs: undefined,
    maxRecordBytes: 1 << 20,
    log: (l) => log.push(`log ${l}`),
    debug: undefined,
  });
  await sink.start();
  f.handlers().onJoin();
  const messages = [0, 1, 2].map((o) => message(o, encodeEvent(event(T0 + o))));
  await f.handlers().onBatch(batch(0, messages, 3n), {
    resolveOffset: () => {},
    heartbeat: () => Promise.resolve(),
  });
  assertEquals(log.slice(4), ["put p/dt=2026-11-24/t+0+0000000000.parquet", "commit p0 2 null"]);
  await sink.stop();
  // Offset 2 was buffered after the plan's cut and is stored on stop under its own plan.
  assertEquals(log.slice(6, 9), [
    "group pause",
    "commit p0 2 plan",
    "put p/dt=2026-11-24/t+0+0000000002.parquet",
  ]);
});
