import { type AccordError, can, LOCALES, type Locale } from '@accord/core';
import type { Context } from 'hono';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AppEnv } from '../http/context.ts';
import { en } from './i18n/en.ts';
import { directionOf, LANGUAGE_NAMES, type MessageKey, type Translate } from './i18n/index.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString> | '';

export interface Notice {
  readonly kind: 'error' | 'info';
  readonly text: string;
  /** A one-time secret (password, token) shown once, set apart so it is easy to select and copy. */
  readonly secret?: string;
}

/** The hidden CSRF field every state-changing form carries. */
export const csrfField = (c: Context<AppEnv>): Html =>
  html`<input type="hidden" name="_csrf" value="${c.get('auth')?.session?.csrfToken ?? c.get('anonCsrf')}">`;

export const notices = (list: readonly Notice[]): Html =>
  html`${list.map(
    (n) =>
      html`<div class="notice notice-${n.kind}" role="${n.kind === 'error' ? 'alert' : 'status'}">${n.text}${
        n.secret ? html` <span class="secret" data-secret>${n.secret}</span>` : ''
      }</div>`,
  )}`;

const navItems: readonly { href: string; key: MessageKey; action: Parameters<typeof can>[1] }[] = [
  { href: '/', key: 'nav.home', action: 'self' },
  { href: '/cases', key: 'nav.cases', action: 'case.read' },
  { href: '/evidence', key: 'nav.evidence', action: 'evidence.read' },
  { href: '/evidence/upload', key: 'nav.upload', action: 'evidence.add' },
  { href: '/reports', key: 'nav.reports', action: 'report.triage' },
  { href: '/legal', key: 'nav.legal', action: 'legal.read' },
  { href: '/organisations', key: 'nav.organisations', action: 'org.read' },
  { href: '/users', key: 'nav.users', action: 'user.read' },
  { href: '/audit', key: 'nav.audit', action: 'audit.read' },
  { href: '/profile', key: 'nav.profile', action: 'self' },
];

/** The page frame: language and direction, navigation for signed-in users, no outside resources. */
export const page = (
  c: Context<AppEnv>,
  opts: { title: string; body: Html; notices?: readonly Notice[]; status?: number; bare?: boolean },
) => {
  const t = c.get('t');
  const locale = c.get('locale');
  const auth = c.get('auth');
  const signedIn = auth?.session?.stage === 'full' && !opts.bare;
  const path = new URL(c.req.url).pathname;
  const doc = html`<!doctype html>
<html lang="${locale}" dir="${directionOf(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${opts.title} · ${t('app.name')}</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="data:,">
</head>
<body>
<a class="skip" href="#main">${t('nav.skip')}</a>
<header class="top">
  <a class="brand" href="/">${t('app.name')}</a>
  ${
    signedIn
      ? html`<nav aria-label="${t('nav.main')}"><ul>${navItems
          .filter((i) => can(auth.actor, i.action))
          .map(
            (i) =>
              html`<li><a href="${i.href}"${raw(path === i.href ? ' aria-current="page"' : '')}>${t(i.key)}</a></li>`,
          )}</ul></nav>
        <form method="post" action="/sign-out" class="signout">${csrfField(c)}<button type="submit" class="link">${t('nav.signOut')}</button></form>`
      : languagePicker(c, locale)
  }
</header>
<main id="main" tabindex="-1">
<h1>${opts.title}</h1>
${notices(opts.notices ?? [])}
${opts.body}
</main>
<footer class="foot"><p>${t('app.tagline')}</p></footer>
</body>
</html>`;
  return c.html(doc, (opts.status ?? 200) as 200);
};

/** For people not signed in: links that set a language cookie (no script needed). */
const languagePicker = (c: Context<AppEnv>, current: Locale): Html => {
  const t = c.get('t');
  const back = new URL(c.req.url).pathname;
  return html`<nav aria-label="${t('nav.language')}" class="langs"><ul>${LOCALES.map(
    (l) =>
      html`<li><a href="/language?set=${l}&amp;back=${encodeURIComponent(back)}" lang="${l}" hreflang="${l}"${raw(
        l === current ? ' aria-current="true"' : '',
      )}>${LANGUAGE_NAMES[l]}</a></li>`,
  )}</ul></nav>`;
};

export const formatDate = (locale: Locale, iso: string | null): string => {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(
    new Date(iso),
  );
};

export const countryName = (locale: Locale, code: string): string =>
  new Intl.DisplayNames([locale], { type: 'region', fallback: 'code' }).of(code) ?? code;

/**
 * The domain's errors in the reader's language. Domain errors carry a stable `reason` (and its
 * parameters) in their context; the catalogue has a message for each. Anything without one gets a
 * translated message for its error code, never the English domain text.
 */
export const describeError = (t: Translate, e: AccordError): string => {
  const reason = e.context.reason;
  const key = `reason.${String(reason)}`;
  if (typeof reason === 'string' && key in en) {
    const params: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(e.context)) {
      if (typeof v === 'string' || typeof v === 'number') params[k] = v;
    }
    return t(key as MessageKey, params);
  }
  switch (e.code) {
    case 'invalid_input':
      return t('error.invalid');
    case 'conflict':
      return t('error.conflict');
    case 'not_found':
      return t('error.notFound');
    case 'forbidden':
      return t('error.forbidden');
    case 'unauthenticated':
      return t('signIn.expired');
    case 'locked':
      return t('signIn.locked');
    default:
      return t('error.internal');
  }
};
