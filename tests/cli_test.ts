/**
 * What README promises of every task's command line: `--help` works, user
 * mistakes are one `error: …` line with exit 1 (never a stack trace),
 * `stack logs` shows each service's log tail, and `stack up` creates `.env`
 * from `.env.example` on a fresh checkout.
 */
import assert from "node:assert/strict";
import { ensureStack, ROOT, runTask, uniqueName } from "./helpers.ts";
import { freePort } from "./sink_helpers.ts";

await ensureStack();

const opts = { sanitizeOps: false, sanitizeResources: false };
/** A line of a stack trace, as Deno prints an uncaught error. */
const STACK_TRACE = /^\s+at /m;

const tasks = Object.keys(
  (JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as { tasks: Record<string, unknown> })
    .tasks,
).sort();

Deno.test("cli: --help of every task in deno.json exits 0 with its usage", opts, async (t) => {
  assert.ok(tasks.length >= 10, `tasks read from deno.json: ${tasks}`);
  for (const name of tasks) {
    await t.step(name, async () => {
      const res = await runTask(name, ["--help"]);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      // `test` ends in `deno test`, whose own help is the one shown.
      const usage = new RegExp(`^Usage: deno (task )?${name} `, "m");
      assert.match(res.stdout, usage);
      assert.doesNotMatch(res.stdout + res.stderr, STACK_TRACE);
    });
  }
});

/** Runs a task expected to fail with exactly `error: …` (one line) on stderr and exit 1. */
async function oneLineError(
  task: string,
  args: string[],
  expected: RegExp,
  env: Record<string, string> = {},
): Promise<void> {
  const res = await runTask(task, args, env);
  assert.equal(res.code, 1, `exit code of ${task} ${args.join(" ")}:\n${res.stdout}${res.stderr}`);
  assert.doesNotMatch(res.stderr, STACK_TRACE);
  const lines = res.stderr.split("\n");
  assert.equal(lines.at(-1), "", "stderr ends with a newline");
  assert.equal(lines.length, 2, `exactly one line on stderr:\n${res.stderr}`);
  assert.match(lines[0]!, expected);
}

Deno.test("cli: user mistakes are one error line and exit 1", opts, async (t) => {
  const closed = freePort();
  const prefix = `${uniqueName("tcli").replace("-", "_")}_`;
  const cases: [string, string, string[], RegExp, Record<string, string>?][] = [
    [
      "sink: a bad --max-bytes",
      "sink",
      ["--max-bytes", "lots"],
      /^error: --max-bytes has "lots"; expected a size such as 64MiB$/,
    ],
    [
      "sink: an unreachable broker",
      "sink",
      ["--topic", uniqueName("cli-sink")],
      new RegExp(
        `^error: Cannot connect to Kafka at 127\\.0\\.0\\.1:${closed}: connection refused$`,
      ),
      { KAFKA_BROKERS: `127.0.0.1:${closed}` },
    ],
    [
      "demo: a bad --events",
      "demo",
      ["--events", "abc"],
      /^error: --events has "abc"; expected a whole number/,
    ],
    [
      "stack: an unknown command",
      "stack",
      ["frobnicate"],
      /^error: Unknown command "frobnicate"; expected up, down, status or logs$/,
    ],
    ["stack: no command", "stack", [], /^error: Missing command; run "deno task stack --help"$/],
    [
      "stack: an unknown service",
      "stack",
      ["status", "nosuch"],
      /^error: Unknown service "nosuch"; expected one of kafka, s3, clickhouse\b/,
    ],
    [
      "clickhouse:init: a wrong password",
      "clickhouse:init",
      ["--prefix", prefix],
      /^error: ClickHouse at \S+ rejected user "\w+": wrong password or no such user$/,
      { CLICKHOUSE_PASSWORD: "not-the-password" },
    ],
    [
      "clickhouse:init: an unreachable server",
      "clickhouse:init",
      ["--prefix", prefix],
      new RegExp(
        `^error: Cannot connect to ClickHouse at http://127\\.0\\.0\\.1:${closed}: connection refused$`,
      ),
      { CLICKHOUSE_URL: `http://127.0.0.1:${closed}` },
    ],
  ];
  for (const [name, task, args, expected, env] of cases) {
    await t.step(name, () => oneLineError(task, args, expected, env));
  }
});

Deno.test("cli: an unknown flag is one error line naming it", opts, async (t) => {
  for (const task of ["demo", "sink", "status", "stack"]) {
    await t.step(task, () => oneLineError(task, ["--nope"], /^error: Unknown option '--nope'/));
  }
});

Deno.test("stack logs prints the tail of each service's log", opts, async () => {
  const state = await Deno.makeTempDir({ prefix: "cli-logs-" });
  try {
    const services = ["kafka", "s3", "clickhouse"];
    for (const s of services) {
      await Deno.mkdir(`${state}/${s}`);
      const lines = Array.from({ length: 10 }, (_, i) => `${s} line ${i + 1}`);
      await Deno.writeTextFile(`${state}/${s}/${s}.log`, lines.join("\n") + "\n");
    }
    const env = { STACK_STATE_DIR: state };
    const all = await runTask("stack", ["logs", "--lines", "3"], env);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(
      all.stdout,
      services.map((s) =>
        `==> ${state}/${s}/${s}.log <==\n${s} line 8\n${s} line 9\n${s} line 10\n`
      ).join(""),
    );
    const one = await runTask("stack", ["logs", "s3", "--lines", "1"], env);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, `==> ${state}/s3/s3.log <==\ns3 line 10\n`);
    await Deno.remove(`${state}/kafka`, { recursive: true });
    const none = await runTask("stack", ["logs", "kafka"], env);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(
      none.stdout,
      `==> ${state}/kafka/kafka.log <==\n(no log at ${state}/kafka/kafka.log)\n`,
    );
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});

/** Copies the files and folders `deno task stack` needs into `dir` (node_modules is linked). */
async function copyProject(dir: string): Promise<void> {
  for (const f of ["deno.json", "deno.lock", ".env.example"]) {
    await Deno.copyFile(`${ROOT}${f}`, `${dir}/${f}`);
  }
  for (const d of ["lib", "tasks", "sql"]) await copyTree(`${ROOT}${d}`, `${dir}/${d}`);
  await Deno.symlink(`${ROOT}node_modules`, `${dir}/node_modules`);
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

Deno.test("stack up creates .env from .env.example when there is none", opts, async () => {
  // A checkout without .env, in a temporary copy; STACK=external only checks the endpoints.
  const dir = await Deno.makeTempDir({ prefix: "cli-fresh-" });
  try {
    await copyProject(dir);
    const up = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["task", "-q", "stack", "up"],
        cwd: dir,
        env: { NO_COLOR: "1", STACK: "external", STACK_STATE_DIR: `${dir}/.stack` },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
    const dec = new TextDecoder();
    const first = await up();
    const out = dec.decode(first.stdout);
    assert.equal(first.code, 0, out + dec.decode(first.stderr));
    assert.match(out, /^created \.env from \.env\.example$/m);
    assert.equal(
      await Deno.readTextFile(`${dir}/.env`),
      await Deno.readTextFile(`${ROOT}.env.example`),
    );
    // An existing .env is the user's: left as it is, and nothing is said.
    await Deno.writeTextFile(`${dir}/.env`, "# mine\n", { append: true });
    const second = await up();
    assert.equal(second.code, 0, dec.decode(second.stderr));
    assert.doesNotMatch(dec.decode(second.stdout), /created \.env/);
    assert.match(await Deno.readTextFile(`${dir}/.env`), /# mine\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
