/**
 * What the benchmarks share: the machine-readable result each bench writes
 * with `--json FILE` (read by `bench/run.ts`), machine facts, Markdown tables,
 * running Kafka's Java tools, peak-RSS sampling, and clean-up of S3 prefixes.
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

/** Peak resident memory of a process, sampled every `everyMs` while it runs. */
export class RssSampler {
  /** Highest RSS seen, in bytes (the kernel's VmHWM when /proc is readable). */
  peakBytes = 0;
  #timer: ReturnType<typeof setInterval>;
  #pid: number;

  constructor(pid: number, everyMs = 200) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.sample(), everyMs);
  }

  /** Takes one sample now. */
  async sample(): Promise<void> {
    const status = await readText(`/proc/${this.#pid}/status`);
    if (status) {
      // VmHWM is the kernel's own high-water mark, so peaks between samples count too.
      for (const m of status.matchAll(/^(?:VmHWM|VmRSS):\s+(\d+) kB/gm)) {
        this.peakBytes = Math.max(this.peakBytes, Number(m[1]) * 1024);
      }
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
  const rss = new RssSampler(child.pid);
  const out = await child.output();
  const wallMs = performance.now() - t0;
  rss.stop();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    wallMs,
    peakRssBytes: rss.peakBytes,
  };
}
