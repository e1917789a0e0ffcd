import {
  AccordError,
  type CaseView,
  CONSENT_PURPOSES,
  CONSENT_STATES,
  type Compartment,
  type ConsentEvent,
  type ConsentState,
  type ItemRecord,
  isAccordError,
  type LegalCatalogue,
  type Locale,
  RISK_LEVELS,
  type RiskAssessment,
  type Statement,
  WITNESS_KINDS,
  type Witness,
  type WitnessView,
} from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import type { MessageKey, Translate } from '../i18n/index.ts';
import { csrfField, describeError, formatDate, type Html, type Notice, page } from '../layout.ts';
import {
  caseNotFound,
  formatDay,
  formatList,
  jurisdictionChoices,
  jurisdictionName,
  loadView,
  statusFor,
} from './case-common.ts';
import type { PageRoutes } from './index.ts';
import { caseNav, doneNotices, type Form, field, formValue, itemOption, selected } from './matrix.ts';

/**
 * Witnesses for people: a list per case (by pseudonym, with the consent that stands today) and a
 * page per witness with the consent history, the statements ("tell it once") and — only for
 * protection officers inside the protection compartment, when the Witnesses service includes them
 * in its answer — the real identity and the risk assessments. Nothing else on any page shows the
 * identity. Every change is a plain form (POST, then a redirect back); no script is needed.
 */

const WITNESS_DONE: Readonly<Record<string, MessageKey>> = {
  created: 'witness.done.created',
  consent: 'witness.done.consent',
  statement: 'witness.done.statement',
  identity: 'witness.done.identity',
  risk: 'witness.done.risk',
};

/** The forms of these pages: which one a refusal belongs to decides the words and the draft. */
type WitnessForm = 'create' | 'consent' | 'statement' | 'identity' | 'risk';

interface Shown {
  readonly notices?: Notice[];
  readonly status?: number;
  readonly draft?: Form;
  readonly form?: WitnessForm;
}

// ── refusals in the reader's words ───────────────────────────────────────────────────────────

const FIELD_LABELS: Readonly<Record<string, MessageKey>> = {
  pseudonym: 'witness.pseudonym',
  kind: 'witness.kind',
  languages: 'witness.languages',
  note: 'witness.note',
  purpose: 'witness.purpose',
  scope: 'witness.scope',
  state: 'witness.state',
  itemId: 'witness.item',
  takenOn: 'witness.takenOn',
  takenBy: 'witness.takenBy',
  orgId: 'witness.organisation',
  language: 'witness.language',
  interpreter: 'witness.interpreter',
  compartmentId: 'witness.compartment',
  fullName: 'witness.fullName',
  otherNames: 'witness.otherNames',
  dateOfBirth: 'witness.dateOfBirth',
  contact: 'witness.contact',
  address: 'witness.address',
  level: 'witness.risk.level',
  assessedOn: 'witness.risk.assessedOn',
  threats: 'witness.risk.threats',
  measures: 'witness.risk.measures',
  reviewOn: 'witness.risk.reviewOn',
};

/**
 * A domain refusal for someone who just sent one of these forms: in their language, with the
 * field to check. The few refusals without a stable reason are recognised by their field.
 */
const explain = (t: Translate, e: AccordError, form: WitnessForm): string => {
  const name = typeof e.context.field === 'string' ? e.context.field : undefined;
  const label = name && Object.hasOwn(FIELD_LABELS, name) ? FIELD_LABELS[name] : undefined;
  const reason = e.context.reason;
  if (form === 'identity' || form === 'risk') {
    // Whether a compartment exists is not told to anyone outside it.
    if (e.code === 'forbidden' || e.code === 'not_found') return t('witness.error.protectOnly');
  }
  if (reason === 'witness_pseudonym') return t('witness.error.pseudonym');
  if (
    form === 'consent' &&
    (name === 'scope' || e.code === 'not_found' || (e.code === 'invalid_input' && !name))
  )
    return t('witness.error.scope');
  if (form === 'statement' && (name === 'itemId' || /^there is no evidence item /.test(e.message)))
    return t('witness.error.item');
  if (reason === undefined && name === 'languages') return t('witness.error.languages');
  if (reason === undefined && name === 'language') return t('witness.error.language');
  if (reason === undefined && name === 'reviewOn') return t('witness.error.reviewBeforeAssessment');
  if (reason === 'bad_date' && label) return t('witness.error.badDate', { field: t(label) });
  if (e.code === 'not_found') return t('matrix.notFoundInForm');
  if (e.code === 'forbidden') return t('case.error.forbidden');
  const base = describeError(t, e);
  return label ? `${base} ${t('matrix.checkField', { field: t(label) })}` : base;
};

