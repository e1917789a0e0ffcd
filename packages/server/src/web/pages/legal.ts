import type { Citation, CitedText, Crime, Jurisdiction, LegalCatalogue, LegalElement } from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import {
  type CellStatus,
  type ComparisonCell,
  type CoveringOffence,
  compareCrime,
  countJurisdiction,
} from '../../http/legal-compare.ts';
import type { Translate } from '../i18n/index.ts';
import { type Html, page } from '../layout.ts';
import type { PageRoutes } from './index.ts';

/**
 * The legal catalogue for people: the crimes and their elements, each national profile, and the
 * comparison of one crime across every profile. No script: crimes fold with <details>, and
 * `?open=all` unfolds them all for printing. Legal texts stay in the language they were written
 * in (marked dir="auto" so that they keep their own direction inside a right-to-left page); only
 * the words around them are translated.
 */

/** The headings of /legal, in the order the Rome Statute takes them. */
const GROUPS = [
  'genocide',
  'crimes_against_humanity',
  'war_crimes_international',
  'war_crimes_non_international',
  'war_crimes_both',
  'mode_of_liability',
] as const;
type Group = (typeof GROUPS)[number];

const groupOf = (crime: Crime): Group =>
  crime.category === 'war_crimes' ? `war_crimes_${crime.conflict ?? 'both'}` : crime.category;

const catalogueOf = (c: Context<AppEnv>): LegalCatalogue => c.get('node').legal;

const compareHref = (crimeId: string) => `/legal/compare/${encodeURIComponent(crimeId)}`;
const profileHref = (code: string) => `/legal/jurisdictions/${encodeURIComponent(code)}`;
const crimeHref = (crimeId: string) =>
  `/legal?open=${encodeURIComponent(crimeId)}#crime-${encodeURIComponent(crimeId)}`;

export const citationText = (t: Translate, citation: Citation): string =>
  citation.paragraph
    ? t('legal.citationParagraph', {
        instrument: citation.instrument,
        article: citation.article,
        paragraph: citation.paragraph,
      })
    : t('legal.citation', { instrument: citation.instrument, article: citation.article });

const cite = (t: Translate, citation: Citation): Html =>
  html`<cite class="citation">${citationText(t, citation)}</cite>`;

const note = (t: Translate, text: string | null): Html =>
  text
    ? html`<p class="legal-note"><span class="label">${t('legal.note')}</span> <span dir="auto">${text}</span></p>`
    : '';

/** A statement with its citation or, lacking one, the note that says where it comes from. */
const citedText = (t: Translate, entry: CitedText): Html =>
  html`<li><span dir="auto">${entry.text}</span>${entry.citation ? html` ${cite(t, entry.citation)}` : ''}${
    entry.citation === null && entry.note
      ? html`<p class="legal-note"><span class="label">${t('legal.source')}</span> <span dir="auto">${entry.note}</span></p>`
      : note(t, entry.note)
  }</li>`;

const citedList = (t: Translate, entries: readonly CitedText[]): Html =>
  entries.length === 0
    ? html`<p class="muted">${t('legal.nothingListed')}</p>`
    : html`<ul class="cited">${entries.map((e) => citedText(t, e))}</ul>`;

const kindBadge = (t: Translate, element: LegalElement): Html =>
  html`<span class="badge badge-kind">${t(`legal.kind.${element.kind}`)}</span>`;

const elementItem = (t: Translate, element: LegalElement): Html =>
  html`<li id="element-${element.id}"><span class="element-head">${kindBadge(t, element)} <code>${element.id}</code></span>
<span class="element-text" dir="auto">${element.text}</span> ${cite(t, element.citation)}${note(t, element.note)}</li>`;

// ── /legal ───────────────────────────────────────────────────────────────────
const crimeDetails = (t: Translate, crime: Crime, open: boolean): Html =>
  html`<details class="crime" id="crime-${crime.id}"${open ? html` open` : ''}>
<summary><span class="article">${t('legal.article', { article: crime.article })}</span> <span class="crime-name" dir="auto">${crime.name}</span> <span class="muted">${t('legal.elementCount', { count: crime.elements.length })}</span></summary>
<div class="crime-body">
<p>${cite(t, crime.citation)} <span class="muted" dir="auto">${crime.instrument}</span></p>
<ol class="elements">${crime.elements.map((e) => elementItem(t, e))}</ol>
<p class="no-print"><a href="${compareHref(crime.id)}">${t('legal.compare')}</a></p>
</div>
</details>`;

