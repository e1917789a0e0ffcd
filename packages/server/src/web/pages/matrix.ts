import {
  type AccordError,
  type CaseView,
  type Charge,
  CREDIBILITY,
  type Crime,
  type ElementRow,
  type EvidenceFacts,
  type GapReport,
  gapReportCsv,
  type ItemRecord,
  isAccordError,
  type LegalCatalogue,
  PART_KINDS,
  type ProofLink,
  RELIABILITY,
  ROME_STATUTE,
  type SOURCE_KINDS,
  STANCES,
  type Suspect,
  WEIGHTS,
} from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import { contentDisposition } from '../../http/content.ts';
import type { AppEnv } from '../../http/context.ts';
import { STATUS } from '../../http/errors.ts';
import type { MessageKey, Translate } from '../i18n/index.ts';
import { csrfField, describeError, formatDate, type Html, type Notice, page } from '../layout.ts';
import type { PageRoutes } from './index.ts';
import { citationText } from './legal.ts';

/**
 * The proof matrix for people: the suspects and charges of a case, and per charge and
 * jurisdiction the grid of legal elements × evidence items with the gap analysis, as a CSV
 * download and as a printable report. Everything works without script; the Cases service decides
 * who may see and change what, and anything hidden is answered like something that does not exist.
 */

// ── helpers shared with the incident pages and the item page ─────────────────────────────────

export type Form = Record<string, string | File | (string | File)[]>;

/** One text field of a posted form (the first value when it was sent several times). */
export const field = (body: Form | undefined, name: string): string | undefined => {
  const v = body?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : undefined;
};

/** Every text value of a field sent several times (checkboxes). */
export const fieldAll = (body: Form | undefined, name: string): string[] => {
  const v = body?.[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
    (x): x is string => typeof x === 'string',
  );
};

/** The words of a form field, for "check the field …" after an error. */
const FIELD_LABELS: Readonly<Record<string, MessageKey>> = {
  title: 'incident.title',
  occurredFrom: 'incident.from',
  occurredTo: 'incident.to',
  place: 'incident.place',
  latitude: 'incident.latitude',
  longitude: 'incident.longitude',
  acts: 'incident.acts',
  victims: 'incident.victims',
  perpetratorIds: 'incident.perpetrators',
  perpetratorsOther: 'incident.perpetratorsOther',
  sources: 'incident.sources',
  compartmentId: 'matrix.compartment',
  itemId: 'matrix.item',
  incidentId: 'incident.one',
  name: 'matrix.suspectName',
  position: 'matrix.position',
  note: 'matrix.note',
  suspectId: 'matrix.suspect',
  crimeId: 'matrix.crime',
  modeId: 'matrix.mode',
  chargeId: 'matrix.charge',
  elementId: 'matrix.element',
  partKind: 'matrix.partKind',
  part: 'matrix.part',
  stance: 'matrix.stance',
  weight: 'matrix.weight',
  reliability: 'matrix.reliability',
  credibility: 'matrix.credibility',
  sourceKind: 'matrix.sourceKind',
  sourceLabel: 'matrix.sourceLabel',
  jurisdiction: 'matrix.jurisdiction',
  ruleId: 'matrix.rule',
  answer: 'matrix.answer',
  linkId: 'matrix.link',
};

/**
 * A domain error for someone who just sent a form: in their language, with the field to check.
 * "Not found" inside a page that exists means something chosen in the form is gone or hidden.
 */
export const explain = (t: Translate, e: AccordError): string => {
  if (e.code === 'not_found') return t('matrix.notFoundInForm');
  const base = describeError(t, e);
  const name = e.context.field;
  const label =
    typeof name === 'string' && Object.hasOwn(FIELD_LABELS, name) ? FIELD_LABELS[name] : undefined;
  return label ? `${base} ${t('matrix.checkField', { field: t(label) })}` : base;
};

/** The notice for `?done=<what>` after a redirect, from the page's own list. */
export const doneNotices = (c: Context<AppEnv>, keys: Readonly<Record<string, MessageKey>>): Notice[] => {
  const done = c.req.query('done') ?? '';
  return Object.hasOwn(keys, done) ? [{ kind: 'info', text: c.get('t')(keys[done] as MessageKey) }] : [];
};

type Rerender = (
  c: Context<AppEnv>,
  opts: { notices: Notice[]; status: number; draft: Form },
) => Promise<Response>;

/**
 * A form action: runs it and redirects (303) to the address it returns; a domain error shows the
 * page again with the message and what was entered. The CSRF token was checked by the guard.
 */
export const formAction =
  (run: (c: Context<AppEnv>, body: Form) => Promise<string>, rerender: Rerender) =>
  async (c: Context<AppEnv>): Promise<Response> => {
    const body = (await c.req.parseBody({ all: true })) as Form;
    try {
      return c.redirect(await run(c, body), 303);
    } catch (e) {
      if (!isAccordError(e) || e.code === 'config' || e.code === 'integrity') throw e;
      try {
        return await rerender(c, {
          notices: [{ kind: 'error', text: explain(c.get('t'), e) }],
          status: STATUS[e.code],
          draft: body,
        });
      } catch (again) {
        // The page itself cannot be shown (not found, or not for this reader): answer with the
        // action's own refusal, as the error page.
        throw isAccordError(again) ? e : again;
      }
    }
  };

/** A form field's value: what was just entered (after an error), else the stored value. */
export const formValue = (draft: Form | undefined, name: string, stored: string): string =>
  draft ? (field(draft, name) ?? '') : stored;

