/**
 * What the native stack installs for itself, once, into the per-user cache:
 * Kafka's jars (Maven), the versitygw S3 server (`go install`) and PyPI
 * packages (pip), after checking for the tools each needs. A missing tool is
 * a PrerequisiteError saying what to install; a failed download is one
 * sentence, with the full output in `install.log`.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { exists, run } from "../core/process.ts";
import type { StackPaths } from "./processes.ts";

/** Pinned versions of what the stack downloads or builds. */
export const VERSIONS = {
  kafka: "4.4.0",
  slf4j: "2.0.17",
  versitygw: "v1.7.0",
  chdbCore: "26.9.0",
} as const;

/** Thrown when a tool the stack needs is missing; its message says what to install. */
export class PrerequisiteError extends UserError {
  override name = "PrerequisiteError";
}

/**
 * The line of a failed download's output that says why (pip's `ERROR:`, Maven's
 * `[ERROR]`, go's `go: …`), for a one-sentence message; the whole output goes
 * to `log`.
 */
export function failureLine(output: string): string {
  const lines = output.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const why = lines.find((l) => /^(ERROR:|\[ERROR\]|go: |error:|fatal:)/i.test(l)) ?? lines.at(-1);
  return (why ?? "no output").replace(/^(ERROR:|\[ERROR\])\s*/i, "").slice(0, 300);
}

/** Throws a one-sentence UserError for a failed install step, keeping its output in a log. */
export async function installFailed(
  paths: StackPaths,
  what: string,
  output: string,
  hint: string,
): Promise<never> {
  const log = `${paths.state}/install.log`;
  await Deno.mkdir(paths.state, { recursive: true });
  await Deno.writeTextFile(log, `--- ${new Date().toISOString()} ${what}\n${output}\n`, {
    append: true,
  });
  throw new UserError(`Could not ${what}: ${failureLine(output)} (${hint}; full output in ${log})`);
}

/** Path of `cmd` on the PATH, or undefined. */
async function which(cmd: string): Promise<string | undefined> {
  const found = await run("sh", ["-c", `command -v ${cmd}`]).catch(() => ({ code: 1, output: "" }));
  return found.code === 0 ? found.output.trim() : undefined;
}