const refusedHere = () => new AccordError('forbidden', 'not allowed on this case');

/**
 * A form action: runs it and redirects (303) to the address it returns; a refusal shows the page
 * again with the reason and what was entered. The CSRF token was checked by the guard.
 */
const formAction =
  (
    form: WitnessForm,
    run: (c: Context<AppEnv>, body: Form) => Promise<string>,
    rerender: (c: Context<AppEnv>, opts: Shown) => Promise<Response>,
  ) =>
  async (c: Context<AppEnv>): Promise<Response> => {
    const body = (await c.req.parseBody({ all: true })) as Form;
    try {
      return c.redirect(await run(c, body), 303);
    } catch (e) {
      if (!isAccordError(e) || e.code === 'config' || e.code === 'integrity') throw e;
      return rerender(c, {
        notices: [{ kind: 'error', text: explain(c.get('t'), e, form) }],
        status: statusFor(e),
        draft: body,
        form,
      });
    }
  };

/** The page for a member whose role on the case does not let them see its witnesses. */
const witnessesForbidden = (c: Context<AppEnv>, caseId?: string) => {
  const t = c.get('t');
  return page(c, {
    title: t('error.forbidden'),
    notices: [{ kind: 'error', text: t('witness.error.forbidden') }],
    status: 403,
    body: caseId
      ? html`<p><a href="/cases/${caseId}">${t('case.back')}</a></p>`
      : html`<p><a href="/cases">${t('case.backToList')}</a></p>`,
  });
};

// ── words ────────────────────────────────────────────────────────────────────────────────────

/** A language tag in the reader's words, with the tag: "Ukrainian (uk)". */
const languageName = (locale: Locale, tag: string): string => {
  try {
    const name = new Intl.DisplayNames([locale], { type: 'language', fallback: 'code' }).of(tag);
    return name && name !== tag ? `${name} (${tag})` : tag;
  } catch {
    return tag;
  }
};

const languageList = (locale: Locale, tags: readonly string[]): string =>
  tags.length === 0
    ? '—'
    : formatList(
        locale,
        tags.map((l) => languageName(locale, l)),
      );

interface Names {
  readonly legal: LegalCatalogue;
  readonly org: ReadonlyMap<string, string>;
  readonly user: (id: string | null) => string;
}

/** The scope of a consent: the jurisdiction or the organisation it names ("" when none). */
const scopeText = (t: Translate, names: Names, purpose: string, scope: string): string => {
  if (scope === '') return '';
  if (purpose === 'prosecution') return `${jurisdictionName(t, names.legal, scope)} (${scope})`;
  if (purpose === 'sharing') return names.org.get(scope) ?? scope;
  return scope;
};

const purposeText = (t: Translate, names: Names, c: Pick<ConsentState, 'purpose' | 'scope'>): string => {
  const purpose = t(`witness.purpose.${c.purpose}`);
  const scope = scopeText(t, names, c.purpose, c.scope);
  return scope ? t('witness.purposeWithScope', { purpose, scope }) : purpose;
};

const stateBadge = (t: Translate, state: ConsentState['state']): Html =>
  html`<span class="badge ${state === 'given' ? 'badge-ok' : 'badge-danger'}">${t(`witness.state.${state}`)}</span>`;

/** The consent that stands, one line per purpose and scope. */
const consentSummary = (t: Translate, names: Names, current: readonly ConsentState[]): Html =>
  current.length === 0
    ? html`<span class="muted">${t('witness.consentNone')}</span>`
    : html`<ul class="plain consent">${[...current]
        .sort(
          (a, b) =>
            CONSENT_PURPOSES.indexOf(a.purpose) - CONSENT_PURPOSES.indexOf(b.purpose) ||
            a.scope.localeCompare(b.scope),
        )
        .map(
          (s) =>
            html`<li data-consent="${s.purpose}:${s.scope}:${s.state}"><span dir="auto">${purposeText(t, names, s)}</span> ${stateBadge(
              t,
              s.state,
            )}</li>`,
        )}</ul>`;

/** Names of the organisations of the node and of the members of the case, for the pages. */
const namesFor = async (c: Context<AppEnv>, caseId: string): Promise<Names> => {
  const t = c.get('t');
  const actor = c.get('auth')!.actor;
  const [orgs, members] = await Promise.all([
    c.get('accounts').listOrganisations(actor),
    c.get('cases').members(actor, caseId),
  ]);
  const userName = new Map(members.map((m) => [m.userId as string, m.displayName]));
  return {
    legal: c.get('node').legal,
    org: new Map(orgs.map((o) => [o.id as string, o.name])),
    user: (id) =>
      id === null ? t('case.history.operator') : (userName.get(id) ?? t('case.history.formerMember')),
  };
};