export const selected = (on: boolean): string => (on ? ' selected' : '');
export const checked = (on: boolean): string => (on ? ' checked' : '');

/** The links between the case's pages. */
export const caseNav = (c: Context<AppEnv>, view: CaseView): Html => {
  const t = c.get('t');
  const id = view.record.id;
  return html`<nav class="case-links no-print" aria-label="${t('matrix.caseNav')}"><ul>
<li><a href="/cases/${id}">${t('matrix.caseHome')}</a></li>
${view.may['incident.read'] ? html`<li><a href="/cases/${id}/incidents">${t('incident.listTitle')}</a></li>` : ''}
${view.may['matrix.read'] ? html`<li><a href="/cases/${id}/matrix">${t('matrix.title')}</a></li>` : ''}
${view.may['evidence.read'] ? html`<li><a href="/evidence?caseId=${id}">${t('matrix.caseEvidence')}</a></li>` : ''}
</ul></nav>`;
};

/** The case's visible evidence, for "choose an item" selects (none for people who may not list it). */
export const caseItems = async (c: Context<AppEnv>, caseId: string): Promise<ItemRecord[]> => {
  try {
    const listed = await c
      .get('node')
      .evidence.list(c.get('auth')!.actor, { caseId: caseId as ItemRecord['caseId'], limit: 500 });
    return listed.items;
  } catch (e) {
    if (isAccordError(e)) return [];
    throw e;
  }
};

export const itemOption = (t: Translate, item: ItemRecord, chosen: boolean): Html =>
  html`<option value="${item.id}"${selected(chosen)}>${item.title} (${t(`itemKind.${item.kind}`)})</option>`;

// ── the legal words ──────────────────────────────────────────────────────────────────────────

const crimeLabel = (t: Translate, crime: Crime | undefined, id: string): string =>
  crime ? `${t('legal.article', { article: crime.article })} ${crime.name}` : id;

/** Crimes grouped as the catalogue page groups them; modes of liability apart. */
const CRIME_GROUPS = [
  'genocide',
  'crimes_against_humanity',
  'war_crimes_international',
  'war_crimes_non_international',
  'war_crimes_both',
] as const;
const groupOf = (crime: Crime) =>
  crime.category === 'war_crimes' ? `war_crimes_${crime.conflict ?? 'both'}` : crime.category;

const jurisdictionName = (t: Translate, legal: LegalCatalogue, code: string): string =>
  code === ROME_STATUTE ? t('gap.icc') : `${legal.jurisdiction(code)?.name ?? code} (${code})`;

/** The jurisdictions a case's analysis is read under: its own, or the Rome Statute when none. */
const jurisdictionsOf = (view: CaseView): string[] =>
  view.record.jurisdictions.length > 0 ? [...view.record.jurisdictions] : [ROME_STATUTE];

const gradeTitle = (t: Translate, l: ProofLink): string =>
  `${t(`matrix.reliabilityValue.${l.reliability}`)}; ${t(`matrix.credibilityValue.${l.credibility}`)}`;

const partText = (t: Translate, l: Pick<ProofLink, 'partKind' | 'part'>): string =>
  l.partKind === 'whole'
    ? t('matrix.partValue.whole')
    : t(`matrix.partValue.${l.partKind}`, { part: l.part });

const sourceKindText = (t: Translate, kind: string | null): string =>
  kind ? t(`matrix.sourceKindValue.${kind as (typeof SOURCE_KINDS)[number]}`) : t('matrix.unclassified');

// ── the gap analysis in words ────────────────────────────────────────────────────────────────

const statusBadge = (t: Translate, row: ElementRow): Html =>
  html`<span class="badge el-status el-${row.status}">${t(`gap.status.${row.status}`)}</span>${
    row.contradicted ? html` <span class="badge el-contradicted">${t('gap.contradicted')}</span>` : ''
  }`;

/** The marker of a gap: in words, not only in colour. */
const gapFlag = (t: Translate, row: ElementRow): Html =>
  row.gap
    ? html`<strong class="gap-flag">${t('gap.gap')}</strong>`
    : row.required
      ? ''
      : html`<span class="optional-flag">${t('gap.notRequired')}</span>`;

/**
 * Why an element stands where it does, in the reader's language. The domain gives its reasons in
 * English (for the CSV); they are rebuilt here from the same facts, in the same order.
 */
export const reasonsOf = (t: Translate, report: GapReport, row: ElementRow): string[] => {
  const j = report.jurisdiction;
  const facts = new Map(report.items.map((f) => [f.itemId, f]));
  const links = row.cells.flatMap((cell) => cell.links);
  const usable = links.filter((l) => !facts.get(l.itemId)?.sealed);
  const notMet = (l: ProofLink) => facts.get(l.itemId)?.notMet.get(j) ?? [];
  const out: string[] = [];
  if (!row.required) out.push(t('gap.reason.notRequired', { jurisdiction: j }));
  if (row.status === 'unproven') {
    out.push(t(links.length > usable.length ? 'gap.reason.noneSealed' : 'gap.reason.none'));
  } else if (row.status === 'inadmissible') {
    const rules = new Set(usable.filter((l) => l.stance === 'supports').flatMap(notMet));
    out.push(t('gap.reason.inadmissible', { jurisdiction: j, rules: [...rules].join(', ') }));
  } else if (row.status === 'single_source') {
    const kinds = new Set(row.sources.flatMap((s) => s.kinds));
    const known = [...kinds].filter((k) => k !== null);
    if (row.sources.length === 1)
      out.push(t('gap.reason.oneSource', { source: row.sources[0]?.label ?? '' }));
    else if (kinds.has(null) && known.length <= 1)
      out.push(t('gap.reason.unclassified', { count: row.sources.length }));
    else
      out.push(
        t('gap.reason.oneKind', {
          count: row.sources.length,
          kinds: [...kinds].map((k) => sourceKindText(t, k)).join(', '),
        }),
      );
  }
  if (row.contradicted) {
    const against = usable.filter((l) => l.stance === 'contradicts' && notMet(l).length === 0);
    out.push(t('gap.reason.contradicted', { count: new Set(against.map((l) => l.itemId)).size }));
  }
  return out;
};

