/**
 * @module Progress messages from a server reach the client mid-call,
 * before any result is guarded: each message is scanned on its own, and
 * every finding is redacted (there is no time to ask a reviewer).
 */
import { redactOutput } from "../../output/redact.js";
import { scanOutput } from "../../output/result-scan.js";
import type { Progress } from "./request.js";

const MAX_MESSAGE = 4_096;

export function guardProgress(progress: Progress): Progress {
  if (progress.message === undefined) return progress;
  const message = progress.message.slice(0, MAX_MESSAGE);
  const scan = scanOutput(message);
  if (scan.error !== undefined) return { ...progress, message: "(progress message withheld by mcpgov: scan failed)" };
  if (scan.findings.length === 0) return message === progress.message ? progress : { ...progress, message };
  if (scan.findings.some((f) => f.category === "limit")) return { ...progress, message: "(progress message withheld by mcpgov)" };
  const redacted = redactOutput(message, scan.findings, { minConfidence: 0 });
  return { ...progress, message: typeof redacted === "string" ? redacted : "(progress message withheld by mcpgov)" };
}
