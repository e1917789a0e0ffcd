import {
  AccordError,
  type Agreement,
  agreementsInForce,
  BASIS_KINDS,
  CASE_ROLES,
  type CaseView,
  type Compartment,
  can,
  DATA_CATEGORIES,
  isAccordError,
  type MemberView,
  type Organisation,
  type User,
} from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import type { Translate } from '../i18n/index.ts';
import { csrfField, formatDate, type Html, type Notice, page } from '../layout.ts';
import {
  type Body,
  caseNotFound,
  doneNotices,
  errorNotice,
  formatDay,
  formatList,
  isUuid,
  loadView,
  many,
  one,
  readForm,
  statusFor,
} from './case-common.ts';
import type { PageRoutes } from './index.ts';

/**
 * The team of a case: its members and their roles, the joint investigation team agreements that
 * decide what members from other organisations receive, and the compartments. Every change is a
 * plain form (POST, then a redirect back here); the forms show only for those who may use them,
 * and the domain checks again. An agreement is changed with the same form as a new one, filled in
 * with it: `?agreement=<id>` on this page.
 */

type Category = (typeof DATA_CATEGORIES)[number];

interface ParticipantForm {
  readonly on: boolean;
  readonly country: string;
  readonly receives: readonly string[];
}

interface AgreementForm {
  /** The agreement being changed; none for a new one. */
  readonly id?: string;
  readonly title: string;
  readonly basisKind: string;
  readonly legalBasis: string;
  readonly startsOn: string;
  readonly endsOn: string;
  readonly scope: string;
  readonly purposeLimitation: string;
  /** By organisation id. */
  readonly participants: ReadonlyMap<string, ParticipantForm>;
}

/** What the reader typed into one of the forms, kept when the page is shown again. */
interface TeamForms {
  readonly member?: { readonly userId: string; readonly username: string; readonly role: string };
  readonly agreement?: AgreementForm;
  readonly compartment?: {
    readonly name: string;
    readonly description: string;
    readonly members: readonly string[];
  };
}

const checked = (on: boolean) => (on ? html` checked` : '');
const selected = (on: boolean) => (on ? html` selected` : '');

const categoryList = (
  t: Translate,
  locale: Parameters<typeof formatList>[0],
  list: readonly string[],
): string =>
  list.length === 0
    ? t('case.agreements.nothing')
    : formatList(
        locale,
        list.map((x) => t(`case.category.${x as Category}`)),
      );

/** The agreement's last day is today or already past (its end date counts as a day in force). */
const endedBy = (a: Agreement, today: string): boolean => a.endsOn !== null && a.endsOn <= today;

/** Notices after ending or changing an agreement (the shared list of confirmations has neither). */
const ENDED = 'agreement-ended';
const CHANGED = 'agreement-changed';

/** The form filled in with an agreement as it is saved, to change it. */
const agreementForm = (a: Agreement): AgreementForm => ({
  id: a.id,
  title: a.title,
  basisKind: a.basisKind,
  legalBasis: a.legalBasis,
  startsOn: a.startsOn,
  endsOn: a.endsOn ?? '',
  scope: a.scope,
  purposeLimitation: a.purposeLimitation,
  participants: new Map(
    a.participants.map((p) => [p.orgId as string, { on: true, country: p.country, receives: p.receives }]),
  ),
});

/** What the domain is given to save: the ticked organisations only. */
const agreementFields = (form: AgreementForm) => ({
  title: form.title,
  basisKind: form.basisKind,
  legalBasis: form.legalBasis,
  startsOn: form.startsOn,
  endsOn: form.endsOn,
  scope: form.scope,
  purposeLimitation: form.purposeLimitation,
  participants: [...form.participants]
    .filter(([, p]) => p.on)
    .map(([orgId, p]) => ({ orgId, country: p.country, receives: [...p.receives] })),
});

const roleOptions = (t: Translate, current: string): Html =>
  html`${CASE_ROLES.map((r) => html`<option value="${r}"${selected(r === current)}>${t(`case.role.${r}`)}</option>`)}`;

