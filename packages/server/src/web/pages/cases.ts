import {
  type AccordError,
  agreementsInForce,
  CASE_ROLES,
  CASE_STATUSES,
  type CaseEvent,
  type CaseRecord,
  type CaseView,
  can,
  type Dashboard,
  type DataCategory,
  isAccordError,
  type LegalCatalogue,
  receivesCategory,
} from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import type { Translate } from '../i18n/index.ts';
import { csrfField, formatDate, type Html, type Notice, page } from '../layout.ts';
import {
  caseNotFound,
  doneNotices,
  errorNotice,
  formatDay,
  formatList,
  jurisdictionChoices,
  jurisdictionName,
  loadView,
  many,
  one,
  readForm,
  statusFor,
} from './case-common.ts';
import { registerCaseTeam } from './case-team.ts';
import { formatNumber } from './evidence-common.ts';
import type { PageRoutes } from './index.ts';

/**
 * The cases pages: the reader's cases with the form to open one, each case's dashboard, and the
 * form that changes a case record. The domain (Cases) decides every access and checks every
 * value; these pages show what it answers, in the reader's language, and need no script.
 */

/** What the reader typed into a case form, kept when the form is shown again. */
interface CaseForm {
  readonly title: string;
  readonly summary: string;
  readonly status: string;
  readonly jurisdictions: readonly string[];
  readonly legalBasis: string;
  readonly openedOn: string;
  readonly closedOn: string;
}

const EMPTY: CaseForm = {
  title: '',
  summary: '',
  status: 'preliminary',
  jurisdictions: [],
  legalBasis: '',
  openedOn: '',
  closedOn: '',
};

const formOf = (k: CaseRecord): CaseForm => ({
  title: k.title,
  summary: k.summary,
  status: k.status,
  jurisdictions: k.jurisdictions,
  legalBasis: k.legalBasis,
  openedOn: k.openedOn,
  closedOn: k.closedOn ?? '',
});

const readCaseForm = (body: Awaited<ReturnType<typeof readForm>>): CaseForm => ({
  title: one(body, 'title'),
  summary: one(body, 'summary'),
  status: one(body, 'status'),
  jurisdictions: many(body, 'jurisdictions'),
  legalBasis: one(body, 'legalBasis'),
  openedOn: one(body, 'openedOn'),
  closedOn: one(body, 'closedOn'),
});

const checked = (on: boolean) => (on ? html` checked` : '');
const selected = (on: boolean) => (on ? html` selected` : '');

/** The fields of a case record; `edit` adds the closing date. */
const caseFields = (t: Translate, legal: LegalCatalogue, v: CaseForm, edit: boolean): Html =>
  html`<label for="c-title">${t('case.field.title')}</label><input type="text" id="c-title" name="title" required maxlength="300" value="${v.title}">
<label for="c-summary">${t('case.field.summary')}</label><textarea id="c-summary" name="summary" maxlength="8000">${v.summary}</textarea>
<label for="c-status">${t('case.field.status')}</label><select id="c-status" name="status">${CASE_STATUSES.map(
    (s) => html`<option value="${s}"${selected(s === v.status)}>${t(`case.status.${s}`)}</option>`,
  )}</select>
<fieldset><legend>${t('case.field.jurisdictions')}</legend><p class="muted">${t('case.field.jurisdictionsHelp')}</p>${jurisdictionChoices(
    legal,
  ).map(
    (code) =>
      html`<div><input type="checkbox" id="c-j-${code}" name="jurisdictions" value="${code}"${checked(
        v.jurisdictions.includes(code),
      )}> <label for="c-j-${code}"><span dir="auto">${jurisdictionName(t, legal, code)}</span> <span class="ltr">(${code})</span></label></div>`,
  )}</fieldset>
<label for="c-legal">${t('case.field.legalBasis')}</label><textarea id="c-legal" name="legalBasis" maxlength="2000">${v.legalBasis}</textarea>
<label for="c-opened">${t('case.field.openedOn')}</label><input type="date" id="c-opened" name="openedOn" value="${v.openedOn}" aria-describedby="c-opened-help">
<p class="muted" id="c-opened-help">${t('case.field.openedOnHelp')}</p>${
    edit
      ? html`
<label for="c-closed">${t('case.field.closedOn')}</label><input type="date" id="c-closed" name="closedOn" value="${v.closedOn}" aria-describedby="c-closed-help">
<p class="muted" id="c-closed-help">${t('case.field.closedOnHelp')}</p>`
      : ''
  }`;