const reasonList = (t: Translate, report: GapReport, row: ElementRow): Html => {
  const reasons = reasonsOf(t, report, row);
  return reasons.length === 0
    ? ''
    : html`<ul class="reasons">${reasons.map((r) => html`<li>${r}</li>`)}</ul>`;
};

const sourcesText = (t: Translate, row: ElementRow): Html =>
  row.sources.length === 0
    ? ''
    : html`<p class="el-sources"><span class="label">${t('gap.sources')}</span> ${row.sources.map(
        (s, i) =>
          html`${i > 0 ? '; ' : ''}<span dir="auto">${s.label}</span> (${s.kinds.map((k) => sourceKindText(t, k)).join(', ')})`,
      )}</p>`;

const elementHead = (t: Translate, row: ElementRow): Html =>
  html`<span class="element-head"><span class="badge badge-kind">${t(`legal.kind.${row.element.kind}`)}</span> <code>${row.element.id}</code>${
    row.of === 'mode' ? html` <span class="badge">${t('gap.ofMode')}</span>` : ''
  }</span>
<span class="element-text" dir="auto">${row.element.text}</span> <cite class="citation">${citationText(t, row.element.citation)}</cite>`;

const summaryCounts = (t: Translate, report: GapReport): Html =>
  html`<dl class="gap-counts">
<div><dt>${t('gap.status.corroborated')}</dt><dd>${report.counts.corroborated}</dd></div>
<div><dt>${t('gap.status.single_source')}</dt><dd>${report.counts.single_source}</dd></div>
<div><dt>${t('gap.status.inadmissible')}</dt><dd>${report.counts.inadmissible}</dd></div>
<div><dt>${t('gap.status.unproven')}</dt><dd>${report.counts.unproven}</dd></div>
<div><dt>${t('gap.contradicted')}</dt><dd>${report.counts.contradicted}</dd></div>
<div class="gap-total"><dt>${t('gap.gaps')}</dt><dd>${report.counts.gaps}</dd></div>
</dl>`;

/** Proven, not applicable, or how many gaps: the verdict of one report, in words. */
const verdict = (t: Translate, r: { applicable: boolean; proven: boolean; gaps: number }): Html =>
  !r.applicable
    ? html`<span class="badge verdict-na">${t('gap.notApplicable')}</span>`
    : r.proven
      ? html`<span class="badge verdict-proven">${t('gap.proven')}</span>`
      : html`<span class="badge verdict-gaps">${t('gap.gapCount', { count: r.gaps })}</span>`;

const offencesText = (t: Translate, report: GapReport): Html =>
  report.jurisdiction === ROME_STATUTE
    ? ''
    : report.applicable
      ? html`<p><span class="label">${t('gap.offences')}</span> ${report.offences.map(
          (o, i) =>
            html`${i > 0 ? '; ' : ''}<span dir="auto">${o.name}</span> <cite class="citation">${citationText(t, o.citation)}</cite>`,
        )}</p>`
      : html`<p class="notice notice-error" role="status">${t('gap.noOffence', { jurisdiction: report.jurisdiction })}</p>`;

// ── /cases/:id/matrix ────────────────────────────────────────────────────────────────────────

const MATRIX_DONE: Readonly<Record<string, MessageKey>> = {
  suspect: 'matrix.suspectAdded',
  charge: 'matrix.chargeAdded',
};

const crimeSelect = (t: Translate, legal: LegalCatalogue, chosen: string): Html =>
  html`<select id="ch-crime" name="crimeId" required><option value="">${t('matrix.choose')}</option>${CRIME_GROUPS.map(
    (g) => {
      const crimes = legal.crimes.filter((k) => k.category !== 'mode_of_liability' && groupOf(k) === g);
      return crimes.length === 0
        ? ''
        : html`<optgroup label="${t(`legal.group.${g}`)}">${crimes.map(
            (k) =>
              html`<option value="${k.id}"${selected(k.id === chosen)}>${crimeLabel(t, k, k.id)}</option>`,
          )}</optgroup>`;
    },
  )}</select>`;

