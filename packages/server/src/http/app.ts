import { randomBytes } from 'node:crypto';
import { AccordError, actorOf, decide, isAccordError, type Locale, safeEqual } from '@accord/core';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { AccordNode } from '../node/node.ts';
import { APP_CSS, UPLOAD_JS } from '../web/assets.ts';
import { isLocale, negotiateLocale, translator } from '../web/i18n/index.ts';
import { describeError, page } from '../web/layout.ts';
import { registerPages } from '../web/pages/index.ts';
import { portalErrorPage } from '../web/pages/report-portal.ts';
import { registerApi } from './api.ts';
import type { AppEnv, AuthState } from './context.ts';
import { errorBody, toErrorResponse } from './errors.ts';
import { registerLogRoutes } from './log-routes.ts';
import { RateLimiter } from './rate-limit.ts';
import { type Guard, RouteRegistry, type RouteRule } from './routes.ts';

export interface AppOptions {
  readonly node: AccordNode;
  readonly log: Logger;
  readonly secureCookies: boolean;
  readonly bodyLimitBytes: number;
  /** Sign-in attempts (password or code) allowed per client address per minute. */
  readonly signInPerMinute?: number;
  /** Behind one reverse proxy: take the client address from the last X-Forwarded-For entry. */
  readonly trustProxy?: boolean;
}

export interface AccordApp {
  readonly app: Hono<AppEnv>;
  readonly registry: RouteRegistry;
  readonly cookies: CookieNames;
}

export interface CookieNames {
  readonly session: string;
  readonly csrf: string;
  readonly lang: string;
}