export const registerCaseTeam = (r: PageRoutes) => {
  const teamPage = async (
    c: Context<AppEnv>,
    view: CaseView,
    opts: { notices?: Notice[]; status?: number; forms?: TeamForms } = {},
  ) => {
    const t = c.get('t');
    const locale = c.get('locale');
    const actor = c.get('auth')!.actor;
    const cases = c.get('cases');
    const k = view.record;
    const manage = view.may['case.members'];
    const compart = view.may['case.compartments'];
    const [members, agreements, compartments, orgs, users] = await Promise.all([
      cases.members(actor, k.id),
      cases.agreements(actor, k.id),
      cases.compartments(actor, k.id),
      c.get('accounts').listOrganisations(actor),
      manage && can(actor, 'user.read') ? c.get('accounts').listUsers(actor) : Promise.resolve(undefined),
    ]);
    const orgName = new Map(orgs.map((o) => [o.id as string, o.name]));
    const memberName = new Map(members.map((m) => [m.userId as string, m.displayName]));
    const today = cases.access.today();
    const inForce = new Set(agreementsInForce(agreements, today).map((a) => a.id));
    const forms = opts.forms ?? {};

    // ── members ──
    const memberRow = (m: MemberView): Html =>
      html`<tr data-member="${m.userId}"><td>${m.displayName} <span class="muted ltr">${m.username}</span>${
        m.userId === actor.userId ? html` <span class="muted">${t('case.team.you')}</span>` : ''
      }</td><td>${m.orgName}${
        m.orgId === k.leadOrgId ? html` <span class="badge">${t('case.team.leadOrg')}</span>` : ''
      }</td><td data-role="${m.role}">${
        manage
          ? html`<form method="post" action="/cases/${k.id}/team/members/${m.userId}/role" class="inline-form">${csrfField(c)}<label for="role-${m.userId}" class="visually-hidden">${t(
              'case.team.roleOf',
              { name: m.displayName },
            )}</label><select id="role-${m.userId}" name="role">${roleOptions(t, m.role)}</select> <button type="submit" class="secondary">${t(
              'case.team.changeRole',
            )}</button></form>`
          : t(`case.role.${m.role}`)
      }</td><td>${formatDate(locale, m.addedAt)}</td>${
        manage
          ? html`<td><form method="post" action="/cases/${k.id}/team/members/${m.userId}/remove" class="inline-form">${csrfField(c)}<button type="submit" class="danger" aria-label="${t(
              'case.team.removeWho',
              { name: m.displayName },
            )}">${t('case.team.remove')}</button></form></td>`
          : ''
      }</tr>`;

    const candidates = (users ?? []).filter((u) => !u.disabled && !memberName.has(u.id));
    const byOrg = (list: readonly User[]) =>
      orgs
        .map((o) => ({ org: o, users: list.filter((u) => u.orgId === o.id) }))
        .filter((g) => g.users.length > 0);
    const mf = forms.member ?? { userId: '', username: '', role: 'investigator' };
    const addMember: Html = !manage
      ? ''
      : html`<h3>${t('case.team.add')}</h3><p class="muted">${t('case.team.addHelp')}</p>${
          users && candidates.length === 0
            ? html`<p class="muted" data-no-candidates>${t('case.team.noCandidates')}</p>`
            : html`<form method="post" action="/cases/${k.id}/team/members" id="add-member">${csrfField(c)}${
                users
                  ? html`<label for="m-user">${t('case.team.person')}</label><select id="m-user" name="userId" required>${byOrg(
                      candidates,
                    ).map(
                      (g) =>
                        html`<optgroup label="${g.org.name}">${g.users.map(
                          (u) =>
                            html`<option value="${u.id}"${selected(u.id === mf.userId)}>${u.displayName} (${u.username})</option>`,
                        )}</optgroup>`,
                    )}</select>`
                  : html`<label for="m-username">${t('case.team.username')}</label><input type="text" id="m-username" name="username" required maxlength="64" dir="ltr" autocomplete="off" value="${mf.username}" aria-describedby="m-username-help"><p class="muted" id="m-username-help">${t(
                      'case.team.usernameHelp',
                    )}</p>`
              }
<label for="m-role">${t('case.team.role')}</label><select id="m-role" name="role">${roleOptions(t, mf.role)}</select>
<button type="submit">${t('case.team.addButton')}</button></form>`
        }`;

    // ── agreements ──
    const agreementCard = (a: Agreement): Html =>
      html`<article class="agreement" data-agreement="${a.id}"><h3 dir="auto">${a.title} ${
        inForce.has(a.id)
          ? html`<span class="badge badge-ok">${t('case.agreements.inForce')}</span>`
          : html`<span class="badge">${t('case.agreements.notInForce')}</span>`
      }</h3>
