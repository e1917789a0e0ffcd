import { Readable } from 'node:stream';
import { isAccordError, type OpenedReport, REPORT_STATUSES, type UnlockedKey, type User } from '@accord/core';
import type { Context } from 'hono';
import { html, raw } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import type { MessageKey } from '../i18n/index.ts';
import { csrfField, describeError, type Notice, page } from '../layout.ts';
import { formatDay } from './case-common.ts';
import type { PageRoutes } from './index.ts';
import { doneNotices, type Form, field, formAction, selected } from './matrix.ts';

/**
 * The team's side of safe reporting: the triage queue and a page per report. Reading needs the
 * advocate's own report key, unlocked by signing in with their password and held for the session;
 * the pages say so when it is not. Every change is a plain form; no script is needed.
 */

const DONE: Readonly<Record<string, MessageKey>> = {
  post: 'reports.done.post',
  status: 'reports.done.status',
  assign: 'reports.done.assign',
  link: 'reports.done.link',
};

const keyOf = (c: Context<AppEnv>): UnlockedKey | undefined => {
  const auth = c.get('auth')!;
  return c.get('node').reports.keys.get(auth.session?.id, auth.user.id);
};

const names = async (c: Context<AppEnv>): Promise<Map<string, User>> => {
  const users = await c.get('accounts').listUsers(c.get('auth')!.actor);
  return new Map(users.map((u) => [u.id, u]));
};

const queuePage = async (c: Context<AppEnv>) => {
  const t = c.get('t');
  const locale = c.get('locale');
  const actor = c.get('auth')!.actor;
  const key = keyOf(c);
  const status = c.req.query('status') ?? '';
  const mine = c.req.query('mine') === '1';
  const reports = c.get('node').reports;
  const shown: Notice[] = key ? [] : [{ kind: 'error', text: t('reports.locked') }];
  let entries: Awaited<ReturnType<typeof reports.queue>> = [];
  try {
    entries = await reports.queue(actor, key, { status, mine });
  } catch (e) {
    if (!isAccordError(e)) throw e;
    shown.push({ kind: 'error', text: describeError(t, e) });
  }
  const people = await names(c);
  return page(c, {
    title: t('reports.title'),
    notices: shown,
    body: html`<p>${t('reports.intro')}</p>
<form method="get" action="/reports" class="filters"><label for="status">${t('reports.filter')}</label>
<select id="status" name="status"><option value="">${t('reports.all')}</option>${REPORT_STATUSES.map(
      (s) =>
        html`<option value="${s}"${raw(selected(status === s))}>${t(`portal.status.${s}` as MessageKey)}</option>`,
    )}</select>
<label><input type="checkbox" name="mine" value="1"${raw(mine ? ' checked' : '')}> ${t('reports.mine')}</label>
<button type="submit">${t('reports.filter')}</button></form>
${
  entries.length === 0
    ? html`<p>${t('reports.none')}</p>`
    : html`<table><thead><tr><th>${t('reports.received')}</th><th>${t('reports.status')}</th><th>${t('reports.assignedTo')}</th><th>${t('reports.excerpt')}</th></tr></thead><tbody>${entries.map(
        ({
          report,
          summary,
        }) => html`<tr><td><a href="/reports/${report.id}">${formatDay(locale, report.receivedOn)}</a></td>
<td>${t(`portal.status.${report.status}` as MessageKey)}</td>
<td>${report.assignedTo ? (people.get(report.assignedTo)?.displayName ?? '—') : t('reports.unassigned')}</td>
<td>${
          summary
            ? html`${summary.excerpt}${summary.flagged ? html` <strong class="flag">${t('reports.flagged')}</strong>` : ''}${
                summary.unread > 0
                  ? html` <strong>${t('reports.unread', { count: summary.unread })}</strong>`
                  : ''
              }${summary.support.includes('support') ? html` · ${t('reports.wantsSupport')}` : ''}${
                summary.support.includes('legal_aid') ? html` · ${t('reports.wantsLegal')}` : ''
              }`
            : html`<em>${key ? t('reports.notShared') : t('reports.locked')}</em>`
        }</td></tr>`,
      )}</tbody></table>`
}`,
  });
};

