/**
 * docs/configuration.md is generated from the config schema: it must match
 * what the generator makes now, and every key a user can set is described.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { configKeys, configReferenceMarkdown } from "../src/config/config-reference.js";
import { GatewayConfigSchema } from "../src/core/gateway-config.js";

const schema = () => z.toJSONSchema(GatewayConfigSchema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }) as never;

describe("configuration reference", () => {
  it("docs/configuration.md is what npm run docs:config generates from the schema", async () => {
    const file = await readFile(new URL("../docs/configuration.md", import.meta.url), "utf8");
    expect(file).toBe(configReferenceMarkdown(schema()));
  });

  it("lists nested, array and union keys with their types and defaults", () => {
    const keys = new Map(configKeys(schema()).map((k) => [k.path, k]));
    expect(keys.get("listen.port")).toMatchObject({ type: "integer", default: 8787 });
    expect(keys.get("audit.synchronous")).toMatchObject({ type: '"full" | "normal"', default: "full" });
    expect(keys.get("bundle_signing.keys[].id")?.description).toMatch(/kid/);
    expect(keys.get("auth.mode")?.required).toBe(true);
  });
});