<dl class="facts">
<dt>${t('case.agreements.kind')}</dt><dd>${t(`case.basis.${a.basisKind}`)}</dd>
<dt>${t('case.field.legalBasis')}</dt><dd class="prose" dir="auto">${a.legalBasis || '—'}</dd>
<dt>${t('case.agreements.period')}</dt><dd>${
        a.endsOn
          ? t('case.agreements.fromTo', {
              start: formatDay(locale, a.startsOn),
              end: formatDay(locale, a.endsOn),
            })
          : t('case.agreements.from', { start: formatDay(locale, a.startsOn) })
      }</dd>
<dt>${t('case.agreements.scope')}</dt><dd class="prose" dir="auto">${a.scope || '—'}</dd>
<dt>${t('case.agreements.purpose')}</dt><dd class="prose" dir="auto">${a.purposeLimitation || '—'}</dd>
</dl>
<div class="table-scroll"><table><caption class="visually-hidden">${t('case.agreements.participants')}</caption><thead><tr><th>${t(
        'case.team.organisation',
      )}</th><th>${t('case.agreements.country')}</th><th>${t('case.agreements.receives')}</th></tr></thead><tbody>${a.participants.map(
        (p) =>
          html`<tr data-participant="${p.orgId}"><td>${orgName.get(p.orgId) ?? p.orgId}</td><td><span class="ltr">${p.country}</span></td><td>${categoryList(
            t,
            locale,
            p.receives,
          )}</td></tr>`,
      )}</tbody></table></div>${
        // Changing and ending are offered while the agreement has not ended yet (changing an ended
        // one could bring it back into force); the domain refuses to end one that has not started.
        manage && !endedBy(a, today)
          ? html`<p><a href="/cases/${k.id}/team?agreement=${a.id}#agreement-form" class="change-agreement" aria-label="${t(
              'case.agreements.changeWhich',
              { title: a.title },
            )}">${t('case.agreements.change')}</a></p><form method="post" action="/cases/${k.id}/team/agreements/${a.id}/end" class="end-agreement">${csrfField(c)}<p class="muted" id="end-help-${a.id}">${t(
              'case.agreements.endTodayHelp',
            )}</p><button type="submit" class="danger" aria-describedby="end-help-${a.id}">${t(
              'case.agreements.endToday',
            )}</button></form>`
          : ''
      }</article>`;

    // The agreement being changed, if the form is for one of this case that has not ended; a form
    // for any other is not shown filled in (it would record a new agreement with its values).
    const changing = forms.agreement?.id
      ? agreements.find((a) => a.id === forms.agreement?.id && !endedBy(a, today))
      : undefined;
    const af = forms.agreement?.id && !changing ? undefined : forms.agreement;
    const participantFields = (o: Organisation, i: number): Html => {
      const v = af?.participants.get(o.id) ?? { on: false, country: o.country, receives: [] };
      return html`<fieldset class="participant" data-org="${o.id}"><legend>${o.name}</legend>
<div><input type="checkbox" id="a-p${i}" name="participants" value="${o.id}"${checked(v.on)}> <label for="a-p${i}">${t(
        'case.agreements.participates',
      )}</label></div>
<label for="a-c${i}" class="field">${t('case.agreements.country')}</label><input type="text" id="a-c${i}" name="country.${o.id}" value="${v.country}" maxlength="2" dir="ltr" class="short" aria-describedby="a-country-help">
<fieldset><legend>${t('case.agreements.receives')}</legend>${DATA_CATEGORIES.map(
        (cat) =>
          html`<div><input type="checkbox" id="a-r${i}-${cat}" name="receives.${o.id}" value="${cat}"${checked(
            v.receives.includes(cat),
          )}> <label for="a-r${i}-${cat}">${t(`case.category.${cat}`)}</label></div>`,
      )}</fieldset>${o.id === k.leadOrgId ? html`<p class="muted">${t('case.agreements.leadSeesAll')}</p>` : ''}</fieldset>`;
    };
    // One form for a new agreement and for changing one: only its heading, target and button differ.
    const formStart: Html = changing
      ? html`<h3 id="agreement-form">${t('case.agreements.changeWhich', { title: changing.title })}</h3>
<p class="muted">${t('case.agreements.changeHelp')}</p>
<form method="post" action="/cases/${k.id}/team/agreements/${changing.id}" id="change-agreement">`
      : html`<h3 id="agreement-form">${t('case.agreements.new')}</h3>
<form method="post" action="/cases/${k.id}/team/agreements" id="record-agreement">`;
    const formEnd: Html = changing
      ? html`<button type="submit">${t('case.agreements.save')}</button> <a href="/cases/${k.id}/team#agreements">${t(
          'case.agreements.cancel',
        )}</a>`
      : html`<button type="submit">${t('case.agreements.record')}</button>`;
    const recordAgreement: Html = !manage
      ? ''
      : html`${formStart}${csrfField(c)}
