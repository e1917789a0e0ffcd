import { type AccordError, can, type ItemRecord, isAccordError } from '@accord/core';
import { html } from 'hono/html';
import { MEDIA_CATEGORIES } from '../../http/content.ts';
import {
  type EvidenceQuery,
  listEvidence,
  parseEvidenceQuery,
  type RawEvidenceQuery,
} from '../../http/evidence-query.ts';
import { describeError, formatDate, type Notice, page } from '../layout.ts';
import { formatNumber, formatSize, itemBadges, typeLabel } from './evidence-common.ts';
import type { PageRoutes } from './index.ts';

const PAGE_SIZE = 50;
const FILTERS = ['caseId', 'type', 'from', 'to', 'hasLocation'] as const;

export const registerEvidenceList = (r: PageRoutes) => {
  r.get('/evidence', 'evidence.read', async (c) => {
    const t = c.get('t');
    const locale = c.get('locale');
    const auth = c.get('auth')!;
    const raw: RawEvidenceQuery = {
      caseId: c.req.query('caseId'),
      type: c.req.query('type'),
      from: c.req.query('from'),
      to: c.req.query('to'),
      hasLocation: c.req.query('hasLocation'),
      offset: c.req.query('offset'),
    };
    const notices: Notice[] = [];
    let query: EvidenceQuery | undefined;
    try {
      query = parseEvidenceQuery(raw, PAGE_SIZE);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      notices.push({ kind: 'error', text: describeError(t, e as AccordError) });
    }
    const [cases, listed] = await Promise.all([
      c.get('cases').list(auth.actor),
      query
        ? listEvidence(c.get('node').evidence, auth.actor, query)
        : { items: [] as ItemRecord[], total: 0 },
    ]);
    const caseTitle = new Map(cases.map((k) => [k.id as string, k.title]));
    const value = (name: (typeof FILTERS)[number]) => raw[name]?.trim() ?? '';
    const link = (offset: number) => {
      const params = new URLSearchParams();
      for (const f of FILTERS) if (value(f) !== '') params.set(f, value(f));
      if (offset > 0) params.set('offset', String(offset));
      const qs = params.toString();
      return qs ? `/evidence?${qs}` : '/evidence';
    };
    const offset = query?.offset ?? 0;
    const { items, total } = listed;
    const selected = (a: string, b: string) => (a === b ? ' selected' : '');
    // Filtered by one case: that case can be exported from here.
    const exportable =
      query?.caseId !== undefined && caseTitle.has(query.caseId) && can(auth.actor, 'evidence.export')
        ? query.caseId
        : undefined;
    return page(c, {
      title: t('evidence.title'),
      notices,
      status: query ? 200 : 400,
      body: html`<form method="get" action="/evidence" class="card filters" role="search" aria-label="${t('evidence.filters')}">
<div><label for="f-case">${t('evidence.case')}</label><select id="f-case" name="caseId"><option value="">${t('evidence.anyCase')}</option>${cases.map(
        (k) => html`<option value="${k.id}"${selected(k.id, value('caseId'))}>${k.title}</option>`,
      )}</select></div>
<div><label for="f-type">${t('evidence.type')}</label><select id="f-type" name="type"><option value="">${t('evidence.anyType')}</option>${MEDIA_CATEGORIES.map(
        (k) => html`<option value="${k}"${selected(k, value('type'))}>${t(`type.${k}`)}</option>`,
      )}</select></div>
<div><label for="f-from">${t('evidence.from')}</label><input type="date" id="f-from" name="from" value="${value('from')}"></div>
<div><label for="f-to">${t('evidence.to')}</label><input type="date" id="f-to" name="to" value="${value('to')}"></div>
<div><label for="f-loc">${t('evidence.location')}</label><select id="f-loc" name="hasLocation"><option value="">${t('evidence.locationAny')}</option><option value="true"${selected('true', value('hasLocation'))}>${t('evidence.locationYes')}</option><option value="false"${selected('false', value('hasLocation'))}>${t('evidence.locationNo')}</option></select></div>
<div><button type="submit">${t('evidence.apply')}</button> <a href="/evidence">${t('evidence.reset')}</a></div>
</form>
${exportable ? html`<p><a class="button" href="/cases/${exportable}/export" data-export>${t('evidence.exportCase')}</a></p>` : ''}
${
  items.length === 0
    ? html`<p class="muted" data-empty>${t('evidence.none')}</p>`
    : html`<p>${t('evidence.count', {
        first: formatNumber(locale, offset + 1),
        last: formatNumber(locale, offset + items.length),
        total: formatNumber(locale, total),
      })}</p>
<div class="table-scroll"><table><thead><tr><th>${t('evidence.itemTitle')}</th><th>${t('evidence.case')}</th><th>${t('evidence.type')}</th><th>${t('evidence.size')}</th><th>${t('evidence.date')}</th><th>${t('evidence.location')}</th></tr></thead><tbody>
${items.map(
  (item) =>
    html`<tr data-item="${item.id}"><td><a href="/evidence/${item.id}">${item.title}</a>${itemBadges(t, item)}</td><td>${
      caseTitle.get(item.caseId) ?? ''
    }</td><td>${typeLabel(t, item.mediaType)} <span class="muted ltr">${item.mediaType}</span></td><td>${formatSize(locale, item.size)}</td><td>${formatDate(
      locale,
      item.capturedAt ?? item.createdAt,
    )}</td><td>${item.latitude !== null ? t('common.yes') : t('common.no')}</td></tr>`,
)}</tbody></table></div>`
}
<nav class="pager" aria-label="${t('evidence.pages')}">${
        offset > 0
          ? html`<a href="${link(Math.max(0, offset - PAGE_SIZE))}" rel="prev">${t('evidence.previous')}</a>`
          : ''
      }${offset + items.length < total ? html`<a href="${link(offset + PAGE_SIZE)}" rel="next">${t('evidence.next')}</a>` : ''}</nav>`,
    });
  });
};
