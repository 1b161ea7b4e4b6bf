import { deepStrictEqual as assertEquals, ok, rejects, throws } from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { UserError } from "./cli.ts";
import {
  cachedHttpfsPath,
  describeDuckDBError,
  duckdbVersion,
  eventsViewSql,
  extensionPlatform,
  Lake,
  lakeGlob,
  parseDate,
  s3Root,
  sqlString,
  unzipEntry,
} from "./duckdb.ts";
import { EventGenerator } from "./events.ts";
import { encodeParquet, type SinkRow } from "./parquet.ts";

/** A minimal zip writer for the test: entries stored (method 0) or deflated (8). */
function makeZip(entries: { name: string; data: Uint8Array; deflate: boolean }[]): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const body = e.deflate ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const local = new Uint8Array(30 + name.length + body.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(8, e.deflate ? 8 : 0, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    local.set(body, 30 + name.length);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, e.deflate ? 8 : 0, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let p = 0;
  for (const part of [...locals, ...centrals, eocd]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

Deno.test("unzipEntry: stored and deflated entries, found by suffix", () => {
  const big = new TextEncoder().encode("duckdb extension ".repeat(5000));
  const zip = makeZip([
    { name: "pkg/__init__.py", data: new Uint8Array(0), deflate: false },
    { name: "pkg/extensions/v1.5.5/httpfs.duckdb_extension", data: big, deflate: true },
    { name: "pkg/README", data: new TextEncoder().encode("hi"), deflate: false },
  ]);
  assertEquals(unzipEntry(zip, "/httpfs.duckdb_extension"), big);
  assertEquals(new TextDecoder().decode(unzipEntry(zip, "/README")), "hi");
  throws(() => unzipEntry(zip, "/nope"), /No entry ending with/);
  throws(() => unzipEntry(new Uint8Array(100), "/x"), /Not a zip archive/);
});

Deno.test("extensionPlatform: wheel tag per platform, clear error otherwise", () => {
  assertEquals(extensionPlatform("linux", "x86_64"), {
    duckdb: "linux_amd64",
    wheel: "manylinux2014_x86_64",
  });
  assertEquals(extensionPlatform("darwin", "aarch64").duckdb, "osx_arm64");
  throws(() => extensionPlatform("freebsd", "x86_64"), UserError);
});

Deno.test("cachedHttpfsPath: per DuckDB version and platform", () => {
  assertEquals(duckdbVersion(), "1.5.5");
  ok(
    cachedHttpfsPath().endsWith(
      `/duckdb/v1.5.5/${extensionPlatform().duckdb}/httpfs.duckdb_extension`,
    ),
  );
});

Deno.test("s3Root, lakeGlob, parseDate, sqlString", () => {
  assertEquals(s3Root("prod-python", "music_events"), "s3://prod-python/music_events");
  assertEquals(s3Root("b", "/a/b/"), "s3://b/a/b");
  assertEquals(s3Root("b", ""), "s3://b");
  throws(() => s3Root("b", "x'; DROP"), UserError);
  throws(() => s3Root("b", "a/../b"), UserError);
  assertEquals(lakeGlob("s3://b/p/"), "s3://b/p/dt=*/*.parquet");
  assertEquals(parseDate("2024-02-29", "--from"), "2024-02-29");
  throws(() => parseDate("2023-02-29", "--from"), /--from has "2023-02-29"/);
  throws(() => parseDate("yesterday", "--to"), UserError);
  assertEquals(sqlString("it's"), "'it''s'");
  ok(eventsViewSql(["s3://b/p/dt=2024-01-01/t+0+0.parquet"]).includes("['s3://b/p/dt="));
});

Deno.test("describeDuckDBError: one actionable line", () => {
  assertEquals(
    describeDuckDBError(
      new Error('IO Error: No files found that match the pattern "/x/dt=*/*.parquet"'),
      "/x",
    ),
    "No Parquet files under /x/dt=*/ — the lake is empty (check --bucket/--prefix, or run the sink)",
  );
  assertEquals(
    describeDuckDBError(new Error("HTTP Error: … (HTTP 404)\n\nNoSuchBucket: gone"), "s3://bk/p"),
    'S3 bucket "bk" does not exist (check --bucket or S3_BUCKET)',
  );
  assertEquals(
    describeDuckDBError(
      new Error(
        'Failed to extract statements: Parser Error: syntax error at or near "SELEC"\n\nLINE 1: SELEC 1\n        ^',
      ),
      "/x",
    ),
    'Parser Error: syntax error at or near "SELEC"\nLINE 1: SELEC 1\n        ^',
  );
});

Deno.test("Lake over a local directory: view, parameters, date pruning, errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let now = Date.UTC(2024, 0, 1, 12);
    const gen = new EventGenerator({
      seed: 3,
      users: 20,
      tracks: 30,
      now: () => (now += 3_600_000),
    });
    // 72 events one hour apart: three days, two files per day.
    const rows: SinkRow[] = Array.from({ length: 72 }, (_, i) => ({
      event: gen.next(),
      partition: 0,
      offset: BigInt(i),
      timestamp: now,
    }));
    const byFile = new Map<string, SinkRow[]>();
    for (const r of rows) {
      const iso = new Date(r.event.event_timestamp.ts_ms).toISOString();
      const key = `dt=${iso.slice(0, 10)}/music_events+0+${
        Number(iso.slice(11, 13)) < 12 ? "a" : "b"
      }`;
      byFile.set(key, [...(byFile.get(key) ?? []), r]);
    }
    for (const [key, rs] of byFile) {
      await Deno.mkdir(`${dir}/${key.split("/")[0]}`, { recursive: true });
      await Deno.writeFile(`${dir}/${key}.parquet`, encodeParquet(rs, "snappy"));
    }
    const lake = await Lake.open({ root: dir });
    try {
      const r = await lake.query(
        "SELECT count(*) AS n, max(kafka_offset) AS o, min(event_time) AS t FROM events WHERE event_type_id >= $min",
        { min: 1 },
      );
      assertEquals(r.columns, ["n", "o", "t"]);
      assertEquals(r.rows, [[
        72,
        71,
        new Date(rows[0]!.event.event_timestamp.ts_ms).toISOString().slice(0, 19).replace("T", " "),
      ]]);
      await rejects(
        lake.query("SELECT nope FROM events"),
        (e: Error) => e instanceof UserError && e.message.startsWith("Binder Error"),
      );
    } finally {
      lake.close();
    }
    const day = await Lake.open({ root: dir, from: "2024-01-03", to: "2024-01-03" });
    try {
      const plan = (await day.query("EXPLAIN ANALYZE SELECT count(*) FROM events")).rows.flat()
        .join("\n");
      assertEquals(/Total Files Read:\s*(\d+)/.exec(plan)?.[1], "2", plan);
      assertEquals((await day.query("SELECT DISTINCT dt FROM events")).rows, [["2024-01-03"]]);
    } finally {
      day.close();
    }
    await rejects(Lake.open({ root: `${dir}/missing` }), /No Parquet files under/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