<label for="a-title">${t('case.agreements.name')}</label><input type="text" id="a-title" name="title" required maxlength="300" value="${af?.title ?? ''}">
<label for="a-kind">${t('case.agreements.kind')}</label><select id="a-kind" name="basisKind">${BASIS_KINDS.map(
          (b) => html`<option value="${b}"${selected(b === af?.basisKind)}>${t(`case.basis.${b}`)}</option>`,
        )}</select>
<label for="a-legal">${t('case.field.legalBasis')}</label><textarea id="a-legal" name="legalBasis" maxlength="2000">${af?.legalBasis ?? ''}</textarea>
<label for="a-start">${t('case.agreements.startsOn')}</label><input type="date" id="a-start" name="startsOn" required value="${af?.startsOn ?? ''}">
<label for="a-end">${t('case.agreements.endsOn')}</label><input type="date" id="a-end" name="endsOn" value="${af?.endsOn ?? ''}" aria-describedby="a-end-help">
<p class="muted" id="a-end-help">${t('case.agreements.endsOnHelp')}</p>
<label for="a-scope">${t('case.agreements.scope')}</label><textarea id="a-scope" name="scope" maxlength="4000">${af?.scope ?? ''}</textarea>
<label for="a-purpose">${t('case.agreements.purpose')}</label><textarea id="a-purpose" name="purposeLimitation" maxlength="4000">${af?.purposeLimitation ?? ''}</textarea>
<fieldset><legend>${t('case.agreements.participants')}</legend><p class="muted">${t('case.agreements.participantsHelp')}</p>
<p class="muted" id="a-country-help">${t('case.agreements.countryHelp')}</p>
<div class="participants">${orgs.map(participantFields)}</div></fieldset>
${formEnd}</form>`;

    // ── compartments ──
    const memberBoxes = (prefix: string, chosen: readonly string[]): Html =>
      html`${members.map(
        (m) =>
          html`<div><input type="checkbox" id="${prefix}-${m.userId}" name="members" value="${m.userId}"${checked(
            chosen.includes(m.userId),
          )}> <label for="${prefix}-${m.userId}">${m.displayName} <span class="muted">(${m.orgName})</span></label></div>`,
      )}`;
    const compartmentCard = (x: Compartment): Html =>
      html`<article class="compartment" data-compartment="${x.id}"><h3 dir="auto">${x.name}</h3>${
        x.description ? html`<p class="prose" dir="auto">${x.description}</p>` : ''
      }${
        compart
          ? html`<form method="post" action="/cases/${k.id}/team/compartments/${x.id}/members">${csrfField(c)}<fieldset><legend>${t(
              'case.compartments.members',
            )}</legend>${memberBoxes(`k-${x.id}`, x.members)}</fieldset><button type="submit" class="secondary">${t(
              'case.compartments.save',
            )}</button></form>`
          : html`<p><strong>${t('case.compartments.members')}:</strong> ${
              x.members.length === 0
                ? t('case.compartments.nobody')
                : formatList(
                    locale,
                    x.members.map((id) => memberName.get(id) ?? t('case.history.formerMember')),
                  )
            }</p>`
      }</article>`;
    const cf = forms.compartment ?? { name: '', description: '', members: [] };
    const createCompartment: Html = !compart
      ? ''
      : html`<h3>${t('case.compartments.new')}</h3><p class="muted">${t('case.compartments.newHelp')}</p>
<form method="post" action="/cases/${k.id}/team/compartments" id="create-compartment">${csrfField(c)}
<label for="k-name">${t('case.compartments.name')}</label><input type="text" id="k-name" name="name" required maxlength="100" value="${cf.name}">
<label for="k-description">${t('case.compartments.description')}</label><textarea id="k-description" name="description" maxlength="2000">${cf.description}</textarea>
<fieldset><legend>${t('case.compartments.members')}</legend>${memberBoxes('k-new', cf.members)}</fieldset>
<button type="submit">${t('case.compartments.create')}</button></form>`;

    return page(c, {
      title: t('case.team.title', { title: k.title }),
      notices: [
        ...doneNotices(c),
        ...(c.req.query('done') === ENDED
          ? [{ kind: 'info' as const, text: t('case.done.agreementEnded') }]
          : []),
        ...(c.req.query('done') === CHANGED
          ? [{ kind: 'info' as const, text: t('case.done.agreementChanged') }]
          : []),
        ...(opts.notices ?? []),
      ],
      status: opts.status ?? 200,
      body: html`<p><a href="/cases/${k.id}">${t('case.back')}</a></p>
