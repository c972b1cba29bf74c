/**
 * @module Base64 blobs that carry text: which ones (by MIME type, or by
 * sniffing when there is none), how to read them for scanning, and how to
 * write back a redacted text in the same form. Pure.
 *
 * A blob is the `blob` of a resource, or the `data` of an object that names
 * a `mimeType` (image and audio content). Text blobs are decoded and
 * scanned like any string; everything else is binary, not scanned, and
 * counted for the output policy.
 */
import { Buffer } from "node:buffer";

/** text/*, and the application types that are text: JSON, XML, YAML, scripts, PEM files, forms, CSV… */
const TEXT_MIME =
  /^(?:text\/|message\/|image\/svg\+xml|application\/(?:[\w.-]+\+)?(?:json|xml|yaml|x-yaml|toml|x-toml|javascript|x-javascript|ecmascript|typescript|x-typescript|sql|graphql|x-sh|x-shellscript|x-python|x-ruby|x-php|x-perl|x-www-form-urlencoded|csv|ndjson|x-ndjson|jsonl|jwt|x-pem-file|pem-certificate-chain|x-x509-ca-cert|x-env|x-httpd-php|rtf|x-tex|x-latex|markdown)(?:\s*;|$))/i;
/** Types sniffed like a blob without a type: they promise nothing about their bytes. */
const UNTYPED_MIME = /^(?:application\/octet-stream|application\/unknown|binary\/octet-stream)(?:\s*;|$)/i;
const BASE64 = /^[A-Za-z0-9+/\-_\s]*={0,2}\s*$/;

export type BlobEncoding = "utf8" | "latin1";

export interface DecodedBlob {
  text: string;
  encoding: BlobEncoding;
  /** The alphabet and padding of the original, so a rewrite looks the same. */
  urlSafe: boolean;
  padded: boolean;
}

export type BlobKind = { kind: "text"; decoded: DecodedBlob } | { kind: "binary"; mimeType: string } | { kind: "not-base64" } | { kind: "oversize" };

const utf8 = new TextDecoder("utf-8", { fatal: true });
/** Base64 characters sniffed from a blob without a type before deciding to decode it whole. */
const SNIFF_CHARS = 4096;

/**
 * Reads a base64 blob as text when its type says text, or, without a useful
 * type, when it is UTF-8 text. A typed binary blob is never decoded; a text
 * blob whose decoded size would exceed `maxBytes` is `oversize`, not read.
 */
export function classifyBlob(value: string, mimeType: string | undefined, maxBytes = Infinity): BlobKind {
  if (value.length === 0 || !BASE64.test(value)) return { kind: "not-base64" };
  const typed = mimeType !== undefined && mimeType.trim() !== "" && !UNTYPED_MIME.test(mimeType);
  if (typed && !TEXT_MIME.test(mimeType)) return { kind: "binary", mimeType: mimeType.toLowerCase().split(";")[0]!.trim() };
  const untypedBinary = { kind: "binary", mimeType: mimeType?.toLowerCase().split(";")[0]!.trim() || "application/octet-stream" } as const;
  if (!typed && value.length > SNIFF_CHARS && !looksLikeTextPrefix(Buffer.from(value.slice(0, SNIFF_CHARS), "base64"))) return untypedBinary;
  if (Math.floor(value.length / 4) * 3 > maxBytes) return { kind: "oversize" };
  const bytes = Buffer.from(value, "base64");
  const urlSafe = /[-_]/.test(value);
  const padded = /=\s*$/.test(value);
  const text = decodeUtf8(bytes);
  if (text !== undefined && (typed || looksLikeText(text))) return { kind: "text", decoded: { text, encoding: "utf8", urlSafe, padded } };
  // A text type that is not UTF-8 (Latin-1, Windows-1252): read byte for byte, so a rewrite is exact.
  if (typed) return { kind: "text", decoded: { text: bytes.toString("latin1"), encoding: "latin1", urlSafe, padded } };
  return untypedBinary;
}

/** The first bytes of a blob: UTF-8 (a character cut at the end allowed) that looks like text. */
function looksLikeTextPrefix(bytes: Uint8Array): boolean {
  try {
    return looksLikeText(new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true }));
  } catch {
    return false;
  }
}

/** The base64 of `text` in the form of the blob it came from. */
export function encodeBlob(text: string, like: DecodedBlob): string {
  let out = Buffer.from(text, like.encoding).toString(like.urlSafe ? "base64url" : "base64");
  if (like.urlSafe && like.padded) out += "=".repeat((4 - (out.length % 4)) % 4);
  if (!like.urlSafe && !like.padded) out = out.replace(/=+$/, "");
  return out;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** No NUL and almost no other control characters: what text files look like, and compressed or image bytes do not. */
function looksLikeText(text: string): boolean {
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return false;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) controls++;
  }
  return controls * 100 <= text.length;
}
