import type { Action } from '@accord/core';
import { type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './context.ts';
import type { RouteRule } from './routes.ts';

/** What the API modules share: the base path, the error shape and the route declaration. */
export const API_BASE = '/api/v1';

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) })
  .openapi('Error');

export const IdParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

export const errors = {
  400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorSchema } } },
  401: {
    description: 'Not signed in or bad token',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  403: { description: 'Not allowed', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

export const ok = <T extends z.ZodType>(schema: T, description: string) => ({
  200: { description, content: { 'application/json': { schema } } },
  ...errors,
});

type ApiHandler = (c: Context<AppEnv>) => Promise<Response> | Response;

/** Declares one API route: its policy rule, its OpenAPI description and its handler. */
export type DefineApiRoute = (
  action: Action,
  config: RouteConfig,
  handler: ApiHandler,
  options?: Pick<RouteRule, 'streamsBody'>,
) => void;
/** The request part a route's schemas validated. */
export type ValidInput = <T>(c: Context<AppEnv>, key: 'json' | 'param' | 'query') => T;

// ── helpers for the case and witness APIs ────────────────────────────────────
/** A request field with a fixed set of values: described, but checked by the domain (its words). */
export const oneOf = (values: readonly string[], description?: string) =>
  z.string().openapi({ enum: [...values], ...(description ? { description } : {}) });
export const text = (description?: string) => z.string().openapi(description ? { description } : {});
export const date = (description: string) => z.string().openapi({ description, example: '2024-03-01' });
export const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});
const described = (code: 404 | 409, description: string) => ({
  [code]: { description, content: { 'application/json': { schema: ErrorSchema } } },
});
export const notFound = (what: string) => described(404, what);
export const conflict = (what: string) => described(409, what);
export const created = <T extends z.ZodType>(schema: T, description = 'Created') => ({
  201: { description, content: { 'application/json': { schema } } },
  ...errors,
});
/** The signed-in actor, the `{id}` path parameter and the JSON body of a validated request. */
export const requestParts = (valid: ValidInput) => ({
  actorOf: (c: Context<AppEnv>) => c.get('auth')!.actor,
  idOf: (c: Context<AppEnv>) => valid<{ id: string }>(c, 'param').id,
  input: (c: Context<AppEnv>) => valid<Record<string, unknown>>(c, 'json'),
});
