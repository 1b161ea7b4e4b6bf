import assert from "node:assert/strict";
import { lakeKeyHead, lakeObjectDate, normalizePrefix } from "./keys.ts";

Deno.test("normalizePrefix drops leading and trailing slashes only", () => {
  assert.equal(normalizePrefix("/a/b//"), "a/b");
  assert.equal(normalizePrefix("music_events"), "music_events");
  assert.equal(normalizePrefix("/"), "");
  assert.equal(normalizePrefix(""), "");
});

Deno.test("lakeKeyHead: prefix/ or nothing at the bucket root", () => {
  assert.equal(lakeKeyHead("/music_events/"), "music_events/");
  assert.equal(lakeKeyHead(""), "");
});

Deno.test("lakeObjectDate reads the dt= date of objects directly under the prefix", () => {
  const key = "music_events/dt=2024-01-01/music_events+0+0.parquet";
  assert.equal(lakeObjectDate(key, "music_events"), "2024-01-01");
  assert.equal(lakeObjectDate(key, "/music_events/"), "2024-01-01");
  assert.equal(lakeObjectDate("a/b/dt=2024-01-02/t+1+5.parquet", "a/b"), "2024-01-02");
  // Another prefix, a longer one sharing the start, deeper folders, not Parquet.
  assert.equal(lakeObjectDate(key, "music"), undefined);
  assert.equal(
    lakeObjectDate("music_events2/dt=2024-01-01/t+0+0.parquet", "music_events"),
    undefined,
  );
  assert.equal(
    lakeObjectDate("music_events/x/dt=2024-01-01/t+0+0.parquet", "music_events"),
    undefined,
  );
  assert.equal(lakeObjectDate("music_events/dt=2024-01-01/t+0+0.json", "music_events"), undefined);
  assert.equal(
    lakeObjectDate("music_events/dt=2024-1-01/t+0+0.parquet", "music_events"),
    undefined,
  );
});

Deno.test("lakeObjectDate with an empty prefix: dt= folders at the bucket root", () => {
  assert.equal(lakeObjectDate("dt=2024-01-01/t+0+0.parquet", ""), "2024-01-01");
  assert.equal(lakeObjectDate("dt=2024-01-01/t+0+0.parquet", "/"), "2024-01-01");
  assert.equal(lakeObjectDate("p/dt=2024-01-01/t+0+0.parquet", ""), undefined);
});