const matrixPage = async (
  c: Context<AppEnv>,
  opts: { notices?: Notice[]; status?: number; draft?: Form; form?: 'suspect' | 'charge' } = {},
) => {
  const t = c.get('t');
  const actor = c.get('auth')!.actor;
  const cases = c.get('cases');
  const legal = c.get('node').legal;
  const view = await cases.view(actor, c.req.param('id'));
  const caseId = view.record.id;
  const [matrix, dashboard] = await Promise.all([
    cases.matrix(actor, caseId),
    cases.dashboard(actor, caseId),
  ]);
  const edit = view.may['matrix.edit'];
  const suspectName = new Map(matrix.suspects.map((s) => [s.id, s.name]));
  const summary = new Map(dashboard.charges.map((x) => [x.charge.id, x.byJurisdiction]));
  const draft = (form: 'suspect' | 'charge') => (opts.form === form ? opts.draft : undefined);
  const sd = draft('suspect');
  const cd = draft('charge');
  const modes = legal.crimes.filter((k) => k.category === 'mode_of_liability');

  const suspects = html`<section class="card" aria-labelledby="h-suspects"><h2 id="h-suspects">${t('matrix.suspects')}</h2>
${
  matrix.suspects.length === 0
    ? html`<p class="muted">${t('matrix.noSuspects')}</p>`
    : html`<div class="table-scroll"><table class="suspects"><thead><tr><th scope="col">${t('matrix.suspectName')}</th><th scope="col">${t(
        'matrix.position',
      )}</th><th scope="col">${t('matrix.note')}</th><th scope="col">${t('matrix.charges')}</th></tr></thead><tbody>
${matrix.suspects.map(
  (s: Suspect) =>
    html`<tr id="suspect-${s.id}"><th scope="row" dir="auto">${s.name}</th><td dir="auto">${s.position}</td><td dir="auto">${s.note}</td><td>${
      matrix.charges.filter((k) => k.suspectId === s.id && !k.withdrawnAt).length
    }</td></tr>`,
)}</tbody></table></div>`
}
${
  edit
    ? html`<details class="subform"${sd ? ' open' : ''}><summary>${t('matrix.addSuspect')}</summary>
<form method="post" action="/cases/${caseId}/suspects">${csrfField(c)}
<label for="s-name">${t('matrix.suspectName')}</label><input type="text" id="s-name" name="name" required maxlength="200" value="${formValue(sd, 'name', '')}">
<label for="s-position">${t('matrix.position')}</label><input type="text" id="s-position" name="position" maxlength="500" value="${formValue(sd, 'position', '')}">
<label for="s-note">${t('matrix.note')}</label><textarea id="s-note" name="note" maxlength="4000">${formValue(sd, 'note', '')}</textarea>
<button type="submit">${t('matrix.addSuspect')}</button></form></details>`
    : ''
}</section>`;

  const chargeRow = (charge: Charge) => {
    const byJ = summary.get(charge.id) ?? [];
    return html`<tr id="charge-${charge.id}"${charge.withdrawnAt ? html` class="withdrawn"` : ''}><th scope="row" dir="auto">${
      suspectName.get(charge.suspectId) ?? charge.suspectId
    }</th><td><a href="/charges/${charge.id}" dir="auto">${crimeLabel(t, legal.crime(charge.crimeId), charge.crimeId)}</a></td><td dir="auto">${crimeLabel(
      t,
      legal.crime(charge.modeId),
      charge.modeId,
    )}</td><td>${
      charge.withdrawnAt
        ? html`<span class="badge">${t('matrix.withdrawnOn', { date: formatDate(c.get('locale'), charge.withdrawnAt) })}</span>`
        : html`<ul class="juris-summary">${byJ.map(
            (s) =>
              html`<li data-jurisdiction="${s.jurisdiction}"><a href="/charges/${charge.id}?jurisdiction=${encodeURIComponent(s.jurisdiction)}" class="ltr">${s.jurisdiction}</a> ${verdict(t, s)}</li>`,
          )}</ul>`
    }</td></tr>`;
  };

  const charges = html`<section class="card" aria-labelledby="h-charges"><h2 id="h-charges">${t('matrix.charges')}</h2>
<p class="muted">${t('matrix.chargesIntro', { jurisdictions: jurisdictionsOf(view).join(', ') })}</p>
${
  matrix.charges.length === 0
    ? html`<p class="muted">${t('matrix.noCharges')}</p>`
    : html`<div class="table-scroll"><table class="charges"><thead><tr><th scope="col">${t('matrix.suspect')}</th><th scope="col">${t(
        'matrix.crime',
      )}</th><th scope="col">${t('matrix.mode')}</th><th scope="col">${t('matrix.byJurisdiction')}</th></tr></thead><tbody>
${matrix.charges.map(chargeRow)}</tbody></table></div>`
}
${
  edit && matrix.suspects.length > 0
    ? html`<details class="subform"${cd ? ' open' : ''}><summary>${t('matrix.addCharge')}</summary>
<form method="post" action="/cases/${caseId}/charges">${csrfField(c)}
<label for="ch-suspect">${t('matrix.suspect')}</label><select id="ch-suspect" name="suspectId" required>${matrix.suspects.map(
        (s) =>
          html`<option value="${s.id}"${selected(formValue(cd, 'suspectId', '') === s.id)}>${s.name}</option>`,
      )}</select>
<label for="ch-crime">${t('matrix.crime')}</label>${crimeSelect(t, legal, formValue(cd, 'crimeId', ''))}
<label for="ch-mode">${t('matrix.mode')}</label><select id="ch-mode" name="modeId" required><option value="">${t('matrix.choose')}</option>${modes.map(
        (k) =>
          html`<option value="${k.id}"${selected(formValue(cd, 'modeId', '') === k.id)}>${crimeLabel(t, k, k.id)}</option>`,
      )}</select>
<label for="ch-note">${t('matrix.note')}</label><textarea id="ch-note" name="note" maxlength="4000">${formValue(cd, 'note', '')}</textarea>
<button type="submit">${t('matrix.addCharge')}</button></form></details>`
    : ''
}</section>`;

  return page(c, {
    title: t('matrix.pageTitle', { case: view.record.title }),
    notices: [...doneNotices(c, MATRIX_DONE), ...(opts.notices ?? [])],
    status: opts.status ?? 200,
    body: html`${caseNav(c, view)}
<p class="intro">${t('matrix.intro')}</p>
${suspects}
${charges}`,
  });
};

