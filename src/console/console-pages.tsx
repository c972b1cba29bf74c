/**
 * @module The console's pages: sign-in, the queue of pending requests with
 * recent decisions, one request in detail, and a plain message page. Each
 * page is complete without JavaScript: real forms, labels and buttons.
 */
import type { ApprovalRequest } from "../core/approval.js";
import { CONSOLE_PATH } from "./console-security.js";
import { CsrfField, domId, FlashMessage, formatSpan, Layout, type Flash, type Viewer } from "./console-layout.js";

/** What the page needs to know about one request besides the request. */
export interface RequestView {
  request: ApprovalRequest;
  /** Why this viewer may not decide it (their own request, another group); undefined when they may. */
  cannotDecide?: string;
}

const requestPath = (id: string) => `${CONSOLE_PATH}/requests/${encodeURIComponent(id)}`;

export function LoginPage(props: { csrf: string; message?: Flash }) {
  return (
    <Layout title="Sign in">
      <h1>Sign in</h1>
      <p>Sign in with your gateway token (API key or JWT). Only approvers get in.</p>
      <FlashMessage flash={props.message} />
      <form method="post" action={`${CONSOLE_PATH}/login`} class="login">
        <CsrfField csrf={props.csrf} />
        <label for="token">Token</label>
        <input id="token" name="token" type="password" required autocomplete="off" spellcheck={false} autofocus />
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}

export function MessagePage(props: { title: string; text: string; viewer?: Viewer; back?: boolean }) {
  return (
    <Layout title={props.title} {...(props.viewer ? { viewer: props.viewer } : {})}>
      <h1>{props.title}</h1>
      <p role="alert">{props.text}</p>
      {props.back !== false ? (
        <p>
          <a href={CONSOLE_PATH}>Back to the queue</a>
        </p>
      ) : null}
    </Layout>
  );
}

function Facts(props: { request: ApprovalRequest; now: number }) {
  const r = props.request;
  const age = props.now - Date.parse(r.created_at);
  const left = Date.parse(r.expires_at) - props.now;
  return (
    <dl class="facts">
      <dt>Request</dt>
      <dd>
        <code>{r.id}</code>
      </dd>
      <dt>Server</dt>
      <dd>{r.server}</dd>
      <dt>Tool</dt>
      <dd>{r.tool}</dd>
      <dt>Requester</dt>
      <dd>
        {r.subject.id}
        {r.subject.tenant !== undefined ? ` (tenant ${r.subject.tenant})` : ""}
      </dd>
      <dt>Group</dt>
      <dd>{r.group}</dd>
      <dt>Age</dt>
      <dd>
        <time datetime={r.created_at}>{formatSpan(age)} ago</time>
      </dd>
      <dt>Expires</dt>
      <dd>
        <time datetime={r.expires_at}>{left > 0 ? `in ${formatSpan(left)}` : `${formatSpan(left)} ago`}</time> ({r.expires_at})
      </dd>
      <dt>Matching rules</dt>
      <dd>{r.rules.join(", ")}</dd>
      <dt>Policy reason</dt>
      <dd>{r.reason}</dd>
      <dt>Bundle</dt>
      <dd>
        <code>{r.bundle.hash}</code> (revision {r.bundle.revision})
      </dd>
      <dt>State</dt>
      <dd>{r.state}</dd>
      {r.decided_by ? (
        <>
          <dt>Decided by</dt>
          <dd>
            {r.decided_by.id} via {r.decided_by.via}
            {r.decided_at ? ` at ${r.decided_at}` : ""}
            {r.decision_reason ? `: ${r.decision_reason}` : ""}
          </dd>
        </>
      ) : null}
      {r.used_by_call ? (
        <>
          <dt>Used by call</dt>
          <dd>
            <code>{r.used_by_call}</code>
          </dd>
        </>
      ) : null}
      {r.void_reason ? (
        <>
          <dt>Void</dt>
          <dd>{r.void_reason}</dd>
        </>
      ) : null}
    </dl>
  );
}

/** The arguments as they will run: pretty JSON, escaped as text by JSX. */
function Arguments(props: { request: ApprovalRequest; heading: "h2" | "h4" }) {
  const id = domId("args", props.request.id);
  const Heading = props.heading;
  return (
    <>
      <Heading id={id}>Arguments</Heading>
      <pre class="arguments" aria-labelledby={id} tabindex={0}>
        {JSON.stringify(props.request.arguments, null, 2)}
      </pre>
    </>
  );
}

function DecisionForms(props: { view: RequestView; csrf: string; back: "queue" | "detail" }) {
  const { request, cannotDecide } = props.view;
  if (request.state !== "pending") return null;
  if (cannotDecide) return <p class="note">You cannot decide this request: {cannotDecide}.</p>;
  const label = `${request.server} ${request.tool} request ${request.id}`;
  const approveId = domId("approve-reason", request.id);
  const denyId = domId("deny-reason", request.id);
  return (
    <div class="decide">
      <form method="post" action={`${requestPath(request.id)}/approve`}>
        <CsrfField csrf={props.csrf} />
        <input type="hidden" name="back" value={props.back} />
        <label for={approveId}>Reason for approving (optional)</label>
        <input id={approveId} name="reason" type="text" maxlength={2000} autocomplete="off" />
        <button type="submit" class="approve" aria-label={`Approve ${label}`}>
          Approve
        </button>
      </form>
      <form method="post" action={`${requestPath(request.id)}/deny`}>
        <CsrfField csrf={props.csrf} />
        <input type="hidden" name="back" value={props.back} />
        <label for={denyId}>Reason for denying (required)</label>
        <input id={denyId} name="reason" type="text" maxlength={2000} required autocomplete="off" />
        <button type="submit" class="deny" aria-label={`Deny ${label}`}>
          Deny
        </button>
      </form>
    </div>
  );
}

function RequestCard(props: { view: RequestView; csrf: string; now: number }) {
  const r = props.view.request;
  const headingId = domId("heading", r.id);
  return (
    <article class="request" id={domId("request", r.id)} aria-labelledby={headingId}>
      <h3 id={headingId}>
        <a href={requestPath(r.id)}>
          {r.server} · {r.tool}
        </a>{" "}
        <span class="note">by {r.subject.id}</span>
      </h3>
      <Facts request={r} now={props.now} />
      <Arguments request={r} heading="h4" />
      <DecisionForms view={props.view} csrf={props.csrf} back="queue" />
    </article>
  );
}

/** When a decided request last moved, for ordering and display. */
export function settledAt(r: ApprovalRequest): string {
  return r.used_at ?? r.decided_at ?? (r.state === "expired" ? r.expires_at : r.created_at);
}

function RecentTable(props: { recent: ApprovalRequest[] }) {
  if (props.recent.length === 0) return <p class="note">No decisions yet.</p>;
  return (
    <table>
      <caption>Newest first: approved, denied, used, expired and void requests.</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">State</th>
          <th scope="col">Server · tool</th>
          <th scope="col">Requester</th>
          <th scope="col">Decided by</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {props.recent.map((r) => (
          <tr id={domId("recent", r.id)}>
            <td>
              <time datetime={settledAt(r)}>{settledAt(r)}</time>
            </td>
            <td>{r.state}</td>
            <td>
              <a href={requestPath(r.id)}>
                {r.server} · {r.tool}
              </a>
            </td>
            <td>{r.subject.id}</td>
            <td>{r.decided_by ? `${r.decided_by.id} (${r.decided_by.via})` : "—"}</td>
            <td>{r.decision_reason ?? r.void_reason ?? (r.state === "expired" ? "nobody decided in time" : "")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function QueuePage(props: { viewer: Viewer; flash?: Flash; pending: RequestView[]; more?: boolean; recent: ApprovalRequest[]; now: number }) {
  return (
    <Layout title="Approval queue" viewer={props.viewer}>
      <h1>Approval queue</h1>
      <FlashMessage flash={props.flash} />
      <section aria-labelledby="pending-heading">
        <h2 id="pending-heading">
          Pending requests ({props.pending.length}
          {props.more ? "+" : ""})
        </h2>
        {props.more ? <p class="note">The {props.pending.length} newest are shown; decide these (or use the admin API) to see the rest.</p> : null}
        {props.pending.length === 0 ? <p class="note">Nothing is waiting for a decision.</p> : null}
        {props.pending.map((view) => (
          <RequestCard view={view} csrf={props.viewer.csrf} now={props.now} />
        ))}
      </section>
      <section aria-labelledby="recent-heading">
        <h2 id="recent-heading">Recent decisions</h2>
        <RecentTable recent={props.recent} />
      </section>
    </Layout>
  );
}

export function DetailPage(props: { viewer: Viewer; flash?: Flash; view: RequestView; now: number }) {
  const r = props.view.request;
  return (
    <Layout title={`Request ${r.id}`} viewer={props.viewer}>
      <p>
        <a href={CONSOLE_PATH}>Back to the queue</a>
      </p>
      <h1>
        {r.server} · {r.tool} <span class="note">({r.state})</span>
      </h1>
      <FlashMessage flash={props.flash} />
      <Facts request={r} now={props.now} />
      <Arguments request={r} heading="h2" />
      <DecisionForms view={props.view} csrf={props.viewer.csrf} back="detail" />
    </Layout>
  );
}
