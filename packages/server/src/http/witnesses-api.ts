import {
  CONSENT_PURPOSES,
  CONSENT_STATES,
  RISK_LEVELS,
  WITNESS_KINDS,
  type Witnesses,
  type WitnessView,
} from '@accord/core';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  body,
  conflict,
  created,
  type DefineApiRoute,
  date,
  IdParam,
  notFound,
  ok,
  oneOf,
  requestParts,
  text,
  type ValidInput,
} from './api-common.ts';
import type { AppEnv } from './context.ts';

/**
 * The witnesses part of /api/v1: witnesses of a case by pseudonym, their consent (append-only, the
 * latest word counts), their statements, and — for protection officers inside the protection
 * compartment only — their real identities and risk assessments. Schemas check only the shape of a
 * request; the Witnesses service checks its meaning and every access (its messages reach the client
 * unchanged). Every route is guarded at node level by case.read: what a user may do with a witness
 * depends on their role on the case and their compartments, which only the service knows.
 */

// ── schemas: responses ───────────────────────────────────────────────────────
const WitnessSchema = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    pseudonym: z.string().openapi({ example: 'W-0421', description: 'Unique in the case; never a name' }),
    kind: z.enum(WITNESS_KINDS),
    languages: z.array(z.string()).openapi({ description: 'BCP 47 tags (uk, ar, fr…)' }),
    note: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Witness');

