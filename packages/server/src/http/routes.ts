import type { Action } from '@accord/core';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.ts';

/**
 * Every route is declared with the policy action that guards it. The registry lets a test prove
 * that no route exists without a rule (the route × role matrix in access.test.ts).
 */
export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteRule {
  readonly method: Method;
  /** Hono path pattern, e.g. /users/:id */
  readonly path: string;
  readonly action: Action;
  /** 'page' routes answer people (HTML, redirects); 'api' routes answer programs (JSON). */
  readonly kind: 'page' | 'api' | 'probe';
  /** Reachable while a session is only half signed-in (TOTP step or enrolment). */
  readonly duringSignIn?: boolean;
  /** Reachable while the user must still change their password. */
  readonly beforePasswordChange?: boolean;
  /**
   * The handler streams the request body itself (uploads of any size): the global body limit does
   * not apply, and a page form's CSRF token is checked by the handler as the body's first field.
   */
  readonly streamsBody?: boolean;
  /**
   * A public form that carries no ambient authority (the safe reporting portal: no cookie is read
   * or set there, and what a form can do needs a receipt code in its own body): no CSRF token.
   */
  readonly noCsrf?: boolean;
}

export class RouteRegistry {
  readonly #rules = new Map<string, RouteRule>();

  add(rule: RouteRule): void {
    const key = `${rule.method} ${rule.path}`;
    if (this.#rules.has(key)) throw new Error(`route declared twice: ${key}`);
    this.#rules.set(key, rule);
  }

  find(method: string, path: string): RouteRule | undefined {
    return this.#rules.get(`${method} ${path}`);
  }

  all(): RouteRule[] {
    return [...this.#rules.values()];
  }
}

export type Guard = (rule: RouteRule) => MiddlewareHandler<AppEnv>;
type Handler = (c: Context<AppEnv>) => Response | Promise<Response>;

/** Declares page routes on a Hono app together with their rules. */
export const pageRoutes = (app: Hono<AppEnv>, registry: RouteRegistry, guard: Guard) => {
  const add =
    (method: Method) =>
    (
      path: string,
      action: Action,
      handler: Handler,
      options: Partial<
        Pick<RouteRule, 'duringSignIn' | 'beforePasswordChange' | 'streamsBody' | 'noCsrf'>
      > = {},
    ) => {
      const rule: RouteRule = { method, path, action, kind: 'page', ...options };
      registry.add(rule);
      app.on(method, path, guard(rule), handler);
    };
  return { get: add('GET'), post: add('POST') };
};
