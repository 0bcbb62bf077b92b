// The status page's stylesheet, inlined into the page (its hash is in the Content-Security-Policy).
// No inline style attributes anywhere: the policy allows this block only. Below 40rem (a phone) wide
// tables stack each row's cells, so that no card and no page scrolls sideways; an email breaks inside only when
// it is wider than the whole row (its status label moves under it first); a setting named in a line
// (code.setting) is set smaller so it fits a phone's line whole.
export const STATUS_PAGE_STYLE = `
:root { color-scheme: light; font: 15px/1.45 system-ui, sans-serif; color: #1d2430; background: #f5f6f8; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1.5rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 0.5rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.25rem; }
section, form { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 0.25rem 1rem 1rem; margin-top: 1rem; }
section section, section form, dialog section { border: 0; border-radius: 0; padding: 0; margin: 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0.5rem 0; }
dt { font-weight: 600; }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
code.setting { font-size: 0.85em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid #e6e8ec; vertical-align: top; }
th { font-size: 0.85rem; color: #4a5364; }
tbody th { font-size: inherit; color: inherit; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
td.number { white-space: nowrap; }
td.received { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.email, td.target { overflow-wrap: break-word; }
td.email button.link { overflow-wrap: break-word; }
table.records td.detail { width: 20rem; }
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 999px; font-size: 0.85rem; font-weight: 600; white-space: nowrap; }
.good { background: #dcf5e3; color: #0d5a26; }
.bad { background: #fde1e1; color: #8c1616; }
.busy { background: #fff1cc; color: #6b4a00; }
.quiet { background: #eceef2; color: #4a5364; }
.alert { color: #8c1616; font-weight: 600; }
.muted, .note { color: #5d6676; font-size: 0.9rem; }
.detail { max-width: 22rem; overflow-wrap: anywhere; font-size: 0.85rem; color: #5d6676; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
#status.problem, .problem { color: #8c1616; font-weight: 600; }
.done { color: #0d5a26; font-weight: 600; }
#notice { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0 0; }
#jobs { list-style: none; padding: 0; margin: 0; }
#jobs li { border-top: 1px solid #e6e8ec; padding: 0.5rem 0; }
#jobs label { display: block; font-weight: 600; }
progress { width: 100%; height: 1rem; accent-color: #1f7a3a; }
input, select { font: inherit; padding: 0.3rem 0.5rem; max-width: 100%; box-sizing: border-box; }
input[type="password"] { width: min(28rem, 100%); display: block; margin: 0.25rem 0 0.75rem; }
button { font: inherit; padding: 0.3rem 0.9rem; cursor: pointer; white-space: nowrap; }
button.link { background: none; border: 0; padding: 0; color: #1a56b0; text-decoration: underline; text-align: left; white-space: normal; overflow-wrap: anywhere; }
button.danger { background: #8c1616; color: #fff; border: 1px solid #8c1616; border-radius: 4px; }
#search-form { display: flex; flex-wrap: wrap; align-items: end; gap: 0.5rem 1rem; margin: 0.5rem 0; }
#search-form label { display: flex; flex-direction: column; font-size: 0.85rem; color: #4a5364; min-width: 0; }
#search-email { width: 18rem; }
.pager { display: flex; gap: 0.5rem; margin-top: 0.75rem; }
dialog { width: min(52rem, calc(100vw - 1rem)); max-height: calc(100vh - 1rem); box-sizing: border-box; padding: 0.5rem 1rem 1rem; border: 1px solid #d8dce3; border-radius: 6px; overflow: auto; }
dialog::backdrop { background: rgb(29 36 48 / 0.45); }
#confirm-dialog { width: min(32rem, calc(100vw - 1rem)); }
#confirm-question { font-size: 1.05rem; overflow-wrap: anywhere; }
.dialog-bar { display: flex; align-items: baseline; justify-content: space-between; gap: 1rem; }
.dialog-bar h2 { overflow-wrap: anywhere; }
.actions { display: flex; justify-content: end; gap: 0.5rem; flex-wrap: wrap; }
dialog .target { border-top: 1px solid #e6e8ec; margin-top: 0.75rem; }
.target h3 { overflow-wrap: anywhere; }
p, li { overflow-wrap: break-word; }
[hidden] { display: none !important; }
@media (max-width: 40rem) {
  body { padding: 0.5rem 0.75rem 2rem; }
  section, form { padding: 0.25rem 0.75rem 0.75rem; }
  th, td { padding: 0.3rem 0.3rem; }
  #lanes-table td.number { white-space: normal; }
  td.email, td.target { overflow-wrap: anywhere; }
  #search-email { width: 100%; }
  #search-form label:first-child { flex: 1 1 100%; }
  .detail { max-width: none; }
  table.records, table.records tbody, table.stacked, table.stacked tbody { display: block; }
  table.records thead, table.stacked thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.records tr { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.1rem 0.75rem; padding: 0.5rem 0; border-bottom: 1px solid #e6e8ec; }
  table.records td, table.stacked td { display: block; padding: 0; border: 0; }
  table.records td.email { order: 1; flex: 1 1 auto; min-width: 0; font-weight: 600; }
  table.records td.state { order: 2; margin-left: auto; text-align: right; }
  table.records td.received { order: 3; flex: 1 1 auto; font-size: 0.85rem; color: #4a5364; }
  table.records td.ttr { order: 4; margin-left: auto; font-size: 0.85rem; }
  table.records td.source { order: 5; flex: 1 1 100%; font-size: 0.85rem; color: #4a5364; }
  table.records td.detail { order: 6; flex: 1 1 100%; width: auto; }
  table.records td.detail:empty { display: none; }
  table.stacked caption { display: block; text-align: left; }
  table.stacked tr { display: block; padding: 0.5rem 0; border-bottom: 1px solid #e6e8ec; }
  table.stacked td + td { margin-top: 0.15rem; }
  td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; color: #4a5364; }
}
`;