// ── /cases/:caseId/witnesses ─────────────────────────────────────────────────────────────────

const listPage = async (c: Context<AppEnv>, opts: Shown = {}): Promise<Response> => {
  const t = c.get('t');
  const locale = c.get('locale');
  const actor = c.get('auth')!.actor;
  const service = c.get('node').witnesses;
  const view = await loadView(c);
  if (!view) return caseNotFound(c);
  const caseId = view.record.id;
  let list: Witness[];
  try {
    list = await service.list(actor, caseId);
  } catch (e) {
    if (isAccordError(e) && (e.code === 'not_found' || e.code === 'invalid_input')) return caseNotFound(c);
    if (isAccordError(e) && e.code === 'forbidden') return witnessesForbidden(c, caseId);
    throw e;
  }
  const edit = view.may['witness.edit'];
  const [views, names, due] = await Promise.all([
    Promise.all(list.map((w) => service.view(actor, w.id))),
    namesFor(c, caseId),
    view.may['witness.protect'] ? service.reviewsDue(actor, caseId) : Promise.resolve(undefined),
  ]);
  const d = opts.form === 'create' ? opts.draft : undefined;

  const table = html`<div class="table-scroll"><table class="witnesses"><thead><tr><th scope="col">${t('witness.pseudonym')}</th><th scope="col">${t(
    'witness.kind',
  )}</th><th scope="col">${t('witness.languages')}</th><th scope="col">${t('witness.consent')}</th><th scope="col">${t(
    'witness.recordedOn',
  )}</th></tr></thead><tbody>
${views.map(
  ({ witness: w, current }) =>
    html`<tr data-witness="${w.id}"><th scope="row"><a href="/witnesses/${w.id}" class="ltr">${w.pseudonym}</a></th><td>${t(
      `witness.kind.${w.kind}`,
    )}</td><td>${languageList(locale, w.languages)}</td><td>${consentSummary(t, names, current)}</td><td>${formatDate(
      locale,
      w.createdAt,
    )}</td></tr>`,
)}</tbody></table></div>`;

  const reviews: Html =
    due === undefined
      ? ''
      : html`<section class="card" id="reviews-due" aria-labelledby="h-due"><h2 id="h-due">${t('witness.reviewsDue')}</h2>
<p class="muted">${t('witness.reviewsDueIntro')}</p>${
          due.length === 0
            ? html`<p class="muted" data-empty>${t('witness.reviewsNone')}</p>`
            : html`<div class="table-scroll"><table class="reviews-due"><thead><tr><th scope="col">${t('witness.pseudonym')}</th><th scope="col">${t(
                'witness.risk.level',
              )}</th><th scope="col">${t('witness.risk.assessedOn')}</th><th scope="col">${t('witness.risk.reviewOn')}</th></tr></thead><tbody>
${due.map(
  ({ witness: w, risk }) =>
    html`<tr data-due="${w.id}"><th scope="row"><a href="/witnesses/${w.id}#risks" class="ltr">${w.pseudonym}</a></th><td>${riskLevel(
      t,
      risk,
    )}</td><td>${formatDay(locale, risk.assessedOn)}</td><td>${formatDay(locale, risk.reviewOn)}</td></tr>`,
)}</tbody></table></div>`
        }</section>`;

  const newWitness: Html = !edit
    ? ''
    : html`<details class="card" id="new-witness"${d ? ' open' : ''}><summary>${t('witness.new')}</summary>
<form method="post" action="/cases/${caseId}/witnesses">${csrfField(c)}
<label for="w-pseudonym">${t('witness.pseudonym')}</label><input type="text" id="w-pseudonym" name="pseudonym" maxlength="40" dir="ltr" autocomplete="off" placeholder="W-0001" value="${formValue(
        d,
        'pseudonym',
        '',
      )}" aria-describedby="w-pseudonym-help"><p class="muted" id="w-pseudonym-help">${t('witness.pseudonymHelp')}</p>
<label for="w-kind">${t('witness.kind')}</label><select id="w-kind" name="kind">${WITNESS_KINDS.map(
        (k) =>
          html`<option value="${k}"${selected(formValue(d, 'kind', 'witness') === k)}>${t(`witness.kind.${k}`)}</option>`,
      )}</select>
<label for="w-languages">${t('witness.languages')}</label><input type="text" id="w-languages" name="languages" maxlength="400" dir="ltr" autocomplete="off" placeholder="uk, ru" value="${formValue(
        d,
        'languages',
        '',
      )}" aria-describedby="w-languages-help"><p class="muted" id="w-languages-help">${t('witness.languagesHelp')}</p>
<label for="w-note">${t('witness.note')}</label><textarea id="w-note" name="note" maxlength="4000" dir="auto" aria-describedby="w-note-help">${formValue(
        d,
        'note',
        '',
      )}</textarea><p class="muted" id="w-note-help">${t('witness.noteHelp')}</p>
<button type="submit">${t('witness.create')}</button></form></details>`;

  return page(c, {
    title: t('witness.listTitleOf', { case: view.record.title }),
    notices: [...doneNotices(c, WITNESS_DONE), ...(opts.notices ?? [])],
    status: opts.status ?? 200,
    body: html`${caseNav(c, view)}
<p class="intro">${t('witness.intro')}</p>
${list.length === 0 ? html`<p class="muted" data-empty>${t('witness.none')}</p>` : table}
${reviews}
${newWitness}`,
  });
};