// A strict policy: nothing but this node's own stylesheet and script files (never inline script),
// requests, images and media from the node itself, forms posting back to the node, and data:
// images (the enrolment QR code is inline SVG). Nothing from any other origin, no frames, no plugins.
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const createApp = (options: AppOptions): AccordApp => {
  const { node, log } = options;
  const app = new Hono<AppEnv>();
  const registry = new RouteRegistry();
  // __Host- cookies are bound to this origin and path /, and require HTTPS.
  const prefix = options.secureCookies ? '__Host-' : '';
  const cookies: CookieNames = {
    session: `${prefix}accord_session`,
    csrf: `${prefix}accord_csrf`,
    lang: `${prefix}accord_lang`,
  };
  const signInLimiter = new RateLimiter(options.signInPerMinute ?? 20, 60_000);

  // ── every request: headers, logging without personal data, body limit ────────
  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('node', node);
    c.set('accounts', node.accounts);
    c.set('cases', node.cases);
    c.set('log', log);
    c.set('auth', undefined);
    c.set('deferredCsrf', undefined);
    await next();
    const h = c.res.headers;
    // Evidence bytes carry a stricter policy of their own (a sandbox); everything else gets this one.
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', CSP);
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('X-Frame-Options', 'DENY');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Cross-Origin-Resource-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
    if (!h.has('Cache-Control')) h.set('Cache-Control', 'no-store');
    if (options.secureCookies) h.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    // Nothing a reporter does reaches the log, not even its time (docs/reporting.md).
    if (isPortal(c)) return;
    // Route pattern, not the URL: no ids, usernames or query strings reach the log.
    log.info(
      {
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  // ── language, anonymous CSRF token, who is asking ─────────────────────────────
  app.use('*', async (c, next) => {
    // The portal reads no session either: a team member's visit there is a visit like any other.
    const auth = isPortal(c) ? undefined : await resolveAuth(c, cookies);
    c.set('auth', auth);
    const chosen = getCookie(c, cookies.lang);
    const locale: Locale =
      auth?.user.locale ?? (isLocale(chosen) ? chosen : negotiateLocale(c.req.header('Accept-Language')));
    c.set('locale', locale);
    c.set('t', translator(locale));
    let anon = getCookie(c, cookies.csrf);
    // The reporting portal sets no cookie: nothing on a reporter's device says they were here.
    if (isPortal(c) || new URL(c.req.url).pathname.startsWith('/assets/')) {
      c.set('anonCsrf', anon ?? '');
      await next();
      return;
    }
    if (!anon || !/^[A-Za-z0-9_-]{43}$/.test(anon)) {
      anon = randomBytes(32).toString('base64url');
      setCookie(c, cookies.csrf, anon, cookieOptions(options.secureCookies));
    }
    c.set('anonCsrf', anon);
    await next();
  });

  // After the language is known, so that people get the refusal in their language. Uploads stream
  // their bodies and are exempt (their routes are declared with streamsBody).
  const streamsBody = (c: Context): boolean =>
    matchedRoutes(c).some((r) => r.method !== 'ALL' && registry.find(r.method, r.path)?.streamsBody === true);
  const limitBody = bodyLimit({
    maxSize: options.bodyLimitBytes,
    onError: (c) => {
      const message = `the request body is larger than the limit of ${options.bodyLimitBytes} bytes`;
      if (isPortal(c)) return portalErrorPage(c, 413, 'tooLarge');
      if (wantsJson(c)) return c.json(errorBody('payload_too_large', message), 413);
      const t = c.get('t');
      return page(c, {
        title: t('common.error'),
        body: '',
        notices: [{ kind: 'error', text: t('error.tooLarge') }],
        status: 413,
      });
    },
  });
  app.use('*', (c, next) => (streamsBody(c) ? next() : limitBody(c, next)));

  // ── the guard: one function applies the policy to every declared route ───────
  const guard: Guard =
    (rule: RouteRule) =>
    async (c: Context<AppEnv>, next: () => Promise<void>): Promise<Response | undefined> => {
      const auth = c.get('auth');
      const isPage = rule.kind === 'page';
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !rule.noCsrf) {
        const refused = await checkCsrf(c, rule, auth);
        if (refused) return refused;
        if (isPage && (rule.path === '/sign-in' || rule.path === '/sign-in/totp' || rule.path === '/enrol')) {
          if (!signInLimiter.take(clientKey(c, options.trustProxy ?? false), node.clock.now().getTime())) {
            return page(c, {
              title: c.get('t')('signIn.title'),
              body: '',
              notices: [{ kind: 'error', text: c.get('t')('signIn.rateLimited') }],
              status: 429,
            });
          }
        }
      }
      if (rule.action === 'public') {
        await next();
        return;
      }
      if (!auth) {
        // A session cookie that no longer resolves: the session expired or was ended elsewhere.
        const expired = getCookie(c, cookies.session) !== undefined;
        if (!isPage) {
          return c.json(
            errorBody(
              'unauthenticated',
              expired
                ? 'your session has expired; sign in again'
                : 'sign in or send an API token (Authorization: Bearer acc_…)',
            ),
            401,
          );
        }
        if (expired) deleteCookie(c, cookies.session, cookieOptions(options.secureCookies));
        const back = new URL(c.req.url).pathname;
        return c.redirect(`/sign-in?${expired ? 'expired&' : ''}next=${encodeURIComponent(back)}`, 303);
      }
      const stage = auth.session?.stage ?? 'full';
      if (stage !== 'full' && !rule.duringSignIn) {
        if (!isPage) return c.json(errorBody('unauthenticated', 'finish signing in first'), 401);
        return c.redirect(stage === 'enrol' ? '/enrol' : '/sign-in/totp', 303);
      }
      if (stage === 'full' && auth.user.mustChangePassword && !rule.beforePasswordChange) {
        if (!isPage) return c.json(errorBody('forbidden', 'change your password before using the API'), 403);
        return c.redirect('/profile/password', 303);
      }
      const decision = decide(auth.actor, rule.action);
      if (!decision.allowed) {
        await node.accounts.recordDenied(auth.actor, rule.action);
        if (!isPage) return c.json(errorBody('forbidden', `not allowed: ${decision.reason}`), 403);
        return page(c, { title: c.get('t')('error.forbidden'), body: '', status: 403 });
      }
      await next();
      return;
    };

  // ── routes ───────────────────────────────────────────────────────────────────
  const probe = (path: string, handler: (c: Context<AppEnv>) => Promise<Response> | Response) => {
    registry.add({ method: 'GET', path, action: 'public', kind: 'probe' });
    app.get(path, guard({ method: 'GET', path, action: 'public', kind: 'probe' }), handler);
  };
  probe('/healthz', (c) => c.json({ status: 'ok' }));
  probe('/readyz', async (c) => {
    try {
      await node.database.ping();
      return c.json({ status: 'ready', database: node.database.dialect });
    } catch {
      return c.json(errorBody('unavailable', 'the database cannot be reached'), 503);
    }
  });
  probe('/assets/app.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
  probe('/assets/upload.js', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(UPLOAD_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });

  registerPages(app, registry, guard, cookies, options.secureCookies);
  registerApi(app, registry, guard);
  registerLogRoutes(app, registry, guard, node);

  app.notFound((c) => {
    if (isPortal(c)) return portalErrorPage(c, 404, 'notFound');
    if (wantsJson(c))
      return c.json(errorBody('not_found', `no route ${c.req.method} ${new URL(c.req.url).pathname}`), 404);
    return page(c, { title: c.get('t')('error.notFound'), body: '', status: 404 });
  });

  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      const status = err.status;
      if (isPortal(c)) return portalErrorPage(c, status, status === 400 ? 'badForm' : 'internal');
      const message = status === 400 ? 'the request body is not valid JSON or form data' : err.message;
      return wantsJson(c)
        ? c.json(errorBody(status === 400 ? 'invalid_json' : 'http_error', message), status)
        : c.text(message, status);
    }
    const { status, body, internal } = toErrorResponse(err);
    if (internal && !isPortal(c)) {
      // Message and stack go to the log only; they may name files or queries, never user input.
      log.error(
        { err: { message: (err as Error).message, stack: (err as Error).stack }, route: c.req.routePath },
        'unhandled error',
      );
    }
    if (wantsJson(c)) return c.json(body, status);
    if (isPortal(c)) return portalErrorPage(c, status, status === 404 ? 'notFound' : 'internal');
    const t = c.get('t') ?? translator('en');
    return page(c, {
      title: t('common.error'),
      body: '',
      notices: [
        {
          kind: 'error',
          text: internal || !isAccordError(err) ? t('error.internal') : describeError(t, err),
        },
      ],
      status,
    });
  });

  return { app, registry, cookies };
};