/** The words for one entry of the case history. */
const eventText = (
  t: Translate,
  e: CaseEvent,
  names: {
    user: (id: string | null) => string;
    agreement: (id: string | null) => string;
    compartment: (id: string | null) => string;
  },
): string => {
  const actor = e.actorUserId === null ? t('case.history.operator') : names.user(e.actorUserId);
  const role = String(e.details.role ?? '');
  const roleText = (CASE_ROLES as readonly string[]).includes(role)
    ? t(`case.role.${role as (typeof CASE_ROLES)[number]}`)
    : role;
  const status = String(e.details.status ?? '');
  switch (e.type) {
    case 'case.created':
      return t('case.event.case.created', { actor });
    case 'case.updated':
      return t('case.event.case.updated', {
        actor,
        status: (CASE_STATUSES as readonly string[]).includes(status)
          ? t(`case.status.${status as (typeof CASE_STATUSES)[number]}`)
          : status,
      });
    case 'member.added':
    case 'member.role_changed':
      return t(`case.event.${e.type}`, { actor, subject: names.user(e.subjectId), role: roleText });
    case 'member.removed':
      return t('case.event.member.removed', { actor, subject: names.user(e.subjectId) });
    case 'agreement.recorded':
    case 'agreement.changed':
      return t(`case.event.${e.type}`, { actor, subject: names.agreement(e.subjectId) });
    case 'compartment.created':
    case 'compartment.members':
      return t(`case.event.${e.type}`, { actor, subject: names.compartment(e.subjectId) });
    case 'item.filed':
    case 'incident.recorded':
    case 'incident.changed':
    case 'incident.item_linked':
    case 'incident.item_unlinked':
    case 'suspect.added':
    case 'charge.added':
    case 'charge.withdrawn':
    case 'link.added':
    case 'link.withdrawn':
    case 'profile.set':
    case 'admissibility.set':
      return t(`case.event.${e.type}`, { actor });
    default:
      return t('case.event.other', { actor, type: e.type });
  }
};

/**
 * What the reader may use. CaseView.may answers evidence actions without an item, and so without
 * the agreements: a member from another organisation that receives no evidence at all would get
 * links to lists that are always empty.
 */
const usable = (view: CaseView): CaseView['may'] => {
  const sees =
    view.receives === undefined || receivesCategory(view.receives as DataCategory[], 'derivatives');
  return {
    ...view.may,
    'evidence.read': view.may['evidence.read'] && sees,
    'evidence.export': view.may['evidence.export'] && sees,
  };
};

/** The evidence and export of a case, from the list, for those who may use them. */
const shortcuts = (t: Translate, id: string, view: CaseView | undefined): Html => {
  const may = view ? usable(view) : undefined;
  const links = [
    may?.['evidence.read'] ? html`<a href="/evidence?caseId=${id}">${t('case.link.evidence')}</a>` : '',
    may?.['evidence.export'] ? html`<a href="/cases/${id}/export">${t('case.link.export')}</a>` : '',
  ].filter((l) => l !== '');
  return html`<ul class="plain">${links.map((l) => html`<li>${l}</li>`)}</ul>`;
};