/** Checks for Java ≥ 17 and returns the `java` path. */
export async function needJava(): Promise<string> {
  const java = await which("java");
  if (!java) {
    throw new PrerequisiteError(
      "Kafka needs Java 17 or newer and `java` was not found: install it (Debian: `apt-get install openjdk-17-jre-headless`) and run again.",
    );
  }
  const v = await run(java, ["-version"]);
  const major = Number(/version "(\d+)/.exec(v.output)?.[1] ?? 0);
  if (major < 17) {
    throw new PrerequisiteError(
      `Kafka needs Java 17 or newer, found ${
        major || "an unknown version"
      }: install a newer JDK and run again.`,
    );
  }
  return java;
}

/** Fetches the Kafka broker and tools jars (and an SLF4J binding) from Maven Central, once. */
export async function kafkaLibs(paths: StackPaths, say: (s: string) => void): Promise<string> {
  const dir = `${paths.cache}/kafka-${VERSIONS.kafka}`;
  const libs = `${dir}/libs`;
  if (await exists(`${libs}/.complete`)) return libs;
  const mvn = await which("mvn");
  if (!mvn) {
    throw new PrerequisiteError(
      "Fetching Kafka needs Maven and `mvn` was not found: install it (Debian: `apt-get install maven`) and run again.",
    );
  }
  say(`downloading Apache Kafka ${VERSIONS.kafka} jars from Maven Central (once)…`);
  await Deno.mkdir(dir, { recursive: true });
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  await Deno.writeTextFile(
    `${dir}/pom.xml`,
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local.music-pipeline</groupId><artifactId>kafka-dist</artifactId><version>1</version>
<dependencies>
${dep("org.apache.kafka", "kafka_2.13", VERSIONS.kafka)}
${dep("org.apache.kafka", "kafka-tools", VERSIONS.kafka)}
${dep("org.slf4j", "slf4j-api", VERSIONS.slf4j)}
${dep("org.slf4j", "slf4j-simple", VERSIONS.slf4j)}
</dependencies></project>\n`,
  );
  await Deno.remove(libs, { recursive: true }).catch(() => {});
  const res = await run(mvn, [
    "-q",
    "-B",
    "dependency:copy-dependencies",
    `-DoutputDirectory=${libs}`,
    "-DincludeScope=runtime",
  ], { cwd: dir });
  if (res.code !== 0) {
    await installFailed(
      paths,
      `download Apache Kafka ${VERSIONS.kafka} from Maven Central`,
      res.output,
      "check the network or the mirrors in ~/.m2/settings.xml",
    );
  }
  await Deno.writeTextFile(`${libs}/.complete`, new Date().toISOString());
  return libs;
}

/** Builds versitygw with `go install` into the cache, once; returns the binary's path. */
export async function versitygwBinary(
  paths: StackPaths,
  say: (s: string) => void,
): Promise<string> {
  const dir = `${paths.cache}/versitygw-${VERSIONS.versitygw}`;
  const bin = `${dir}/versitygw`;
  if (await exists(bin)) return bin;
  const go = await which("go");
  if (!go) {
    throw new PrerequisiteError(
      "Building the S3 server (versitygw) needs Go 1.24 or newer and `go` was not found: install it from https://go.dev/dl or your package manager and run again.",
    );
  }
  say(`building versitygw ${VERSIONS.versitygw} with go install (once)…`);
  const res = await run(go, [
    "install",
    `github.com/versity/versitygw/cmd/versitygw@${VERSIONS.versitygw}`,
  ], { env: { GOBIN: dir } });
  if (res.code !== 0) {
    await installFailed(
      paths,
      `build versitygw ${VERSIONS.versitygw} with go install`,
      res.output,
      "check the network or GOPROXY",
    );
  }
  return bin;
}

/** Checks for Python 3.9+ with pip and returns the `python3` path. */
export async function needPython(): Promise<string> {
  const python = await which("python3");
  const how = "install it (Debian/Ubuntu: `apt-get install python3 python3-pip`) and run again";
  if (!python) {
    throw new PrerequisiteError(
      `ClickHouse comes from PyPI and needs Python 3.9 or newer; \`python3\` was not found: ${how}.`,
    );
  }
  const v = await run(python, ["-c", "import sys, pip; print(sys.version_info[1])"]);
  if (v.code !== 0) {
    throw new PrerequisiteError(`ClickHouse comes from PyPI and needs pip for python3: ${how}.`);
  }
  if (Number(v.output.trim()) < 9) {
    throw new PrerequisiteError(
      `ClickHouse needs Python 3.9 or newer, found 3.${v.output.trim()}.`,
    );
  }
  return python;
}

/**
 * Installs one PyPI package (without its dependencies unless `deps`) into the
 * cache with pip, once, and returns its directory (for `PYTHONPATH`). pip's own
 * settings apply (`PIP_INDEX_URL`, `~/.config/pip/pip.conf`).
 *
 * @example
 * ```ts
 * const dir = await pythonPackage(defaultPaths(), "chdb-core", "26.9.0", console.log);
 * ```
 */
export async function pythonPackage(
  paths: StackPaths,
  name: string,
  version: string,
  say: (s: string) => void,
  deps = false,
): Promise<string> {
  const dir = `${paths.cache}/python/${name}-${version}`;
  if (await exists(`${dir}/.complete`)) return dir;
  const python = await needPython();
  say(`downloading ${name} ${version} from PyPI (once)…`);
  const partial = `${dir}.partial`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  const res = await run(python, [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    "--no-input",
    "--retries=1",
    "--timeout=60",
    ...(deps ? [] : ["--no-deps"]),
    "--target",
    partial,
    `${name}==${version}`,
  ]);
  if (res.code !== 0) {
    await installFailed(
      paths,
      `download ${name} ${version} from PyPI`,
      res.output,
      "check the network or PIP_INDEX_URL",
    );
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(partial, dir);
  await Deno.writeTextFile(`${dir}/.complete`, new Date().toISOString());
  return dir;
}
