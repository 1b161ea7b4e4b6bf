/**
 * The lake's key layout, shared by the writer (sink) and the readers
 * (`analyze`, `status`):
 * `<prefix>/dt=YYYY-MM-DD/<topic>+<partition>+<first-offset>.parquet`, or
 * `dt=YYYY-MM-DD/…` at the bucket root when the prefix is empty. Pure.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";

/** Normalises a key prefix: no leading or trailing slashes (`/a/b/` → `a/b`). */
export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, "");
}

/** What every lake key under `prefix` starts with: `prefix/`, or "" for the bucket root. */
export function lakeKeyHead(prefix: string): string {
  const p = normalizePrefix(prefix);
  return p === "" ? "" : `${p}/`;
}

const LAKE_OBJECT = /^dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.parquet$/;

/**
 * The `dt=` date of a lake object directly under `prefix`, or undefined for
 * any other key (another prefix, deeper folders, not Parquet).
 *
 * @example
 * ```ts
 * lakeObjectDate("music_events/dt=2024-01-01/music_events+0+0.parquet", "music_events");
 * // "2024-01-01"
 * ```
 */
export function lakeObjectDate(key: string, prefix: string): string | undefined {
  const head = lakeKeyHead(prefix);
  if (!key.startsWith(head)) return undefined;
  return LAKE_OBJECT.exec(key.slice(head.length))?.[1];
}

/** The glob of every Parquet file of the lake under `root`. */
export function lakeGlob(root: string): string {
  return `${root.replace(/\/+$/, "")}/dt=*/*.parquet`;
}

/** Builds `s3://bucket/prefix`, rejecting prefixes that are not plain key paths. */
export function s3Root(bucket: string, prefix: string): string {
  const p = normalizePrefix(prefix);
  // The root ends up in SQL text and S3 listings: only plain key characters.
  if (!/^[A-Za-z0-9._=+\-/]*$/.test(p) || p.includes("//") || p.split("/").includes("..")) {
    throw new UserError(
      `--prefix "${prefix}" is not a plain key prefix (letters, digits, . _ = + - /)`,
    );
  }
  return p === "" ? `s3://${bucket}` : `s3://${bucket}/${p}`;
}
