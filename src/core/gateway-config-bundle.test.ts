import { describe, expect, it } from "vitest";
import { GatewayConfigSchema } from "./gateway-config.js";

const base = { bundle: "b.tar.gz", auth: { mode: "none" } };
const messages = (config: Record<string, unknown>): string[] => {
  const parsed = GatewayConfigSchema.safeParse({ ...base, ...config });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};
const key = { id: "release", public_key_file: "keys/release.pub.pem" };

describe("bundle_signing and bundle_source", () => {
  it("defaults: RS256, required, poll every 60–120 s", () => {
    const config = GatewayConfigSchema.parse({ ...base, bundle_signing: { keys: [key] }, bundle_source: { url: "https://bundles.internal/b.tar.gz" } });
    expect(config.bundle_signing).toEqual({ keys: [{ ...key, algorithm: "RS256" }], required: true });
    expect(config.bundle_source).toMatchObject({ poll_min_sec: 60, poll_max_sec: 120, request_timeout_sec: 30 });
    expect(config.bundle_source?.long_poll_timeout_sec).toBeUndefined();
  });

  it("refuses duplicate key ids, unknown algorithms, no keys", () => {
    expect(messages({ bundle_signing: { keys: [key, key] } })).toEqual(["bundle_signing.keys.1.id: duplicate key id 'release'"]);
    expect(messages({ bundle_signing: { keys: [{ ...key, algorithm: "HS256" }] } })[0]).toMatch(/^bundle_signing.keys.0.algorithm/);
    expect(messages({ bundle_signing: { keys: [] } })[0]).toMatch(/^bundle_signing.keys/);
  });

  it("allows plain http only on loopback or with required signatures; min ≤ max", () => {
    const remote = { url: "http://bundles.internal/b.tar.gz" };
    expect(messages({ bundle_source: remote })).toEqual(["bundle_source.url: must be https (plain http only for a loopback address, or with bundle_signing required)"]);
    expect(messages({ bundle_source: remote, bundle_signing: { keys: [key], required: false } })).toHaveLength(1);
    expect(messages({ bundle_source: remote, bundle_signing: { keys: [key] } })).toEqual([]);
    expect(messages({ bundle_source: { url: "http://127.0.0.1:8282/bundles/b.tar.gz" } })).toEqual([]);
    expect(messages({ bundle_source: { url: "https://b/x.tar.gz", poll_min_sec: 10, poll_max_sec: 5 } })).toEqual(["bundle_source.poll_min_sec: must not exceed poll_max_sec"]);
  });
});
