/**
 * A client for S3-compatible servers (versitygw, MinIO, AWS) with the settings
 * they need, plus the few operations the pipeline uses, with errors that say
 * what went wrong in words.
 *
 * @module
 */
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { S3Config } from "../core/env.ts";
import { UserError } from "../core/errors.ts";

/**
 * Creates a path-style client; checksums only where required (S3-compatible servers differ).
 *
 * @example
 * ```ts
 * const client = createS3Client(loadConfig().s3);
 * try {
 *   await putObject(client, "prod-python", "a/b.txt", new TextEncoder().encode("hi"));
 * } finally {
 *   client.destroy();
 * }
 * ```
 */
export function createS3Client(cfg: S3Config, opts: { timeoutMs?: number } = {}): S3Client {
  return new S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: true,
    credentials: { accessKeyId: cfg.accessKey, secretAccessKey: cfg.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: opts.timeoutMs ?? 5_000,
      requestTimeout: opts.timeoutMs ?? 30_000,
      // A silent server (connection open, no answer) fails the request instead of a logged warning.
      throwOnRequestTimeout: true,
    },
  });
}

/** Turns an SDK or network error into a sentence naming the endpoint. */
export function describeS3Error(e: unknown, endpoint: string): string {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? "";
  if (code === "ECONNREFUSED" || /ECONNREFUSED|connection refused/i.test(err.message ?? "")) {
    return `Cannot connect to S3 at ${endpoint}: connection refused`;
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return `Cannot connect to S3 at ${endpoint}: host not found`;
  }
  if (/exceeded the configured \d+ ms requestTimeout/.test(err.message ?? "")) {
    const ms = /(\d+) ms/.exec(err.message!)![1];
    return `S3 at ${endpoint} is not answering (no response within ${Number(ms) / 1000} s)`;
  }
  if (/timeout|timed out/i.test(`${err.name} ${err.message}`)) {
    return `Cannot connect to S3 at ${endpoint}: timed out`;
  }
  if (e instanceof S3ServiceException) {
    if (e.name === "InvalidAccessKeyId" || e.name === "SignatureDoesNotMatch") {
      return `S3 at ${endpoint} rejected the credentials (${e.name}): check ACCESS_KEY and SECRET_KEY`;
    }
    return `S3 at ${endpoint} answered ${e.name}: ${e.message}`;
  }
  return `S3 request to ${endpoint} failed: ${err.message ?? String(e)}`;
}

/** Runs an S3 call and rethrows failures as UserError with a clear sentence. */
export async function s3Call<T>(endpoint: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new UserError(`${what}: ${describeS3Error(e, endpoint)}`, { cause: e });
  }
}

/** Lists bucket names (used as the S3 health check). */
export async function listBuckets(client: S3Client): Promise<string[]> {
  const out = await client.send(new ListBucketsCommand({}));
  return (out.Buckets ?? []).map((b) => b.Name ?? "");
}

/** Creates `bucket` unless it exists. Returns true when it was created. */
export async function ensureBucket(client: S3Client, bucket: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw e;
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return true;
  } catch (e) {
    // Another process created it between our HEAD and CREATE.
    if ((e as Error).name === "BucketAlreadyOwnedByYou") return false;
    throw e;
  }
}

/** Stores one object. */
export async function putObject(
  client: S3Client,
  bucket: string,
  key: string,
  body: Uint8Array,
  contentType = "application/octet-stream",
): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
  );
}

/** Reads one object fully. */
export async function getObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<Uint8Array> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!out.Body) throw new Error(`Object "${key}" in bucket "${bucket}" has no body`);
  return await out.Body.transformToByteArray();
}

/** One listed object. */
export interface ObjectInfo {
  key: string;
  size: number;
}

/** Lists every object under `prefix` (all pages). */
export async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) out.push({ key: o.Key ?? "", size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Deletes every object under `prefix`; returns how many were deleted. */
export async function deletePrefix(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<number> {
  const keys = (await listObjects(client, bucket, prefix)).map((o) => ({ Key: o.key }));
  // DeleteObjects takes at most 1000 keys per request.
  for (let i = 0; i < keys.length; i += 1000) {
    await client.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000) } }),
    );
  }
  return keys.length;
}