const reportPage = async (
  c: Context<AppEnv>,
  opts: { notices?: Notice[]; status?: number; draft?: Form } = {},
) => {
  const t = c.get('t');
  const locale = c.get('locale');
  const actor = c.get('auth')!.actor;
  const node = c.get('node');
  const id = c.req.param('id');
  const opened: OpenedReport = await node.reports.open(actor, keyOf(c), id);
  const { report, content } = opened;
  const people = await names(c);
  const recipients = await node.reports.recipients(actor);
  const cases = await node.cases.list(actor);
  const linkedCase = cases.find((k) => k.id === report.caseId);
  const witness = report.witnessId
    ? (await node.witnesses.list(actor, report.caseId).catch(() => [])).find((w) => w.id === report.witnessId)
    : undefined;
  const { organisations } = await node.reports.consentChoices();
  const consentText = (s: { purpose: string; scope: string }) =>
    s.purpose === 'sharing'
      ? t('portal.consent.sharing', { org: organisations.find((o) => o.id === s.scope)?.name ?? s.scope })
      : s.purpose === 'prosecution'
        ? t('portal.consent.prosecution', { jurisdiction: s.scope })
        : t(`portal.consent.${s.purpose}` as MessageKey);
  const entryText = (e: OpenedReport['entries'][number]) => {
    if (e.kind === 'status' && e.body.status) return t(`portal.status.${e.body.status}` as MessageKey);
    if (e.kind === 'consent' && e.body.consent)
      return `${e.body.consent.state === 'given' ? '✓' : '✗'} ${consentText(e.body.consent)}`;
    return e.body.text;
  };
  const draftText = field(opts.draft, 'text') ?? '';
  return page(c, {
    title: t('reports.titleOf', { day: formatDay(locale, report.receivedOn) }),
    notices: [
      ...doneNotices(c, DONE),
      ...(c.req.query('done') === 'witness'
        ? [{ kind: 'info' as const, text: t('reports.done.witness', { count: c.req.query('filed') ?? '0' }) }]
        : []),
      ...(opts.notices ?? []),
    ],
    status: opts.status ?? 200,
    body: html`<p><a href="/reports">${t('reports.title')}</a></p>
<section class="card"><h2>${t('reports.content')}</h2>
<dl><dt>${t('reports.status')}</dt><dd>${t(`portal.status.${report.status}` as MessageKey)}</dd>
${content.when ? html`<dt>${t('reports.when')}</dt><dd>${content.when}</dd>` : ''}
${content.where ? html`<dt>${t('reports.where')}</dt><dd>${content.where}</dd>` : ''}
${content.anonymous ? html`<dt>${t('reports.anonymous')}</dt><dd>✓</dd>` : html`<dt>${t('reports.name')}</dt><dd>${content.name || '—'}</dd><dt>${t('reports.contact')}</dt><dd>${content.contact || '—'} (${content.contactWanted ? t('reports.contactWanted') : t('reports.contactNotWanted')})</dd>`}
${content.support.includes('support') ? html`<dt>${t('reports.wantsSupport')}</dt><dd>✓</dd>` : ''}
${content.support.includes('legal_aid') ? html`<dt>${t('reports.wantsLegal')}</dt><dd>✓</dd>` : ''}
${linkedCase ? html`<dt>${t('reports.case')}</dt><dd><a href="/cases/${linkedCase.id}">${t('reports.linked', { case: linkedCase.title })}</a></dd>` : ''}
${witness ? html`<dt>${t('reports.witnessOf', { pseudonym: witness.pseudonym })}</dt><dd><a href="/witnesses/${witness.id}">${witness.pseudonym}</a></dd>` : ''}
</dl><p class="text">${content.account}</p></section>
${
  opened.attachments.length > 0
    ? html`<section class="card"><h2>${t('reports.attachments')}</h2><ul>${opened.attachments.map(
        (
          a,
        ) => html`<li><a href="/reports/${report.id}/attachments/${a.id}">${a.fileName}</a> (${a.mediaType}, ${a.size} B)
${a.flags.includes('gps') ? html` <strong class="flag">${t('reports.gpsFlag')}</strong>` : ''}${a.flags.includes('exif') ? html` <span class="flag">${t('reports.exifFlag')}</span>` : ''}
${a.itemId ? html` · <a href="/evidence/${a.itemId}">${t('reports.filedAs')}</a>` : ''}</li>`,
      )}</ul></section>`
    : ''
}
<section class="card"><h2>${t('reports.consent')}</h2><ul>${opened.consent.map(
      (s) =>
        html`<li>${s.state === 'given' ? '✓' : '✗'} ${consentText(s)} (${formatDay(locale, s.at.slice(0, 10))})</li>`,
    )}</ul></section>
<section class="card"><h2>${t('reports.thread')}</h2><ol class="thread">${opened.entries.map(
      (e) =>
        html`<li class="entry entry-${e.kind}"><p class="meta"><strong>${t(`reports.from.${e.kind}` as MessageKey)}</strong> · ${formatDay(locale, e.onDay)}${
          e.authorUserId ? html` · ${people.get(e.authorUserId)?.displayName ?? '—'}` : ''
        }</p><p class="text">${entryText(e)}</p></li>`,
    )}</ol>
<form method="post" action="/reports/${report.id}/post" class="stack">${csrfField(c)}
<label for="kind">${t('reports.post')}</label><select id="kind" name="kind">${(
      ['advocate', 'milestone', 'note'] as const
    ).map(
      (k) =>
        html`<option value="${k}"${raw(selected(field(opts.draft, 'kind') === k))}>${t(`reports.kind.${k}` as MessageKey)}</option>`,
    )}</select>
<label for="text">${t('reports.text')}</label><textarea id="text" name="text" rows="4">${draftText}</textarea>
<button type="submit">${t('reports.send')}</button></form></section>
<section class="card"><h2>${t('reports.assign')}</h2>
<form method="post" action="/reports/${report.id}/assign" class="inline">${csrfField(c)}
<select name="assignedTo" aria-label="${t('reports.assignedTo')}"><option value="">${t('reports.unassigned')}</option>${recipients.map(
      (u) =>
        html`<option value="${u}"${raw(selected(report.assignedTo === u))}>${people.get(u)?.displayName ?? u}</option>`,
    )}</select> <button type="submit">${t('reports.assign')}</button></form>
<form method="post" action="/reports/${report.id}/status" class="inline">${csrfField(c)}
<select name="status" aria-label="${t('reports.status')}">${REPORT_STATUSES.map(
      (s) =>
        html`<option value="${s}"${raw(selected(report.status === s))}>${t(`portal.status.${s}` as MessageKey)}</option>`,
    )}</select> <button type="submit">${t('reports.setStatus')}</button></form></section>
<section class="card"><h2>${t('reports.link')}</h2>
<form method="post" action="/reports/${report.id}/link" class="stack">${csrfField(c)}
<label for="caseId">${t('reports.case')}</label><select id="caseId" name="caseId">${cases.map(
      (k) => html`<option value="${k.id}"${raw(selected(report.caseId === k.id))}>${k.title}</option>`,
    )}</select>
<label for="incidentId">${t('reports.incident')}</label>
<select id="incidentId" name="incidentId"><option value=""></option>${
      report.caseId
        ? (await node.cases.listIncidents(actor, report.caseId).catch(() => [])).map(
            (i) =>
              html`<option value="${i.id}"${raw(selected(report.incidentId === i.id))}>${i.title}</option>`,
          )
        : ''
    }</select>
<button type="submit">${t('reports.link')}</button></form>
${
  report.caseId
    ? html`<form method="post" action="/reports/${report.id}/witness" class="stack">${csrfField(c)}
<p class="hint">${t('reports.makeWitnessHelp')}</p><button type="submit">${t('reports.makeWitness')}</button></form>`
    : ''
}</section>`,
  });
};

