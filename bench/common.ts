/**
 * What the benchmarks share: the machine-readable result each bench writes
 * with `--json FILE` (read by `bench/run.ts`), machine facts, Markdown tables,
 * running Kafka's Java tools, and peak-memory and CPU-time sampling of a process.
 *
 * @module
 */
import { isUserError, UserError } from "../lib/core/errors.ts";
import { kafkaLibs } from "../lib/stack/installers.ts";
import { defaultPaths } from "../lib/stack/stack.ts";

/**
 * For benches written as top-level scripts: runs `parse` (flag parsing and
 * validation, e.g. with `parseCommand`) and turns a user error into one
 * line and exit code 2 instead of a stack trace.
 */
export function parseOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (!isUserError(e)) throw e;
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
}

/** One headline figure: a value and its unit. */
export interface Figure {
  /** What was measured, e.g. "our sink (Deno, kafkajs + hyparquet-writer)". */
  label: string;
  value: number;
  /** e.g. "events/s", "ms". */
  unit: string;
}

/** Ours against one other contender of the same run, column by column. */
export interface Ratio {
  /** Who ours is compared with, e.g. "seed-style sink, batch 100". */
  against: string;
  /** Our throughput ÷ theirs: higher is better. */
  throughput: number;
  /** Our CPU time per event ÷ theirs: lower is better (absent when not measured). */
  cpuPerEvent?: number;
  /** Our peak RSS ÷ theirs: lower is better. */
  peakRss?: number;
}

/** What a bench writes with `--json FILE`. */
export interface BenchResult {
  /** Short name: produce, sink, analyze, parquet. */
  bench: string;
  /** Heading in RESULTS.md. */
  title: string;
  /** The sizes used, in words ("1,000,000 events, zstd, 3 partitions"). */
  sizes: string;
  ours: Figure;
  /** The reference measured in the same run (absent when skipped). */
  reference?: Figure;
  /** Throughput of ours ÷ throughput of the reference: 1.00 = as fast, higher is better. */
  ratio?: number;
  /** Further comparisons measured in the same run (e.g. against a second reference). */
  ratios?: Ratio[];
  /** A detail table for RESULTS.md. */
  table?: { head: string[]; rows: string[][] };
  /** Notes for RESULTS.md (how it was measured, caveats). */
  notes?: string[];
}

