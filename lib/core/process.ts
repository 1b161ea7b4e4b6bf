/**
 * Process helpers every layer shares: sleeping, subprocesses, signals, files,
 * and writing to stdout when the reader may have gone away.
 *
 * @module
 */

/**
 * Resolves after `ms`, or as soon as `signal` aborts.
 *
 * @example
 * ```ts
 * await sleep(250);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Exit code and combined stdout + stderr of a finished command. */
export interface RunOutput {
  code: number;
  output: string;
}

/**
 * Runs a command to completion with no stdin; returns its exit code and
 * combined output. A missing program rejects with Deno.errors.NotFound.
 */
export async function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<RunOutput> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** True when `path` exists (file or directory). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Calls `handler` on SIGINT and SIGTERM; returns a function that removes the
 * listeners. The handler gets how many signals arrived so far (a second one
 * usually means "quit now").
 */
export function onStopSignals(handler: (count: number) => void): () => void {
  let count = 0;
  const listener = () => handler(++count);
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, listener);
  return () => {
    for (const s of signals) Deno.removeSignalListener(s, listener);
  };
}

/**
 * Writes text to stdout; a reader that went away (`| head`) is not an error.
 * Returns false when the pipe is closed.
 */
export async function writeStdout(text: string): Promise<boolean> {
  try {
    const bytes = new TextEncoder().encode(text);
    for (let off = 0; off < bytes.length;) off += await Deno.stdout.write(bytes.subarray(off));
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) return false;
    throw e;
  }
}

/**
 * A deno.json task's command split into its leading `NAME=value` variables and
 * the arguments after `deno`, so a test or bench can spawn the task's process
 * itself (its pid is then the task's) exactly as `deno task` would run it.
 *
 * @example
 * ```ts
 * const { env, args } = taskCommand(await Deno.readTextFile("deno.json"), "sink");
 * new Deno.Command(Deno.execPath(), { args: [...args, "--until-idle", "3s"], env });
 * ```
 */
export function taskCommand(
  denoJson: string,
  task: string,
): { env: Record<string, string>; args: string[] } {
  const tasks = JSON.parse(denoJson).tasks ?? {};
  const command: string | undefined = tasks[task]?.command ?? tasks[task];
  const words = command?.trim().split(/\s+/) ?? [];
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) {
    const [name, ...value] = words.shift()!.split("=");
    env[name!] = value.join("=");
  }
  if (words.shift() !== "deno") throw new Error(`deno.json task "${task}" does not run deno`);
  return { env, args: words };
}
