import { isAccordError, type SessionGrant } from '@accord/core';
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { html, raw } from 'hono/html';
import QRCode from 'qrcode';
import { type CookieNames, cookieOptions } from '../../http/app.ts';
import type { AppEnv } from '../../http/context.ts';
import { csrfField, type Notice, page } from '../layout.ts';
import type { PageRoutes } from './index.ts';

/** Only same-site paths are followed after sign-in (no open redirect). */
export const safeNext = (value: unknown): string =>
  typeof value === 'string' && /^\/(?![/\\])[\w\-/.%?=&]*$/.test(value) && !value.startsWith('/sign-in')
    ? value
    : '/';

const field = (body: Record<string, unknown>, name: string): string | undefined =>
  typeof body[name] === 'string' ? (body[name] as string) : undefined;

export const registerSignIn = (r: PageRoutes, cookies: CookieNames, secure: boolean) => {
  const signInForm = (c: Context<AppEnv>, notices: Notice[] = [], status = 200, username = '') => {
    const t = c.get('t');
    const next = safeNext(c.req.query('next'));
    return page(c, {
      title: t('signIn.title'),
      notices,
      status,
      body: html`<div class="card narrow">
<p>${t('signIn.intro')}</p>
<form method="post" action="/sign-in${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}">
${csrfField(c)}
<label for="username">${t('signIn.username')}</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${username}" dir="ltr">
<label for="password">${t('signIn.password')}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required dir="ltr">
<button type="submit">${t('signIn.submit')}</button>
</form></div>`,
    });
  };

  r.get('/sign-in', 'public', async (c) => {
    const auth = c.get('auth');
    if (auth?.session?.stage === 'full') return c.redirect('/', 303);
    const notices: Notice[] = [];
    if (c.req.query('signed-out') !== undefined)
      notices.push({ kind: 'info', text: c.get('t')('signIn.signedOut') });
    if (c.req.query('expired') !== undefined)
      notices.push({ kind: 'info', text: c.get('t')('signIn.expired') });
    return signInForm(c, notices);
  });

  r.post('/sign-in', 'public', async (c) => {
    const t = c.get('t');
    const body = await c.req.parseBody();
    const username = field(body, 'username') ?? '';
    try {
      const password = field(body, 'password');
      const grant = await c.get('accounts').signIn(username, password);
      // A survivor advocate's report key opens with the password, and only now: it is held in
      // memory for this session (docs/security.md, "Reports").
      await c.get('node').reports.unlock(grant.user, password ?? '', grant.session.id);
      setCookie(c, cookies.session, grant.token, cookieOptions(secure));
      const next = safeNext(c.req.query('next'));
      const target = grant.session.stage === 'enrol' ? '/enrol' : '/sign-in/totp';
      return c.redirect(next === '/' ? target : `${target}?next=${encodeURIComponent(next)}`, 303);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      const key =
        e.code === 'locked' ? 'signIn.locked' : e.code === 'forbidden' ? 'signIn.disabled' : 'signIn.failed';
      const status = e.code === 'locked' ? 423 : e.code === 'forbidden' ? 403 : 401;
      return signInForm(c, [{ kind: 'error', text: t(key) }], status, username.slice(0, 64));
    }
  });

  /**
   * Finishes sign-in with a second-factor attempt: on success the new full session replaces the
   * half-signed-in one; a lockout ends the attempt; a wrong code shows the form again.
   */
  const secondFactor = async (
    c: Context<AppEnv>,
    attempt: () => Promise<SessionGrant>,
    wrong: () => Response | Promise<Response>,
  ): Promise<Response> => {
    try {
      const before = c.get('auth')?.session?.id;
      const grant = await attempt();
      // The finished sign-in is a new session: the report key unlocked at the password step follows it.
      if (before) c.get('node').reports.keys.move(before, grant.session.id);
      setCookie(c, cookies.session, grant.token, cookieOptions(secure));
      return c.redirect(
        grant.user.mustChangePassword ? '/profile/password' : safeNext(c.req.query('next')),
        303,
      );
    } catch (e) {
      if (!isAccordError(e) || (e.code !== 'locked' && e.code !== 'unauthenticated')) throw e;
      if (e.code === 'unauthenticated') return wrong();
      deleteCookie(c, cookies.session, cookieOptions(secure));
      const t = c.get('t');
      return page(c, {
        title: t('signIn.title'),
        body: '',
        notices: [{ kind: 'error', text: t('signIn.locked') }],
        status: 423,
      });
    }
  };

  const totpForm = (c: Context<AppEnv>, notices: Notice[] = [], status = 200) => {
    const t = c.get('t');
    const next = safeNext(c.req.query('next'));
    return page(c, {
      title: t('totp.title'),
      notices,
      status,
      body: html`<div class="card narrow"><p>${t('totp.intro')}</p>
<form method="post" action="/sign-in/totp${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}">
${csrfField(c)}
<label for="code">${t('totp.code')}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required dir="ltr">
<button type="submit">${t('totp.submit')}</button>
</form></div>`,
    });
  };

  r.get('/sign-in/totp', 'self', (c) => totpGate(c) ?? totpForm(c), { duringSignIn: true });

  r.post(
    '/sign-in/totp',
    'self',
    async (c) => {
      const gate = totpGate(c);
      if (gate) return gate;
      const body = await c.req.parseBody();
      return secondFactor(
        c,
        () => c.get('accounts').verifyTotp(c.get('auth')!.sessionToken!, field(body, 'code')),
        () => totpForm(c, [{ kind: 'error', text: c.get('t')('totp.failed') }], 401),
      );
    },
    { duringSignIn: true },
  );

  const enrolPage = async (c: Context<AppEnv>, notices: Notice[] = [], status = 200) => {
    const t = c.get('t');
    const next = safeNext(c.req.query('next'));
    const token = c.get('auth')!.sessionToken!;
    const accounts = c.get('accounts');
    const pending = (await accounts.pendingEnrolment(token)) ?? (await accounts.beginEnrolment(token));
    const svg = await QRCode.toString(pending.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    const grouped = pending.secret.replace(/(.{4})/g, '$1 ').trim();
    return page(c, {
      title: t('enrol.title'),
      notices,
      status,
      body: html`<div class="card">
<p>${t('enrol.intro')}</p>
<div class="row">
<figure class="qr" role="img" aria-label="${t('enrol.qrAlt')}">${raw(svg)}</figure>
<div>
<p>${t('enrol.manual')}</p>
<p><span class="secret" id="totp-secret">${grouped}</span></p>
<form method="post" action="/enrol${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}">
${csrfField(c)}
<label for="code">${t('enrol.code')}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required dir="ltr">
<button type="submit">${t('enrol.submit')}</button>
</form>
</div></div></div>`,
    });
  };

  r.get('/enrol', 'self', (c) => enrolGate(c) ?? enrolPage(c), { duringSignIn: true });

  r.post(
    '/enrol',
    'self',
    async (c) => {
      const gate = enrolGate(c);
      if (gate) return gate;
      const body = await c.req.parseBody();
      return secondFactor(
        c,
        () => c.get('accounts').confirmEnrolment(c.get('auth')!.sessionToken!, field(body, 'code')),
        () => enrolPage(c, [{ kind: 'error', text: c.get('t')('enrol.failed') }], 400),
      );
    },
    { duringSignIn: true },
  );

  r.post(
    '/sign-out',
    'self',
    async (c) => {
      const token = c.get('auth')?.sessionToken;
      if (token) await c.get('accounts').signOut(token);
      const session = c.get('auth')?.session;
      if (session) c.get('node').reports.keys.drop(session.id);
      deleteCookie(c, cookies.session, cookieOptions(secure));
      return c.redirect('/sign-in?signed-out', 303);
    },
    { duringSignIn: true, beforePasswordChange: true },
  );

  r.get('/language', 'public', (c) => {
    const set = c.req.query('set');
    if (set && ['en', 'fr', 'es', 'ar', 'uk'].includes(set)) {
      setCookie(c, cookies.lang, set, { ...cookieOptions(secure), maxAge: 31_536_000 });
    }
    return c.redirect(
      safeNext(c.req.query('back')) === '/' ? '/sign-in' : safeNext(c.req.query('back')),
      303,
    );
  });
};

/** The TOTP step is only for sessions waiting for it. */
const totpGate = (c: Context<AppEnv>) => {
  const stage = c.get('auth')?.session?.stage;
  if (stage === 'totp') return undefined;
  return c.redirect(stage === 'enrol' ? '/enrol' : '/', 303);
};

const enrolGate = (c: Context<AppEnv>) => {
  const stage = c.get('auth')?.session?.stage;
  if (stage === 'enrol') return undefined;
  return c.redirect(stage === 'totp' ? '/sign-in/totp' : '/', 303);
};
