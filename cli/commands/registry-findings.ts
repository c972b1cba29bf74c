/** @module How `mcpgov registry pin|check` show the catalog policy's verdicts on tool definitions (pretty; json carries them in the results). */
import type { CheckedServer, JudgedTool, PinnedServer, RefusedTool } from "../../src/gateway/pin-servers.js";

/**
 * Names come from servers: anything outside printable ASCII is shown as
 * \u{…}, so invisible characters never reach the terminal raw and a
 * Cyrillic lookalike does not pass for the Latin name it imitates.
 */
export function printable(name: string): string {
  return name.replace(/[^\x20-\x7e]/gu, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

function hideNote(d: JudgedTool, action: "pin" | "check"): string {
  if (d.decision !== "HIDE") return "";
  if (action === "check") return " (hidden from clients)";
  return d.allowed ? " (pinned on --allow-hidden; the gateway still hides it)" : " (refused)";
}

function verdictLines(id: string, definitions: readonly JudgedTool[], action: "pin" | "check"): string[] {
  const out: string[] = [];
  for (const d of definitions) {
    const types = [...new Set(d.findings.map((f) => f.type))].sort().join(", ") || "no findings";
    const note = hideNote(d, action);
    out.push(`  ${d.decision.padEnd(4)} ${id}/${printable(d.name)}  ${d.rules.join(", ")}  [${types}]${note}`);
    for (const f of d.findings) out.push(`         ${f.field}: ${f.detail}`);
  }
  return out;
}

/** The catalog section under the pins or the checks; empty when every tool passed clean. */
export function formatDefinitionVerdicts(results: ReadonlyArray<PinnedServer | CheckedServer>, action: "pin" | "check"): string {
  const lines = results.flatMap((r) => verdictLines(r.id, r.definitions, action));
  return lines.length === 0 ? "" : ["catalog policy:", ...lines].join("\n");
}

/** The message `registry pin` fails with when the catalog policy hides a tool nobody allowed. */
export function refusalMessage(refused: readonly RefusedTool[]): string {
  const tools = refused.map((r) => `${r.server}/${printable(r.tool)} (${r.rules.join(", ")})`).join(", ");
  return `refusing to pin: the catalog policy hides ${tools}; the lock file was not written. Review the definition, or pin it anyway with --allow-hidden TOOL (the gateway keeps hiding it while the policy says HIDE)`;
}
