/**
 * @module The console's page frame and small shared pieces. Server-rendered
 * with Hono's JSX, which escapes every text and attribute value: arguments
 * and reasons are attacker-controlled strings and are only ever passed as
 * JSX children or attribute values, never as raw HTML.
 */
import type { Child } from "hono/jsx";
import { CONSOLE_PATH } from "./console-security.js";

export interface Viewer {
  subjectId: string;
  csrf: string;
}

export type Flash = { kind: "ok" | "error"; text: string };

/** A CSRF token for the form it sits in. */
export function CsrfField(props: { csrf: string }) {
  return <input type="hidden" name="csrf" value={props.csrf} />;
}

export function FlashMessage(props: { flash: Flash | undefined }) {
  if (!props.flash) return null;
  // alert for refusals so screen readers announce them; status for confirmations.
  return (
    <p class={`flash flash-${props.flash.kind}`} role={props.flash.kind === "error" ? "alert" : "status"}>
      {props.flash.text}
    </p>
  );
}

export function Layout(props: { title: string; viewer?: Viewer; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · mcpgov approvals`}</title>
        <link rel="stylesheet" href={`${CONSOLE_PATH}/style.css`} />
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to main content
        </a>
        <header class="site-header">
          <p class="brand">
            <a href={CONSOLE_PATH}>mcpgov approval console</a>
          </p>
          {props.viewer ? (
            <form method="post" action={`${CONSOLE_PATH}/logout`} class="signout">
              <span>
                Signed in as <strong>{props.viewer.subjectId}</strong>
              </span>
              <CsrfField csrf={props.viewer.csrf} />
              <button type="submit">Sign out</button>
            </form>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** "3m 12s": how long ago (or, negative, how long until) a time is. */
export function formatSpan(ms: number): string {
  const total = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** An id safe for element ids and fragment links, whatever the store's ids look like. */
export function domId(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --accent: #0550ae; --ok: #116329; --bad: #a40e26; --focus: #bf8700; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8d96a0; --line: #30363d; --accent: #79c0ff; --ok: #56d364; --bad: #ff7b72; --focus: #e3b341; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip-link { position: absolute; left: -9999px; top: 0; padding: .5rem 1rem; background: var(--bg); }
.skip-link:focus { left: .5rem; top: .5rem; z-index: 10; }
.site-header { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 1rem; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); }
.brand { margin: 0; font-weight: 600; }
.signout { display: flex; gap: .75rem; align-items: center; }
main { padding: 1rem 1.5rem 3rem; max-width: 75rem; }
main:focus { outline: none; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; }
h3 { font-size: 1.1rem; margin: 0 0 .5rem; }
.flash { padding: .75rem 1rem; border: 1px solid var(--line); border-left: 6px solid var(--ok); }
.flash-error { border-left-color: var(--bad); }
.request { border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 0 0 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 .75rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre.arguments { padding: .75rem; border: 1px solid var(--line); border-radius: 4px; overflow: auto; max-height: 24rem; white-space: pre-wrap; overflow-wrap: anywhere; }
code, pre { font: 14px/1.45 ui-monospace, monospace; }
.decide { display: flex; flex-wrap: wrap; gap: 1rem; }
.decide form { display: flex; flex-direction: column; gap: .35rem; min-width: 18rem; flex: 1; padding: .75rem; border: 1px solid var(--line); border-radius: 4px; }
input[type=text], input[type=password] { font: inherit; padding: .4rem .5rem; border: 1px solid var(--muted); border-radius: 4px; color: var(--fg); background: var(--bg); }
button { font: inherit; padding: .4rem 1rem; border-radius: 4px; border: 1px solid var(--muted); background: var(--bg); color: var(--fg); cursor: pointer; align-self: flex-start; }
button.approve { border-color: var(--ok); color: var(--ok); }
button.deny { border-color: var(--bad); color: var(--bad); }
.note { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: var(--muted); padding-bottom: .5rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
.login { max-width: 28rem; display: flex; flex-direction: column; gap: .5rem; }
`;
