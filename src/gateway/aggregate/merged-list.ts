/**
 * @module The aggregated lists (tools, prompts, resources, resource
 * templates): every server's list, each fully read through its own
 * mediated per-server list (all its pages), names or URIs namespaced,
 * merged in registry order and served in pages under the aggregated
 * endpoint's own cursor. A server that cannot be listed (down, refused
 * by policy, broken) is left out with a log line; the rest are listed.
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { namespaceName, namespaceUri } from "../../core/aggregate-names.js";
import { describeThrown } from "../../core/errors.js";
import type { Logger } from "../../logger.js";
import type { Member, MemberRequestOptions } from "./member.js";

export const PAGE_SIZE = 100;

export type ListKind = "tools" | "prompts" | "resources" | "resourceTemplates";

interface ListSpec {
  method: string;
  /** The result's array. */
  key: ListKind;
  /** The field that is namespaced, and how. */
  field: "name" | "uri" | "uriTemplate";
  rename: (server: string, value: string) => string;
  /** The upstream capability a server needs for its proxy to answer the method (tools: always offered). */
  capability?: "prompts" | "resources";
}

export const LISTS: Record<ListKind, ListSpec> = {
  tools: { method: "tools/list", key: "tools", field: "name", rename: namespaceName },
  prompts: { method: "prompts/list", key: "prompts", field: "name", rename: namespaceName, capability: "prompts" },
  resources: { method: "resources/list", key: "resources", field: "uri", rename: namespaceUri, capability: "resources" },
  resourceTemplates: { method: "resources/templates/list", key: "resourceTemplates", field: "uriTemplate", rename: namespaceUri, capability: "resources" },
};

/** Every server's items of one list, namespaced, in the order the servers are registered. */
export async function mergedList(
  members: ReadonlyArray<() => Promise<Member>>,
  kind: ListKind,
  options: MemberRequestOptions,
  logger: Logger,
): Promise<Array<Record<string, unknown>>> {
  const spec = LISTS[kind];
  const lists = await Promise.all(
    members.map(async (open) => {
      let member: Member | undefined;
      try {
        member = await open();
        if (spec.capability) {
          if (member.capabilities === undefined) throw new Error("the server is not connected");
          if (!member.capabilities[spec.capability]) return [];
        }
        const items = await member.listAll(spec.method, spec.key, options);
        return items.flatMap((item) => {
          const value = item[spec.field];
          // An item without its name cannot be addressed: it is not offered.
          return typeof value === "string" ? [{ ...item, [spec.field]: spec.rename(member!.serverId, value) }] : [];
        });
      } catch (error) {
        logger.warn({ server: member?.serverId, method: spec.method, error: describeThrown(error) }, "aggregate: server left out of the merged list");
        return [];
      }
    }),
  );
  return lists.flat();
}

function decodeCursor(cursor: unknown): number {
  if (cursor === undefined) return 0;
  const offset = typeof cursor === "string" ? Number(Buffer.from(cursor, "base64url").toString("utf8")) : NaN;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new McpError(ErrorCode.InvalidParams, "invalid cursor: pass back a nextCursor this endpoint returned");
  return offset;
}

/** One page of a merged list; the cursor is an offset into the merged list as it is when the next page is asked for. */
export function pageOf(items: Array<Record<string, unknown>>, key: ListKind, cursor: unknown): Record<string, unknown> {
  const offset = decodeCursor(cursor);
  const next = offset + PAGE_SIZE < items.length ? Buffer.from(String(offset + PAGE_SIZE)).toString("base64url") : undefined;
  return { [key]: items.slice(offset, offset + PAGE_SIZE), ...(next ? { nextCursor: next } : {}) };
}