// ── /charges/:id ─────────────────────────────────────────────────────────────────────────────

const CHARGE_DONE: Readonly<Record<string, MessageKey>> = {
  charge: 'matrix.chargeAdded',
  link: 'matrix.linkAdded',
  withdrawn: 'matrix.linkWithdrawn',
  chargeWithdrawn: 'matrix.chargeWithdrawn',
};

interface ChargeData {
  readonly view: CaseView;
  readonly report: GapReport;
  readonly suspect: Suspect;
  readonly charge: Charge;
}

/** The charge, its case, and its analysis under `?jurisdiction=` (the case's first by default). */
const loadCharge = async (c: Context<AppEnv>, jurisdiction?: string): Promise<ChargeData> => {
  const actor = c.get('auth')!.actor;
  const cases = c.get('cases');
  const id = c.req.param('id');
  const asked = jurisdiction ?? c.req.query('jurisdiction');
  const first = await cases.gaps(actor, id, asked);
  const view = await cases.view(actor, first.charge.caseId);
  const fallback = jurisdictionsOf(view)[0] ?? ROME_STATUTE;
  const chosen = asked && asked.trim() !== '' ? first : await cases.gaps(actor, id, fallback);
  return { view, ...chosen };
};

const chargeHref = (id: string, jurisdiction: string, rest = '') =>
  `/charges/${id}${rest}?jurisdiction=${encodeURIComponent(jurisdiction)}`;

const linkView = (c: Context<AppEnv>, d: ChargeData, l: ProofLink, withdraw: boolean): Html => {
  const t = c.get('t');
  return html`<li class="proof-link stance-${l.stance}" data-link="${l.id}"><span class="badge stance">${t(`matrix.stanceValue.${l.stance}`)}</span>
<span class="grade ltr" title="${gradeTitle(t, l)}">${l.reliability}${l.credibility}</span>
<span class="weight">${t(`matrix.weightValue.${l.weight}`)}</span>
<span class="part">${partText(t, l)}</span>${l.note ? html`<span class="link-note" dir="auto">${l.note}</span>` : ''}${
    withdraw
      ? html`<form method="post" action="/charges/${d.charge.id}/links/${l.id}/withdraw" class="inline-form withdraw">${csrfField(c)}<input type="hidden" name="jurisdiction" value="${d.report.jurisdiction}"><button type="submit" class="link">${t('matrix.withdrawLink')}</button></form>`
      : ''
  }</li>`;
};

const itemHeader = (t: Translate, report: GapReport, f: EvidenceFacts): Html => {
  const notMet = f.notMet.get(report.jurisdiction) ?? [];
  return html`<th scope="col" class="item-col" data-item="${f.itemId}"><a href="/evidence/${f.itemId}" dir="auto">${f.title}</a>
<span class="item-source"><span dir="auto">${f.sourceLabel}</span> · ${sourceKindText(t, f.sourceKind)}</span>${
    f.sealed ? html` <span class="badge badge-danger">${t('matrix.sealed')}</span>` : ''
  }${notMet.length > 0 ? html` <span class="badge badge-danger" title="${notMet.join(', ')}">${t('matrix.notAdmissibleHere')}</span>` : ''}</th>`;
};

const gridRow = (c: Context<AppEnv>, d: ChargeData, row: ElementRow, withdraw: boolean): Html => {
  const t = c.get('t');
  const classes = ['element-row', row.gap ? 'gap-row' : '', row.required ? '' : 'optional-row']
    .filter(Boolean)
    .join(' ');
  return html`<tr id="element-${row.element.id}" class="${classes}" data-status="${row.status}" data-gap="${String(row.gap)}"><th scope="row">${elementHead(t, row)}</th>
<td class="el-state">${statusBadge(t, row)} ${gapFlag(t, row)}${reasonList(t, d.report, row)}${sourcesText(t, row)}</td>${d.report.items.map(
    (f) => {
      const cell = row.cells.find((x) => x.itemId === f.itemId);
      return cell
        ? html`<td class="cell" data-item="${f.itemId}"><ul class="proof-links">${cell.links.map((l) => linkView(c, d, l, withdraw))}</ul></td>`
        : html`<td class="cell cell-empty" data-item="${f.itemId}"><span class="visually-hidden">${t('matrix.noLink')}</span></td>`;
    },
  )}</tr>`;
};

const jurisdictionSwitcher = (c: Context<AppEnv>, d: ChargeData): Html => {
  const t = c.get('t');
  const legal = c.get('node').legal;
  const mine = jurisdictionsOf(d.view);
  const all = [ROME_STATUTE, ...legal.jurisdictions.map((j) => j.code)];
  const shown = [...new Set([...mine, ROME_STATUTE, d.report.jurisdiction])];
  return html`<nav class="juris-switch no-print" aria-label="${t('matrix.jurisdiction')}"><span class="label">${t('matrix.jurisdiction')}</span>
<ul>${shown.map((j) =>
    j === d.report.jurisdiction
      ? html`<li><strong aria-current="page" class="ltr">${j}</strong></li>`
      : html`<li><a href="${chargeHref(d.charge.id, j)}" class="ltr">${j}</a></li>`,
  )}</ul>
<form method="get" action="/charges/${d.charge.id}" class="inline-form"><label for="j-other" class="visually-hidden">${t('matrix.otherJurisdiction')}</label>
<select id="j-other" name="jurisdiction">${all.map(
    (j) =>
      html`<option value="${j}"${selected(j === d.report.jurisdiction)}>${jurisdictionName(t, legal, j)}</option>`,
  )}</select> <button type="submit" class="secondary">${t('matrix.show')}</button></form></nav>`;
};

