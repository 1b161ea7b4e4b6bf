/**
 * Helpers of the console tests: starting `deno task ui` as a subprocess on a
 * free port, raw HTTP requests with any `Host`, and the secret scan.
 *
 * @module
 */
import { ROOT } from "./helpers.ts";

/** A console subprocess and where it listens. */
export interface ConsoleProcess {
  url: string;
  token: string;
  child: Deno.ChildProcess;
  stop(): Promise<void>;
}

/** Starts `deno task ui --port 0 ARGS…` and waits (bounded) for the URL it prints. */
export async function startConsoleProcess(args: string[]): Promise<ConsoleProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "ui", "--port", "0", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = setTimeout(() => reader.cancel().catch(() => {}), 60_000);
  try {
    while (!/Pipeline console: (\S+)/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`deno task ui ended before printing its URL:\n${text}`);
      text += value;
    }
  } finally {
    clearTimeout(deadline);
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done) { /* drain */ }
  })();
  const full = new URL(/Pipeline console: (\S+)/.exec(text)![1]!);
  const token = full.searchParams.get("token") ?? "";
  return {
    url: full.origin,
    token,
    child,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

/** Sends one raw HTTP/1.1 GET with the given `Host` header; returns the status code. */
export async function rawGet(url: string, path: string, host: string): Promise<number> {
  const u = new URL(url);
  const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const buf = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      head += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  } finally {
    conn.close();
  }
}

/** Secret values found in `text` as whole words (so "click" does not match "ClickHouse"). */
export function secretsIn(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) =>
    s !== "" &&
    new RegExp(`(?<![A-Za-z0-9_])${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_])`)
      .test(text)
  );
}