/** Writes `result` to `path` as JSON when a path was given. */
export async function writeResult(path: string | undefined, result: BenchResult): Promise<void> {
  if (path) await Deno.writeTextFile(path, JSON.stringify(result, null, 2) + "\n");
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** `1234567.8` → `1,234,568`. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Renders a Markdown table; cells are escaped for `|`. */
export function markdownTable(head: string[], rows: string[][]): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  // Right-align columns of figures: a number with at most a short unit ("22.9 MB/s", "0.89×").
  const figure = /^[\d.,]+(?:\s?\S{0,4})$/;
  const right = (i: number) => rows.length > 0 && rows.every((r) => !r[i] || figure.test(r[i]!));
  const lines = [
    `| ${head.map(esc).join(" | ")} |`,
    `|${head.map((_, i) => (right(i) ? "---:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/** Facts about the machine a run was measured on. */
export interface MachineInfo {
  cores: number;
  cpu: string;
  memoryBytes: number;
  os: string;
  deno: string;
  java: string;
  /** 1, 5 and 15 minute load averages when the run started (the machine may be shared). */
  load: number[];
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

/** Cores, CPU model, memory, OS, Deno and Java versions, load average. */
export async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await readText("/proc/cpuinfo");
  const meminfo = await readText("/proc/meminfo");
  const memKiB = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? 0);
  let java = "not found";
  try {
    const out = await new Deno.Command("java", { args: ["-version"], stderr: "piped" }).output();
    java = new TextDecoder().decode(out.stderr).split("\n")[0]?.replace(/"/g, "") ?? java;
  } catch { /* no java */ }
  let load: number[] = [];
  try {
    load = Deno.loadavg();
  } catch { /* no --allow-sys */ }
  let os: string = Deno.build.os;
  try {
    os = `${Deno.build.os} ${Deno.osRelease()}`;
  } catch { /* no --allow-sys */ }
  return {
    cores: navigator.hardwareConcurrency,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? Deno.build.arch,
    memoryBytes: memKiB * 1024,
    os,
    deno: Deno.version.deno,
    java,
    load,
  };
}

/** Kernel clock ticks per second, the unit of CPU times in `/proc/PID/stat`. */
let clockTicks: Promise<number> | undefined;
function clockTicksPerSecond(): Promise<number> {
  clockTicks ??= new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped", stderr: "null" })
    .output()
    .then((o) => Number(new TextDecoder().decode(o.stdout).trim()) || 100)
    // 100 is what Linux reports on every common architecture.
    .catch(() => 100);
  return clockTicks;
}

/**
 * Peak memory and CPU time of a running process, polled from `/proc/PID`
 * every `everyMs` while it runs (call {@link sample} once more when the
 * process says it is about to exit, then {@link stop}).
 *
 * Both figures only grow, so the last sample before exit is the result:
 * the peak is the kernel's own high-water mark (`VmHWM`, so peaks between
 * samples count too) and the CPU time is user + system time of all the
 * process's threads (`utime + stime`), which misses at most the last
 * `everyMs` of work. Without `/proc` (macOS) the peak falls back to
 * sampling `ps` and the CPU time stays NaN.
 */
export class ProcessSampler {
  /** Peak resident memory, bytes. */
  peakBytes = 0;
  /** User + system CPU time, seconds (NaN when it cannot be read). */
  cpuSeconds = NaN;
  #timer: ReturnType<typeof setInterval>;
  #pid: number;

  constructor(pid: number, everyMs = 100) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.sample(), everyMs);
    void this.sample();
  }

  /** Takes one sample now. */
  async sample(): Promise<void> {
    const [status, stat, ticks] = await Promise.all([
      readText(`/proc/${this.#pid}/status`),
      readText(`/proc/${this.#pid}/stat`),
      clockTicksPerSecond(),
    ]);
    if (status) {
      const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
      if (hwm) this.peakBytes = Math.max(this.peakBytes, Number(hwm[1]) * 1024);
      // Fields after the command name, which is in parentheses and may hold spaces:
      // state is field 3, utime 14 and stime 15 (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cpu = (Number(fields[11]) + Number(fields[12])) / ticks;
      if (Number.isFinite(cpu)) this.cpuSeconds = Math.max(this.cpuSeconds || 0, cpu);
      return;
    }
    try {
      const out = await new Deno.Command("ps", {
        args: ["-o", "rss=", "-p", String(this.#pid)],
        stdout: "piped",
        stderr: "null",
      }).output();
      const kib = Number(new TextDecoder().decode(out.stdout).trim());
      if (kib > 0) this.peakBytes = Math.max(this.peakBytes, kib * 1024);
    } catch { /* process gone */ }
  }

  /** Stops polling. */
  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Outcome of {@link runKafkaTool}. */
export interface JavaRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the JVM process, ms. */
  wallMs: number;
  peakRssBytes: number;
  /** User + system CPU time of the JVM (start-up and JIT included), seconds. */
  cpuSeconds: number;
}

/**
 * Runs one of Kafka's Java tools (`org.apache.kafka.tools.ProducerPerformance`,
 * `ConsumerPerformance`, …) with the stack's cached Kafka jars.
 */
export async function runKafkaTool(mainClass: string, args: string[]): Promise<JavaRun> {
  const libs = await kafkaLibs(defaultPaths(), (m) => console.error(m));
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("java", {
      args: ["-cp", `${libs}/*`, mainClass, ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw new UserError(`Cannot run java (needed for ${mainClass}): ${(e as Error).message}`);
  }
  const t0 = performance.now();
  const usage = new ProcessSampler(child.pid);
  const out = await child.output();
  const wallMs = performance.now() - t0;
  usage.stop();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    wallMs,
    peakRssBytes: usage.peakBytes,
    cpuSeconds: usage.cpuSeconds,
  };
}

/**
 * Calls `fn` on every item with at most `limit` calls in flight, and returns
 * the results in the order of `items`; rejects with the first failure.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