const WitnessIdentitySchema = z
  .object({
    witnessId: z.uuid(),
    caseId: z.uuid(),
    compartmentId: z.uuid().openapi({ description: 'The protection compartment the identity is filed in' }),
    fullName: z.string(),
    otherNames: z.array(z.string()),
    dateOfBirth: z.string().nullable(),
    contact: z.string(),
    address: z.string(),
    note: z.string(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('WitnessIdentity');

const ConsentEventSchema = z
  .object({
    seq: z.number().int(),
    id: z.uuid(),
    witnessId: z.uuid(),
    caseId: z.uuid(),
    purpose: z.enum(CONSENT_PURPOSES),
    scope: z.string().openapi({
      description:
        'Empty for investigation, public_reports and contact; a jurisdiction (ICC, DE…) for prosecution; ' +
        'an organisation id for sharing',
    }),
    state: z.enum(CONSENT_STATES),
    at: z.iso.datetime(),
    recordedBy: z.string().nullable(),
    via: z.enum(['advocate', 'survivor']),
    note: z.string(),
  })
  .openapi('ConsentEvent');

const ConsentStateSchema = z
  .object({
    purpose: z.enum(CONSENT_PURPOSES),
    scope: z.string(),
    state: z.enum(CONSENT_STATES),
    at: z.iso.datetime(),
  })
  .openapi('ConsentState', { description: 'The current consent for one purpose and scope: the latest word' });

const StatementSchema = z
  .object({
    id: z.uuid(),
    witnessId: z.uuid(),
    caseId: z.uuid(),
    itemId: z.uuid().nullable().openapi({
      description: 'The evidence item holding the statement (null as well when you may not see it)',
    }),
    takenOn: z.string().openapi({ example: '2024-05-02' }),
    takenBy: z.string(),
    orgId: z.uuid(),
    language: z.string(),
    interpreter: z.string(),
    consentAtTime: z.array(ConsentStateSchema),
    note: z.string(),
    createdAt: z.iso.datetime(),
    createdBy: z.string().nullable(),
  })
  .openapi('Statement');

const RiskAssessmentSchema = z
  .object({
    id: z.uuid(),
    witnessId: z.uuid(),
    caseId: z.uuid(),
    level: z.enum(RISK_LEVELS),
    assessedOn: z.string().openapi({ example: '2024-05-01' }),
    threats: z.string(),
    measures: z.string().openapi({ description: 'The protective measures decided' }),
    reviewOn: z.string().openapi({ example: '2024-06-01' }),
    createdAt: z.iso.datetime(),
    createdBy: z.string().nullable(),
  })
  .openapi('RiskAssessment');

const WitnessViewSchema = z
  .object({
    witness: WitnessSchema,
    consent: z.array(ConsentEventSchema).openapi({ description: 'The whole consent history, oldest first' }),
    current: z.array(ConsentStateSchema),
    statements: z.array(StatementSchema),
    identity: WitnessIdentitySchema.optional().openapi({
      description:
        'Only for protection officers named in the compartment it is filed in (absent otherwise, ' +
        'and absent when none was recorded)',
    }),
    risks: z
      .array(RiskAssessmentSchema)
      .optional()
      .openapi({ description: 'Newest first; only for those who may open the identity' }),
    may: z.object({
      edit: z.boolean().openapi({ description: 'Record consent, statements and changes' }),
      protect: z.boolean().openapi({ description: 'Open the identity and the risk assessments' }),
    }),
  })
  .openapi('WitnessView');

const ReviewDueSchema = z
  .object({ witness: WitnessSchema, risk: RiskAssessmentSchema })
  .openapi('RiskReviewDue');

// ── schemas: requests (shape only: the service says what is wrong with the content) ──
const languages = z
  .array(z.string())
  .openapi({ description: 'Languages the witness speaks, as BCP 47 tags', example: ['uk', 'ru'] });

const NewWitness = z
  .object({
    pseudonym: text('Such as W-0421: never a name (default: the next W-NNNN of the case)').optional(),
    kind: oneOf(WITNESS_KINDS, 'Default witness').optional(),
    languages: languages.optional(),
    note: text().optional(),
  })
  .strict()
  .openapi('NewWitness');
const WitnessChange = z
  .object({
    kind: oneOf(WITNESS_KINDS).optional(),
    languages: languages.optional(),
    note: text().optional(),
  })
  .strict()
  .openapi('WitnessChange', {
    description: 'The fields to change; the others keep their values (the pseudonym never changes)',
  });

const IdentityInput = z
  .object({
    compartmentId: text('The protection compartment to file the identity in (you must be named in it)'),
    fullName: text(),
    otherNames: z.array(z.string()).optional(),
    dateOfBirth: date('The date of birth').nullable().optional(),
    contact: text().optional(),
    address: text().optional(),
    note: text().optional(),
  })
  .strict()
  .openapi('WitnessIdentityInput', { description: 'The whole identity: it replaces the one recorded' });

const ConsentInput = z
  .object({
    purpose: oneOf(CONSENT_PURPOSES),
    scope: text(
      'For prosecution a jurisdiction (ICC or a national profile such as DE); for sharing an ' +
        'organisation id; none for the other purposes',
    ).optional(),
    state: oneOf(CONSENT_STATES),
    note: text().optional(),
  })
  .strict()
  .openapi('ConsentInput');

const NewStatement = z
  .object({
    itemId: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'An evidence item of the case holding the statement (recording, transcript)' }),
    takenOn: date('When it was taken'),
    takenBy: text('Who took it (name or function)'),
    orgId: text('The organisation that took it (default: yours)').optional(),
    language: text('A language tag such as uk'),
    interpreter: text().optional(),
    note: text().optional(),
  })
  .strict()
  .openapi('NewStatement');

const NewRisk = z
  .object({
    level: oneOf(RISK_LEVELS),
    assessedOn: date('The date of the assessment'),
    threats: text().optional(),
    measures: text('The protective measures decided').optional(),
    reviewOn: date('When to look again (not before the assessment)'),
  })
  .strict()
  .openapi('NewRiskAssessment');

// ── mapping ──────────────────────────────────────────────────────────────────
/** The view as JSON: identity and risks are left out, not null, for those who may not open them. */
const toView = (v: WitnessView) => ({
  witness: v.witness,
  consent: v.consent,
  current: v.current,
  statements: v.statements,
  ...(v.identity ? { identity: v.identity } : {}),
  ...(v.risks ? { risks: v.risks } : {}),
  may: v.may,
});

/** The witnesses part of /api/v1. */
export const registerWitnessesApi = (def: DefineApiRoute, valid: ValidInput) => {
  const witnessesOf = (c: Context<AppEnv>): Witnesses => c.get('node').witnesses;
  const { actorOf, idOf, input } = requestParts(valid);

  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/witnesses',
      summary: 'The witnesses of the case, by pseudonym',
      request: { params: IdParam },
      responses: { ...ok(z.array(WitnessSchema), 'Witnesses'), ...notFound('No such case') },
    },
    async (c) => c.json(await witnessesOf(c).list(actorOf(c), idOf(c))),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/cases/{id}/witnesses',
      summary: 'Record a witness under a pseudonym (the next W-NNNN unless one is chosen)',
      request: { params: IdParam, body: body(NewWitness) },
      responses: {
        ...created(WitnessSchema),
        ...notFound('No such case'),
        ...conflict('The case already has a witness of that pseudonym'),
      },
    },
    async (c) => c.json(await witnessesOf(c).create(actorOf(c), idOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/witnesses/reviews-due',
      summary:
        'Witnesses whose latest risk assessment is due for review today or earlier (protection officers)',
      description: 'Only witnesses whose identity is filed in a compartment you are named in.',
      request: { params: IdParam },
      responses: { ...ok(z.array(ReviewDueSchema), 'Reviews due'), ...notFound('No such case') },
    },
    async (c) => c.json(await witnessesOf(c).reviewsDue(actorOf(c), idOf(c))),
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/witnesses/{id}',
      summary: 'One witness: consent history, current consent, statements; identity and risks if you may',
      description:
        'The identity and the risk assessments are present only for protection officers named in the ' +
        'compartment the identity is filed in. Statements pointing to items you may not see keep their ' +
        'record but not the link (itemId null).',
      request: { params: IdParam },
      responses: { ...ok(WitnessViewSchema, 'The witness'), ...notFound('No such witness') },
    },
    async (c) => c.json(toView(await witnessesOf(c).view(actorOf(c), idOf(c)))),
  );
  def(
    'case.read',
    {
      method: 'patch',
      path: '/witnesses/{id}',
      summary: 'Change the kind, languages or note of a witness',
      request: { params: IdParam, body: body(WitnessChange) },
      responses: { ...ok(WitnessSchema, 'The changed witness'), ...notFound('No such witness') },
    },
    async (c) => c.json(await witnessesOf(c).update(actorOf(c), idOf(c), input(c))),
  );
  def(
    'case.read',
    {
      method: 'put',
      path: '/witnesses/{id}/identity',
      summary:
        'Record (or replace) the real identity, filed in a protection compartment (protection officers)',
      description:
        'You must be a protection officer on the case and named in the compartment (and, when the ' +
        'identity moves, in the one it leaves).',
      request: { params: IdParam, body: body(IdentityInput) },
      responses: {
        ...ok(WitnessIdentitySchema, 'The identity'),
        ...notFound('No such witness or compartment'),
      },
    },
    async (c) => c.json(await witnessesOf(c).setIdentity(actorOf(c), idOf(c), input(c))),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/witnesses/{id}/consent',
      summary:
        'Record that the witness gave or withdrew consent for one purpose; returns the current consent',
      description: 'The history is append-only: the latest entry for a purpose and scope is what counts.',
      request: { params: IdParam, body: body(ConsentInput) },
      responses: {
        ...created(z.array(ConsentStateSchema), 'Recorded; the current consent'),
        ...notFound('No such witness or organisation'),
      },
    },
    async (c) => c.json(await witnessesOf(c).recordConsent(actorOf(c), idOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/witnesses/{id}/statements',
      summary: 'Record an interview or statement, with the consent as it stands now',
      request: { params: IdParam, body: body(NewStatement) },
      responses: { ...created(StatementSchema), ...notFound('No such witness, item or organisation') },
    },
    async (c) => c.json(await witnessesOf(c).addStatement(actorOf(c), idOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/witnesses/{id}/risks',
      summary: 'Record a risk assessment with its protective measures and review date (protection officers)',
      request: { params: IdParam, body: body(NewRisk) },
      responses: { ...created(RiskAssessmentSchema), ...notFound('No such witness') },
    },
    async (c) => c.json(await witnessesOf(c).addRisk(actorOf(c), idOf(c), input(c)), 201),
  );
};
