/**
 * Shared helpers for integration tests: unique names and subprocess runs of tasks.
 *
 * @module
 */
import { type Config, loadConfig } from "../lib/config.ts";
import { createS3Client, deletePrefix } from "../lib/s3.ts";

/** The project root (where deno.json is). */
export const ROOT = new URL("../", import.meta.url).pathname;

/** A name no other test run uses: `prefix-<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Settings as the tasks see them. */
export function testConfig(): Config {
  return loadConfig();
}

/** Output of a finished subprocess. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno task NAME ARGS…` in the project root and collects its output. */
export async function runTask(
  name: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", name, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 500,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return await check();
}

/** Deletes every object under `prefix/` in the configured bucket (test clean-up). */
export async function deleteTestPrefix(prefix: string): Promise<void> {
  const cfg = loadConfig();
  const s3 = createS3Client(cfg.s3);
  try {
    await deletePrefix(s3, cfg.s3.bucket, `${prefix}/`);
  } finally {
    s3.destroy();
  }
}
