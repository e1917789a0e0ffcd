/**
 * The node's only stylesheet, served from the node itself (the CSP forbids anything else).
 * Logical properties (margin-inline-start, text-align: start…) make the layout mirror by itself
 * when the page is right-to-left.
 */
export const APP_CSS = `
:root { --ink:#1d2330; --muted:#5b6475; --line:#d7dbe3; --bg:#f6f7f9; --card:#fff; --accent:#1f4e8c;
  --accent-ink:#fff; --danger:#a3261b; --ok:#1e6b3a; color-scheme: light; }
* { box-sizing: border-box; }
html { font-family: system-ui, "Noto Sans", "Noto Naskh Arabic", "Segoe UI", sans-serif; font-size: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.5; }
.skip { position: absolute; inset-inline-start: -999px; }
.skip:focus { inset-inline-start: 1rem; top: 1rem; background: var(--card); padding: .5rem; z-index: 2; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .75rem 1.5rem;
  background: var(--accent); color: var(--accent-ink); }
.top a, .top .link { color: var(--accent-ink); }
.brand { font-weight: 700; font-size: 1.25rem; text-decoration: none; margin-inline-end: 1rem; }
.top nav ul { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; margin: 0; padding: 0; }
.top nav a[aria-current] { font-weight: 700; text-decoration-thickness: 3px; }
.signout { margin-inline-start: auto; }
.langs { margin-inline-start: auto; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
main:focus { outline: none; }
h1 { margin-top: 0; font-size: 1.75rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: 1.25rem;
  margin-block-end: 1.25rem; }
.card > h2:first-child { margin-top: 0; }
.narrow { max-width: 28rem; }
label { display: block; font-weight: 600; margin-block: .75rem .25rem; }
input[type=text], input[type=password], input[type=number], select { display: block; width: 100%; max-width: 28rem;
  padding: .5rem .6rem; border: 1px solid #8a93a5; border-radius: .35rem; font: inherit; background: #fff; }
input:focus, select:focus, button:focus, a:focus { outline: 3px solid #f2b01e; outline-offset: 2px; }
fieldset { border: 1px solid var(--line); border-radius: .35rem; margin-block: .75rem; }
fieldset label { display: inline; font-weight: 400; margin-inline-end: 1rem; }
button, .button { display: inline-block; margin-block-start: 1rem; padding: .55rem 1.1rem; border: 0;
  border-radius: .35rem; background: var(--accent); color: var(--accent-ink); font: inherit; font-weight: 600;
  cursor: pointer; text-decoration: none; }
button.secondary { background: #e4e8ef; color: var(--ink); }
button.danger { background: var(--danger); }
button.link { background: none; padding: 0; margin: 0; text-decoration: underline; font-weight: 400; }
table { width: 100%; border-collapse: collapse; background: var(--card); }
th, td { text-align: start; padding: .5rem .6rem; border-block-end: 1px solid var(--line); vertical-align: top; }
th { font-size: .875rem; color: var(--muted); }
.notice { padding: .75rem 1rem; border-radius: .35rem; margin-block-end: 1rem; border-inline-start: 6px solid; }
.notice-error { background: #fbeceb; border-color: var(--danger); }
.notice-info { background: #eaf4ee; border-color: var(--ok); }
.secret { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 1.05rem; background: #fff;
  border: 1px dashed var(--muted); padding: .5rem .75rem; display: inline-block; direction: ltr;
  unicode-bidi: isolate; user-select: all; word-break: break-all; }
.qr svg { width: 14rem; height: 14rem; background: #fff; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.inline-form { display: inline; }
.inline-form button { margin: 0; }
.row { display: flex; flex-wrap: wrap; gap: 1.5rem; }
.row > * { flex: 1 1 20rem; }
.foot { max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; color: var(--muted); font-size: .875rem; }
code, .ltr { direction: ltr; unicode-bidi: isolate; }
@media (max-width: 40rem) { .top { padding: .75rem; } main { padding: 1rem; } }
`;
