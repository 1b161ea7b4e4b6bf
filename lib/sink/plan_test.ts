import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { chunksByBytes, cutPoint, decodePlan, encodePlan, objectKey } from "./plan.ts";

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
  const offsets = [0n, 1n, 2n, 3n, 4n];
  const buf = (n: number, startedAt = 0) => ({
    count: n,
    offsets: () => offsets.slice(0, n),
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
