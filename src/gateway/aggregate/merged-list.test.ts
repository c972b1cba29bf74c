import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { PAGE_SIZE, pageOf } from "./merged-list.js";

const items = Array.from({ length: PAGE_SIZE * 2 + 7 }, (_, i) => ({ name: `s__t${i}` }));

describe("pages of a merged list", () => {
  it("walks the whole list by nextCursor, each item once, in order", () => {
    const seen: unknown[] = [];
    let cursor: unknown;
    let pages = 0;
    do {
      const page = pageOf(items, "tools", cursor);
      seen.push(...(page["tools"] as unknown[]));
      cursor = page["nextCursor"];
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(items);
  });

  it("gives no nextCursor when everything fits on one page", () => {
    expect(pageOf(items.slice(0, 3), "prompts", undefined)).toEqual({ prompts: items.slice(0, 3) });
  });

  it("refuses a cursor it did not hand out as invalid params", () => {
    for (const bad of ["not-a-cursor", Buffer.from("-5").toString("base64url"), 42]) {
      const thrown = (() => {
        try {
          pageOf(items, "tools", bad);
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(thrown).toBeInstanceOf(McpError);
      expect((thrown as McpError).code).toBe(ErrorCode.InvalidParams);
    }
  });
});
