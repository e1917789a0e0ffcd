import { isAccordError, LOCALES, parseScope, TOKEN_SCOPES, type TokenScope } from '@accord/core';
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { type CookieNames, cookieOptions } from '../../http/app.ts';
import type { AppEnv } from '../../http/context.ts';
import { isLocale, LANGUAGE_NAMES, translator } from '../i18n/index.ts';
import { csrfField, describeError, formatDate, type Notice, page } from '../layout.ts';
import type { PageRoutes } from './index.ts';

export const registerProfile = (r: PageRoutes, cookies: CookieNames, secure: boolean) => {
  const profilePage = async (c: Context<AppEnv>, notices: Notice[] = [], status = 200) => {
    const t = c.get('t');
    const locale = c.get('locale');
    const auth = c.get('auth')!;
    const tokens = await c.get('accounts').listTokens(auth.user);
    return page(c, {
      title: t('profile.title'),
      notices,
      status,
      body: html`<p><strong>${auth.user.displayName}</strong> · <code>${auth.user.username}</code> · ${t(`role.${auth.user.role}`)}</p>
<section class="card"><h2>${t('profile.language')}</h2>
<form method="post" action="/profile/language">${csrfField(c)}
<label for="locale">${t('profile.language')}</label>
<select id="locale" name="locale"><option value="">${t('profile.languageAuto')}</option>${LOCALES.map(
        (l) =>
          html`<option value="${l}" lang="${l}"${auth.user.locale === l ? ' selected' : ''}>${LANGUAGE_NAMES[l]}</option>`,
      )}</select>
<button type="submit">${t('common.save')}</button></form></section>
<section class="card"><h2>${t('profile.password')}</h2><p><a href="/profile/password">${t('profile.changePassword')}</a></p></section>
<section class="card"><h2>${t('profile.totp')}</h2><p>${t('profile.totpReplaceHelp')}</p>
<form method="post" action="/profile/totp">${csrfField(c)}
<label for="totp-current">${t('profile.currentPassword')}</label><input type="password" id="totp-current" name="current" autocomplete="current-password" required dir="ltr">
<label for="totp-code">${t('totp.code')}</label><input type="text" id="totp-code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required dir="ltr">
<button type="submit" class="secondary">${t('profile.totpReplace')}</button></form></section>
<section class="card"><h2>${t('profile.tokens')}</h2><p>${t('profile.tokensHelp')}</p>
${
  tokens.length === 0
    ? html`<p class="muted">${t('common.none')}</p>`
    : html`<table><thead><tr><th>${t('profile.tokenName')}</th><th>${t('profile.tokenScopes')}</th><th>${t('orgs.created')}</th><th>${t('profile.tokenExpiry')}</th><th>${t('profile.tokenLastUsed')}</th><th></th></tr></thead><tbody>
${tokens.map(
  (k) =>
    html`<tr><td>${k.name}</td><td>${k.scopes.map((s) => t(`scope.${s}`)).join(', ')}</td><td>${formatDate(locale, k.createdAt)}</td><td>${
      k.expiresAt ? formatDate(locale, k.expiresAt) : t('common.never')
    }</td><td>${k.lastUsedAt ? formatDate(locale, k.lastUsedAt) : t('common.never')}</td><td>${
      k.revokedAt
        ? t('profile.tokenStatusRevoked')
        : html`<form method="post" action="/profile/tokens/${k.id}/revoke" class="inline-form">${csrfField(c)}<button type="submit" class="danger">${t('profile.tokenRevoke')}</button></form>`
    }</td></tr>`,
)}</tbody></table>`
}
<form method="post" action="/profile/tokens">${csrfField(c)}
<label for="token-name">${t('profile.tokenName')}</label><input type="text" id="token-name" name="name" required maxlength="100">
<fieldset><legend>${t('profile.tokenScopes')}</legend>${TOKEN_SCOPES.map(
        (s) =>
          html`<label><input type="checkbox" name="scopes" value="${s}"${s === 'read' ? ' checked' : ''}> ${t(`scope.${s}`)}</label>`,
      )}</fieldset>
<label for="token-days">${t('profile.tokenExpires')}</label><input type="number" id="token-days" name="days" min="1" max="3650" value="90">
<button type="submit">${t('profile.tokenCreate')}</button></form></section>
<section class="card"><h2>${t('profile.sessions')}</h2><p>${t('profile.signOutEverywhereHelp')}</p>
<form method="post" action="/profile/sign-out-everywhere">${csrfField(c)}<button type="submit" class="danger">${t('profile.signOutEverywhere')}</button></form></section>`,
    });
  };

  r.get('/profile', 'self', (c) => {
    const saved = c.req.query('saved');
    const t = c.get('t');
    if (saved === 'language') return profilePage(c, [{ kind: 'info', text: t('profile.languageSaved') }]);
    if (saved === 'password') return profilePage(c, [{ kind: 'info', text: t('profile.passwordChanged') }]);
    return profilePage(c);
  });

  r.post('/profile/language', 'self', async (c) => {
    const body = await c.req.parseBody();
    const value = body.locale;
    const locale = isLocale(value) ? value : null;
    const auth = c.get('auth')!;
    await c.get('accounts').setLocale(auth.user, locale);
    if (locale) {
      setCookie(c, cookies.lang, locale, { ...cookieOptions(secure), maxAge: 31_536_000 });
      c.set('locale', locale);
      c.set('t', translator(locale));
    } else {
      deleteCookie(c, cookies.lang, cookieOptions(secure));
    }
    return c.redirect('/profile?saved=language', 303);
  });

  const passwordPage = (c: Context<AppEnv>, notices: Notice[] = [], status = 200) => {
    const t = c.get('t');
    const must = c.get('auth')!.user.mustChangePassword;
    return page(c, {
      title: t('profile.changePassword'),
      notices: must ? [{ kind: 'info', text: t('profile.mustChange') }, ...notices] : notices,
      status,
      body: html`<div class="card narrow"><form method="post" action="/profile/password">${csrfField(c)}
<label for="current">${t('profile.currentPassword')}</label><input type="password" id="current" name="current" autocomplete="current-password" required dir="ltr">
<label for="password">${t('profile.newPassword')}</label><input type="password" id="password" name="password" autocomplete="new-password" minlength="12" required dir="ltr">
<button type="submit">${t('profile.changePassword')}</button></form></div>`,
    });
  };

  r.get('/profile/password', 'self', (c) => passwordPage(c), { beforePasswordChange: true });
  r.post(
    '/profile/password',
    'self',
    async (c) => {
      const body = await c.req.parseBody();
      const auth = c.get('auth')!;
      try {
        await c.get('accounts').changePassword(auth.user, body.current, body.password, auth.sessionToken);
        // The report key, if any, is sealed again under the new password.
        if (typeof body.current === 'string' && typeof body.password === 'string')
          await c.get('node').reports.reseal(auth.user, body.current, body.password, auth.session?.id);
        return c.redirect('/profile?saved=password', 303);
      } catch (e) {
        if (!isAccordError(e)) throw e;
        return passwordPage(
          c,
          [{ kind: 'error', text: describeError(c.get('t'), e) }],
          e.code === 'unauthenticated' ? 401 : 400,
        );
      }
    },
    { beforePasswordChange: true },
  );

  r.post('/profile/totp', 'self', async (c) => {
    const auth = c.get('auth')!;
    const body = await c.req.parseBody();
    try {
      await c.get('accounts').restartEnrolment(auth.sessionToken!, auth.user, body.current, body.code);
      return c.redirect('/enrol', 303);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return profilePage(
        c,
        [{ kind: 'error', text: describeError(c.get('t'), e) }],
        e.code === 'locked' ? 423 : 401,
      );
    }
  });

  r.post(
    '/profile/sign-out-everywhere',
    'self',
    async (c) => {
      await c.get('accounts').signOutEverywhere(c.get('auth')!.user);
      c.get('node').reports.keys.dropUser(c.get('auth')!.user.id);
      deleteCookie(c, cookies.session, cookieOptions(secure));
      return c.redirect('/sign-in?signed-out', 303);
    },
    { beforePasswordChange: true },
  );

  r.post('/profile/tokens', 'self', async (c) => {
    const body = await c.req.parseBody({ all: true });
    const raw = body.scopes;
    const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
      (s): s is string => typeof s === 'string',
    );
    const daysText = typeof body.days === 'string' ? body.days.trim() : '';
    try {
      const scopes: TokenScope[] = list.map(parseScope);
      const { secret } = await c.get('accounts').createToken(c.get('auth')!.user, {
        name: body.name,
        scopes,
        expiresInDays: daysText === '' ? undefined : Number(daysText),
      });
      return profilePage(c, [{ kind: 'info', text: c.get('t')('profile.tokenCreated'), secret }]);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return profilePage(c, [{ kind: 'error', text: describeError(c.get('t'), e) }], 400);
    }
  });

  r.post('/profile/tokens/:id/revoke', 'self', async (c) => {
    try {
      await c.get('accounts').revokeToken(c.get('auth')!.user, c.req.param('id') ?? '');
      return profilePage(c, [{ kind: 'info', text: c.get('t')('profile.tokenRevoked') }]);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return profilePage(c, [{ kind: 'error', text: describeError(c.get('t'), e) }], 404);
    }
  });
};
