import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { redactOutput } from "./redact.js";
import { scanOutput } from "./result-scan.js";

const j = (...parts: string[]): string => parts.join("");
const TOKEN = `${j("gh", "p_")}Zq8R3kTn5WmX2pLv9YbC4dHf7JsG1aNe6QuV`;
const MARK = "[REDACTED:github_token]";
const EMAIL = j("jane.doe", "@acme-corp.com");
const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** Scans, checks the token is found at `pointer`, and returns the redacted payload. */
function redactsAt<T>(payload: T, pointer: string, part?: "key" | "decoded"): T {
  const scan = scanOutput(payload);
  expect(scan.error).toBeUndefined();
  expect(scan.findings).toContainEqual(expect.objectContaining({ type: "github_token", location: expect.objectContaining({ kind: "json", pointer, ...(part ? { part } : {}) }) }));
  const redacted = redactOutput(payload, scan.findings);
  const json = JSON.stringify(redacted);
  expect(json).not.toContain(TOKEN);
  expect(() => JSON.parse(json) as unknown).not.toThrow();
  return redacted;
}

describe("scanOutput: every string a server sends", () => {
  it("finds and redacts a secret in a tool result's _meta", () => {
    const result = { content: [{ type: "text", text: "ok" }], _meta: { debug: { auth: `token ${TOKEN}` } } };
    expect(redactsAt(result, "/_meta/debug/auth")._meta.debug.auth).toBe(`token ${MARK}`);
  });

  it("finds and redacts a secret in a content item's annotations", () => {
    const result = { content: [{ type: "text", text: "ok", annotations: { audience: ["user"], note: TOKEN } }] };
    expect(redactsAt(result, "/content/0/annotations/note").content[0]!.annotations.note).toBe(MARK);
  });

  it("finds and redacts a secret in a resource_link's uri, name and description", () => {
    const result = {
      content: [{ type: "resource_link", uri: `https://example.com/x?access=${TOKEN}`, name: `key ${TOKEN}`, description: `use ${TOKEN} to log in` }],
    };
    for (const field of ["uri", "name", "description"]) redactsAt(result, `/content/0/${field}`);
    const link = redactOutput(result, scanOutput(result).findings).content[0]!;
    expect(link).toEqual({ type: "resource_link", uri: `https://example.com/x?access=${MARK}`, name: `key ${MARK}`, description: `use ${MARK} to log in` });
  });

  it("decodes a text blob (by MIME type, and sniffed without one), and redaction re-encodes it", () => {
    for (const mimeType of ["text/plain", "application/json", "application/yaml", "application/xml", undefined]) {
      const text = `GITHUB_TOKEN=${TOKEN}\nreplicas: 3\n`;
      const read = { contents: [{ uri: "file:///app/.env", ...(mimeType ? { mimeType } : {}), blob: b64(text) }] };
      const redacted = redactsAt(read, "/contents/0/blob", "decoded");
      expect(Buffer.from(redacted.contents[0]!.blob, "base64").toString("utf8")).toBe(`GITHUB_TOKEN=${MARK}\nreplicas: 3\n`);
      expect(redacted.contents[0]!.uri).toBe("file:///app/.env");
    }
  });

  it("counts binary blobs for the policy without scanning them", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, ...Buffer.from(TOKEN)]).toString("base64");
    const result = {
      content: [
        { type: "image", data: png, mimeType: "image/png" },
        { type: "audio", data: png, mimeType: "audio/wav" },
        { type: "resource", resource: { uri: "file:///a.bin", blob: png } },
      ],
    };
    const scan = scanOutput(result);
    expect(scan.findings).toEqual([]);
    expect(scan.binary).toEqual({ count: 3, mime_types: ["application/octet-stream", "audio/wav", "image/png"] });
  });

  it("never decodes a typed binary blob, sniffs an untyped one by its start, and reports a text blob too large to scan as oversize", () => {
    const noise = Buffer.alloc(6000, 0xff).toString("base64");
    expect(scanOutput({ content: [{ type: "image", data: noise, mimeType: "image/png" }] }, { maxBytes: 1000 })).toEqual({ findings: [], binary: { count: 1, mime_types: ["image/png"] } });
    expect(scanOutput({ contents: [{ uri: "file:///x", blob: noise }] }, { maxBytes: 1000 }).binary).toEqual({ count: 1, mime_types: ["application/octet-stream"] });
    const big = b64("a".repeat(6000));
    for (const mimeType of ["text/plain", undefined]) {
      expect(scanOutput({ contents: [{ uri: "file:///x", ...(mimeType ? { mimeType } : {}), blob: big }] }, { maxBytes: 1000 }).findings).toMatchObject([{ type: "oversize" }]);
    }
  });

  it("finds a secret under an unknown top-level key, and in an object key", () => {
    redactsAt({ content: [], debugDump: { env: [`GH=${TOKEN}`] } }, "/debugDump/env/0");
    const keyed = redactsAt({ content: [], tokens: { [TOKEN]: "admin" } }, `/tokens/${TOKEN}`, "key");
    expect(keyed.tokens).toEqual({ [MARK]: "admin" });
  });

  it("guards resources/read and prompts/get results", () => {
    redactsAt({ contents: [{ uri: "file:///a", mimeType: "text/plain", text: `t=${TOKEN}` }] }, "/contents/0/text");
    redactsAt({ description: "p", messages: [{ role: "user", content: { type: "text", text: `use ${TOKEN}` } }] }, "/messages/0/content/text");
  });

  it("guards a JSON-RPC error's message and data", () => {
    const error = { code: -32603, message: `upstream said ${TOKEN}`, data: { stack: `at auth (${TOKEN})` } };
    const redacted = redactsAt(error, "/message");
    expect(redacted).toEqual({ code: -32603, message: `upstream said ${MARK}`, data: { stack: `at auth (${MARK})` } });
  });

  it("guards notifications/progress messages and notifications/message data", () => {
    expect(redactsAt({ progressToken: 7, progress: 1, total: 3, message: `cloning with ${TOKEN}` }, "/message")).toEqual({ progressToken: 7, progress: 1, total: 3, message: `cloning with ${MARK}` });
    expect(redactsAt({ level: "info", logger: "git", data: { cmd: `git clone https://x:${TOKEN}@github.com/a/b` } }, "/data/cmd").data.cmd).not.toContain(TOKEN);
    expect(redactsAt({ level: "info", logger: "git", data: `token ${TOKEN}` }, "/data").data).toBe(`token ${MARK}`);
  });
});

