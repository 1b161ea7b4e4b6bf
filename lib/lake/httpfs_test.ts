import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { UserError } from "../core/errors.ts";
import { cachedHttpfsPath, duckdbVersion, extensionPlatform, unzipEntry } from "./httpfs.ts";

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
