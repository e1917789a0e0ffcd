import {
  type AccordError,
  type CaseId,
  type CaseView,
  isAccordError,
  type LegalCatalogue,
  type Locale,
  ROME_STATUTE,
} from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import type { MessageKey, Translate } from '../i18n/index.ts';
import { describeError, type Notice, page } from '../layout.ts';

/**
 * What the case pages share: the one "not found" answer (the same for a case that does not exist
 * and for one the reader is not a member of), the domain's refusals in the reader's language,
 * form reading, and the words for jurisdictions and calendar days.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A case id from the path, or undefined when it cannot be one (answered like an unknown case). */
export const caseIdParam = (c: Context<AppEnv>): CaseId | undefined => {
  const id = c.req.param('caseId') ?? '';
  return UUID.test(id) ? (id as CaseId) : undefined;
};

export const isUuid = (value: string): boolean => UUID.test(value);

/** The same page whether the case does not exist or the reader may not know that it does. */
export const caseNotFound = (c: Context<AppEnv>) => {
  const t = c.get('t');
  return page(c, {
    title: t('error.notFound'),
    body: html`<p><a href="/cases">${t('case.backToList')}</a></p>`,
    status: 404,
  });
};

/** The case as the reader sees it, or undefined when they may not know it exists. */
export const loadView = async (c: Context<AppEnv>): Promise<CaseView | undefined> => {
  const id = caseIdParam(c);
  if (!id) return undefined;
  try {
    return await c.get('cases').view(c.get('auth')!.actor, id);
  } catch (e) {
    if (isAccordError(e) && (e.code === 'not_found' || e.code === 'invalid_input')) return undefined;
    throw e;
  }
};

export const statusFor = (e: AccordError): number =>
  e.code === 'not_found' ? 404 : e.code === 'conflict' ? 409 : e.code === 'forbidden' ? 403 : 400;

const FIELD_LABELS: Readonly<Record<string, MessageKey>> = {
  openedOn: 'case.field.openedOn',
  closedOn: 'case.field.closedOn',
  startsOn: 'case.agreements.startsOn',
  endsOn: 'case.agreements.endsOn',
};

/**
 * Errors with a stable reason are said by describeError; the few without one (from other modules)
 * that a person can run into on these pages are recognised here and said in the reader's language.
 */
const MESSAGES: readonly [RegExp, MessageKey][] = [
  [/^there is no user |^no user "/, 'case.error.noUser'],
  [/not a member of the case$/, 'case.error.notMember'],
  [/^there is no organisation /, 'case.error.noOrg'],
  [/must be a lowercase UUID|^there is no compartment /, 'case.error.badId'],
];

export const explain = (t: Translate, e: AccordError): string => {
  if (e.context.reason === 'bad_date') {
    const key = FIELD_LABELS[String(e.context.field)];
    if (key) return t('case.error.badDate', { field: t(key) });
  }
  for (const [re, key] of MESSAGES) if (re.test(e.message)) return t(key);
  if (e.code === 'forbidden') return t('case.error.forbidden');
  return describeError(t, e);
};

export const errorNotice = (t: Translate, e: AccordError): Notice => ({ kind: 'error', text: explain(t, e) });

// ── forms ──────────────────────────────────────────────────────────────────────

export type Body = Record<string, string | File | (string | File)[]>;

export const readForm = async (c: Context<AppEnv>): Promise<Body> =>
  (await c.req.parseBody({ all: true })) as Body;

export const one = (body: Body, name: string): string => {
  const v = body[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : '';
};

export const many = (body: Body, name: string): string[] => {
  const v = body[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
    (x): x is string => typeof x === 'string' && x !== '',
  );
};

/** Confirmations after a change: the redirect names one, never free text. */
export const DONE: Readonly<Record<string, MessageKey>> = {
  created: 'case.done.created',
  updated: 'case.done.updated',
  'member-added': 'case.done.memberAdded',
  'role-changed': 'case.done.roleChanged',
  'member-removed': 'case.done.memberRemoved',
  'agreement-recorded': 'case.done.agreementRecorded',
  'compartment-created': 'case.done.compartmentCreated',
  'compartment-members': 'case.done.compartmentMembers',
};

export const doneNotices = (c: Context<AppEnv>): Notice[] => {
  const key = DONE[c.req.query('done') ?? ''];
  return key ? [{ kind: 'info', text: c.get('t')(key) }] : [];
};

// ── words ──────────────────────────────────────────────────────────────────────

/** ICC first, then every national profile of the legal catalogue. */
export const jurisdictionChoices = (legal: LegalCatalogue): string[] => [
  ROME_STATUTE,
  ...legal.jurisdictions.map((j) => j.code),
];

export const jurisdictionName = (t: Translate, legal: LegalCatalogue, code: string): string =>
  code === ROME_STATUTE ? t('case.jurisdiction.icc') : (legal.jurisdiction(code)?.name ?? code);

/** A calendar day (YYYY-MM-DD) in the reader's words. */
export const formatDay = (locale: Locale, day: string | null): string => {
  if (!day) return '—';
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return day;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(d);
};

export const formatList = (locale: Locale, items: readonly string[]): string =>
  new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(items);
