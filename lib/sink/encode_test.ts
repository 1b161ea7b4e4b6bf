import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { parquetReadObjects } from "hyparquet";
import { encodeEvent } from "../events/codec.ts";
import { RecordBuffer } from "./batcher.ts";
import { encodeBatch } from "./encode.ts";
import { WorkerEncoders } from "./encoders.ts";
import { event } from "./test_fake_cluster.ts";

const T0 = Date.UTC(2026, 10, 24, 23, 0, 0);
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("encodeBatch: one object per UTC date, keyed by its first offset; dead letters by position", async () => {
  const buf = new RecordBuffer();
  const values = [
    encodeEvent(event(T0)),
    encodeEvent(event(T0 + 2 * 3_600_000)), // next UTC day
    "not json {",
    encodeEvent(event(T0 + 10)),
    encodeEvent(event(T0 + 3 * 3_600_000)),
  ];
  buf.push(
    values.map((v, i) => ({
      offset: String(10 + i),
      key: bytes(`k${i}`),
      value: typeof v === "string" ? bytes(v) : v,
      timestamp: "7",
    })),
    values.map((_, i) => BigInt(10 + i)),
  );
  // A second fetch: the cut below spans both, offset 15 stays buffered.
  buf.push([{ offset: "15", key: null, value: null, timestamp: "7" }], [15n]);
  const batch = buf.take(5, 2);
  assertEquals([buf.count, buf.offsets[0]], [1, 15n]);
  const { objects, dead } = encodeBatch(batch, {
    prefix: "p",
    topic: "t",
    compression: "snappy",
    maxRecordBytes: 1000,
  });
  assertEquals(objects.map((o) => [o.key, o.date, o.firstOffset, o.lastOffset, o.rows]), [
    ["p/dt=2026-11-24/t+2+0000000010.parquet", "2026-11-24", 10n, 13n, 2],
    ["p/dt=2026-11-25/t+2+0000000011.parquet", "2026-11-25", 11n, 14n, 2],
  ]);
  const rows = await parquetReadObjects({ file: objects[0]!.body.slice().buffer });
  assertEquals(rows.map((r) => [r.kafka_partition, r.kafka_offset]), [[2, 10n], [2, 13n]]);
  assertEquals(dead.map((d) => [d.index, new TextDecoder().decode(d.value!)]), [[2, "not json {"]]);
  assertEquals(dead[0]!.reason.startsWith("value is not JSON"), true);
});

Deno.test("WorkerEncoders: a worker thread gives the same bytes as in-thread encoding; after close it refuses", async () => {
  const settings = { prefix: "p", topic: "t", compression: "zstd" as const, maxRecordBytes: 1000 };
  const batch = () => {
    const buf = new RecordBuffer();
    const events = [0, 1, 2, 3].map((i) => encodeEvent(event(T0 + i * 3_600_000)));
    buf.push(
      [...events.map((v, i) => ({ offset: String(i), key: null, value: v, timestamp: "7" })), {
        offset: "4",
        key: bytes("k"),
        value: bytes("[]"),
        timestamp: "8",
      }],
      [0n, 1n, 2n, 3n, 4n],
    );
    return buf.take(5, 1);
  };
  const inline = encodeBatch(batch(), settings);
  const encoders = new WorkerEncoders(2, settings);
  try {
    const [a, b] = await Promise.all([encoders.encode(batch()), encoders.encode(batch())]);
    for (const got of [a, b]) {
      assertEquals(
        got.objects.map((o) => [o.key, o.rows]),
        inline.objects.map((o) => [o.key, o.rows]),
      );
      assertEquals(got.objects.map((o) => o.body), inline.objects.map((o) => o.body));
      assertEquals(got.dead, inline.dead);
    }
  } finally {
    encoders.close();
  }
  await encoders.encode(batch()).then(
    () => assert(false, "encoded after close"),
    (e: Error) => assertEquals(e.message, "the sink stopped"),
  );
});