const riskLevel = (t: Translate, r: RiskAssessment): Html =>
  html`<span class="badge ${r.level === 'low' ? 'badge-ok' : r.level === 'medium' ? 'badge-pending' : 'badge-danger'}" data-level="${r.level}">${t(
    `witness.risk.level.${r.level}`,
  )}</span>`;

// ── /witnesses/:id ───────────────────────────────────────────────────────────────────────────

/** The case's evidence the reader may see, for the statement form and the statements' links. */
const caseItems = async (c: Context<AppEnv>, caseId: string): Promise<ItemRecord[]> => {
  try {
    const listed = await c
      .get('node')
      .evidence.list(c.get('auth')!.actor, { caseId: caseId as ItemRecord['caseId'], limit: 200 });
    return listed.items;
  } catch (e) {
    if (isAccordError(e)) return [];
    throw e;
  }
};

/** Compartments one can file an identity in: those one is a member of. */
const ownCompartments = (c: Context<AppEnv>, all: readonly Compartment[]): Compartment[] => {
  const me = c.get('auth')!.actor.userId;
  return all.filter((k) => k.members.includes(me));
};

const fact = (label: string, value: Html | string) => html`<dt>${label}</dt><dd>${value}</dd>`;

const consentSection = (
  c: Context<AppEnv>,
  wv: WitnessView,
  names: Names,
  orgs: readonly { id: string; name: string }[],
  draft: Form | undefined,
): Html => {
  const t = c.get('t');
  const locale = c.get('locale');
  const w = wv.witness;
  const row = (e: ConsentEvent) =>
    html`<tr data-seq="${e.seq}"><td><time datetime="${e.at}">${formatDate(locale, e.at)}</time></td><td>${t(
      `witness.purpose.${e.purpose}`,
    )}</td><td dir="auto">${scopeText(t, names, e.purpose, e.scope) || '—'}</td><td>${stateBadge(t, e.state)}</td><td>${
      e.via === 'survivor'
        ? t('witness.via.survivor')
        : t('witness.via.advocate', { name: names.user(e.recordedBy) })
    }</td><td dir="auto" class="prose">${e.note}</td></tr>`;
  const scope = formValue(draft, 'scope', '');
  const form: Html = !wv.may.edit
    ? ''
    : html`<details class="subform"${draft ? ' open' : ''}><summary>${t('witness.recordConsent')}</summary>
<form method="post" action="/witnesses/${w.id}/consent" id="record-consent">${csrfField(c)}
<p class="muted">${t('witness.recordConsentHelp')}</p>
<label for="k-purpose">${t('witness.purpose')}</label><select id="k-purpose" name="purpose">${CONSENT_PURPOSES.map(
        (p) =>
          html`<option value="${p}"${selected(formValue(draft, 'purpose', 'investigation') === p)}>${t(`witness.purpose.${p}`)}</option>`,
      )}</select>
<label for="k-scope">${t('witness.scope')}</label><select id="k-scope" name="scope"><option value="">${t('witness.scopeNone')}</option>
<optgroup label="${t('witness.scopeJurisdictions')}">${jurisdictionChoices(names.legal).map(
        (code) =>
          html`<option value="${code}"${selected(scope === code)}>${jurisdictionName(t, names.legal, code)} (${code})</option>`,
      )}</optgroup>
<optgroup label="${t('witness.scopeOrganisations')}">${orgs.map(
        (o) => html`<option value="${o.id}"${selected(scope === o.id)}>${o.name}</option>`,
      )}</optgroup></select>
<fieldset><legend>${t('witness.state')}</legend>${CONSENT_STATES.map(
        (s) =>
          html`<div><input type="radio" id="k-state-${s}" name="state" value="${s}"${
            formValue(draft, 'state', 'given') === s ? ' checked' : ''
          }> <label for="k-state-${s}">${t(`witness.state.${s}`)}</label></div>`,
      )}</fieldset>
<label for="k-note">${t('witness.note')}</label><textarea id="k-note" name="note" maxlength="2000" dir="auto">${formValue(
        draft,
        'note',
        '',
      )}</textarea>
<button type="submit">${t('witness.recordConsentButton')}</button></form></details>`;
  return html`<section class="card" id="consent" aria-labelledby="h-consent"><h2 id="h-consent">${t('witness.consentTitle')}</h2>
<p class="muted">${t('witness.consentIntro')}</p>
<h3>${t('witness.consent')}</h3>
${consentSummary(t, names, wv.current)}
<h3>${t('witness.consentHistory')}</h3>
${
  wv.consent.length === 0
    ? html`<p class="muted">${t('witness.consentNone')}</p>`
    : html`<div class="table-scroll"><table class="consent-history"><thead><tr><th scope="col">${t('witness.at')}</th><th scope="col">${t(
        'witness.purpose',
      )}</th><th scope="col">${t('witness.scope')}</th><th scope="col">${t('witness.state')}</th><th scope="col">${t(
        'witness.recordedBy',
      )}</th><th scope="col">${t('witness.note')}</th></tr></thead><tbody>
${[...wv.consent].sort((a, b) => a.seq - b.seq).map(row)}</tbody></table></div>`
}
${form}</section>`;
};

