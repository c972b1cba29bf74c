/**
 * The egress extractor and the reference pack's deny-metadata-addresses
 * rule together, on the compiled WASM bundle the gateway runs: every
 * spelling of a metadata address that Node would connect to is denied,
 * ordinary addresses are not. The v1 envelope schema has no call.egress
 * yet, so the envelope goes to decideValid (no schema pass), as the
 * gateway's own envelopes do.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractEgressTargets } from "../src/core/egress.js";
import type { Envelope } from "../src/core/envelope.js";
import { WasmPolicyEngine } from "../src/engine/wasm-engine.js";
import { buildReference, referencePolicy, tempDir } from "./helpers/bundles.js";

let dir: string;
let engine: WasmPolicyEngine;
let read: Envelope;

beforeAll(async () => {
  dir = await tempDir();
  engine = await WasmPolicyEngine.fromFile(await buildReference(dir));
  read = JSON.parse(await readFile(join(referencePolicy, "examples", "1-read-approved-server.json"), "utf8")) as Envelope;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A read on a registered server (ALLOW on its own) whose arguments are `args`. */
const decide = (args: Record<string, unknown>) => engine.decideValid({ ...read, call: { ...read.call, arguments: args, egress: extractEgressTargets(args) } } as Envelope);

const METADATA: Array<[string, Record<string, unknown>, string]> = [
  ["AWS/GCP/Azure IPv4", { url: "http://169.254.169.254/latest/meta-data/" }, "169.254.169.254"],
  ["decimal", { url: "http://2852039166/" }, "169.254.169.254"],
  ["octal", { url: "http://0251.0376.0251.0376/" }, "169.254.169.254"],
  ["hex", { url: "http://0xa9.0xfe.0xa9.0xfe/" }, "169.254.169.254"],
  ["shortened", { url: "http://169.254.43518/" }, "169.254.169.254"],
  ["IPv4-mapped IPv6, dotted", { url: "http://[::ffff:169.254.169.254]/" }, "169.254.169.254"],
  ["IPv4-mapped IPv6, hex", { url: "http://[::ffff:a9fe:a9fe]/" }, "169.254.169.254"],
  ["scheme-relative", { url: "//169.254.169.254/latest" }, "169.254.169.254"],
  ["backslashes", { url: "http:\\\\169.254.169.254\\latest" }, "169.254.169.254"],
  ["userinfo", { url: "http://api.github.com@169.254.169.254/" }, "169.254.169.254"],
  ["inside text", { body: "then GET http://169.254.169.254/latest/api/token" }, "169.254.169.254"],
  ["inside another URL", { url: "https://api.github.com/proxy?u=http://169.254.169.254/" }, "169.254.169.254"],
  ["ECS task metadata", { url: "http://169.254.170.2/v2/credentials" }, "169.254.170.2"],
  ["host key, decimal", { host: "2852039166" }, "169.254.169.254"],
  ["IPv6 link-local", { url: "http://[fe80::a9fe:a9fe]/" }, "fe80::a9fe:a9fe"],
  ["AWS IPv6", { url: "http://[fd00:ec2::254]/latest/meta-data/" }, "fd00:ec2::254"],
  ["Alibaba", { url: "http://100.100.100.200/latest/meta-data/" }, "100.100.100.200"],
  ["GCP name, trailing dot, upper case", { url: "http://METADATA.google.internal./computeMetadata/v1/" }, "metadata.google.internal"],
  ["bare name under a host key", { hostname: "metadata" }, "metadata"],
  ["percent-encoded name", { url: "http://%6detadata.google.internal/" }, "metadata.google.internal"],
];

describe("deny-metadata-addresses over extracted egress targets, in WASM", () => {
  it.each(METADATA)("denies %s", (_what, args, shown) => {
    const d = decide(args);
    expect(d.decision).toBe("DENY");
    expect(d.rules).toEqual(["deny-metadata-addresses"]);
    expect(d.reason).toContain(shown);
  });

  it.each([
    ["a public host", { url: "https://api.github.com/repos/acme/api" }],
    ["loopback", { url: "http://127.0.0.1:8080/" }],
    ["a neighbour of 169.254/16", { url: "http://169.255.169.254/" }],
    ["a site-local IPv6 neighbour of fe80::/10", { url: "http://[fec0::1]/" }],
    ["a name that merely contains metadata", { url: "https://metadata.example.test/" }],
    ["no egress at all", { owner: "acme" }],
  ])("lets %s through", (_what, args) => {
    expect(decide(args)).toMatchObject({ decision: "ALLOW", rules: ["allow-read-registered-server"] });
  });
});