const cataloguePage = (c: Context<AppEnv>) => {
  const t = c.get('t');
  const catalogue = catalogueOf(c);
  const opened = c.req.query('open') ?? '';
  const all = opened === 'all';
  const groups = GROUPS.map((g) => ({
    group: g,
    crimes: catalogue.crimes.filter((k) => groupOf(k) === g),
  })).filter((g) => g.crimes.length > 0);
  const profiles =
    catalogue.jurisdictions.length === 0
      ? html`<p class="muted">${t('legal.noProfiles')}</p>`
      : html`<ul class="profiles">${catalogue.jurisdictions.map((j) => {
          const counts = countJurisdiction(j);
          return html`<li><a href="${profileHref(j.code)}"><span dir="auto">${j.name}</span> <span class="ltr">(${j.code})</span></a> <span class="muted">${t(
            'legal.profileCounts',
            { offences: counts.offences, crimes: counts.crimes },
          )}</span></li>`;
        })}</ul>`;
  return page(c, {
    title: t('legal.title'),
    body: html`<p class="intro">${t('legal.intro')}</p>
<section class="card"><h2>${t('legal.profiles')}</h2>${profiles}</section>
${
  groups.length === 0
    ? html`<p class="muted">${t('legal.empty')}</p>`
    : html`<nav class="toc no-print" aria-label="${t('legal.contents')}"><ul>${groups.map(
        (g) => html`<li><a href="#group-${g.group}">${t(`legal.group.${g.group}`)}</a></li>`,
      )}</ul>
<p>${all ? html`<a href="/legal">${t('legal.closeAll')}</a>` : html`<a href="/legal?open=all">${t('legal.openAll')}</a>`}</p></nav>
${groups.map(
  (g) => html`<section class="crime-group" id="group-${g.group}"><h2>${t(`legal.group.${g.group}`)}</h2>
${g.crimes.map((k) => crimeDetails(t, k, all || opened === k.id))}</section>`,
)}`
}`,
  });
};

// ── /legal/jurisdictions/:code ───────────────────────────────────────────────
const matchBadge = (t: Translate, match: 'full' | 'partial' | 'none'): Html =>
  html`<span class="badge badge-match-${match}">${t(`legal.match.${match}`)}</span>`;

const offenceRow = (t: Translate, catalogue: LegalCatalogue, j: Jurisdiction, index: number): Html => {
  const offence = j.offences[index]!;
  return html`<tr id="offence-${offence.id}"><th scope="row"><span dir="auto">${offence.name}</span><br>${cite(t, offence.citation)}</th>
<td><ul class="mappings">${offence.mapsTo.map((m) => {
    const crime = catalogue.crime(m.crime);
    return html`<li class="mapping match-${m.match}">${matchBadge(t, m.match)} <a href="${compareHref(m.crime)}">${
      crime
        ? html`${t('legal.article', { article: crime.article })} <span dir="auto">${crime.name}</span>`
        : m.crime
    }</a>
<span class="mapped-elements">${
      m.elements.length === 0
        ? t('legal.wholeCrime')
        : html`${t('legal.elements')} ${m.elements.map((id, i) => html`${i > 0 ? ', ' : ''}<code>${id}</code>`)}`
    }</span>${note(t, m.note)}</li>`;
  })}</ul></td></tr>`;
};

const profilePage = (c: Context<AppEnv>) => {
  const t = c.get('t');
  const catalogue = catalogueOf(c);
  const code = c.req.param('code') ?? '';
  const j = catalogue.jurisdiction(code);
  if (!j) {
    return page(c, {
      title: t('error.notFound'),
      body: html`<p><a href="/legal">${t('legal.back')}</a></p>`,
      notices: [{ kind: 'error', text: t('legal.unknownJurisdiction', { code }) }],
      status: 404,
    });
  }
  return page(c, {
    title: t('legal.profileTitle', { name: j.name }),
    body: html`<p class="muted"><span class="ltr">${j.code}</span> · <a href="/legal" class="no-print">${t('legal.back')}</a></p>
<section class="card"><h2>${t('legal.instruments')}</h2><ul>${j.instruments.map(
      (i) => html`<li><span dir="auto">${i.name}</span> <span class="muted ltr">(${i.id})</span></li>`,
    )}</ul></section>
<section><h2>${t('legal.offences')}</h2>${
      j.offences.length === 0
        ? html`<p class="muted">${t('legal.noOffences')}</p>`
        : html`<div class="table-scroll"><table class="legal-table"><thead><tr><th scope="col">${t('legal.offence')}</th><th scope="col">${t(
            'legal.mapsTo',
          )}</th></tr></thead>
<tbody>${j.offences.map((_, i) => offenceRow(t, catalogue, j, i))}</tbody></table></div>`
    }</section>
<section class="card"><h2>${t('legal.universal')}</h2>
<p><strong>${j.universalJurisdiction.applies ? t('legal.universalApplies') : t('legal.universalNot')}</strong></p>
${j.universalJurisdiction.conditions.length > 0 ? citedList(t, j.universalJurisdiction.conditions) : ''}</section>
<section class="card"><h2>${t('legal.limitation')}</h2>${citedList(t, j.limitation)}</section>
<section class="card"><h2>${t('legal.admissibility')}</h2><p class="muted">${t('legal.admissibilityHelp')}</p>
${
  j.admissibility.length === 0
    ? html`<p class="muted">${t('legal.nothingListed')}</p>`
    : html`<ul class="checklist">${j.admissibility.map(
        (rule) =>
          html`<li id="rule-${rule.id}"><span dir="auto">${rule.requirement}</span>${rule.citation ? html` ${cite(t, rule.citation)}` : ''}${
            rule.citation === null && rule.note
              ? html`<p class="legal-note"><span class="label">${t('legal.source')}</span> <span dir="auto">${rule.note}</span></p>`
              : note(t, rule.note)
          }</li>`,
      )}</ul>`
}</section>`,
  });
};