const statementsSection = (
  c: Context<AppEnv>,
  wv: WitnessView,
  names: Names,
  orgs: readonly { id: string; name: string }[],
  items: readonly ItemRecord[],
  draft: Form | undefined,
): Html => {
  const t = c.get('t');
  const locale = c.get('locale');
  const w = wv.witness;
  const title = new Map(items.map((i) => [i.id as string, i.title]));
  const row = (s: Statement) =>
    html`<tr data-statement="${s.id}"><td>${formatDay(locale, s.takenOn)}</td><td dir="auto">${s.takenBy}</td><td>${
      names.org.get(s.orgId) ?? '—'
    }</td><td>${languageName(locale, s.language)}</td><td dir="auto">${s.interpreter || '—'}</td><td>${consentSummary(
      t,
      names,
      s.consentAtTime,
    )}</td><td>${
      s.itemId
        ? html`<a href="/evidence/${s.itemId}" dir="auto" data-item="${s.itemId}">${title.get(s.itemId) ?? t('witness.item')}</a>`
        : '—'
    }${s.note ? html`<p class="prose muted" dir="auto">${s.note}</p>` : ''}</td></tr>`;
  const me = c.get('auth')!.actor.orgId as string;
  const form: Html = !wv.may.edit
    ? ''
    : html`<details class="subform"${draft ? ' open' : ''}><summary>${t('witness.addStatement')}</summary>
<form method="post" action="/witnesses/${w.id}/statements" id="add-statement">${csrfField(c)}
<div class="row">
<div><label for="s-on">${t('witness.takenOn')}</label><input type="date" id="s-on" name="takenOn" required value="${formValue(
        draft,
        'takenOn',
        '',
      )}"></div>
<div><label for="s-language">${t('witness.language')}</label><input type="text" id="s-language" name="language" required maxlength="20" dir="ltr" autocomplete="off" value="${formValue(
        draft,
        'language',
        w.languages[0] ?? '',
      )}" aria-describedby="s-language-help"><p class="muted" id="s-language-help">${t('witness.languageHelp')}</p></div>
</div>
<label for="s-by">${t('witness.takenBy')}</label><input type="text" id="s-by" name="takenBy" required maxlength="300" dir="auto" value="${formValue(
        draft,
        'takenBy',
        '',
      )}" aria-describedby="s-by-help"><p class="muted" id="s-by-help">${t('witness.takenByHelp')}</p>
<label for="s-org">${t('witness.organisation')}</label><select id="s-org" name="orgId">${orgs.map(
        (o) =>
          html`<option value="${o.id}"${selected(formValue(draft, 'orgId', me) === o.id)}>${o.name}</option>`,
      )}</select>
<label for="s-interpreter">${t('witness.interpreter')}</label><input type="text" id="s-interpreter" name="interpreter" maxlength="300" dir="auto" value="${formValue(
        draft,
        'interpreter',
        '',
      )}">
<label for="s-item">${t('witness.item')}</label><select id="s-item" name="itemId" aria-describedby="s-item-help"><option value="">${t(
        'witness.itemNone',
      )}</option>${items.map((i) => itemOption(t, i, formValue(draft, 'itemId', '') === i.id))}</select><p class="muted" id="s-item-help">${t(
        'witness.itemHelp',
      )}</p>
<label for="s-note">${t('witness.note')}</label><textarea id="s-note" name="note" maxlength="4000" dir="auto">${formValue(
        draft,
        'note',
        '',
      )}</textarea>
<p class="muted">${t('witness.consentAtTimeHelp')}</p>
<button type="submit">${t('witness.addStatementButton')}</button></form></details>`;
  return html`<section class="card" id="statements" aria-labelledby="h-statements"><h2 id="h-statements">${t('witness.statements')}</h2>
<p class="muted">${t('witness.statementsIntro')}</p>
${
  wv.statements.length === 0
    ? html`<p class="muted">${t('witness.statementsNone')}</p>`
    : html`<div class="table-scroll"><table class="statements"><thead><tr><th scope="col">${t('witness.takenOn')}</th><th scope="col">${t(
        'witness.takenBy',
      )}</th><th scope="col">${t('witness.organisation')}</th><th scope="col">${t('witness.language')}</th><th scope="col">${t(
        'witness.interpreter',
      )}</th><th scope="col">${t('witness.consentAtTime')}</th><th scope="col">${t('witness.item')}</th></tr></thead><tbody>
${wv.statements.map(row)}</tbody></table></div>`
}
${form}</section>`;
};