export const registerCases = (r: PageRoutes) => {
  // ── /cases ──────────────────────────────────────────────────────────────────

  const listPage = async (
    c: Context<AppEnv>,
    opts: { notices?: Notice[]; status?: number; values?: CaseForm } = {},
  ) => {
    const t = c.get('t');
    const locale = c.get('locale');
    const auth = c.get('auth')!;
    const legal = c.get('node').legal;
    const [cases, orgs] = await Promise.all([
      c.get('cases').list(auth.actor),
      c.get('accounts').listOrganisations(auth.actor),
    ]);
    // What the reader may do in each case decides its shortcuts (the domain answers, per case).
    const views = new Map(
      await Promise.all(
        cases.map(async (k) => [k.id as string, await c.get('cases').view(auth.actor, k.id)] as const),
      ),
    );
    const orgName = new Map(orgs.map((o) => [o.id as string, o.name]));
    const v = opts.values ?? EMPTY;
    return page(c, {
      title: t('case.list.title'),
      notices: opts.notices ?? [],
      status: opts.status ?? 200,
      body: html`<p>${t('case.list.intro')}</p>
${
  cases.length === 0
    ? html`<p class="muted" data-empty>${t('case.list.none')}</p>`
    : html`<div class="table-scroll"><table class="case-list"><thead><tr><th>${t('case.field.title')}</th><th>${t('case.field.status')}</th><th>${t(
        'case.field.yourRole',
      )}</th><th>${t('case.field.leadOrg')}</th><th>${t('case.field.openedOn')}</th><th>${t('case.field.jurisdictions')}</th><th>${t('case.list.links')}</th></tr></thead><tbody>
${cases.map(
  (k) =>
    html`<tr data-case="${k.id}"><td><a href="/cases/${k.id}">${k.title}</a></td><td>${t(`case.status.${k.status}`)}</td><td>${
      k.role ? t(`case.role.${k.role}`) : '—'
    }</td><td>${orgName.get(k.leadOrgId) ?? ''}</td><td>${formatDay(locale, k.openedOn)}</td><td>${
      k.jurisdictions.length === 0
        ? t('case.field.none')
        : html`<span class="ltr">${k.jurisdictions.join(', ')}</span>`
    }</td><td>${shortcuts(t, k.id, views.get(k.id))}</td></tr>`,
)}</tbody></table></div>`
}
${
  can(auth.actor, 'case.create')
    ? html`<section class="card" id="new-case"><h2>${t('case.list.new')}</h2><p class="muted">${t('case.list.newHelp')}</p>
<form method="post" action="/cases">${csrfField(c)}
${caseFields(t, legal, v, false)}
<button type="submit">${t('case.list.create')}</button></form></section>`
    : ''
}`,
    });
  };

  r.get('/cases', 'case.read', (c) => listPage(c));

  r.post('/cases', 'case.create', async (c) => {
    const values = readCaseForm(await readForm(c));
    try {
      const created = await c.get('cases').create(c.get('auth')!.actor, {
        title: values.title,
        summary: values.summary,
        status: values.status,
        jurisdictions: [...values.jurisdictions],
        legalBasis: values.legalBasis,
        openedOn: values.openedOn,
      });
      return c.redirect(`/cases/${created.id}?done=created`, 303);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return listPage(c, { notices: [errorNotice(c.get('t'), e)], status: statusFor(e), values });
    }
  });

  // ── /cases/:caseId ──────────────────────────────────────────────────────────

  const dashboardPage = async (c: Context<AppEnv>, view: CaseView) => {
    const t = c.get('t');
    const locale = c.get('locale');
    const auth = c.get('auth')!;
    const actor = auth.actor;
    const legal = c.get('node').legal;
    const cases = c.get('cases');
    const k = view.record;
    const [dash, history, members, agreements, compartments, orgs, users] = await Promise.all([
      cases.dashboard(actor, k.id) as Promise<Dashboard>,
      cases.history(actor, k.id, 20),
      cases.members(actor, k.id),
      cases.agreements(actor, k.id),
      cases.compartments(actor, k.id),
      c.get('accounts').listOrganisations(actor),
      can(actor, 'user.read') ? c.get('accounts').listUsers(actor) : Promise.resolve([]),
    ]);
    const may = usable(dash.view);
    const orgName = new Map(orgs.map((o) => [o.id as string, o.name]));
    const userName = new Map<string, string>(users.map((u) => [u.id as string, u.displayName]));
    for (const m of members) userName.set(m.userId, m.displayName);
    const names = {
      user: (id: string | null) => (id ? (userName.get(id) ?? t('case.history.formerMember')) : '—'),
      agreement: (id: string | null) =>
        agreements.find((a) => a.id === id)?.title ?? t('case.history.unknown'),
      compartment: (id: string | null) =>
        compartments.find((x) => x.id === id)?.name ?? t('case.history.unknown'),
    };
    const categories = (list: readonly string[]) =>
      formatList(
        locale,
        list.map((x) => t(`case.category.${x as 'originals' | 'derivatives' | 'incidents' | 'analysis'}`)),
      );
    const receives = dash.view.receives;
    const mine = agreementsInForce(agreements, cases.access.today())
      .map((a) => ({ a, p: a.participants.find((p) => p.orgId === actor.orgId) }))
      .filter((x) => x.p !== undefined);
    const jurisdictions = k.jurisdictions.length > 0 ? k.jurisdictions : ['ICC'];

    const counts: [string, number, boolean][] = [
      ['members', dash.counts.members, true],
      ['items', dash.counts.items, may['evidence.read']],
      ['incidents', dash.counts.incidents, may['incident.read']],
      ['suspects', dash.counts.suspects, may['matrix.read']],
      ['charges', dash.counts.charges, may['matrix.read']],
    ];
    const links: [string, string, boolean][] = [
      [`/evidence?caseId=${k.id}`, 'evidence', may['evidence.read']],
      [`/cases/${k.id}/export`, 'export', may['evidence.export']],
      [`/cases/${k.id}/incidents`, 'incidents', may['incident.read']],
      [`/cases/${k.id}/matrix`, 'matrix', may['matrix.read']],
      [`/cases/${k.id}/witnesses`, 'witnesses', may['witness.read']],
      [`/cases/${k.id}/team`, 'team', may['case.view']],
      [`/cases/${k.id}/edit`, 'edit', may['case.edit']],
    ];
    const crimeName = (id: string) => legal.crime(id)?.name ?? id;

    return page(c, {
      title: k.title,
      notices: doneNotices(c),
      body: html`<section class="card" id="record"><h2>${t('case.dash.record')}</h2>
<dl class="facts">
<dt>${t('case.field.status')}</dt><dd data-status="${k.status}">${t(`case.status.${k.status}`)}</dd>
<dt>${t('case.field.yourRole')}</dt><dd data-role="${view.role ?? ''}">${view.role ? t(`case.role.${view.role}`) : '—'}</dd>
<dt>${t('case.field.leadOrg')}</dt><dd>${orgName.get(k.leadOrgId) ?? ''}</dd>
<dt>${t('case.field.jurisdictions')}</dt><dd>${
        k.jurisdictions.length === 0
          ? t('case.field.none')
          : html`<ul class="plain">${k.jurisdictions.map(
              (j) =>
                html`<li><span dir="auto">${jurisdictionName(t, legal, j)}</span> <span class="ltr">(${j})</span></li>`,
            )}</ul>`
      }</dd>
<dt>${t('case.field.legalBasis')}</dt><dd class="prose" dir="auto">${k.legalBasis || '—'}</dd>
<dt>${t('case.field.openedOn')}</dt><dd>${formatDay(locale, k.openedOn)}</dd>
<dt>${t('case.field.closedOn')}</dt><dd>${k.closedOn ? formatDay(locale, k.closedOn) : t('case.dash.stillOpen')}</dd>
<dt>${t('case.field.updated')}</dt><dd>${formatDate(locale, k.updatedAt)}</dd>
</dl>
${
  k.summary
    ? html`<p class="prose" dir="auto">${k.summary}</p>`
    : html`<p class="muted">${t('case.dash.noSummary')}</p>`
}</section>
${
  receives === undefined
    ? ''
    : html`<section class="card" id="receives"><p>${t('case.dash.outsider')}</p>
<p><strong>${
        receives.length === 0
          ? t('case.dash.receivesNone')
          : t('case.dash.receives', { categories: categories(receives) })
      }</strong></p>${
        mine.length === 0
          ? ''
          : html`<h3>${t('case.dash.agreementsInForce')}</h3><ul>${mine.map(
              (x) =>
                html`<li>${t('case.dash.agreementReceives', {
                  title: x.a.title,
                  categories:
                    x.p!.receives.length === 0 ? t('case.agreements.nothing') : categories(x.p!.receives),
                })}</li>`,
            )}</ul>`
      }</section>`
}
<section id="counts" aria-labelledby="counts-h"><h2 id="counts-h">${t('case.dash.counts')}</h2>
<ul class="counts">${counts
        .filter(([, , show]) => show)
        .map(
          ([key, n]) =>
            html`<li data-count="${key}"><span class="count">${formatNumber(locale, n)}</span> ${t(
              `case.count.${key as 'members' | 'items' | 'incidents' | 'suspects' | 'charges'}`,
            )}</li>`,
        )}</ul></section>
<nav class="card case-links" aria-labelledby="work-h"><h2 id="work-h">${t('case.dash.work')}</h2><ul>${links
        .filter(([, , show]) => show)
        .map(
          ([href, key]) =>
            html`<li><a href="${href}">${t(
              `case.link.${key as 'evidence' | 'export' | 'incidents' | 'matrix' | 'witnesses' | 'team' | 'edit'}`,
            )}</a></li>`,
        )}</ul></nav>
${
  may['matrix.read']
    ? html`<section class="card" id="charges"><h2>${t('case.dash.charges')}</h2><p class="muted">${t('case.dash.chargesIntro')}</p>${
        dash.charges.length === 0
          ? html`<p class="muted">${t('case.dash.chargesNone')}</p>`
          : html`<div class="table-scroll"><table class="charges"><thead><tr><th scope="col">${t('case.dash.charge')}</th>${jurisdictions.map(
              (j) =>
                html`<th scope="col"><span dir="auto">${jurisdictionName(t, legal, j)}</span> <span class="ltr">(${j})</span></th>`,
            )}</tr></thead><tbody>${dash.charges.map(
              (row) =>
                html`<tr data-charge="${row.charge.id}"><th scope="row" dir="auto">${t(
                  'case.dash.chargeText',
                  {
                    suspect: row.suspect?.name ?? '—',
                    crime: crimeName(row.charge.crimeId),
                    mode: crimeName(row.charge.modeId),
                  },
                )}</th>${
                  row.charge.withdrawnAt
                    ? html`<td colspan="${jurisdictions.length}"><span class="badge">${t('case.cell.withdrawn')}</span></td>`
                    : row.byJurisdiction.map((cell) => {
                        const state = !cell.applicable ? 'none' : cell.proven ? 'proven' : 'gaps';
                        const text =
                          state === 'none'
                            ? t('case.cell.notApplicable')
                            : state === 'proven'
                              ? t('case.cell.proven')
                              : t('case.cell.gaps', { count: formatNumber(locale, cell.gaps) });
                        const badge =
                          state === 'proven'
                            ? 'badge-ok'
                            : state === 'gaps'
                              ? 'badge-pending'
                              : 'badge-danger';
                        return html`<td data-jurisdiction="${cell.jurisdiction}" data-state="${state}"><a href="/charges/${
                          row.charge.id
                        }?jurisdiction=${encodeURIComponent(cell.jurisdiction)}"><span class="badge ${badge}">${text}</span></a></td>`;
                      })
                }</tr>`,
            )}</tbody></table></div>`
      }</section>`
    : ''
}
<section class="card" id="history"><h2>${t('case.dash.history')}</h2>${
        history.length === 0
          ? html`<p class="muted">${t('case.dash.historyNone')}</p>`
          : html`<ol class="history">${[...history]
              .sort((a, b) => b.seq - a.seq)
              .map(
                (e) =>
                  html`<li data-event="${e.type}"><time datetime="${e.at}">${formatDate(locale, e.at)}</time> ${eventText(
                    t,
                    e,
                    names,
                  )}</li>`,
              )}</ol>`
      }</section>`,
    });
  };

  r.get('/cases/:caseId', 'case.read', async (c) => {
    const view = await loadView(c);
    if (!view) return caseNotFound(c);
    return dashboardPage(c, view);
  });

  // ── /cases/:caseId/edit ─────────────────────────────────────────────────────

  const editPage = (
    c: Context<AppEnv>,
    view: CaseView,
    opts: { notices?: Notice[]; status?: number; values?: CaseForm } = {},
  ) => {
    const t = c.get('t');
    const k = view.record;
    if (!view.may['case.edit']) {
      return page(c, {
        title: t('case.edit.title', { title: k.title }),
        notices: [{ kind: 'error', text: t('case.edit.leadOnly') }],
        status: 403,
        body: html`<p><a href="/cases/${k.id}">${t('case.back')}</a></p>`,
      });
    }
    return page(c, {
      title: t('case.edit.title', { title: k.title }),
      notices: opts.notices ?? [],
      status: opts.status ?? 200,
      body: html`<p><a href="/cases/${k.id}">${t('case.back')}</a></p>
<form method="post" action="/cases/${k.id}/edit" class="card" id="edit-case">${csrfField(c)}
${caseFields(t, c.get('node').legal, opts.values ?? formOf(k), true)}
<button type="submit">${t('case.edit.save')}</button></form>`,
    });
  };

  r.get('/cases/:caseId/edit', 'case.read', async (c) => {
    const view = await loadView(c);
    if (!view) return caseNotFound(c);
    return editPage(c, view);
  });

  r.post('/cases/:caseId/edit', 'case.read', async (c) => {
    const view = await loadView(c);
    if (!view) return caseNotFound(c);
    const values = readCaseForm(await readForm(c));
    try {
      // Every field is sent: an empty list of jurisdictions or an empty closing date is meant.
      await c.get('cases').update(c.get('auth')!.actor, view.record.id, {
        title: values.title,
        summary: values.summary,
        status: values.status,
        jurisdictions: [...values.jurisdictions],
        legalBasis: values.legalBasis,
        openedOn: values.openedOn,
        closedOn: values.closedOn,
      });
      return c.redirect(`/cases/${view.record.id}?done=updated`, 303);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return editPage(c, view, {
        notices: [errorNotice(c.get('t'), e as AccordError)],
        status: statusFor(e),
        values,
      });
    }
  });

  registerCaseTeam(r);
};
