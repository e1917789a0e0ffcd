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
.map { display: block; width: 100%; max-width: 32rem; aspect-ratio: 1; border: 1px solid #ccd; background: #eef; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.inline-form { display: inline; }
.inline-form button { margin: 0; }
.row { display: flex; flex-wrap: wrap; gap: 1.5rem; }
.row > * { flex: 1 1 20rem; }
.foot { max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; color: var(--muted); font-size: .875rem; }
code, .ltr { direction: ltr; unicode-bidi: isolate; }
input[type=date], input[type=url], input[type=file], textarea { display: block; width: 100%; max-width: 28rem;
  padding: .5rem .6rem; border: 1px solid #8a93a5; border-radius: .35rem; font: inherit; background: #fff; }
textarea { min-height: 5rem; }
input[type=checkbox] + label, label.check { display: inline; font-weight: 400; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .3rem; font-size: .8rem; font-weight: 600;
  background: #e4e8ef; color: var(--ink); white-space: nowrap; }
.badge-ok { background: #dff1e5; color: var(--ok); }
.badge-pending { background: #fff4d6; color: #6b4e00; }
.badge-failed, .badge-danger { background: var(--danger); color: #fff; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: flex-end; }
.filters > div { flex: 0 1 13rem; }
.filters button { margin-block-start: .5rem; }
.pager { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin-block: 1rem; }
.preview img, .preview video { display: block; max-width: 100%; max-height: 70vh; background: #000; }
.preview audio { width: 100%; max-width: 40rem; }
.text-preview { max-height: 32rem; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; background: #fff;
  border: 1px solid var(--line); padding: .75rem; unicode-bidi: plaintext; text-align: start; }
/* Sensitive content: blurred until the reader chooses to see it — a checkbox and its label, no script. */
.sensitive { position: relative; overflow: hidden; border-radius: .35rem; width: fit-content; max-width: 100%;
  min-width: 16rem; min-height: 8rem; }
.sensitive .veiled { filter: blur(32px) grayscale(.6); }
.reveal:checked ~ .veiled { filter: none; }
.sensitive .cover { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  margin: 0; padding: 1rem; text-align: center; background: rgba(29, 35, 48, .6); color: #fff; font-weight: 700;
  cursor: pointer; }
.reveal:checked ~ .cover { display: none; }
.reveal:focus-visible ~ .cover { outline: 3px solid #f2b01e; outline-offset: -3px; }
dl.facts { display: grid; grid-template-columns: minmax(9rem, max-content) 1fr; gap: .35rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85rem; overflow-wrap: anywhere;
  direction: ltr; unicode-bidi: isolate; }
.coordinates { font-size: 1.25rem; font-weight: 600; margin-block: 0 .5rem; }
.copyable { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.problems { font-weight: 600; }
.problems ul { margin: .25rem 0 0; }
details.card > summary { cursor: pointer; font-weight: 700; font-size: 1.1rem; }
details.card[open] > summary { margin-block-end: .5rem; }
.upload-status { list-style: none; padding: 0; }
.upload-status li { margin-block: .5rem; }
.upload-status progress { width: 12rem; vertical-align: middle; }
.file-name { font-weight: 600; overflow-wrap: anywhere; }
.outcome-error { color: var(--danger); font-weight: 600; }
.table-scroll { overflow-x: auto; }
@media (max-width: 40rem) { .top { padding: .75rem; } main { padding: 1rem; } dl.facts { grid-template-columns: 1fr; } }
/* The legal catalogue: crimes fold with <details>; the comparison marks gaps in colour and in words. */
.toc ul { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; list-style: none; padding: 0; margin: 0 0 .5rem; }
details.crime { background: var(--card); border: 1px solid var(--line); border-radius: .35rem; margin-block: .5rem;
  padding: .5rem .9rem; }
details.crime > summary { cursor: pointer; font-weight: 600; }
details.crime[open] > summary { margin-block-end: .5rem; }
.article { font-weight: 700; white-space: nowrap; }
.elements { padding-inline-start: 1.5rem; }
.elements li { margin-block: .6rem; }
.element-head { display: block; }
.element-text { display: block; }
.citation { font-style: normal; font-size: .875rem; color: var(--muted); }
.legal-note { margin: .25rem 0 0; font-size: .9rem; }
.legal-note .label { font-weight: 600; }
.badge-kind { background: #e8eaf6; }
.badge-match-full, .badge-status-covered { background: #dff1e5; color: var(--ok); }
.badge-match-partial, .badge-status-partial { background: #fff4d6; color: #6b4e00; }
.badge-match-none, .badge-status-gap { background: var(--danger); color: #fff; }
.legal-table { margin-block-end: 1.25rem; }
.mappings { list-style: none; padding: 0; margin: 0; }
.mapping { padding-block: .35rem; border-block-end: 1px dashed var(--line); }
.mapping:last-child { border-block-end: 0; }
.mapped-elements { display: block; font-size: .875rem; }
.cited li, .checklist li { margin-block: .5rem; }
.checklist { list-style: none; padding-inline-start: 0; }
.checklist li { padding-inline-start: 1.75rem; position: relative; }
.checklist li::before { content: ""; position: absolute; inset-inline-start: 0; top: .2rem; width: 1rem; height: 1rem;
  border: 2px solid var(--muted); border-radius: .15rem; }
table.compare th[scope=row] { min-width: 16rem; font-size: .9rem; color: var(--ink); font-weight: 400; }
table.compare td { min-width: 12rem; }
.cell-covered { background: #f1f9f3; }
.cell-partial { background: #fffaeb; }
.cell-gap { background: #fbeceb; }
.covering { margin-block: .35rem; }
.gap-text { font-weight: 600; color: var(--danger); margin: .35rem 0 0; }
.legend .badge { margin-inline-end: .5rem; }
/* ── Cases: dashboard and team pages ── */
.prose { white-space: pre-line; }
ul.plain { list-style: none; margin: 0; padding: 0; }
.counts { display: flex; flex-wrap: wrap; gap: .75rem; list-style: none; padding: 0; margin: 0 0 1.25rem; }
.counts li { flex: 0 1 10rem; background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: .6rem .9rem; color: var(--muted); }
.counts .count { display: block; font-size: 1.6rem; font-weight: 700; color: var(--ink); }
.case-links ul { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; list-style: none; padding: 0; margin: 0; }
.history { list-style: none; padding: 0; margin: 0; }
.history li { margin-block: .35rem; }
.history time { color: var(--muted); font-size: .875rem; margin-inline-end: .5rem; }
.agreement, .compartment { border-block-start: 1px solid var(--line); padding-block: .75rem; }
.agreement h3, .compartment h3 { margin-block: 0 .5rem; }
.participants { display: grid; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); gap: .75rem; }
input.short { max-width: 5rem; }
table.members td form { white-space: nowrap; }
table.members select { display: inline-block; width: auto; }
table.charges th[scope=row] { color: var(--ink); font-size: .95rem; }
.participant label.field { display: block; font-weight: 600; margin-block: .5rem .25rem; }
@media print {
  .top, .skip, .foot, .no-print, form { display: none !important; }
  body { background: #fff; font-size: 10pt; }
  main { max-width: none; padding: 0; }
  .card, details.crime { border: 0; padding: 0; border-radius: 0; }
  a { color: inherit; text-decoration: none; }
  .table-scroll { overflow: visible; }
  table { font-size: 8.5pt; }
  table.compare th[scope=row], table.compare td { min-width: 0; }
  thead { display: table-header-group; }
  tr, li, .covering { break-inside: avoid; }
  h2 { break-after: avoid; }
  details.crime > summary { list-style: none; }
  details.crime > summary::-webkit-details-marker { display: none; }
  details::details-content { content-visibility: visible; display: block; }
  .badge, .cell-covered, .cell-partial, .cell-gap { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .badge { border: 1px solid #888; }
}
/* ── Incidents and the proof matrix (pages/incidents.ts, pages/matrix.ts, the item's analysis) ──
   Gaps are marked in words (GAP) and by a thick border as well as in colour; elements a
   jurisdiction does not require are muted. The report prints without navigation or forms. */
.case-links ul, .juris-switch ul { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; list-style: none; padding: 0; margin: 0; }
.case-links { margin-block-end: 1rem; }
.juris-switch { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; margin-block: 1rem; }
.juris-switch .label, .el-sources .label, .label { font-weight: 600; }
.juris-switch select { display: inline-block; width: auto; }
.juris-switch button { margin: 0; }
.juris-summary { list-style: none; padding: 0; margin: 0; }
.juris-summary li { margin-block: .15rem; }
ul.plain { list-style: none; padding: 0; margin: 0; }
.subform > summary { cursor: pointer; font-weight: 600; margin-block-start: 1rem; }
tr.withdrawn { color: var(--muted); text-decoration: line-through; }
.verdict-proven, .el-corroborated { background: #dff1e5; color: var(--ok); }
.verdict-gaps, .el-unproven { background: var(--danger); color: #fff; }
.verdict-na, .el-inadmissible { background: #5b2a86; color: #fff; }
.el-single_source { background: #fff4d6; color: #6b4e00; }
.el-contradicted { background: #fff; color: var(--danger); border: 2px solid var(--danger); }
.gap-counts { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: 1rem 0; }
.gap-counts div { display: flex; gap: .4rem; }
.gap-counts dt { font-weight: 600; color: var(--muted); }
.gap-counts dd { margin: 0; font-weight: 700; }
.gap-counts .gap-total dt, .gap-counts .gap-total dd { color: var(--danger); }
table.proof-grid th[scope=row] { min-width: 18rem; font-size: .9rem; color: var(--ink); font-weight: 400; }
table.proof-grid td.el-state { min-width: 14rem; font-size: .9rem; }
table.proof-grid th.item-col { min-width: 10rem; color: var(--ink); }
.item-source { display: block; font-weight: 400; color: var(--muted); }
tr.gap-row > th, tr.gap-row > td { background: #fbeceb; }
tr.gap-row > th[scope=row] { border-inline-start: 6px solid var(--danger); }
.gap-flag { display: inline-block; color: var(--danger); font-weight: 800; letter-spacing: .05em;
  border: 2px solid var(--danger); border-radius: .3rem; padding: 0 .35rem; background: #fff; }
.optional-flag { font-style: italic; color: var(--muted); }
tr.optional-row > th, tr.optional-row > td, .report-element.optional-row { color: var(--muted); opacity: .75; }
.reasons { margin: .35rem 0 0; padding-inline-start: 1.1rem; }
.el-sources { margin: .35rem 0 0; font-size: .85rem; }
.proof-links { list-style: none; padding: 0; margin: 0; }
.proof-link { padding: .3rem .4rem; margin-block-end: .35rem; border-radius: .3rem; background: #f1f4f8;
  border-inline-start: 4px solid var(--ok); }
.proof-link.stance-contradicts { border-inline-start-color: var(--danger); background: #fdf1f0; }
.proof-link .stance { background: transparent; padding: 0; }
.proof-link.stance-contradicts .stance { color: var(--danger); }
.grade { font-weight: 700; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.weight, .part { font-size: .85rem; }
.link-note { display: block; font-size: .85rem; color: var(--muted); }
.cell-empty { background: repeating-linear-gradient(45deg, transparent 0 6px, #f3f4f7 6px 8px); }
.link-form .row > div, .incident-form .row > div { flex: 1 1 14rem; }
.answers { list-style: none; padding: 0; }
.answers li { margin-block: .6rem; }
.answer-form select, .answer-form input[type=text] { display: inline-block; width: auto; max-width: 16rem; }
.answer-form button { margin: 0; }
.linked-items li { margin-block: .3rem; }
.proof-link button.link, .linked-items button.link { color: var(--danger); font-size: .85rem; }
fieldset label.block-label { display: block; font-weight: 600; margin-block: .75rem .25rem; }
.pre { white-space: pre-wrap; }
.report-facts { margin-block-end: 1rem; }
.report-element { border: 1px solid var(--line); border-radius: .35rem; padding: .75rem 1rem; margin-block: .75rem;
  background: var(--card); }
.report-element.gap-row { border: 2px solid var(--danger); border-inline-start-width: 8px; }
.report-element h3 { font-size: 1rem; font-weight: 400; margin: 0 0 .35rem; }
.report-evidence { margin-block-start: .5rem; font-size: .9rem; }
.item-id { font-size: .75rem; color: var(--muted); }
@media print {
  .case-links, .juris-switch, .downloads, .legend, .subform { display: none !important; }
  .report-element { border: 1px solid #888; break-inside: avoid; }
  .report-element.gap-row { border: 2px solid #000; border-inline-start-width: 8px; }
  tr.gap-row > th, tr.gap-row > td, .report-element.gap-row { background: #fbeceb; }
  .gap-flag { border-color: #000; color: #000; }
  .verdict-proven, .verdict-gaps, .verdict-na, .el-status, .el-contradicted, .proof-link, tr.gap-row > th,
  tr.gap-row > td, .report-element.gap-row { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  table.proof-grid th[scope=row], table.proof-grid td.el-state, table.proof-grid th.item-col { min-width: 0; }
  .item-id { color: #333; }
}
/* ── end of incidents and the proof matrix ── */
`;

/**
 * Progressive enhancement of the upload page (served as /assets/upload.js; the CSP allows scripts
 * from the node only, never inline). Each chosen file is sent as the raw body of the streaming
 * API endpoint with XMLHttpRequest, whose upload events drive a progress bar; the outcome of each
 * file is written with textContent only. The chosen compartment goes in the URL's query (the API
 * reads it only there; it is an id, not a secret), and stays chosen for the next files, as it does
 * without the script. Without this script the form posts as multipart/form-data and the node
 * streams every file all the same.
 */
export const UPLOAD_JS = `'use strict';
(function () {
  var form = document.getElementById('upload-form');
  var out = document.getElementById('upload-results');
  if (!form || !out || typeof XMLHttpRequest === 'undefined' || typeof URLSearchParams === 'undefined') return;
  var FIELDS = ['collectedBy', 'collectedAt', 'sourceUrl', 'method', 'location', 'note'];
  var field = function (name) { return form.elements.namedItem(name); };
  var message = function (key, params) {
    var text = form.getAttribute('data-msg-' + key) || '';
    Object.keys(params || {}).forEach(function (k) { text = text.split('{' + k + '}').join(params[k]); });
    return text;
  };

  var send = function (file, query, caseId, compartmentId, csrf, entry) {
    return new Promise(function (resolve) {
      // Metadata travels in headers, never in the URL (which proxies log); only the compartment,
      // an id the API reads from the query alone, goes in the URL.
      var xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/v1/cases/' + encodeURIComponent(caseId) + '/evidence' +
        (compartmentId ? '?compartmentId=' + encodeURIComponent(compartmentId) : ''));
      xhr.setRequestHeader('X-Accord-File-Name', encodeURIComponent(file.name));
      query.forEach(function (value, name) {
        xhr.setRequestHeader('X-Accord-' + name.replace(/[A-Z]/g, function (ch) { return '-' + ch; }), encodeURIComponent(value));
      });
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader('X-CSRF-Token', csrf);
      xhr.upload.addEventListener('progress', function (e) {
        if (e.lengthComputable) { entry.bar.max = e.total || 1; entry.bar.value = e.loaded; }
      });
      var finish = function (outcome, text, itemId) {
        entry.li.setAttribute('data-outcome', outcome);
        entry.status.className = 'upload-outcome outcome-' + outcome;
        entry.status.textContent = '';
        if (itemId) {
          var a = document.createElement('a');
          a.href = '/evidence/' + encodeURIComponent(itemId);
          a.textContent = text;
          entry.status.appendChild(a);
        } else {
          entry.status.textContent = text;
        }
        resolve();
      };
      xhr.addEventListener('load', function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if ((xhr.status === 200 || xhr.status === 201) && body && body.item) {
          entry.bar.value = entry.bar.max;
          finish(body.created ? 'created' : 'present', message(body.created ? 'created' : 'present'), body.item.id);
        } else {
          var why = body && body.error && body.error.message ? body.error.message : 'HTTP ' + xhr.status;
          finish('error', message('failed', { message: why }));
        }
      });
      xhr.addEventListener('error', function () { finish('error', message('network')); });
      xhr.addEventListener('abort', function () { finish('error', message('network')); });
      xhr.send(file);
    });
  };

  form.addEventListener('submit', function (event) {
    var input = field('files');
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    var caseField = field('caseId');
    if (files.length === 0 || !caseField || !caseField.value) return; // the node explains what is missing
    event.preventDefault();
    var query = new URLSearchParams();
    FIELDS.forEach(function (name) {
      var el = field(name);
      if (el && el.value.trim() !== '') query.set(name, el.value);
    });
    var sensitive = field('sensitive');
    if (sensitive && sensitive.checked) query.set('sensitive', 'true');
    var compartmentField = field('compartmentId');
    var caseId = caseField.value;
    var compartmentId = compartmentField ? compartmentField.value : '';
    var csrf = field('_csrf').value;
    var button = form.querySelector('button[type=submit]');
    if (button) button.disabled = true;
    var list = out.querySelector('ul');
    while (list.firstChild) list.removeChild(list.firstChild);
    out.hidden = false;
    var entries = files.map(function (file) {
      var li = document.createElement('li');
      var name = document.createElement('span');
      name.className = 'file-name';
      name.textContent = file.name;
      var bar = document.createElement('progress');
      bar.max = file.size || 1;
      bar.value = 0;
      var status = document.createElement('span');
      status.className = 'upload-outcome';
      status.textContent = message('waiting');
      li.appendChild(name);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(bar);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(status);
      list.appendChild(li);
      return { li: li, bar: bar, status: status };
    });
    var next = Promise.resolve();
    files.forEach(function (file, i) {
      next = next.then(function () {
        entries[i].status.textContent = message('uploading');
        return send(file, query, caseId, compartmentId, csrf, entries[i]);
      });
    });
    next.then(function () {
      if (button) button.disabled = false;
      form.reset();
      // The next files go where these went, compartment included: never back to the general area.
      caseField.value = caseId;
      if (compartmentField) compartmentField.value = compartmentId;
      out.setAttribute('data-done', 'true');
    });
  });
})();
`;
