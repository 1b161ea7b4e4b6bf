import assert from "node:assert/strict";
import { ConfigError } from "../core/errors.ts";
import { chooseStack, composeCommand } from "./harness.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("STACK unset or empty chooses the native stack", () => {
  assert.equal(chooseStack(env({})), "native");
  assert.equal(chooseStack(env({ STACK: "" })), "native");
  assert.equal(chooseStack(env({ STACK: "  " })), "native");
});

Deno.test("STACK picks native, docker or external, ignoring case and blanks", () => {
  assert.equal(chooseStack(env({ STACK: "native" })), "native");
  assert.equal(chooseStack(env({ STACK: "docker" })), "docker");
  assert.equal(chooseStack(env({ STACK: " Docker " })), "docker");
  assert.equal(chooseStack(env({ STACK: "EXTERNAL" })), "external");
});

Deno.test("an unknown STACK is a ConfigError naming the variable and the choices", () => {
  assert.throws(
    () => chooseStack(env({ STACK: "kubernetes" })),
    (e: unknown) =>
      e instanceof ConfigError && /STACK has "kubernetes"/.test(e.message) &&
      /native, docker, external/.test(e.message),
  );
});

Deno.test("compose: the v2 plugin waits for health checks", () => {
  assert.deepEqual(composeCommand({ plugin: true, standalone: undefined }, "dc.yaml"), [
    "docker",
    "compose",
    "-f",
    "dc.yaml",
    "up",
    "-d",
    "--wait",
  ]);
});

Deno.test("compose: a v2 standalone binary waits, v1 cannot (the harness polls instead)", () => {
  assert.deepEqual(
    composeCommand({ plugin: false, standalone: "Docker Compose version v2.29.7" }, "f"),
    ["docker-compose", "-f", "f", "up", "-d", "--wait"],
  );
  assert.deepEqual(
    composeCommand({ plugin: false, standalone: "docker-compose version 1.29.2, build x" }, "f"),
    ["docker-compose", "-f", "f", "up", "-d"],
  );
});

Deno.test("compose: none installed gives no command", () => {
  assert.equal(composeCommand({ plugin: false, standalone: undefined }, "f"), undefined);
});