const addLinkForm = (
  c: Context<AppEnv>,
  d: ChargeData,
  items: ItemRecord[],
  draft: Form | undefined,
): Html => {
  const t = c.get('t');
  const v = (name: string, fallback: string) => formValue(draft, name, fallback);
  const option = <T extends string>(
    values: readonly T[],
    name: string,
    label: (x: T) => string,
    fallback: T,
  ) => values.map((x) => html`<option value="${x}"${selected(v(name, fallback) === x)}>${label(x)}</option>`);
  return html`<section class="card no-print" aria-labelledby="h-add-link"><h2 id="h-add-link">${t('matrix.addLink')}</h2>
${
  items.length === 0
    ? html`<p class="muted">${t('matrix.noItems')}</p>`
    : html`<form method="post" action="/charges/${d.charge.id}/links" class="link-form">${csrfField(c)}
<input type="hidden" name="jurisdiction" value="${d.report.jurisdiction}">
<label for="l-element">${t('matrix.element')}</label><select id="l-element" name="elementId" required>${d.report.rows.map(
        (r) =>
          html`<option value="${r.element.id}"${selected(v('elementId', '') === r.element.id)}>${r.element.id} — ${r.element.text.slice(0, 90)}</option>`,
      )}</select>
<label for="l-item">${t('matrix.item')}</label><select id="l-item" name="itemId" required>${items.map((i) =>
        itemOption(t, i, v('itemId', '') === i.id),
      )}</select>
<div class="row">
<div><label for="l-part-kind">${t('matrix.partKind')}</label><select id="l-part-kind" name="partKind">${option(
        PART_KINDS,
        'partKind',
        (k) => t(`matrix.partKindValue.${k}`),
        'whole',
      )}</select></div>
<div><label for="l-part">${t('matrix.part')}</label><input type="text" id="l-part" name="part" maxlength="60" dir="ltr" placeholder="12-14 · 00:01:30-00:02:10 · 10,20,300,200" value="${v('part', '')}" aria-describedby="l-part-help"><p id="l-part-help" class="muted">${t('matrix.partHelp')}</p></div>
</div>
<div class="row">
<div><label for="l-stance">${t('matrix.stance')}</label><select id="l-stance" name="stance">${option(
        STANCES,
        'stance',
        (s) => t(`matrix.stanceValue.${s}`),
        'supports',
      )}</select></div>
<div><label for="l-weight">${t('matrix.weight')}</label><select id="l-weight" name="weight">${option(
        WEIGHTS,
        'weight',
        (w) => t(`matrix.weightValue.${w}`),
        'medium',
      )}</select></div>
</div>
<div class="row">
<div><label for="l-reliability">${t('matrix.reliability')}</label><select id="l-reliability" name="reliability">${option(
        RELIABILITY,
        'reliability',
        (r) => `${r} — ${t(`matrix.reliabilityValue.${r}`)}`,
        'F',
      )}</select></div>
<div><label for="l-credibility">${t('matrix.credibility')}</label><select id="l-credibility" name="credibility">${option(
        CREDIBILITY,
        'credibility',
        (x) => `${x} — ${t(`matrix.credibilityValue.${x}`)}`,
        '6',
      )}</select></div>
</div>
<label for="l-note">${t('matrix.note')}</label><textarea id="l-note" name="note" maxlength="4000">${v('note', '')}</textarea>
<button type="submit">${t('matrix.addLink')}</button></form>`
}</section>`;
};

const chargeTitle = (
  t: Translate,
  legal: LegalCatalogue,
  d: Pick<ChargeData, 'charge' | 'suspect'>,
): string =>
  t('matrix.chargeTitle', {
    suspect: d.suspect.name,
    crime: crimeLabel(t, legal.crime(d.charge.crimeId), d.charge.crimeId),
  });