const rerender = (c: Context<AppEnv>, opts: { notices: Notice[]; status: number; draft: Form }) =>
  reportPage(c, opts);

export const registerReports = (r: PageRoutes) => {
  r.get('/reports', 'report.triage', (c) => queuePage(c));
  r.get('/reports/:id', 'report.triage', async (c) => {
    try {
      return await reportPage(c);
    } catch (e) {
      if (!isAccordError(e) || (e.code !== 'locked' && e.code !== 'not_found')) throw e;
      const t = c.get('t');
      return page(c, {
        title: t('reports.title'),
        body: html`<p><a href="/reports">${t('reports.title')}</a></p>`,
        notices: [{ kind: 'error', text: describeError(t, e) }],
        status: e.code === 'locked' ? 423 : 404,
      });
    }
  });
  r.get('/reports/:id/attachments/:aid', 'report.triage', async (c) => {
    const { meta, stream } = await c
      .get('node')
      .reports.attachment(c.get('auth')!.actor, keyOf(c), c.req.param('id'), c.req.param('aid'));
    c.header('Content-Type', 'application/octet-stream');
    c.header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(meta.fileName)}`);
    c.header('Content-Length', String(meta.size));
    c.header('Content-Security-Policy', "default-src 'none'; sandbox");
    return c.body(Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>);
  });
  const base = (c: Context<AppEnv>) => `/reports/${c.req.param('id')}`;
  r.post(
    '/reports/:id/post',
    'report.triage',
    formAction(async (c, body) => {
      await c
        .get('node')
        .reports.post(
          c.get('auth')!.actor,
          keyOf(c),
          c.req.param('id'),
          field(body, 'kind'),
          field(body, 'text'),
        );
      return `${base(c)}?done=post`;
    }, rerender),
  );
  r.post(
    '/reports/:id/status',
    'report.triage',
    formAction(async (c, body) => {
      await c
        .get('node')
        .reports.setStatus(c.get('auth')!.actor, keyOf(c), c.req.param('id'), field(body, 'status'));
      return `${base(c)}?done=status`;
    }, rerender),
  );
  r.post(
    '/reports/:id/assign',
    'report.triage',
    formAction(async (c, body) => {
      await c.get('node').reports.assign(c.get('auth')!.actor, c.req.param('id'), field(body, 'assignedTo'));
      return `${base(c)}?done=assign`;
    }, rerender),
  );
  r.post(
    '/reports/:id/link',
    'report.triage',
    formAction(async (c, body) => {
      await c.get('node').reports.link(c.get('auth')!.actor, keyOf(c), c.req.param('id'), {
        caseId: field(body, 'caseId'),
        incidentId: field(body, 'incidentId'),
      });
      return `${base(c)}?done=link`;
    }, rerender),
  );
  r.post(
    '/reports/:id/witness',
    'report.triage',
    formAction(async (c) => {
      const { filed } = await c
        .get('node')
        .reports.makeWitness(c.get('auth')!.actor, keyOf(c), c.req.param('id'));
      return `${base(c)}?done=witness&filed=${filed.length}`;
    }, rerender),
  );
};
