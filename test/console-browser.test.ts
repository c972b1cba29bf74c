/**
 * The approval console in real headless Chromium (the one the
 * `@sparticuz/chromium` npm package ships, driven by playwright-core) against
 * a real gateway whose calls wait for a decision: alice's two prod writes are
 * held, bob signs in by keyboard with JavaScript switched off, approves one
 * and denies the other, and the held calls complete accordingly.
 *
 * The browser comes with `npm install`; nothing skips this file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApprovalRequest } from "../src/core/approval.js";
import { launchBrowser } from "./helpers/browser.js";
import { disposeGateway, filesystemServer, KEYS, referenceWorkspace, startTestGateway, type TestGateway, textOf, type ToolResult, type Workspace, writeGatewayConfig } from "./helpers/gateway.js";

describe("console in a real browser", () => {
  let ws: Workspace;
  let gw: TestGateway;
  let alice: Client;
  let profile: string;
  let context: BrowserContext | undefined;
  let page: Page;
  const cspViolations: string[] = [];
  const postOrigins: string[] = [];

  beforeAll(async () => {
    ws = await referenceWorkspace();
    await writeGatewayConfig(ws, { servers: [filesystemServer(ws)], approvals: { wait_sec: 30, groups: { default: { roles: ["approver"] } } } });
    gw = await startTestGateway(ws);
    alice = await gw.connect("filesystem");
    profile = mkdtempSync(join(tmpdir(), "mcpgov-browser-profile-"));
    // No JavaScript at all: the console must work with forms and links alone.
    context = await launchBrowser(profile, { javaScriptEnabled: false });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on("request", (request) => {
      if (request.method() === "POST") postOrigins.push(request.headers()["origin"] ?? "(none)");
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await disposeGateway(gw as TestGateway | undefined, ws as Workspace | undefined);
  });

  /** A held call; marked handled at once so a failing test does not also leak an unhandled rejection. */
  const write = (name: string, content: string) => {
    const call = alice.callTool({ name: "write_file", arguments: { path: join(ws.sandbox, name), content } }, undefined, { timeout: 60_000 }) as Promise<ToolResult>;
    call.catch(() => undefined);
    return call;
  };

  async function pending(count: number): Promise<ApprovalRequest[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = await gw.gateway.ctx.approvals.store.list({ state: "pending" });
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`expected ${count} pending approval requests, found ${found.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const card = (fileName: string) => page.locator("article.request", { hasText: fileName });

  it("signs in by keyboard, approves one held call and denies the other; the calls complete accordingly", async () => {
    // Both calls wait inside the gateway for a decision.
    const approvedCall = write("approved.txt", "deploy v2\n");
    const deniedCall = write("denied.txt", "drop <all> & \"everything\"\n");
    await pending(2);

    await page.goto(`${gw.url}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    // The token field has the focus on arrival; typing and Enter sign in.
    expect(await page.locator(":focus").getAttribute("id")).toBe("token");
    await page.locator("#token").focus();
    await page.keyboard.type(KEYS.bob);
    await Promise.all([page.waitForURL(`${gw.url}/console`), page.keyboard.press("Enter")]);
    expect(await page.locator("h1").textContent()).toBe("Approval queue");
    expect(await page.content()).not.toContain(KEYS.bob);
    // The first Tab lands on the skip link, which moves the focus to the main content.
    await page.keyboard.press("Tab");
    expect(await page.locator(":focus").textContent()).toBe("Skip to main content");
    await page.keyboard.press("Enter");
    expect(await page.locator(":focus").getAttribute("id")).toBe("main");

    expect(await page.locator("#pending-heading").textContent()).toBe("Pending requests (2)");
    const approvedCard = card("approved.txt");
    const deniedCard = card("denied.txt");
    expect(await approvedCard.locator("pre.arguments").textContent()).toContain('"content": "deploy v2\\n"');
    expect(await deniedCard.locator("pre.arguments").textContent()).toContain('"content": "drop <all> & \\"everything\\"\\n"');
    expect(await deniedCard.textContent()).toContain("require-approval-production-write");
    expect(await deniedCard.textContent()).toContain(gw.gateway.ctx.bundles.current().bundle.hash);

    // Approve by keyboard: focus the reason, type, Enter submits its form.
    await approvedCard.getByLabel("Reason for approving (optional)").focus();
    await page.keyboard.type("release window open");
    await Promise.all([page.waitForURL(`${gw.url}/console`), page.keyboard.press("Enter")]);
    expect(await page.locator("p.flash").textContent()).toContain("Approved filesystem · write_file");

    const approved = await approvedCall;
    expect(approved.isError).toBeFalsy();
    expect(readFileSync(join(ws.sandbox, "approved.txt"), "utf8")).toBe("deploy v2\n");

    // Deny by mouse: type the reason, click the button.
    await deniedCard.getByLabel("Reason for denying (required)").fill("no destructive writes today");
    await Promise.all([page.waitForURL(`${gw.url}/console`), deniedCard.getByRole("button", { name: /^Deny / }).click()]);
    expect(await page.locator("p.flash").textContent()).toContain("Denied filesystem · write_file");

    const denied = await deniedCall;
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain("denied by bob: no destructive writes today");
    expect(existsSync(join(ws.sandbox, "denied.txt"))).toBe(false);

    expect(await page.locator("#pending-heading").textContent()).toBe("Pending requests (0)");
    const recent = page.locator("section[aria-labelledby=recent-heading] tbody");
    const rows = await recent.locator("tr").allTextContents();
    expect(rows.some((row) => row.includes("used") && row.includes("bob (console)") && row.includes("release window open"))).toBe(true);
    expect(rows.some((row) => row.includes("denied") && row.includes("bob (console)") && row.includes("no destructive writes today"))).toBe(true);

    // Chromium posted with our own origin, which the gateway's Origin check let through for /console.
    expect(postOrigins.length).toBeGreaterThanOrEqual(3);
    expect(new Set(postOrigins)).toEqual(new Set([gw.url]));
    expect(cspViolations).toEqual([]);

    // Sign out by keyboard from the header.
    await page.getByRole("button", { name: "Sign out" }).focus();
    await Promise.all([page.waitForURL(`${gw.url}/console/login?m=signed-out`), page.keyboard.press("Enter")]);
    await page.goto(`${gw.url}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
  });
});