/** The public reporting portal, whose requests leave no trace in logs or cookies. */
const isPortal = (c: Context): boolean => {
  const path = new URL(c.req.url).pathname;
  return path === '/report' || path.startsWith('/report/');
};

export const cookieOptions = (secure: boolean) =>
  ({ httpOnly: true, sameSite: 'Strict', secure, path: '/' }) as const;

const wantsJson = (c: Context): boolean => {
  const path = new URL(c.req.url).pathname;
  return path.startsWith('/api/') || path === '/healthz' || path === '/readyz';
};

/**
 * The key sign-in attempts are counted under: the client's address (behind a trusted proxy, the
 * entry the proxy appended to X-Forwarded-For), IPv6 reduced to its /64 because one client
 * usually holds a whole /64. Kept in memory only.
 */
export const clientKey = (c: Context, trustProxy: boolean): string => {
  let address: string | undefined;
  if (trustProxy) address = c.req.header('X-Forwarded-For')?.split(',').at(-1)?.trim();
  if (!address) {
    try {
      address = getConnInfo(c).remote.address;
    } catch {
      address = undefined;
    }
  }
  if (!address) return 'unknown';
  if (address.includes(':') && !address.startsWith('::ffff:')) {
    return `${address.split(':').slice(0, 4).join(':')}::/64`;
  }
  return address;
};

const resolveAuth = async (c: Context<AppEnv>, cookies: CookieNames): Promise<AuthState | undefined> => {
  const accounts = c.get('accounts');
  const header = c.req.header('Authorization');
  const path = new URL(c.req.url).pathname;
  if (header && path.startsWith('/api/')) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    // A domain error, so that the API answers 401 with code 'unauthenticated' like any other refusal.
    if (!match) throw new AccordError('unauthenticated', 'the Authorization header must be "Bearer <token>"');
    try {
      const { user, token } = await accounts.authenticateToken(match[1]!);
      return { user, token, actor: actorOf(user, token.scopes) };
    } catch (e) {
      if (isAccordError(e)) throw e as AccordError;
      throw e;
    }
  }
  const token = getCookie(c, cookies.session);
  if (!token) return undefined;
  const found = await accounts.authenticateSession(token);
  if (!found) return undefined;
  return { user: found.user, session: found.session, sessionToken: token, actor: actorOf(found.user) };
};

/**
 * Synchronizer-token CSRF defence on every state change made with a cookie: the form field or
 * X-CSRF-Token header must equal the session's token (or, before sign-in, the csrf cookie).
 * Requests marked cross-site by the browser are refused outright.
 */
const checkCsrf = async (
  c: Context<AppEnv>,
  rule: RouteRule,
  auth: AuthState | undefined,
): Promise<Response | undefined> => {
  if (auth?.token) return undefined; // API tokens are not sent automatically by browsers.
  // An API call without a session cookie carries no ambient authority to forge; the guard answers 401.
  if (rule.kind !== 'page' && !auth?.session) return undefined;
  const t = c.get('t');
  const refuse = () =>
    rule.kind === 'page'
      ? page(c, {
          title: t('common.error'),
          body: '',
          notices: [{ kind: 'error', text: t('signIn.csrf') }],
          status: 403,
        })
      : c.json(
          errorBody('csrf', 'missing or wrong X-CSRF-Token header for a cookie-authenticated request'),
          403,
        );
  if (c.req.header('Sec-Fetch-Site') === 'cross-site') return refuse();
  let sent = c.req.header('X-CSRF-Token');
  const expected = auth?.session?.csrfToken ?? c.get('anonCsrf');
  if (!sent && rule.kind === 'page' && rule.streamsBody) {
    // A streamed form is not read here (that would buffer it): its handler must find this token
    // as the body's first field before it reads anything else.
    if (!/^multipart\/form-data\s*;/i.test(c.req.header('Content-Type') ?? '') || !expected) return refuse();
    c.set('deferredCsrf', expected);
    return undefined;
  }
  if (!sent && rule.kind === 'page') {
    const type = c.req.header('Content-Type') ?? '';
    if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
      const body = await c.req.parseBody();
      sent = typeof body._csrf === 'string' ? body._csrf : undefined;
    }
  }
  if (!sent || !expected || !safeEqual(sent, expected)) return refuse();
  return undefined;
};