const chargePage = async (
  c: Context<AppEnv>,
  opts: { notices?: Notice[]; status?: number; draft?: Form; jurisdiction?: string } = {},
) => {
  const t = c.get('t');
  const legal = c.get('node').legal;
  const d = await loadCharge(c, opts.jurisdiction);
  const { report, charge, view } = d;
  const open = charge.withdrawnAt === null;
  const edit = view.may['matrix.edit'] && open;
  const items = edit ? await caseItems(c, charge.caseId) : [];
  const j = report.jurisdiction;
  const grid = html`<div class="table-scroll"><table class="proof-grid">
<caption class="visually-hidden">${t('matrix.gridCaption')}</caption>
<thead><tr><th scope="col">${t('matrix.element')}</th><th scope="col">${t('gap.state')}</th>${report.items.map(
    (f) => itemHeader(t, report, f),
  )}</tr></thead>
<tbody>${report.rows.map((row) => gridRow(c, d, row, edit))}</tbody></table></div>
${report.items.length === 0 ? html`<p class="muted">${t('matrix.noLinks')}</p>` : ''}`;

  return page(c, {
    title: chargeTitle(t, legal, d),
    notices: [...doneNotices(c, CHARGE_DONE), ...(opts.notices ?? [])],
    status: opts.status ?? 200,
    body: html`${caseNav(c, view)}
<dl class="facts charge-facts">
<dt>${t('matrix.suspect')}</dt><dd dir="auto">${d.suspect.name}${d.suspect.position ? html` <span class="muted">(${d.suspect.position})</span>` : ''}</dd>
<dt>${t('matrix.crime')}</dt><dd><span dir="auto">${crimeLabel(t, report.crime, charge.crimeId)}</span> <cite class="citation">${citationText(
      t,
      report.crime.citation,
    )}</cite> · <a href="/legal/compare/${encodeURIComponent(charge.crimeId)}">${t('matrix.compare')}</a></dd>
<dt>${t('matrix.mode')}</dt><dd dir="auto">${crimeLabel(t, report.mode, charge.modeId)}</dd>
<dt>${t('matrix.jurisdiction')}</dt><dd data-jurisdiction="${j}">${jurisdictionName(t, legal, j)} ${verdict(
      t,
      {
        applicable: report.applicable,
        proven: report.proven,
        gaps: report.counts.gaps,
      },
    )}</dd>
${charge.note ? html`<dt>${t('matrix.note')}</dt><dd dir="auto">${charge.note}</dd>` : ''}
${charge.withdrawnAt ? html`<dt>${t('matrix.status')}</dt><dd>${t('matrix.withdrawnOn', { date: formatDate(c.get('locale'), charge.withdrawnAt) })}</dd>` : ''}
</dl>
${jurisdictionSwitcher(c, d)}
${offencesText(t, report)}
${summaryCounts(t, report)}
<p class="downloads no-print"><a href="${chargeHref(charge.id, j, '/gaps.csv')}" download>${t('matrix.csv')}</a> · <a href="${chargeHref(
      charge.id,
      j,
      '/report',
    )}">${t('matrix.report')}</a></p>
<p class="legend no-print">${t('matrix.legend')} <span class="badge el-status el-corroborated">${t('gap.status.corroborated')}</span> <span class="badge el-status el-single_source">${t(
      'gap.status.single_source',
    )}</span> <span class="badge el-status el-inadmissible">${t('gap.status.inadmissible')}</span> <span class="badge el-status el-unproven">${t(
      'gap.status.unproven',
    )}</span> <strong class="gap-flag">${t('gap.gap')}</strong> <span class="optional-flag">${t('gap.notRequired')}</span></p>
${grid}
${edit ? addLinkForm(c, d, items, opts.draft) : ''}
${
  edit
    ? html`<details class="card no-print"><summary>${t('matrix.withdrawCharge')}</summary><p>${t('matrix.withdrawChargeHelp')}</p>
<form method="post" action="/charges/${charge.id}/withdraw">${csrfField(c)}<input type="hidden" name="jurisdiction" value="${j}"><button type="submit" class="danger">${t(
        'matrix.withdrawCharge',
      )}</button></form></details>`
    : ''
}`,
  });
};

// ── /charges/:id/report ──────────────────────────────────────────────────────────────────────

const reportPage = async (c: Context<AppEnv>) => {
  const t = c.get('t');
  const locale = c.get('locale');
  const legal = c.get('node').legal;
  const d = await loadCharge(c);
  const { report, charge, view, suspect } = d;
  const facts = new Map(report.items.map((f) => [f.itemId, f]));
  const element = (row: ElementRow) => {
    const links = row.cells.flatMap((x) => x.links);
    return html`<section class="report-element ${row.gap ? 'gap-row' : ''} ${row.required ? '' : 'optional-row'}" id="element-${row.element.id}" data-status="${row.status}" data-gap="${String(
      row.gap,
    )}">
<h3>${elementHead(t, row)}</h3>
<p class="el-state">${statusBadge(t, row)} ${gapFlag(t, row)}</p>
${reasonList(t, report, row)}
${sourcesText(t, row)}
${
  links.length === 0
    ? html`<p class="muted">${t('matrix.noEvidenceForElement')}</p>`
    : html`<table class="report-evidence"><thead><tr><th scope="col">${t('matrix.item')}</th><th scope="col">${t('matrix.stance')}</th><th scope="col">${t(
        'matrix.part',
      )}</th><th scope="col">${t('matrix.weight')}</th><th scope="col">${t('matrix.grade')}</th><th scope="col">${t('matrix.note')}</th></tr></thead><tbody>
${links.map((l) => {
  const f = facts.get(l.itemId);
  return html`<tr data-link="${l.id}"><td><span dir="auto">${f?.title ?? l.itemId}</span><br><code class="item-id">${l.itemId}</code>${
    f?.sealed ? html` <span class="badge badge-danger">${t('matrix.sealed')}</span>` : ''
  }</td><td>${t(`matrix.stanceValue.${l.stance}`)}</td><td>${partText(t, l)}</td><td>${t(`matrix.weightValue.${l.weight}`)}</td><td><span class="ltr">${l.reliability}${l.credibility}</span> <span class="muted">(${gradeTitle(
    t,
    l,
  )})</span></td><td dir="auto">${l.note}</td></tr>`;
})}</tbody></table>`
}
</section>`;
  };
  return page(c, {
    title: t('gap.reportTitle', { crime: crimeLabel(t, report.crime, charge.crimeId) }),
    body: html`<p class="no-print"><a href="${chargeHref(charge.id, report.jurisdiction)}">${t('gap.backToGrid')}</a> · ${t('gap.printHint')}</p>
<article class="report">
<dl class="facts report-facts">
<dt>${t('evidence.case')}</dt><dd dir="auto">${view.record.title}</dd>
<dt>${t('matrix.suspect')}</dt><dd dir="auto">${suspect.name}${suspect.position ? html` (${suspect.position})` : ''}</dd>
<dt>${t('matrix.crime')}</dt><dd><span dir="auto">${crimeLabel(t, report.crime, charge.crimeId)}</span> <cite class="citation">${citationText(
      t,
      report.crime.citation,
    )}</cite></dd>
<dt>${t('matrix.mode')}</dt><dd dir="auto">${crimeLabel(t, report.mode, charge.modeId)}</dd>
<dt>${t('matrix.jurisdiction')}</dt><dd>${jurisdictionName(t, legal, report.jurisdiction)}</dd>
<dt>${t('gap.date')}</dt><dd>${formatDate(locale, c.get('node').clock.now().toISOString())}</dd>
<dt>${t('gap.verdict')}</dt><dd>${verdict(t, { applicable: report.applicable, proven: report.proven, gaps: report.counts.gaps })}</dd>
${charge.withdrawnAt ? html`<dt>${t('matrix.status')}</dt><dd>${t('matrix.withdrawnOn', { date: formatDate(locale, charge.withdrawnAt) })}</dd>` : ''}
</dl>
${offencesText(t, report)}
<h2>${t('gap.summary')}</h2>
${summaryCounts(t, report)}
<h2>${t('gap.elements')}</h2>
${report.rows.map(element)}
<p class="muted report-foot">${t('gap.gradeNote')}</p>
</article>`,
  });
};