/** The identity and its form: only ever called when the service's answer includes them. */
const identitySection = (
  c: Context<AppEnv>,
  wv: WitnessView,
  compartments: readonly Compartment[],
  draft: Form | undefined,
): Html => {
  const t = c.get('t');
  const locale = c.get('locale');
  const w = wv.witness;
  const id = wv.identity;
  const own = ownCompartments(c, compartments);
  const compartmentName = new Map(compartments.map((k) => [k.id, k.name]));
  const v = (name: string, stored: string) => formValue(draft, name, stored);
  const chosen = v('compartmentId', id?.compartmentId ?? '');
  const form: Html =
    own.length === 0
      ? html`<p class="muted" data-no-compartment>${t('witness.noCompartment')}</p>`
      : html`<details class="subform"${draft || !id ? ' open' : ''}><summary>${t('witness.identityEdit')}</summary>
<form method="post" action="/witnesses/${w.id}/identity" id="identity-form">${csrfField(c)}
<label for="i-compartment">${t('witness.compartment')}</label><select id="i-compartment" name="compartmentId" required>${own.map(
          (k) => html`<option value="${k.id}"${selected(chosen === k.id)}>${k.name}</option>`,
        )}</select>
<label for="i-name">${t('witness.fullName')}</label><input type="text" id="i-name" name="fullName" required maxlength="300" dir="auto" autocomplete="off" value="${v(
          'fullName',
          id?.fullName ?? '',
        )}">
<label for="i-other">${t('witness.otherNames')}</label><textarea id="i-other" name="otherNames" maxlength="6000" dir="auto" aria-describedby="i-other-help">${v(
          'otherNames',
          (id?.otherNames ?? []).join('\n'),
        )}</textarea><p class="muted" id="i-other-help">${t('witness.otherNamesHelp')}</p>
<label for="i-born">${t('witness.dateOfBirth')}</label><input type="date" id="i-born" name="dateOfBirth" value="${v(
          'dateOfBirth',
          id?.dateOfBirth ?? '',
        )}">
<label for="i-contact">${t('witness.contact')}</label><textarea id="i-contact" name="contact" maxlength="2000" dir="auto">${v(
          'contact',
          id?.contact ?? '',
        )}</textarea>
<label for="i-address">${t('witness.address')}</label><textarea id="i-address" name="address" maxlength="2000" dir="auto">${v(
          'address',
          id?.address ?? '',
        )}</textarea>
<label for="i-note">${t('witness.note')}</label><textarea id="i-note" name="note" maxlength="4000" dir="auto">${v(
          'note',
          id?.note ?? '',
        )}</textarea>
<button type="submit">${t('witness.saveIdentity')}</button></form></details>`;
  return html`<section class="card" id="identity" aria-labelledby="h-identity"><h2 id="h-identity">${t('witness.identity')}</h2>
<p><strong>${t('witness.identityIntro')}</strong></p>
${
  id
    ? html`<dl class="facts identity">
${fact(t('witness.fullName'), html`<span dir="auto" data-full-name>${id.fullName}</span>`)}
${fact(
  t('witness.otherNames'),
  id.otherNames.length === 0
    ? '—'
    : html`<ul class="plain">${id.otherNames.map((o) => html`<li><span dir="auto">${o}</span></li>`)}</ul>`,
)}
${fact(t('witness.dateOfBirth'), formatDay(locale, id.dateOfBirth))}
${fact(t('witness.contact'), id.contact ? html`<span class="prose" dir="auto">${id.contact}</span>` : '—')}
${fact(t('witness.address'), id.address ? html`<span class="prose" dir="auto">${id.address}</span>` : '—')}
${fact(t('witness.note'), id.note ? html`<span class="prose" dir="auto">${id.note}</span>` : '—')}
${fact(t('witness.compartment'), compartmentName.get(id.compartmentId) ?? '—')}
${fact(t('witness.updated'), formatDate(locale, id.updatedAt))}
</dl>`
    : html`<p class="muted" data-no-identity>${t('witness.identityNone')}</p>`
}
${form}</section>`;
};

