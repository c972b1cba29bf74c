/** @module `npm run docs:config`: writes docs/configuration.md from the config schema (`--check` only compares). */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { configReferenceMarkdown } from "../src/config/config-reference.js";
import { GatewayConfigSchema } from "../src/core/gateway-config.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const target = resolve(root, "docs", "configuration.md");
const markdown = configReferenceMarkdown(z.toJSONSchema(GatewayConfigSchema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }) as never);

if (process.argv.includes("--check")) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== markdown) {
    process.stderr.write(`${target} is stale: run npm run docs:config\n`);
    process.exitCode = 1;
  }
} else {
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, markdown);
  process.stdout.write(`wrote ${target}\n`);
}