// ── routes ───────────────────────────────────────────────────────────────────────────────────

export const registerMatrix = (r: PageRoutes) => {
  r.get('/cases/:id/matrix', 'case.read', (c) => matrixPage(c));

  r.post(
    '/cases/:id/suspects',
    'case.read',
    formAction(
      async (c, body) => {
        const s = await c.get('cases').addSuspect(c.get('auth')!.actor, c.req.param('id'), {
          name: field(body, 'name'),
          position: field(body, 'position'),
          note: field(body, 'note'),
        });
        return `/cases/${s.caseId}/matrix?done=suspect#suspect-${s.id}`;
      },
      (c, o) => matrixPage(c, { ...o, form: 'suspect' }),
    ),
  );

  r.post(
    '/cases/:id/charges',
    'case.read',
    formAction(
      async (c, body) => {
        const charge = await c.get('cases').addCharge(c.get('auth')!.actor, c.req.param('id'), {
          suspectId: field(body, 'suspectId'),
          crimeId: field(body, 'crimeId'),
          modeId: field(body, 'modeId'),
          note: field(body, 'note'),
        });
        return `/charges/${charge.id}?done=charge`;
      },
      (c, o) => matrixPage(c, { ...o, form: 'charge' }),
    ),
  );

  r.get('/charges/:id', 'case.read', (c) => chargePage(c));

  r.post(
    '/charges/:id/links',
    'case.read',
    formAction(
      async (c, body) => {
        const link = await c.get('cases').addLink(c.get('auth')!.actor, c.req.param('id'), {
          elementId: field(body, 'elementId'),
          itemId: field(body, 'itemId'),
          partKind: field(body, 'partKind'),
          part: field(body, 'part'),
          stance: field(body, 'stance'),
          weight: field(body, 'weight'),
          reliability: field(body, 'reliability'),
          credibility: field(body, 'credibility'),
          note: field(body, 'note'),
        });
        const j = field(body, 'jurisdiction') || ROME_STATUTE;
        return `${chargeHref(link.chargeId, j)}&done=link#element-${link.elementId}`;
      },
      (c, o) => chargePage(c, { ...o, jurisdiction: field(o.draft, 'jurisdiction') ?? '' }),
    ),
  );

  r.post(
    '/charges/:id/links/:linkId/withdraw',
    'case.read',
    formAction(
      async (c, body) => {
        const link = await c.get('cases').withdrawLink(c.get('auth')!.actor, c.req.param('linkId'));
        const j = field(body, 'jurisdiction') || ROME_STATUTE;
        return `${chargeHref(link.chargeId, j)}&done=withdrawn#element-${link.elementId}`;
      },
      // The grid again; this form has nothing to keep.
      (c, o) =>
        chargePage(c, {
          notices: o.notices,
          status: o.status,
          jurisdiction: field(o.draft, 'jurisdiction') ?? '',
        }),
    ),
  );

  r.post(
    '/charges/:id/withdraw',
    'case.read',
    formAction(
      async (c, body) => {
        const charge = await c.get('cases').withdrawCharge(c.get('auth')!.actor, c.req.param('id'));
        const j = field(body, 'jurisdiction') || ROME_STATUTE;
        return `${chargeHref(charge.id, j)}&done=chargeWithdrawn`;
      },
      (c, o) =>
        chargePage(c, {
          notices: o.notices,
          status: o.status,
          jurisdiction: field(o.draft, 'jurisdiction') ?? '',
        }),
    ),
  );

  r.get('/charges/:id/gaps.csv', 'case.read', async (c) => {
    const d = await loadCharge(c);
    const csv = gapReportCsv(d.report, d.suspect.name);
    const name = `gaps-${d.charge.crimeId}-${d.report.jurisdiction}-${d.charge.id.slice(0, 8)}.csv`;
    return c.body(csv, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': contentDisposition('attachment', name),
    });
  });

  r.get('/charges/:id/report', 'case.read', reportPage);
};
