/**
 * @module What every AuditStore does to an entry before sealing it: validate
 * it (unless buildAuditEntry made it), drop keys set to undefined, and
 * replace lone UTF-16 surrogates (noted as ill_formed_unicode), so what is
 * sealed is exactly what a read rebuilds from storage.
 */
import { entrySchemaFor, isBuiltAuditEntry, type AuditEntry, type AuditEntryInput } from "../core/audit-record.js";
import { describeThrown, McpgovError } from "../core/errors.js";
import { describeIssues } from "../core/issues.js";
import { jsonHasLoneSurrogate, wellFormedJson } from "../core/well-formed.js";

/**
 * The entry with lone surrogates replaced (U+FFFD), and a note that this
 * happened, so what is sealed is what the database stores (neither SQLite
 * nor PostgreSQL has a UTF-8 form for a lone surrogate) and a reader knows
 * the text was changed.
 */
function wellFormedEntry(entry: AuditEntry): AuditEntry {
  const { value, changed } = wellFormedJson(entry);
  if (!changed) return entry;
  if (value.kind === "event") return { ...value, details: { ...value.details, ill_formed_unicode: true } };
  return { ...value, extra: { ...value.extra, ill_formed_unicode: true } };
}

/** The entry as it will be sealed; `input_invalid` when it is not a valid entry. */
export function checkedEntry(entry: AuditEntryInput): AuditEntry {
  let valid: AuditEntry;
  if (isBuiltAuditEntry(entry)) {
    // buildAuditEntry made it from typed, already validated parts (see
    // there), and the gateway hands it here untouched: a second zod pass
    // over the whole envelope was a tenth of the pipeline's CPU.
    valid = entry;
  } else {
    const parsed = entrySchemaFor(entry).safeParse(entry);
    if (!parsed.success) throw new McpgovError("input_invalid", `audit entry is invalid: ${describeIssues(parsed.error)}`);
    valid = parsed.data;
  }
  try {
    // A JSON round trip drops keys set to undefined, so the sealed content is exactly what a read rebuilds.
    const json = JSON.stringify(valid);
    const clean = JSON.parse(json) as AuditEntry;
    return jsonHasLoneSurrogate(json) ? wellFormedEntry(clean) : clean;
  } catch (cause) {
    throw new McpgovError("input_invalid", `audit entry is not JSON: ${describeThrown(cause)}`, { cause });
  }
}
