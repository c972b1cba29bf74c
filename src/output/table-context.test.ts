import { describe, expect, it } from "vitest";
import type { Candidate } from "./scan-rule.js";
import { columnName } from "./table-context.js";

/** A candidate for the first occurrence of `value` in `text`, with a fresh per-scan memo. */
function at(text: string, value: string, memo = new Map<unknown, unknown>()): Candidate {
  const start = text.indexOf(value);
  if (start < 0) throw new Error(`${value} not in text`);
  const match = Object.assign([value], { index: start, input: text }) as RegExpExecArray;
  return { text, value, start, end: start + value.length, match, memo };
}

const PSQL = [" user_id | admin_password | region", "---------+----------------+----------", " 42      | first-value    | eu-west-1", " 43      | second-value   | us-east-2", "(2 rows)"].join("\n");

describe("columnName", () => {
  it("names the psql column of each cell, on any row", () => {
    const memo = new Map<unknown, unknown>();
    expect(columnName(at(PSQL, "first-value", memo))).toBe("admin_password");
    expect(columnName(at(PSQL, "second-value", memo))).toBe("admin_password");
    expect(columnName(at(PSQL, "us-east-2", memo))).toBe("region");
    expect(columnName(at(PSQL, "42", memo))).toBe("user_id");
  });

  it("names the CSV column from the block's first line", () => {
    const csv = "name,file_version,ip\nweb,1.2.3.4,81.2.69.142\napi,5.6.7.8,81.2.69.143\n";
    expect(columnName(at(csv, "5.6.7.8"))).toBe("file_version");
    expect(columnName(at(csv, "81.2.69.143"))).toBe("ip");
    expect(columnName(at(csv, "file_version"))).toBeUndefined();
  });

  it("finds no column outside a table", () => {
    expect(columnName(at("The api secret is in the vault, the region is eu-west-1.", "eu-west-1"))).toBeUndefined();
    expect(columnName(at("Built on the build server, at 81.2.69.142.\nDeployed later, to 81.2.69.143 and more, by hand.", "81.2.69.143"))).toBeUndefined();
    expect(columnName(at("no delimiters on this line at all", "delimiters"))).toBeUndefined();
  });

  it("gives up on a line too long to be a table row", () => {
    const text = `a,b\n${"x,".repeat(5000)}needle,y`;
    expect(columnName(at(text, "needle"))).toBeUndefined();
  });

  it("gives up on a header more than 64 rows up", () => {
    const text = `name,secret\n${"row,value\n".repeat(70)}last,needle\n`;
    expect(columnName(at(text, "needle"))).toBeUndefined();
    expect(columnName(at(`name,secret\n${"row,value\n".repeat(10)}last,needle\n`, "needle"))).toBe("secret");
  });
});
