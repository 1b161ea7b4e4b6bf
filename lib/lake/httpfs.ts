/**
 * DuckDB's httpfs extension (needed to read S3), found and loaded for the
 * node bindings. They ship without it and DuckDB's extension repository is
 * not always reachable, so {@link loadHttpfs} also takes the official build
 * from PyPI (`duckdb-extension-httpfs`, same version as the bindings), checks
 * its SHA-256, caches it per user and loads it by path.
 *
 * @module
 */
import duckdb, { type DuckDBConnection } from "@duckdb/node-api";
import { unzipSync } from "fflate";
import { cacheDir } from "../core/env.ts";
import { UserError } from "../core/errors.ts";
import { exists } from "../core/process.ts";
import { duckdbString, firstLine } from "./duckdb_sql.ts";

/** The DuckDB version of the bindings, e.g. `1.5.5`. */
export function duckdbVersion(): string {
  return duckdb.version().replace(/^v/, "");
}

/** Where this platform's extension comes from: DuckDB's platform name and the wheel tag. */
export function extensionPlatform(
  os: string = Deno.build.os,
  arch: string = Deno.build.arch,
): { duckdb: string; wheel: string } {
  const table: Record<string, { duckdb: string; wheel: string }> = {
    "linux/x86_64": { duckdb: "linux_amd64", wheel: "manylinux2014_x86_64" },
    "linux/aarch64": { duckdb: "linux_arm64", wheel: "manylinux2014_aarch64" },
    "darwin/x86_64": { duckdb: "osx_amd64", wheel: "macosx_11_0_x86_64" },
    "darwin/aarch64": { duckdb: "osx_arm64", wheel: "macosx_11_0_arm64" },
    "windows/x86_64": { duckdb: "windows_amd64", wheel: "win_amd64" },
  };
  const p = table[`${os}/${arch}`];
  if (!p) {
    throw new UserError(
      `No httpfs build on PyPI for ${os}/${arch}; install it by hand with DuckDB's "INSTALL httpfs"`,
    );
  }
  return p;
}

/**
 * Extracts the first entry whose name ends with `suffix` from a zip archive
 * (stored or deflated). Pure; only that entry is decompressed.
 */
export function unzipEntry(zip: Uint8Array, suffix: string): Uint8Array {
  let wanted: { name: string; size: number } | undefined;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (f) => {
        if (wanted || !f.name.endsWith(suffix)) return false;
        wanted = { name: f.name, size: f.originalSize };
        return true;
      },
    });
  } catch (e) {
    if (wanted) throw new TypeError(`Zip entry "${wanted.name}": ${(e as Error).message}`);
    throw new TypeError(`Not a zip archive: ${(e as Error).message}`);
  }
  if (!wanted) throw new TypeError(`No entry ending with "${suffix}" in the zip archive`);
  const out = files[wanted.name]!;
  if (out.length !== wanted.size) {
    throw new TypeError(`Zip entry "${wanted.name}" has the wrong size`);
  }
  return out;
}

interface PyPIFile {
  filename: string;
  url: string;
  digests: { sha256: string };
}

async function fetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${url}: HTTP ${res.status}`);
  }
  return await res.json();
}

/** Lists the wheels of `duckdb-extension-httpfs` at `version` from PyPI's JSON API. */
async function pypiFiles(version: string): Promise<PyPIFile[]> {
  const base = "https://pypi.org/pypi/duckdb-extension-httpfs";
  try {
    return ((await fetchJson(`${base}/${version}/json`)) as { urls: PyPIFile[] }).urls;
  } catch {
    // Some mirrors only serve the project document; its `releases` has every version.
    const all = (await fetchJson(`${base}/json`)) as { releases: Record<string, PyPIFile[]> };
    const files = all.releases[version];
    if (!files?.length) throw new Error(`PyPI has no duckdb-extension-httpfs ${version}`);
    return files;
  }
}

/** Downloads a wheel and checks it against PyPI's SHA-256. */
async function downloadWheel(wheel: PyPIFile): Promise<Uint8Array> {
  const res = await fetch(wheel.url, { signal: AbortSignal.timeout(300_000) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${wheel.url}: HTTP ${res.status}`);
  }
  const zip = new Uint8Array(await res.arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", zip));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== wheel.digests.sha256) {
    throw new Error(
      `${wheel.filename}: SHA-256 ${hex} differs from PyPI's ${wheel.digests.sha256}`,
    );
  }
  return zip;
}

/**
 * Downloads the official httpfs extension for `version` from PyPI into
 * `dest` (atomically: a temp file renamed into place). Verifies the wheel's SHA-256.
 */
export async function downloadHttpfs(version: string, dest: string): Promise<void> {
  const platform = extensionPlatform();
  const wheel = (await pypiFiles(version)).find((f) =>
    f.filename.endsWith(`-${platform.wheel}.whl`)
  );
  if (!wheel) {
    throw new Error(`PyPI has no duckdb-extension-httpfs ${version} wheel for ${platform.wheel}`);
  }
  const ext = unzipEntry(await downloadWheel(wheel), "/httpfs.duckdb_extension");
  const dir = dest.slice(0, dest.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${dest}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeFile(tmp, ext);
  await Deno.rename(tmp, dest);
}

/** Where the cached httpfs extension for this DuckDB version and platform lives. */
export function cachedHttpfsPath(version: string = duckdbVersion()): string {
  return `${cacheDir()}/duckdb/v${version}/${extensionPlatform().duckdb}/httpfs.duckdb_extension`;
}

/**
 * Loads httpfs into `conn`: an already installed copy (`LOAD httpfs`, no
 * network), else the cached PyPI build, else a fresh PyPI download, else
 * DuckDB's own `INSTALL httpfs`. Returns how it was loaded; throws a
 * UserError listing every attempt when none works.
 *
 * @example
 * ```ts
 * const conn = await (await DuckDBInstance.create(":memory:")).connect();
 * console.log(`httpfs from ${await loadHttpfs(conn)}`);
 * ```
 */
export async function loadHttpfs(conn: DuckDBConnection): Promise<string> {
  const tried: string[] = [];
  try {
    await conn.run("LOAD httpfs");
    return "installed extension";
  } catch (e) {
    tried.push(`LOAD httpfs: ${firstLine(e)}`);
  }
  const version = duckdbVersion();
  let path: string | undefined;
  try {
    path = cachedHttpfsPath(version);
    if (!(await exists(path))) await downloadHttpfs(version, path);
    await conn.run(`LOAD ${duckdbString(path)}`);
    return path;
  } catch (e) {
    tried.push(`PyPI duckdb-extension-httpfs==${version}: ${firstLine(e)}`);
    // A corrupt cached file would fail forever; drop it so the next run downloads again.
    if (path && /not a valid|invalid|corrupt|signature/i.test(firstLine(e))) {
      await Deno.remove(path).catch(() => {});
    }
  }
  try {
    await conn.run("INSTALL httpfs");
    await conn.run("LOAD httpfs");
    return "INSTALL httpfs";
  } catch (e) {
    tried.push(`INSTALL httpfs: ${firstLine(e)}`);
  }
  throw new UserError(
    `Cannot load DuckDB's httpfs extension (needed to read S3):\n  ${tried.join("\n  ")}`,
  );
}
