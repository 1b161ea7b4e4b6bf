/**
 * The lake's key layout, shared by the readers (`analyze`, `status`):
 * `<prefix>/dt=YYYY-MM-DD/<topic>+<partition>+<first-offset>.parquet`, or
 * `dt=YYYY-MM-DD/…` at the bucket root when the prefix is empty. Pure.
 *
 * @module
 */

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
 */
export function lakeObjectDate(key: string, prefix: string): string | undefined {
  const head = lakeKeyHead(prefix);
  if (!key.startsWith(head)) return undefined;
  return LAKE_OBJECT.exec(key.slice(head.length))?.[1];
}