const risksSection = (
  c: Context<AppEnv>,
  wv: WitnessView,
  risks: readonly RiskAssessment[],
  draft: Form | undefined,
): Html => {
  const t = c.get('t');
  const locale = c.get('locale');
  const today = c.get('cases').access.today();
  const w = wv.witness;
  const row = (r: RiskAssessment) =>
    html`<tr data-risk="${r.id}"><td>${riskLevel(t, r)}</td><td>${formatDay(locale, r.assessedOn)}</td><td dir="auto" class="prose">${
      r.threats || '—'
    }</td><td dir="auto" class="prose">${r.measures || '—'}</td><td>${formatDay(locale, r.reviewOn)}${
      r.reviewOn <= today ? html` <strong class="badge badge-pending">${t('witness.risk.due')}</strong>` : ''
    }</td></tr>`;
  return html`<section class="card" id="risks" aria-labelledby="h-risks"><h2 id="h-risks">${t('witness.risks')}</h2>
${
  risks.length === 0
    ? html`<p class="muted">${t('witness.risksNone')}</p>`
    : html`<div class="table-scroll"><table class="risks"><thead><tr><th scope="col">${t('witness.risk.level')}</th><th scope="col">${t(
        'witness.risk.assessedOn',
      )}</th><th scope="col">${t('witness.risk.threats')}</th><th scope="col">${t('witness.risk.measures')}</th><th scope="col">${t(
        'witness.risk.reviewOn',
      )}</th></tr></thead><tbody>
${[...risks].sort((a, b) => a.assessedOn.localeCompare(b.assessedOn) || a.createdAt.localeCompare(b.createdAt)).map(row)}</tbody></table></div>`
}
<details class="subform"${draft ? ' open' : ''}><summary>${t('witness.addRisk')}</summary>
<form method="post" action="/witnesses/${w.id}/risks" id="add-risk">${csrfField(c)}
<label for="r-level">${t('witness.risk.level')}</label><select id="r-level" name="level">${RISK_LEVELS.map(
    (l) =>
      html`<option value="${l}"${selected(formValue(draft, 'level', 'medium') === l)}>${t(`witness.risk.level.${l}`)}</option>`,
  )}</select>
<div class="row">
<div><label for="r-on">${t('witness.risk.assessedOn')}</label><input type="date" id="r-on" name="assessedOn" required value="${formValue(
    draft,
    'assessedOn',
    today,
  )}"></div>
<div><label for="r-review">${t('witness.risk.reviewOn')}</label><input type="date" id="r-review" name="reviewOn" required value="${formValue(
    draft,
    'reviewOn',
    '',
  )}"></div>
</div>
<label for="r-threats">${t('witness.risk.threats')}</label><textarea id="r-threats" name="threats" maxlength="8000" dir="auto">${formValue(
    draft,
    'threats',
    '',
  )}</textarea>
<label for="r-measures">${t('witness.risk.measures')}</label><textarea id="r-measures" name="measures" maxlength="8000" dir="auto">${formValue(
    draft,
    'measures',
    '',
  )}</textarea>
<button type="submit">${t('witness.addRiskButton')}</button></form></details></section>`;
};

/** The witness as the service answers for this reader, or undefined when they may not know it. */
const loadWitness = async (c: Context<AppEnv>): Promise<WitnessView | 'forbidden' | undefined> => {
  try {
    return await c.get('node').witnesses.view(c.get('auth')!.actor, c.req.param('id'));
  } catch (e) {
    if (isAccordError(e) && (e.code === 'not_found' || e.code === 'invalid_input')) return undefined;
    if (isAccordError(e) && e.code === 'forbidden') return 'forbidden';
    throw e;
  }
};

