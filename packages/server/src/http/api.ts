import {
  type ApiToken,
  type AuditEvent,
  ORG_KINDS,
  type Organisation,
  parseOrgId,
  parseUserId,
  ROLES,
  TOKEN_SCOPES,
  type User,
} from '@accord/core';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, Hono } from 'hono';
import {
  API_BASE,
  type DefineApiRoute,
  ErrorSchema,
  errors,
  IdParam,
  ok,
  type ValidInput,
} from './api-common.ts';
import { registerCasesApi } from './cases-api.ts';
import type { AppEnv } from './context.ts';
import { errorBody } from './errors.ts';
import { registerEvidenceApi } from './evidence-api.ts';
import { registerExportApi } from './export-api.ts';
import { registerLegalApi } from './legal-api.ts';
import type { Guard, RouteRegistry, RouteRule } from './routes.ts';
import { registerWitnessesApi } from './witnesses-api.ts';

// ── schemas: they validate requests and describe responses in /api/v1/openapi.json ──
const OrganisationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    country: z.string().length(2).openapi({ example: 'UA' }),
    kind: z.enum(ORG_KINDS),
    createdAt: z.iso.datetime(),
  })
  .openapi('Organisation');

const UserSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    role: z.enum(ROLES),
    locale: z.string().nullable(),
    totpEnrolled: z.boolean(),
    mustChangePassword: z.boolean(),
    disabled: z.boolean(),
    lockedUntil: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('User');

const TokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(z.enum(TOKEN_SCOPES)),
    createdAt: z.iso.datetime(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiToken');

const AuditEventSchema = z
  .object({
    seq: z.number().int(),
    id: z.uuid(),
    at: z.iso.datetime(),
    type: z.string(),
    outcome: z.enum(['success', 'failure']),
    actorUserId: z.string().nullable(),
    actorOrgId: z.string().nullable(),
    subjectUserId: z.string().nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  })
  .openapi('AuditEvent');

const NewOrganisation = z
  .object({
    name: z.string().min(1).max(200),
    country: z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 two-letter code such as UA'),
    kind: z.enum(ORG_KINDS),
  })
  .strict()
  .openapi('NewOrganisation');

const NewUser = z
  .object({
    orgId: z.uuid(),
    username: z.string().min(3).max(64),
    displayName: z.string().min(1).max(200),
    role: z.enum(ROLES),
  })
  .strict()
  .openapi('NewUser');

const UserChange = z
  .object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((v) => v.role !== undefined || v.disabled !== undefined, 'send at least one of: role, disabled')
  .openapi('UserChange');

const toUser = (u: User) => ({ ...u });
const toOrg = (o: Organisation) => ({ ...o });
const toToken = ({ userId: _u, ...t }: ApiToken) => t;
const toAudit = (e: AuditEvent) => ({ ...e });

export const registerApi = (app: Hono<AppEnv>, registry: RouteRegistry, guard: Guard) => {
  const api = new OpenAPIHono<AppEnv>({
    // Validation failures answer in the same error shape as everything else.
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
      return c.json(
        {
          error: {
            code: 'invalid_request',
            message: `${where}: ${issue?.message ?? 'invalid'}`,
            field: where,
          },
        },
        400,
      );
    },
  });

  const def: DefineApiRoute = (action, config, handler, options = {}) => {
    const rule: RouteRule = {
      method: config.method.toUpperCase() as RouteRule['method'],
      path: API_BASE + config.path.replace(/\{(\w+)\}/g, ':$1'),
      action,
      kind: 'api',
      ...options,
    };
    registry.add(rule);
    const route = createRoute({
      ...config,
      middleware: [guard(rule)] as never,
      ...(action === 'public' ? {} : { security: [{ bearer: [] }, { session: [] }] }),
    });
    api.openapi(route, handler as never);
  };
  const json: ValidInput = <T>(c: Context<AppEnv>, key: 'json' | 'param' | 'query'): T =>
    c.req.valid(key as never) as T;

  def(
    'self',
    { method: 'get', path: '/me', summary: 'The signed-in user', responses: ok(UserSchema, 'You') },
    (c) => c.json(toUser(c.get('auth')!.user)),
  );

  def(
    'org.read',
    {
      method: 'get',
      path: '/organisations',
      summary: 'List organisations',
      responses: ok(z.array(OrganisationSchema), 'Organisations'),
    },
    async (c) => c.json((await c.get('accounts').listOrganisations(c.get('auth')!.actor)).map(toOrg)),
  );
  def(
    'org.read',
    {
      method: 'get',
      path: '/organisations/{id}',
      summary: 'One organisation',
      request: { params: IdParam },
      responses: {
        ...ok(OrganisationSchema, 'The organisation'),
        404: { description: 'No such organisation' },
      },
    },
    async (c) => {
      const { id } = json<{ id: string }>(c, 'param');
      return c.json(toOrg(await c.get('accounts').getOrganisation(c.get('auth')!.actor, parseOrgId(id))));
    },
  );
  def(
    'org.create',
    {
      method: 'post',
      path: '/organisations',
      summary: 'Create an organisation',
      request: { body: { required: true, content: { 'application/json': { schema: NewOrganisation } } } },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: OrganisationSchema } } },
        409: { description: 'Name taken', content: { 'application/json': { schema: ErrorSchema } } },
        ...errors,
      },
    },
    async (c) => {
      const input = json<z.infer<typeof NewOrganisation>>(c, 'json');
      return c.json(toOrg(await c.get('accounts').createOrganisation(c.get('auth')!.actor, input)), 201);
    },
  );

  def(
    'user.read',
    { method: 'get', path: '/users', summary: 'List users', responses: ok(z.array(UserSchema), 'Users') },
    async (c) => c.json((await c.get('accounts').listUsers(c.get('auth')!.actor)).map(toUser)),
  );
  def(
    'user.read',
    {
      method: 'get',
      path: '/users/{id}',
      summary: 'One user',
      request: { params: IdParam },
      responses: { ...ok(UserSchema, 'The user'), 404: { description: 'No such user' } },
    },
    async (c) => {
      const { id } = json<{ id: string }>(c, 'param');
      return c.json(toUser(await c.get('accounts').getUser(c.get('auth')!.actor, parseUserId(id))));
    },
  );
  def(
    'user.create',
    {
      method: 'post',
      path: '/users',
      summary: 'Create a user with a generated one-time password (returned once)',
      request: { body: { required: true, content: { 'application/json': { schema: NewUser } } } },
      responses: {
        201: {
          description: 'Created',
          content: {
            'application/json': { schema: z.object({ user: UserSchema, initialPassword: z.string() }) },
          },
        },
        409: { description: 'Username taken', content: { 'application/json': { schema: ErrorSchema } } },
        ...errors,
      },
    },
    async (c) => {
      const input = json<z.infer<typeof NewUser>>(c, 'json');
      const { user, initialPassword } = await c.get('accounts').createUser(c.get('auth')!.actor, input);
      return c.json({ user: toUser(user), initialPassword }, 201);
    },
  );
  def(
    'user.update',
    {
      method: 'patch',
      path: '/users/{id}',
      summary: "Change a user's role or disable/enable them",
      request: {
        params: IdParam,
        body: { required: true, content: { 'application/json': { schema: UserChange } } },
      },
      responses: {
        ...ok(UserSchema, 'The updated user'),
        404: { description: 'No such user' },
        409: { description: 'Refused (last admin)' },
      },
    },
    async (c) => {
      const { id } = json<{ id: string }>(c, 'param');
      const change = json<{ role?: User['role']; disabled?: boolean }>(c, 'json');
      const user = await c.get('accounts').updateUser(c.get('auth')!.actor, parseUserId(id), change);
      return c.json(toUser(user));
    },
  );

  def(
    'audit.read',
    {
      method: 'get',
      path: '/audit',
      summary: 'Security audit events, newest first',
      request: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(100),
          before: z.coerce.number().int().min(1).optional(),
        }),
      },
      responses: ok(z.array(AuditEventSchema), 'Events'),
    },
    async (c) => {
      const q = json<{ limit: number; before?: number }>(c, 'query');
      const events = await c
        .get('accounts')
        .listAudit(c.get('auth')!.actor, { limit: q.limit, ...(q.before ? { beforeSeq: q.before } : {}) });
      return c.json(events.map(toAudit));
    },
  );

  def(
    'self',
    {
      method: 'get',
      path: '/tokens',
      summary: 'Your API tokens (never their secrets)',
      responses: ok(z.array(TokenSchema), 'Tokens'),
    },
    async (c) => c.json((await c.get('accounts').listTokens(c.get('auth')!.user)).map(toToken)),
  );
  def(
    'self.change',
    {
      method: 'delete',
      path: '/tokens/{id}',
      summary: 'Revoke one of your API tokens',
      request: { params: IdParam },
      responses: { 204: { description: 'Revoked' }, 404: { description: 'No such active token' }, ...errors },
    },
    async (c) => {
      const { id } = json<{ id: string }>(c, 'param');
      await c.get('accounts').revokeToken(c.get('auth')!.user, id);
      return c.body(null, 204);
    },
  );

  registerCasesApi(def, json);
  registerEvidenceApi(def, json);
  registerExportApi(def, json);
  registerLegalApi(def, json);
  registerWitnessesApi(def, json);

  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token created on the profile page: Authorization: Bearer acc_…',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'accord_session',
    description: 'A browser session; state-changing requests must also send X-CSRF-Token.',
  });

  const specRule: RouteRule = {
    method: 'GET',
    path: `${API_BASE}/openapi.json`,
    action: 'public',
    kind: 'api',
  };
  registry.add(specRule);
  api.get('/openapi.json', guard(specRule), (c) =>
    c.json(
      api.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Accord node API',
          version: '1',
          description: 'Errors are { "error": { "code", "message" } }.',
        },
        servers: [{ url: API_BASE }],
      }),
    ),
  );

  app.route(API_BASE, api as unknown as Hono<AppEnv>);
  return errorBody;
};
