/**
 * The lake section of the status: objects and bytes per `dt=` date under
 * `s3://bucket/prefix/`. {@link summarizeLake} is pure; {@link readLake} lists S3.
 *
 * @module
 */
import type { Config } from "../core/env.ts";
import { lakeKeyHead, lakeObjectDate, normalizePrefix } from "../lake/keys.ts";
import { createS3Client, describeS3Error, listObjects, type ObjectInfo } from "../lake/s3.ts";
import type { LakeDate, LakeStatus } from "./status_report.ts";

/** Sums objects and bytes per `dt=` date under `prefix` (dates ascending). */
export function summarizeLake(
  bucket: string,
  prefix: string,
  objects: readonly ObjectInfo[],
): LakeStatus {
  const p = normalizePrefix(prefix);
  const head = lakeKeyHead(p);
  const dates = new Map<string, LakeDate>();
  const other = { objects: 0, bytes: 0 };
  for (const o of objects) {
    if (!o.key.startsWith(head)) continue;
    const date = lakeObjectDate(o.key, p);
    if (date === undefined) {
      other.objects++;
      other.bytes += o.size;
      continue;
    }
    const d = dates.get(date) ?? { date, objects: 0, bytes: 0 };
    d.objects++;
    d.bytes += o.size;
    dates.set(date, d);
  }
  const list = [...dates.values()].sort((a, b) => a.date.localeCompare(b.date));
  return {
    bucket,
    prefix: p,
    bucketExists: true,
    dates: list,
    objects: list.reduce((n, d) => n + d.objects, 0),
    bytes: list.reduce((n, d) => n + d.bytes, 0),
    other,
  };
}

/**
 * Lists the lake under `s3://bucket/prefix/` and sums it per date; a missing bucket is empty.
 *
 * @example
 * ```ts
 * const lake = await readLake(loadConfig(), "prod-python", "music_events");
 * console.log(lake.objects, lake.bytes);
 * ```
 */
export async function readLake(
  cfg: Config,
  bucket: string,
  prefix: string,
): Promise<LakeStatus> {
  const client = createS3Client(cfg.s3, { timeoutMs: 10_000 });
  const p = normalizePrefix(prefix);
  try {
    return summarizeLake(bucket, p, await listObjects(client, bucket, lakeKeyHead(p)));
  } catch (e) {
    if ((e as Error).name === "NoSuchBucket") {
      return { ...summarizeLake(bucket, p, []), bucketExists: false };
    }
    throw new Error(describeS3Error(e, cfg.s3.endpoint));
  } finally {
    client.destroy();
  }
}