<section class="card" id="members"><h2>${t('case.team.members')}</h2>
<div class="table-scroll"><table class="members"><thead><tr><th>${t('case.team.name')}</th><th>${t('case.team.organisation')}</th><th>${t(
        'case.team.role',
      )}</th><th>${t('case.team.since')}</th>${manage ? html`<th>${t('case.team.change')}</th>` : ''}</tr></thead><tbody>
${members.map(memberRow)}</tbody></table></div>
${addMember}</section>
<section class="card" id="agreements"><h2>${t('case.agreements.title')}</h2>${
        agreements.length === 0
          ? html`<p class="muted" data-empty>${t('case.agreements.none')}</p>`
          : agreements.map(agreementCard)
      }${recordAgreement}</section>
<section class="card" id="compartments"><h2>${t('case.compartments.title')}</h2><p class="muted">${t('case.compartments.intro')}</p>${
        compartments.length === 0
          ? html`<p class="muted" data-empty>${t('case.compartments.none')}</p>`
          : compartments.map(compartmentCard)
      }${createCompartment}</section>`,
    });
  };

  /** Runs a change; on a refusal shows the team page again with what went wrong. */
  const change = async (
    c: Context<AppEnv>,
    run: (view: CaseView, body: Body) => Promise<string>,
    keep: (body: Body) => TeamForms = () => ({}),
  ) => {
    const view = await loadView(c);
    if (!view) return caseNotFound(c);
    const body = await readForm(c);
    try {
      const done = await run(view, body);
      return c.redirect(`/cases/${view.record.id}/team?${done}`, 303);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return teamPage(c, view, {
        notices: [errorNotice(c.get('t'), e)],
        status: statusFor(e),
        forms: keep(body),
      });
    }
  };

  const forbidden = () => new AccordError('forbidden', 'not allowed on this case');

  /**
   * An agreement of this case that a lead may still change or end: refused for anyone else, for
   * an id that is not one of the case's agreements, and for an agreement that has already ended.
   */
  const openAgreement = async (c: Context<AppEnv>, view: CaseView, id: string): Promise<Agreement> => {
    if (!view.may['case.members']) throw forbidden();
    const cases = c.get('cases');
    const a = isUuid(id)
      ? (await cases.agreements(c.get('auth')!.actor, view.record.id)).find((x) => x.id === id)
      : undefined;
    if (!a) {
      throw new AccordError('not_found', `there is no agreement ${id} in this case`, {
        context: { reason: 'unknown_agreement' },
      });
    }
    // Saving an agreement that ended earlier with a later end date would bring it back into force.
    if (endedBy(a, cases.access.today())) {
      throw new AccordError('conflict', 'this agreement has already ended', {
        context: { reason: 'agreement_ended' },
      });
    }
    return a;
  };

  r.get('/cases/:caseId/team', 'case.read', async (c) => {
    const view = await loadView(c);
    if (!view) return caseNotFound(c);
    const id = c.req.query('agreement');
    if (id === undefined) return teamPage(c, view);
    // The form filled in with the agreement to change.
    try {
      return teamPage(c, view, { forms: { agreement: agreementForm(await openAgreement(c, view, id)) } });
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return teamPage(c, view, { notices: [errorNotice(c.get('t'), e)], status: statusFor(e) });
    }
  });

  r.post('/cases/:caseId/team/members', 'case.read', (c) =>
    change(
      c,
      async (view, body) => {
        // Refused before any name is looked up: a username field must not be a way to probe accounts.
        if (!view.may['case.members']) throw forbidden();
        const actor = c.get('auth')!.actor;
        let userId = one(body, 'userId');
        const username = one(body, 'username');
        if (!userId && username.trim() !== '') {
          userId = (await c.get('accounts').findUserByUsername(username)).id;
        }
        await c.get('cases').putMember(actor, view.record.id, { userId, role: one(body, 'role') });
        return 'done=member-added#members';
      },
      (body) => ({
        member: { userId: one(body, 'userId'), username: one(body, 'username'), role: one(body, 'role') },
      }),
    ),
  );

  r.post('/cases/:caseId/team/members/:userId/role', 'case.read', (c) =>
    change(c, async (view, body) => {
      const actor = c.get('auth')!.actor;
      const userId = c.req.param('userId') ?? '';
      if (!view.may['case.members']) throw forbidden();
      const members = await c.get('cases').members(actor, view.record.id);
      if (!members.some((m) => m.userId === userId)) {
        throw new AccordError('not_found', 'this user is not a member of the case');
      }
      await c.get('cases').putMember(actor, view.record.id, { userId, role: one(body, 'role') });
      return 'done=role-changed#members';
    }),
  );

  r.post('/cases/:caseId/team/members/:userId/remove', 'case.read', (c) =>
    change(c, async (view) => {
      await c.get('cases').removeMember(c.get('auth')!.actor, view.record.id, c.req.param('userId'));
      return 'done=member-removed#members';
    }),
  );

  const readAgreement = (body: Body): AgreementForm => {
    const chosen = new Set(many(body, 'participants'));
    const participants = new Map<string, ParticipantForm>();
    for (const key of Object.keys(body)) {
      const m = /^(country|receives)\.(.+)$/.exec(key);
      if (m?.[2] && !participants.has(m[2])) {
        participants.set(m[2], {
          on: chosen.has(m[2]),
          country: one(body, `country.${m[2]}`),
          receives: many(body, `receives.${m[2]}`),
        });
      }
    }
    for (const id of chosen) {
      if (!participants.has(id)) participants.set(id, { on: true, country: '', receives: [] });
    }
    return {
      title: one(body, 'title'),
      basisKind: one(body, 'basisKind'),
      legalBasis: one(body, 'legalBasis'),
      startsOn: one(body, 'startsOn'),
      endsOn: one(body, 'endsOn'),
      scope: one(body, 'scope'),
      purposeLimitation: one(body, 'purposeLimitation'),
      participants,
    };
  };

  r.post('/cases/:caseId/team/agreements', 'case.read', (c) =>
    change(
      c,
      async (view, body) => {
        await c
          .get('cases')
          .saveAgreement(c.get('auth')!.actor, view.record.id, agreementFields(readAgreement(body)));
        return 'done=agreement-recorded#agreements';
      },
      (body) => ({ agreement: readAgreement(body) }),
    ),
  );

  // Changes an agreement: saved again under its id with what the form says.
  r.post('/cases/:caseId/team/agreements/:agreementId', 'case.read', (c) =>
    change(
      c,
      async (view, body) => {
        const a = await openAgreement(c, view, c.req.param('agreementId') ?? '');
        await c
          .get('cases')
          .saveAgreement(c.get('auth')!.actor, view.record.id, agreementFields(readAgreement(body)), a.id);
        return `done=${CHANGED}#agreements`;
      },
      (body) => ({ agreement: { ...readAgreement(body), id: c.req.param('agreementId') ?? '' } }),
    ),
  );

  // Ends an agreement today: the same agreement saved again with today (UTC) as its end date.
  r.post('/cases/:caseId/team/agreements/:agreementId/end', 'case.read', (c) =>
    change(c, async (view) => {
      const a = await openAgreement(c, view, c.req.param('agreementId') ?? '');
      const cases = c.get('cases');
      await cases.saveAgreement(
        c.get('auth')!.actor,
        view.record.id,
        agreementFields({ ...agreementForm(a), endsOn: cases.access.today() }),
        a.id,
      );
      return `done=${ENDED}#agreements`;
    }),
  );

  r.post('/cases/:caseId/team/compartments', 'case.read', (c) =>
    change(
      c,
      async (view, body) => {
        await c.get('cases').createCompartment(c.get('auth')!.actor, view.record.id, {
          name: one(body, 'name'),
          description: one(body, 'description'),
          members: many(body, 'members'),
        });
        return 'done=compartment-created#compartments';
      },
      (body) => ({
        compartment: {
          name: one(body, 'name'),
          description: one(body, 'description'),
          members: many(body, 'members'),
        },
      }),
    ),
  );

  r.post('/cases/:caseId/team/compartments/:compartmentId/members', 'case.read', (c) =>
    change(c, async (view, body) => {
      const actor = c.get('auth')!.actor;
      const id = c.req.param('compartmentId') ?? '';
      // Only a compartment of this case, and one the reader sees.
      const visible = isUuid(id) ? await c.get('cases').compartments(actor, view.record.id) : [];
      if (!visible.some((x) => x.id === id))
        throw new AccordError('not_found', `there is no compartment ${id}`);
      await c.get('cases').setCompartmentMembers(actor, id, many(body, 'members'));
      return 'done=compartment-members#compartments';
    }),
  );
};
