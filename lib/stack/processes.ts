/**
 * The stack's own processes: starting a service detached with its log file,
 * recording its pid, recognising it later (a recycled pid is not ours), and
 * stopping it.
 *
 * @module
 */
import { run, sleep } from "../core/process.ts";
import type { ServiceName } from "./services.ts";

/** Where the stack keeps downloads (cache) and runtime files (state). */
export interface StackPaths {
  cache: string;
  state: string;
}

/** Pid file of a service. */
export function pidFile(paths: StackPaths, name: ServiceName): string {
  return `${paths.state}/${name}/pid`;
}

/** Log file of a service (its stdout and stderr). */
export function logFile(paths: StackPaths, name: ServiceName): string {
  return `${paths.state}/${name}/${name}.log`;
}

/** State and command line of a process via `ps` (Deno needs --allow-all to read /proc). */
async function psInfo(pid: number): Promise<{ zombie: boolean; args: string } | undefined> {
  const res = await run("ps", ["-o", "stat=,args=", "-p", String(pid)]);
  const line = res.output.trim();
  if (res.code !== 0 || line === "") return undefined;
  return { zombie: line.startsWith("Z"), args: line };
}

/** The pid we recorded for a service, if that process is alive and still ours. */
export async function ourPid(paths: StackPaths, name: ServiceName): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(pidFile(paths, name))).trim());
  } catch {
    return undefined;
  }
  const info = await psInfo(pid);
  // A recycled pid would not mention our state directory on its command line;
  // the boundary keeps `.stack/kafka` from matching `.stack/kafka-1/…`.
  const dir = `${paths.state}/${name}`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const ours = info && !info.zombie && new RegExp(`${dir}(/|\\s|$)`).test(info.args);
  return ours ? pid : undefined;
}

/** True while the process exists and is not a zombie. */
export async function alive(pid: number): Promise<boolean> {
  const info = await psInfo(pid);
  return info !== undefined && !info.zombie;
}

/** Last `lines` lines of a file, or a note when it does not exist. */
export async function tail(path: string, lines = 30): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return `(no log at ${path})`;
  }
}

/**
 * Starts a long-running process detached from us (own session, output to its
 * log file) and records its pid.
 *
 * @example
 * ```ts
 * const pid = await spawnDetached(defaultPaths(), "s3", ["versitygw", "--port", ":9000"]);
 * ```
 */
export async function spawnDetached(
  paths: StackPaths,
  name: ServiceName,
  argv: string[],
  env: Record<string, string> = {},
): Promise<number> {
  const log = logFile(paths, name);
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  // setsid: the service survives the end of this task and gets no terminal signals.
  const script = `setsid ${quoted} >>'${log}' 2>&1 </dev/null & echo $!`;
  const res = await run("sh", ["-c", script], { env });
  const pid = Number(res.output.trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new Error(`Could not start ${name}: ${res.output}`);
  }
  await Deno.writeTextFile(pidFile(paths, name), `${pid}\n`);
  return pid;
}

/** How {@link stopService} ended: nothing of ours ran, it exited, or it had to be killed. */
export type StopOutcome =
  | { kind: "none" }
  | { kind: "stopped" | "killed"; pid: number };

/**
 * Stops the process we started for a service: SIGTERM, up to 30 s for it to
 * exit, then SIGKILL. Removes the pid file in every case.
 */
export async function stopService(paths: StackPaths, name: ServiceName): Promise<StopOutcome> {
  const pid = await ourPid(paths, name);
  if (!pid) {
    await Deno.remove(pidFile(paths, name)).catch(() => {});
    return { kind: "none" };
  }
  Deno.kill(pid, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && await ourPid(paths, name)) await sleep(200);
  let kind: "stopped" | "killed" = "stopped";
  if (await ourPid(paths, name)) {
    Deno.kill(pid, "SIGKILL");
    kind = "killed";
  }
  await Deno.remove(pidFile(paths, name)).catch(() => {});
  return { kind, pid };
}
