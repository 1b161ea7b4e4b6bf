import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  type BufferedRecord,
  chunksByBytes,
  cutPoint,
  decodePlan,
  encodePlan,
  objectKey,
  planObjects,
} from "./plan.ts";
import { event } from "./test_fake_cluster.ts";

const T0 = Date.UTC(2026, 10, 24, 23, 0, 0);

function rec(offset: number, tsMs: number): BufferedRecord {
  return {
    kind: "row",
    offset: BigInt(offset),
    bytes: 300,
    row: { event: event(tsMs), partition: 2, offset: BigInt(offset), timestamp: tsMs },
  };
}

Deno.test("objectKey: hive date partition, topic+partition+padded first offset", () => {
  assertEquals(
    objectKey("music_events", "music_events", 2, "2026-11-25", 42n),
    "music_events/dt=2026-11-25/music_events+2+0000000042.parquet",
  );
  assertEquals(
    objectKey("/a/b/", "t", 0, "2026-01-01", 0n),
    "a/b/dt=2026-01-01/t+0+0000000000.parquet",
  );
  assertEquals(objectKey("", "t", 0, "2026-01-01", 0n), "dt=2026-01-01/t+0+0000000000.parquet");
});

Deno.test("planObjects: one object per UTC date, keyed by its first offset; dead letters skipped", () => {
  const records: BufferedRecord[] = [
    rec(10, T0),
    rec(11, T0 + 2 * 3_600_000), // next UTC day
    {
      kind: "dead",
      offset: 12n,
      reason: "x",
      bytes: 1,
      raw: { key: null, value: null, headers: {}, timestamp: "0" },
    },
    rec(13, T0 + 10),
    rec(14, T0 + 3 * 3_600_000),
  ];
  const objs = planObjects("p", "t", 2, records);
  assertEquals(objs.map((o) => [o.date, o.firstOffset, o.rows.map((r) => r.offset)]), [
    ["2026-11-24", 10n, [10n, 13n]],
    ["2026-11-25", 11n, [11n, 14n]],
  ]);
  assertEquals(objs[1]!.key, "p/dt=2026-11-25/t+2+0000000011.parquet");
});

Deno.test("plan metadata round-trips and is ignored once the commit moved on", () => {
  const meta = encodePlan({ start: 100n, end: 250n });
  assertEquals(decodePlan(meta, 100n), { start: 100n, end: 250n });
  assertEquals(decodePlan(meta, 250n), undefined);
  assertEquals(decodePlan("", 100n), undefined);
  assertEquals(decodePlan("not json", 100n), undefined);
  assertEquals(decodePlan(null, 100n), undefined);
});

Deno.test("cutPoint: limits, and a recorded plan overrides them", () => {
  const limits = { maxRecords: 3, maxBytes: 10_000, maxAgeMs: 1000 };
  const records = [0, 1, 2, 3, 4].map((o) => rec(o, T0));
  const buf = (n: number, startedAt = 0) => ({
    records: records.slice(0, n),
    bytes: n * 300,
    startedAt,
  });
  assertEquals(cutPoint(buf(0), limits, 0, undefined), { flush: false });
  assertEquals(cutPoint(buf(2), limits, 10, undefined), { flush: false });
  assertEquals(cutPoint(buf(5), limits, 10, undefined), { flush: true, count: 3 });
  assertEquals(cutPoint(buf(2), limits, 1000, undefined), { flush: true, count: 2 });
  assertEquals(cutPoint(buf(2), { ...limits, maxBytes: 600 }, 0, undefined), {
    flush: true,
    count: 2,
  });
  // Plan [0, 4): wait for offset 3 even past the age limit, then cut exactly there.
  assertEquals(cutPoint(buf(3), limits, 5000, { start: 0n, end: 4n }), { flush: false });
  assertEquals(cutPoint(buf(5), limits, 0, { start: 0n, end: 4n }), { flush: true, count: 4 });
});

Deno.test("chunksByBytes: consecutive chunks within the limit; an oversized item alone", () => {
  const id = (n: number) => n;
  assertEquals(chunksByBytes([3, 3, 3, 3], id, 6), [[3, 3], [3, 3]]);
  assertEquals(chunksByBytes([1, 10, 1], id, 6), [[1], [10], [1]]);
  assertEquals(chunksByBytes([], id, 6), []);
});