const witnessPage = async (c: Context<AppEnv>, opts: Shown = {}): Promise<Response> => {
  const t = c.get('t');
  const locale = c.get('locale');
  const actor = c.get('auth')!.actor;
  const cases = c.get('cases');
  const wv = await loadWitness(c);
  if (wv === undefined) return caseNotFound(c);
  if (wv === 'forbidden') return witnessesForbidden(c);
  const w = wv.witness;
  const view: CaseView = await cases.view(actor, w.caseId);
  // The service includes the identity and the risks only for protection officers inside.
  const protect = wv.may.protect;
  const [names, orgs, items, compartments] = await Promise.all([
    namesFor(c, w.caseId),
    c.get('accounts').listOrganisations(actor),
    caseItems(c, w.caseId),
    protect ? cases.compartments(actor, w.caseId) : Promise.resolve([] as Compartment[]),
  ]);
  const draft = (form: WitnessForm) => (opts.form === form ? opts.draft : undefined);
  return page(c, {
    title: t('witness.titleOf', { pseudonym: w.pseudonym }),
    notices: [...doneNotices(c, WITNESS_DONE), ...(opts.notices ?? [])],
    status: opts.status ?? 200,
    body: html`${caseNav(c, view)}
<p><a href="/cases/${w.caseId}/witnesses">${t('witness.backToList')}</a></p>
<section class="card" id="about" aria-labelledby="h-about"><h2 id="h-about">${t('witness.details')}</h2>
<dl class="facts">
${fact(t('witness.pseudonym'), html`<span class="ltr" data-pseudonym>${w.pseudonym}</span>`)}
${fact(t('witness.kind'), t(`witness.kind.${w.kind}`))}
${fact(t('witness.languages'), languageList(locale, w.languages))}
${fact(t('witness.note'), w.note ? html`<span class="prose" dir="auto">${w.note}</span>` : '—')}
${fact(t('witness.recordedOn'), formatDate(locale, w.createdAt))}
</dl></section>
${consentSection(c, wv, names, orgs, draft('consent'))}
${statementsSection(c, wv, names, orgs, items, draft('statement'))}
${protect ? identitySection(c, wv, compartments, draft('identity')) : ''}
${protect && wv.risks ? risksSection(c, wv, wv.risks, draft('risk')) : ''}`,
  });
};

// ── routes ───────────────────────────────────────────────────────────────────────────────────

/** What a witness form sends, as the service reads it (only the named fields, as text). */
const pick = (body: Form, names: readonly string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = field(body, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
};

export const registerWitnesses = (r: PageRoutes) => {
  r.get('/cases/:caseId/witnesses', 'case.read', (c) => listPage(c));

  r.post(
    '/cases/:caseId/witnesses',
    'case.read',
    formAction(
      'create',
      async (c, body) => {
        const created = await c
          .get('node')
          .witnesses.create(
            c.get('auth')!.actor,
            c.req.param('caseId'),
            pick(body, ['pseudonym', 'kind', 'languages', 'note']),
          );
        return `/witnesses/${created.id}?done=created`;
      },
      listPage,
    ),
  );

  r.get('/witnesses/:id', 'case.read', (c) => witnessPage(c));

  r.post(
    '/witnesses/:id/consent',
    'case.read',
    formAction(
      'consent',
      async (c, body) => {
        const id = c.req.param('id');
        await c
          .get('node')
          .witnesses.recordConsent(
            c.get('auth')!.actor,
            id,
            pick(body, ['purpose', 'scope', 'state', 'note']),
          );
        return `/witnesses/${id}?done=consent#consent`;
      },
      witnessPage,
    ),
  );

  r.post(
    '/witnesses/:id/statements',
    'case.read',
    formAction(
      'statement',
      async (c, body) => {
        const id = c.req.param('id');
        await c
          .get('node')
          .witnesses.addStatement(
            c.get('auth')!.actor,
            id,
            pick(body, ['itemId', 'takenOn', 'takenBy', 'orgId', 'language', 'interpreter', 'note']),
          );
        return `/witnesses/${id}?done=statement#statements`;
      },
      witnessPage,
    ),
  );

  /** Identities and risks: refused here first unless the reader's view of the witness includes them. */
  const protectedAction = async (c: Context<AppEnv>): Promise<string> => {
    const wv = await c.get('node').witnesses.view(c.get('auth')!.actor, c.req.param('id'));
    if (!wv.may.protect) throw refusedHere();
    return wv.witness.id;
  };

  r.post(
    '/witnesses/:id/identity',
    'case.read',
    formAction(
      'identity',
      async (c, body) => {
        const id = await protectedAction(c);
        await c
          .get('node')
          .witnesses.setIdentity(
            c.get('auth')!.actor,
            id,
            pick(body, [
              'compartmentId',
              'fullName',
              'otherNames',
              'dateOfBirth',
              'contact',
              'address',
              'note',
            ]),
          );
        return `/witnesses/${id}?done=identity#identity`;
      },
      witnessPage,
    ),
  );

  r.post(
    '/witnesses/:id/risks',
    'case.read',
    formAction(
      'risk',
      async (c, body) => {
        const id = await protectedAction(c);
        await c
          .get('node')
          .witnesses.addRisk(
            c.get('auth')!.actor,
            id,
            pick(body, ['level', 'assessedOn', 'threats', 'measures', 'reviewOn']),
          );
        return `/witnesses/${id}?done=risk#risks`;
      },
      witnessPage,
    ),
  );
};
