// The status page's stylesheet, inlined into the page (its hash is in the Content-Security-Policy).
// No inline style attributes anywhere: the policy allows this block only.
export const STATUS_PAGE_STYLE = `
:root { color-scheme: light; font: 15px/1.45 system-ui, sans-serif; color: #1d2430; background: #f5f6f8; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1.5rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 0.5rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.25rem; }
section, form { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: 0.25rem 1rem 1rem; margin-top: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0.5rem 0; }
dt { font-weight: 600; }
dd { margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid #e6e8ec; vertical-align: top; }
th { font-size: 0.85rem; color: #4a5364; }
tbody th { font-size: inherit; color: inherit; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 999px; font-size: 0.85rem; font-weight: 600; white-space: nowrap; }
.good { background: #dcf5e3; color: #0d5a26; }
.bad { background: #fde1e1; color: #8c1616; }
.busy { background: #fff1cc; color: #6b4a00; }
.quiet { background: #eceef2; color: #4a5364; }
.alert { color: #8c1616; font-weight: 600; }
.muted, .note { color: #5d6676; font-size: 0.9rem; }
.detail { max-width: 22rem; overflow-wrap: anywhere; font-size: 0.85rem; color: #5d6676; }
#status.problem { color: #8c1616; font-weight: 600; }
#jobs { list-style: none; padding: 0; margin: 0; }
#jobs li { border-top: 1px solid #e6e8ec; padding: 0.5rem 0; }
#jobs label { display: block; font-weight: 600; }
progress { width: 100%; height: 1rem; accent-color: #1f7a3a; }
input[type="password"] { font: inherit; padding: 0.35rem 0.5rem; width: min(28rem, 100%); display: block; margin: 0.25rem 0 0.75rem; }
button { font: inherit; padding: 0.3rem 0.9rem; cursor: pointer; }
[hidden] { display: none !important; }
`;
