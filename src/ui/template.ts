// The status page's document: static markup that the client script (ui/client/) fills in. It carries no
// data and no secret; the style and script blocks are passed in exactly as their CSP hashes were computed.
export function statusPageHtml(style: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>access-revoker status</title>
<style>${style}</style>
</head>
<body>
<header>
  <h1>access-revoker status</h1>
  <p id="status" role="status" aria-live="polite">Starting…</p>
  <button id="forget" type="button" hidden>Forget token</button>
</header>
<main>
<form id="token-form" hidden>
  <h2>Operator token</h2>
  <p id="token-problem" class="alert" role="alert"></p>
  <label for="token">Paste an operator token (OPERATOR_TOKEN)</label>
  <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>
  <button type="submit">Show status</button>
  <p class="note">The token stays in this tab's session storage and is forgotten when the tab closes.</p>
</form>
<div id="dashboard" hidden>
  <p id="notice" role="status" aria-live="polite" hidden></p>
  <section aria-labelledby="drain-heading">
    <h2 id="drain-heading">Drain</h2>
    <dl>
      <dt>Pace</dt><dd id="pace"></dd>
      <dt>429 pause</dt><dd id="pause"></dd>
      <dt>Follow-ups</dt><dd id="follow-ups"></dd>
      <dt>Reconcile</dt><dd id="reconcile"></dd>
    </dl>
    <table id="budgets-table" class="stacked" aria-labelledby="budgets-heading">
      <caption id="budgets-heading" class="muted">Each Cloudflare API token's budget, as Cloudflare last reported it, and its pace</caption>
      <thead><tr><th scope="col">Token</th><th scope="col">Targets</th><th scope="col">Pace</th><th scope="col">Budget reported</th><th scope="col" class="number">429s, last hour</th></tr></thead>
      <tbody id="budgets"></tbody>
    </table>
    <table id="lanes-table" aria-labelledby="lanes-heading">
      <caption id="lanes-heading" class="muted">Calls waiting per lane (urgent goes first) and time to revoke, last hour</caption>
      <thead><tr><th scope="col">Lane</th><th scope="col" class="number">Waiting calls</th><th scope="col" class="number">p50</th><th scope="col" class="number">p95</th><th scope="col" class="number">Revoked</th></tr></thead>
      <tbody id="lanes"></tbody>
    </table>
    <h3 id="holds-heading">Token holds</h3>
    <p id="no-holds" class="muted">No target is held.</p>
    <table id="holds-table" class="stacked" aria-labelledby="holds-heading">
      <thead><tr><th scope="col">Target</th><th scope="col">Reason</th><th scope="col">Held until</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
      <tbody id="holds"></tbody>
    </table>
  </section>
  <section aria-labelledby="sources-heading">
    <h2 id="sources-heading">Sources</h2>
    <p id="sources-note" class="muted"></p>
    <table id="sources-table" class="stacked" aria-labelledby="sources-heading">
      <thead><tr><th scope="col">Source</th><th scope="col">Last accepted</th><th scope="col">Last refused</th><th scope="col">Silence</th><th scope="col">Managed connection</th></tr></thead>
      <tbody id="sources"></tbody>
    </table>
    <dl>
      <dt>Alerts</dt><dd id="alerts"></dd>
    </dl>
  </section>
  <section aria-labelledby="revocations-heading">
    <h2 id="revocations-heading">Revocations</h2>
    <form id="search-form" role="search" aria-label="Find revocations">
      <label>Email <input id="search-email" name="email" type="email" autocomplete="off" spellcheck="false" placeholder="the whole address"></label>
      <label>Status <select id="search-status" name="status"><option value="">any</option></select></label>
      <button type="submit">Search</button>
      <button id="search-reset" type="reset">Show all</button>
    </form>
    <p id="page-note" class="muted"></p>
    <p id="no-revocations" class="muted">No revocation yet.</p>
    <table id="revocations-table" class="records" aria-labelledby="revocations-heading">
      <thead><tr><th scope="col">Received</th><th scope="col">Email</th><th scope="col">Source</th><th scope="col">Status</th><th scope="col" class="number">Time to revoke</th><th scope="col">Detail</th></tr></thead>
      <tbody id="revocations"></tbody>
    </table>
    <nav class="pager" aria-label="Pages of revocations">
      <button id="page-newer" type="button" disabled>Newer</button>
      <button id="page-older" type="button" disabled>Older</button>
    </nav>
  </section>
  <section aria-labelledby="jobs-heading">
    <h2 id="jobs-heading">Jobs</h2>
    <p id="jobs-note" class="muted"></p>
    <ul id="jobs"></ul>
  </section>
  <section aria-labelledby="report-heading">
    <h2 id="report-heading">Offboarding report</h2>
    <form id="report-form" aria-labelledby="report-heading">
      <label>From <input id="report-from" name="from" type="date" required></label>
      <label>To <input id="report-to" name="to" type="date" required></label>
      <label>Revoked within <input id="report-threshold" name="threshold" type="number" min="1" max="1440" value="5" required> min</label>
      <label>Format <select id="report-format" name="format"><option value="html">printable HTML</option><option value="csv">CSV</option></select></label>
      <button type="submit">Download</button>
    </form>
    <p id="report-note" class="muted">Every revocation received in the period (UTC days, both included), with Cloudflare's answers and the audit chain head it covers.</p>
  </section>
</div>
</main>
<dialog id="record-dialog" aria-labelledby="record-heading">
  <div class="dialog-bar">
    <h2 id="record-heading">Revocation</h2>
    <button id="record-close" type="button">Close</button>
  </div>
  <p id="record-notice" role="status" aria-live="polite" hidden></p>
  <dl id="record-fields"></dl>
  <p><button id="record-retry" type="button" hidden>Retry this revocation…</button></p>
  <div id="record-targets"></div>
</dialog>
<dialog id="confirm-dialog" aria-labelledby="confirm-question" aria-describedby="confirm-detail">
  <h2 id="confirm-question"></h2>
  <p id="confirm-detail"></p>
  <p class="actions"><button id="confirm-no" type="button" autofocus>Cancel</button> <button id="confirm-yes" type="button" class="danger"></button></p>
</dialog>
<script>${script}</script>
</body>
</html>
`;
}
