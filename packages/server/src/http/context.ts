import type { Accounts, Actor, ApiToken, Cases, Locale, Session, User } from '@accord/core';
import type { Logger } from 'pino';
import type { AccordNode } from '../node/node.ts';
import type { Translate } from '../web/i18n/index.ts';

export interface AuthState {
  readonly user: User;
  readonly actor: Actor;
  /** Browser session: present when signed in with a cookie (at any stage). */
  readonly session?: Session;
  readonly sessionToken?: string;
  /** Script access: present when the request carries an API token. */
  readonly token?: ApiToken;
}

export interface AppEnv {
  Variables: {
    node: AccordNode;
    accounts: Accounts;
    cases: Cases;
    log: Logger;
    locale: Locale;
    t: Translate;
    auth: AuthState | undefined;
    /** Token for forms shown before sign-in (double-submit cookie). */
    anonCsrf: string;
    /**
     * Set by the guard for a streamed page form: the CSRF token its handler must find as the
     * body's first field before reading on.
     */
    deferredCsrf: string | undefined;
  };
}
