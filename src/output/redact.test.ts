import { describe, expect, it } from "vitest";
import { redactOutput, redactText } from "./redact.js";
import { scanOutput } from "./result-scan.js";

const j = (...parts: string[]): string => parts.join("");
const TOKEN = `${j("gh", "p_")}Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuV`;
const scanAndRedact = <T>(output: T): T => redactOutput(output, scanOutput(output).findings);

describe("redactOutput", () => {
  it("replaces each finding in text with its type", () => {
    expect(scanAndRedact(`token ${TOKEN} for jane.doe@acme-corp.com`)).toBe("token [REDACTED:github_token] for [REDACTED:email]");
  });

  it("returns a clean output as the same object", () => {
    const clean = { content: [{ type: "text", text: "all good, 3 rows" }], structuredContent: { rows: 3, id: "273390f4-ea23-46f8-8c9f-f8bd6dc5a790" } };
    expect(scanAndRedact(clean)).toBe(clean);
    expect(scanAndRedact("plain text")).toBe("plain text");
  });

  it("leaves low-confidence findings (private addresses) in place", () => {
    expect(scanAndRedact("bind 10.0.0.5")).toBe("bind 10.0.0.5");
  });

  it("redacts structuredContent values and keeps a serialized text item consistent", () => {
    for (const indent of [undefined, 2]) {
      const structured = { user: { email: "jane.doe@acme-corp.com", name: "Jane" }, token: TOKEN, rows: [1, 2] };
      const result = { content: [{ type: "text", text: JSON.stringify(structured, null, indent) }], structuredContent: structured, isError: false };
      const redacted = scanAndRedact(result);
      expect(redacted.structuredContent).toEqual({ user: { email: "[REDACTED:email]", name: "Jane" }, token: "[REDACTED:github_token]", rows: [1, 2] });
      expect(redacted.content[0]!.text).toBe(JSON.stringify(redacted.structuredContent, null, indent));
      expect(redacted.structuredContent.rows).toBe(structured.rows);
      expect(redacted.isError).toBe(false);
      expect(structured.token).toBe(TOKEN);
    }
  });

  it("keeps JSON text valid when a value sits next to an escape", () => {
    const text = JSON.stringify({ note: `password=Maple!2024rocks\\`, pem: `${j("-----BEGIN", " PRIVATE KEY-----")}\n${"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n".repeat(2)}${j("-----END", " PRIVATE KEY-----")}` });
    const redacted = scanAndRedact({ content: [{ type: "text", text }] });
    const parsed = JSON.parse(redacted.content[0]!.text) as { note: string; pem: string };
    expect(parsed.pem).toBe("[REDACTED:private_key]");
    expect(parsed.note).toContain("[REDACTED:generic_secret]");
  });

  it("redacts embedded resources and leaves images alone", () => {
    const result = {
      content: [
        { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" },
        { type: "resource", resource: { uri: "file:///.env", mimeType: "text/plain", text: `GITHUB_TOKEN=${TOKEN}\n` } },
      ],
    };
    const redacted = scanAndRedact(result);
    expect(redacted.content[0]).toBe(result.content[0]);
    expect(redacted.content[1]).toEqual({ type: "resource", resource: { uri: "file:///.env", mimeType: "text/plain", text: "GITHUB_TOKEN=[REDACTED:github_token]\n" } });
  });

  it("carries a secret found only in the serialized text back into structuredContent", () => {
    const structured = { note: "abc", n: 1 };
    const text = JSON.stringify(structured);
    const result = { content: [{ type: "text", text }], structuredContent: structured };
    const finding = { type: "x", category: "secret", ruleId: "t", confidence: 1, location: { kind: "content", index: 0, field: "text", offset: text.indexOf("abc"), length: 3 } } as const;
    const redacted = redactOutput(result, [finding]);
    expect(redacted.structuredContent).toEqual({ note: "[REDACTED:x]", n: 1 });
    expect(redacted.content[0]!.text).toBe(JSON.stringify(redacted.structuredContent));
  });
});

describe("redactText", () => {
  it("does not split an escape", () => {
    expect(redactText('a\\"b', [{ offset: 0, length: 2, type: "t" }])).toBe('[REDACTED:t]\\"b');
  });
});