describe("scanOutput: invisible characters and compatibility forms", () => {
  const split = (secret: string, joiner: string): string => [...secret].join(joiner);

  it("finds a token split by zero-width characters and redacts the whole original span", () => {
    for (const joiner of ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e"]) {
      const hidden = split(TOKEN, joiner);
      const text = `before ${hidden} after`;
      const { findings } = scanOutput(text);
      expect(findings).toMatchObject([{ type: "github_token", location: { kind: "text", offset: 7, length: hidden.length } }]);
      expect(redactOutput(text, findings)).toBe(`before ${MARK} after`);
    }
  });

  it("finds a token split by tag characters (U+E0000–E007F)", () => {
    const hidden = split(TOKEN, "\u{E0041}\u{E0042}");
    const result = { content: [{ type: "text", text: `x ${hidden} y` }] };
    const { findings } = scanOutput(result);
    expect(findings).toMatchObject([{ type: "github_token", location: { kind: "content", index: 0, field: "text", offset: 2, length: hidden.length } }]);
    expect(redactOutput(result, findings).content[0]!.text).toBe(`x ${MARK} y`);
  });

  it("folds fullwidth characters (NFKC) and redacts them in the original", () => {
    const fullwidth = [...EMAIL].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join("");
    const text = `mail ${fullwidth}.`;
    const { findings } = scanOutput(text);
    expect(findings).toMatchObject([{ type: "email", location: { offset: 5, length: fullwidth.length } }]);
    expect(redactOutput(text, findings)).toBe("mail [REDACTED:email].");
  });

  it("reports offsets in the original around characters that change length", () => {
    // U+FB03 (ﬃ) becomes three letters; the email after it must still map back exactly.
    const text = `o\ufb03ce \u200b${EMAIL}`;
    const { findings } = scanOutput(text);
    expect(findings).toMatchObject([{ type: "email", location: { offset: text.indexOf(EMAIL), length: EMAIL.length } }]);
  });
});

describe("redactOutput: structuredContent and text stay consistent", () => {
  it("redacts the same secret in structuredContent and in the text that repeats it, and the JSON stays valid", () => {
    const structured = { repo: "a/b", secret_note: `deploy with ${TOKEN}`, owner: { email: EMAIL } };
    const result = {
      content: [
        { type: "text", text: JSON.stringify(structured, null, 2) },
        { type: "text", text: `summary: the note says deploy with ${TOKEN}; owner ${EMAIL}` },
      ],
      structuredContent: structured,
    };
    const redacted = redactOutput(result, scanOutput(result).findings);
    const json = JSON.stringify(redacted);
    expect(json).not.toContain(TOKEN);
    expect(json).not.toContain(EMAIL);
    expect(JSON.parse(redacted.content[0]!.text)).toEqual(redacted.structuredContent);
    expect(redacted.structuredContent).toEqual({ repo: "a/b", secret_note: `deploy with ${MARK}`, owner: { email: "[REDACTED:email]" } });
    expect(redacted.content[1]!.text).toBe(`summary: the note says deploy with ${MARK}; owner [REDACTED:email]`);
  });

  it("carries a value redacted in one place to every other place it occurs", () => {
    const result = { content: [{ type: "text", text: `token ${TOKEN}` }], _meta: { copy: `x${TOKEN.slice(0, 30)}` }, structuredContent: { raw: TOKEN } };
    const redacted = redactOutput(result, scanOutput(result).findings);
    expect(redacted.structuredContent.raw).toBe(MARK);
    expect(redacted.content[0]!.text).toBe(`token ${MARK}`);
  });
});