// ── /legal/compare/:crimeId ──────────────────────────────────────────────────
const statusBadge = (t: Translate, status: CellStatus): Html =>
  html`<span class="badge badge-status-${status}">${t(`legal.status.${status}`)}</span>`;

const coveringOffence = (t: Translate, jurisdiction: string, o: CoveringOffence): Html =>
  html`<div class="covering match-${o.match}"><a href="${profileHref(jurisdiction)}#offence-${o.id}" dir="auto">${o.name}</a> ${cite(
    t,
    o.citation,
  )}${o.match === 'full' ? '' : html` ${matchBadge(t, o.match)}`}${
    o.wholeCrime ? html` <span class="muted">(${t('legal.wholeCrime')})</span>` : ''
  }${note(t, o.note)}</div>`;

const comparisonCell = (t: Translate, cell: ComparisonCell): Html =>
  html`<td class="cell cell-${cell.status}" data-status="${cell.status}" data-jurisdiction="${cell.jurisdiction}">${statusBadge(
    t,
    cell.status,
  )}${cell.offences.map((o) => coveringOffence(t, cell.jurisdiction, o))}${
    cell.offences.length === 0 ? html`<p class="gap-text">${t('legal.gap')}</p>` : ''
  }</td>`;

const comparePage = (c: Context<AppEnv>) => {
  const t = c.get('t');
  const catalogue = catalogueOf(c);
  const crimeId = c.req.param('crimeId') ?? '';
  const comparison = compareCrime(catalogue, crimeId);
  if (!comparison) {
    return page(c, {
      title: t('error.notFound'),
      body: html`<p><a href="/legal">${t('legal.back')}</a></p>`,
      notices: [{ kind: 'error', text: t('legal.unknownCrime', { id: crimeId }) }],
      status: 404,
    });
  }
  const { crime, jurisdictions, rows } = comparison;
  const table = html`<div class="table-scroll"><table class="compare">
<thead><tr><th scope="col">${t('legal.element')}<br><span class="muted" dir="auto">${crime.instrument}</span></th>${jurisdictions.map(
    (j) =>
      html`<th scope="col"><a href="${profileHref(j.code)}" dir="auto">${j.name}</a> <span class="muted ltr">${j.code}</span></th>`,
  )}</tr></thead>
<tbody>${rows.map(
    (row) =>
      html`<tr id="element-${row.element.id}"><th scope="row">${kindBadge(t, row.element)} <code>${row.element.id}</code>
<span class="element-text" dir="auto">${row.element.text}</span> ${cite(t, row.element.citation)}${note(t, row.element.note)}</th>${row.cells.map(
        (cell) => comparisonCell(t, cell),
      )}</tr>`,
  )}</tbody>
<tfoot><tr><th scope="row">${t('legal.summary')}</th>${jurisdictions.map(
    (j) =>
      html`<td>${t('legal.summaryCounts', { covered: j.counts.covered, partial: j.counts.partial, gap: j.counts.gap })}</td>`,
  )}</tr></tfoot></table></div>`;
  return page(c, {
    title: t('legal.compareTitle', { crime: crime.name }),
    body: html`<p><span class="article">${t('legal.article', { article: crime.article })}</span> · ${t(`legal.group.${groupOf(crime)}`)} · ${cite(
      t,
      crime.citation,
    )} · <a href="${crimeHref(crime.id)}" class="no-print">${t('legal.back')}</a></p>
<p class="intro">${t('legal.compareIntro')}</p>
<p class="legend">${t('legal.legend')} ${statusBadge(t, 'covered')} ${statusBadge(t, 'partial')} ${statusBadge(t, 'gap')}</p>
${jurisdictions.length === 0 ? html`<p class="muted">${t('legal.noProfiles')}</p>` : table}`,
  });
};

export const registerLegal = (r: PageRoutes) => {
  r.get('/legal', 'legal.read', cataloguePage);
  r.get('/legal/jurisdictions/:code', 'legal.read', profilePage);
  r.get('/legal/compare/:crimeId', 'legal.read', comparePage);
};
