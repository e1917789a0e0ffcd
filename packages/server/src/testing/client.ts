import type { Hono } from 'hono';
import { codeFor } from './harness.ts';

/**
 * A cookie-keeping client for the Hono app, without sockets: enough of a browser to walk through
 * sign-in, forms and redirects in integration tests. (Real-browser tests use Chromium.)
 */
export class TestClient {
  readonly #app: Pick<Hono, 'request'>;
  readonly cookies = new Map<string, string>();
  readonly #headers: Record<string, string>;

  constructor(app: Pick<Hono, 'request'>, headers: Record<string, string> = {}) {
    this.#app = app;
    this.#headers = headers;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.#headers)) if (!headers.has(k)) headers.set(k, v);
    if (this.cookies.size > 0) {
      headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await this.#app.request(`http://127.0.0.1${path}`, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  /** Posts a form with the CSRF token the page would carry (pass csrf: null to omit it). */
  async postForm(
    path: string,
    fields: Record<string, string | string[]>,
    csrf?: string | null,
  ): Promise<Response> {
    const body = new URLSearchParams();
    const token = csrf === undefined ? await this.csrf() : csrf;
    if (token !== null) body.append('_csrf', token);
    for (const [k, v] of Object.entries(fields))
      for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
  }

  /** The CSRF token a page currently embeds in its forms. */
  async csrf(): Promise<string> {
    const res = await this.get('/sign-in');
    const page = await res.text();
    const direct = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    if (direct) return direct;
    // Signed in: /sign-in redirects; the profile page carries the session's token.
    const profile = await (await this.get('/profile')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(profile)?.[1];
    if (!token) throw new Error('no CSRF token found on /sign-in or /profile');
    return token;
  }

  /**
   * Signs in with password and TOTP, enrolling first when needed. Returns the TOTP secret so
   * later sign-ins can compute codes.
   */
  async signIn(
    username: string,
    password: string,
    now: () => Date,
    secret?: string,
  ): Promise<{ secret: string }> {
    const first = await this.postForm('/sign-in', { username, password });
    if (first.status !== 303) throw new Error(`sign-in failed with ${first.status}: ${await first.text()}`);
    const next = first.headers.get('Location') ?? '';
    if (next.startsWith('/enrol')) {
      const page = await (await this.get('/enrol')).text();
      const shown = /id="totp-secret">([A-Z2-7 ]+)</.exec(page)?.[1]?.replace(/ /g, '');
      if (!shown) throw new Error('enrolment page shows no secret');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
      const done = await this.postForm('/enrol', { code: codeFor(shown, now()) }, csrf);
      if (done.status !== 303) throw new Error(`enrolment failed with ${done.status}`);
      return { secret: shown };
    }
    if (!secret) throw new Error('the account is enrolled: pass its TOTP secret');
    const page = await (await this.get('/sign-in/totp')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const done = await this.postForm('/sign-in/totp', { code: codeFor(secret, now()) }, csrf);
    if (done.status !== 303) throw new Error(`TOTP step failed with ${done.status}`);
    return { secret };
  }
}
