/**
 * Shared helpers for integration tests: the stack they run against, unique
 * names and subprocess runs of tasks.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type Config, loadConfig } from "../lib/core/env.ts";
import { chooseStack, prepareStack } from "../lib/stack/harness.ts";
import { createS3Client, deletePrefix } from "../lib/lake/s3.ts";
import { ourPid } from "../lib/stack/processes.ts";
import { type ServiceName } from "../lib/stack/services.ts";
import { defaultPaths } from "../lib/stack/stack.ts";

/** The project root (where deno.json is). */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A name no other test run uses: `prefix-<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

let stack: Promise<void> | undefined;

/**
 * Makes the stack answer before a test module uses it, the way testcontainers
 * would: the first call brings up what `STACK` says (native by default, using
 * whatever already answers), later calls reuse that. So `deno test -P` works
 * from a fresh clone, as `deno task test` does.
 */
export function ensureStack(): Promise<void> {
  stack ??= prepareStack(chooseStack((k) => Deno.env.get(k)), {
    paths: defaultPaths(),
    cfg: loadConfig(),
    timeoutSec: 300,
    say: (line) => console.error(`stack: ${line.trim()}`),
  });
  return stack;
}

/**
 * For a test that stops `service`: whether it may run here (only when the
 * service is this checkout's own native process) and, when not, the reason in
 * its name, so the run reports it as ignored rather than failed or passed.
 */
export async function stopsService(
  name: string,
  service: ServiceName,
): Promise<{ name: string; ignore: boolean }> {
  await ensureStack();
  if (await ourPid(defaultPaths(), service)) return { name, ignore: false };
  return { name: `${name} [ignored: ${service} is not this checkout's own stack]`, ignore: true };
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
