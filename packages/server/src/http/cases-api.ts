import {
  ANSWERS,
  BASIS_KINDS,
  CASE_ACTIONS,
  CASE_ROLES,
  CASE_STATUSES,
  type Cases,
  type CaseView,
  type Charge,
  CREDIBILITY,
  DATA_CATEGORIES,
  ELEMENT_KINDS,
  ELEMENT_STATUSES,
  type GapReport,
  gapReportCsv,
  ITEM_KINDS,
  type ItemRecord,
  PART_KINDS,
  RELIABILITY,
  SOURCE_KINDS,
  STANCES,
  type Suspect,
  WEIGHTS,
} from '@accord/core';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  body,
  conflict,
  created,
  type DefineApiRoute,
  date,
  errors,
  IdParam,
  notFound,
  ok,
  oneOf,
  requestParts,
  text,
  type ValidInput,
} from './api-common.ts';
import { contentDisposition } from './content.ts';
import type { AppEnv } from './context.ts';

/**
 * The cases part of /api/v1: cases, members, joint investigation team agreements, compartments,
 * incidents, the proof matrix and its gap analysis. Schemas check only the shape of a request; the
 * Cases service checks its meaning and every access (its messages reach the client unchanged).
 * Every route is guarded at node level by case.read (opening a case by case.create): what a user
 * may do inside a case depends on their role on it, which only the service knows.
 */

// ── schemas: responses ───────────────────────────────────────────────────────
const CitationSchema = z.object({
  instrument: z.string(),
  article: z.string(),
  paragraph: z.string().nullable(),
});

const CaseSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    summary: z.string(),
    status: z.enum(CASE_STATUSES),
    jurisdictions: z.array(z.string()).openapi({
      description: 'National profiles of the legal catalogue (DE, FR…) and ICC for the Rome Statute',
    }),
    leadOrgId: z.uuid(),
    legalBasis: z.string(),
    openedOn: z.string().openapi({ example: '2024-03-01' }),
    closedOn: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Case');

const CaseListEntrySchema = CaseSchema.extend({
  role: z.enum(CASE_ROLES).nullable().openapi({ description: 'Your role on the case' }),
}).openapi('CaseListEntry');

const viewFields = {
  case: CaseSchema,
  role: z.enum(CASE_ROLES).nullable().openapi({ description: 'Your role on the case' }),
  may: z
    .record(z.enum(CASE_ACTIONS), z.boolean())
    .openapi({ description: 'What you may do in the case (without regard to compartments)' }),
  receives: z
    .array(z.enum(DATA_CATEGORIES))
    .nullable()
    .openapi({
      description:
        'For members outside the lead organisation: what the agreements in force let their organisation ' +
        'receive; null for members of the lead organisation (no limit)',
    }),
};
const CaseViewSchema = z.object(viewFields).openapi('CaseView');

const SuspectSchema = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    name: z.string(),
    position: z.string().openapi({ description: 'Rank, function, unit' }),
    note: z.string(),
    createdAt: z.iso.datetime(),
  })
  .openapi('Suspect');

const ChargeSchema = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    suspectId: z.uuid(),
    crimeId: z.string().openapi({ example: 'rs-7-1-a' }),
    modeId: z.string().openapi({ example: 'rs-25-3-a', description: 'The mode of liability' }),
    note: z.string(),
    createdAt: z.iso.datetime(),
    withdrawnAt: z.string().nullable(),
  })
  .openapi('Charge');

const DashboardSchema = z
  .object({
    ...viewFields,
    counts: z.object({
      members: z.number().int(),
      items: z.number().int(),
      incidents: z.number().int(),
      suspects: z.number().int(),
      charges: z.number().int(),
    }),
    charges: z
      .array(
        z.object({
          charge: ChargeSchema,
          suspect: SuspectSchema.nullable(),
          byJurisdiction: z.array(
            z.object({
              jurisdiction: z.string(),
              applicable: z.boolean(),
              proven: z.boolean(),
              gaps: z.number().int(),
            }),
          ),
        }),
      )
      .openapi({ description: 'Only for those who may read the proof matrix' }),
  })
  .openapi('CaseDashboard');

const CaseEventSchema = z
  .object({
    seq: z.number().int(),
    id: z.uuid(),
    caseId: z.uuid(),
    compartmentId: z.string().nullable(),
    at: z.iso.datetime(),
    actorUserId: z.string().nullable(),
    actorOrgId: z.string().nullable(),
    type: z.string().openapi({ example: 'member.added' }),
    subjectId: z.string().nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  })
  .openapi('CaseEvent');

const MemberSchema = z
  .object({
    caseId: z.uuid(),
    userId: z.uuid(),
    role: z.enum(CASE_ROLES),
    addedAt: z.iso.datetime(),
    username: z.string(),
    displayName: z.string(),
    orgId: z.uuid(),
    orgName: z.string(),
  })
  .openapi('CaseMember');

const ParticipantSchema = z
  .object({
    orgId: z.uuid(),
    country: z.string().openapi({ example: 'DE' }),
    receives: z.array(z.enum(DATA_CATEGORIES)),
  })
  .openapi('AgreementParticipant');

const AgreementSchema = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    title: z.string(),
    basisKind: z.enum(BASIS_KINDS),
    legalBasis: z.string(),
    startsOn: z.string(),
    endsOn: z.string().nullable(),
    scope: z.string(),
    purposeLimitation: z.string(),
    participants: z.array(ParticipantSchema),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Agreement');

const CompartmentSchema = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    name: z.string(),
    description: z.string(),
    members: z.array(z.uuid()),
    createdAt: z.iso.datetime(),
  })
  .openapi('Compartment');

const IncidentSchema = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    compartmentId: z.uuid().nullable(),
    title: z.string(),
    occurredFrom: z.string().openapi({ description: 'A month, a date or a time with its offset' }),
    occurredTo: z.string().nullable(),
    place: z.string(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    acts: z.array(z.string()),
    victims: z.array(z.string()).openapi({ description: 'Pseudonyms only' }),
    perpetratorIds: z.array(z.uuid()).openapi({ description: 'Suspects of the case' }),
    perpetratorsOther: z.string(),
    sources: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Incident');

const ItemSummarySchema = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    title: z.string(),
    kind: z.enum(ITEM_KINDS),
    mediaType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    derivedFrom: z.uuid().nullable(),
    capturedAt: z.string().nullable(),
    sensitive: z.boolean(),
    sealedAt: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .openapi('CaseItemSummary', {
    description: 'An evidence item, in short (GET /evidence/{id} has all of it)',
  });

const IncidentDetailSchema = z
  .object({
    incident: IncidentSchema,
    items: z.array(ItemSummarySchema).openapi({ description: 'The linked items you may see' }),
    suspects: z.array(SuspectSchema).openapi({ description: 'The suspects named as perpetrators' }),
  })
  .openapi('IncidentDetail');

const LinkSchema = z
  .object({
    id: z.uuid(),
    caseId: z.uuid(),
    chargeId: z.uuid(),
    elementId: z.string().openapi({ example: 'rs-7-1-a.1' }),
    itemId: z.uuid(),
    partKind: z.enum(PART_KINDS),
    part: z
      .string()
      .openapi({ description: '"12" or "12-14" (pages), "00:01:30-00:02:10" (time), "x,y,w,h" (region)' }),
    stance: z.enum(STANCES),
    weight: z.enum(WEIGHTS),
    reliability: z.enum(RELIABILITY),
    credibility: z.enum(CREDIBILITY),
    note: z.string(),
    createdAt: z.iso.datetime(),
    createdBy: z.string().nullable(),
    withdrawnAt: z.string().nullable(),
  })
  .openapi('ProofLink');

const ProfileSchema = z
  .object({
    itemId: z.uuid(),
    caseId: z.uuid(),
    sourceKind: z.enum(SOURCE_KINDS),
    sourceLabel: z.string(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('ItemProfile');

const AdmissibilitySchema = z
  .object({
    itemId: z.uuid(),
    caseId: z.uuid(),
    jurisdiction: z.string(),
    ruleId: z.string(),
    answer: z.enum(ANSWERS),
    note: z.string(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('AdmissibilityAnswer');

const MatrixSchema = z
  .object({
    suspects: z.array(SuspectSchema),
    charges: z.array(ChargeSchema),
    links: z
      .array(LinkSchema)
      .openapi({ description: 'Links in force to items you may see (withdrawn ones are left out)' }),
    items: z.array(ItemSummarySchema),
    profiles: z.array(ProfileSchema),
    admissibility: z.array(AdmissibilitySchema),
  })
  .openapi('ProofMatrix');

const CrimeRefSchema = z.object({ id: z.string(), name: z.string(), article: z.string() });

const GapReportSchema = z
  .object({
    chargeId: z.uuid(),
    jurisdiction: z.string().openapi({ example: 'DE', description: 'ICC for the Rome Statute' }),
    suspect: z.object({ id: z.uuid(), name: z.string() }),
    crime: CrimeRefSchema,
    mode: CrimeRefSchema.nullable(),
    offences: z
      .array(z.object({ id: z.string(), name: z.string(), citation: CitationSchema }))
      .openapi({ description: 'National offences that correspond to the crime (none for ICC)' }),
    applicable: z
      .boolean()
      .openapi({ description: 'False when no offence of the jurisdiction maps onto the crime' }),
    proven: z.boolean(),
    counts: z.object({
      unproven: z.number().int(),
      inadmissible: z.number().int(),
      single_source: z.number().int(),
      corroborated: z.number().int(),
      contradicted: z.number().int(),
      gaps: z.number().int(),
    }),
    items: z
      .array(
        z.object({
          itemId: z.uuid(),
          title: z.string(),
          kind: z.enum(ITEM_KINDS),
          sealed: z.boolean(),
          sourceKind: z.enum(SOURCE_KINDS).nullable(),
          sourceLabel: z.string(),
          notMet: z
            .array(z.string())
            .openapi({ description: 'Checklist entries of this jurisdiction recorded as not met' }),
        }),
      )
      .openapi({ description: 'The columns of the grid, in the order of first link' }),
    rows: z.array(
      z.object({
        element: z.object({
          id: z.string(),
          kind: z.enum(ELEMENT_KINDS),
          text: z.string(),
          citation: CitationSchema,
        }),
        of: z.enum(['crime', 'mode']),
        required: z.boolean(),
        status: z.enum(ELEMENT_STATUSES),
        contradicted: z.boolean(),
        gap: z.boolean(),
        reasons: z.array(z.string()),
        sources: z.array(z.object({ label: z.string(), kinds: z.array(z.enum(SOURCE_KINDS).nullable()) })),
        cells: z.array(z.object({ itemId: z.uuid(), linkIds: z.array(z.uuid()) })),
      }),
    ),
  })
  .openapi('GapReport');

// ── schemas: requests (shape only: the service says what is wrong with the content) ──

const caseFields = {
  title: text('Up to 300 characters'),
  summary: text(),
  status: oneOf(CASE_STATUSES, 'Default preliminary'),
  jurisdictions: z
    .array(z.string())
    .openapi({ description: 'National profiles of the legal catalogue, and ICC for the Rome Statute' }),
  legalBasis: text(),
  openedOn: date('Defaults to today'),
};
const NewCase = z
  .object({
    ...caseFields,
    summary: caseFields.summary.optional(),
    status: caseFields.status.optional(),
    jurisdictions: caseFields.jurisdictions.optional(),
    legalBasis: caseFields.legalBasis.optional(),
    openedOn: caseFields.openedOn.optional(),
  })
  .strict()
  .openapi('NewCase');
const CaseChange = z
  .object({
    title: caseFields.title.optional(),
    summary: caseFields.summary.optional(),
    status: caseFields.status.optional(),
    jurisdictions: caseFields.jurisdictions.optional(),
    legalBasis: caseFields.legalBasis.optional(),
    openedOn: caseFields.openedOn.optional(),
    closedOn: date('Only for a closed case; defaults to today when it closes').nullable().optional(),
  })
  .strict()
  .openapi('CaseChange', { description: 'The fields to change; the others keep their values' });

const MemberRole = z
  .object({ role: oneOf(CASE_ROLES) })
  .strict()
  .openapi('CaseMemberRole');

const AgreementInput = z
  .object({
    title: text(),
    basisKind: oneOf(BASIS_KINDS),
    legalBasis: text().optional(),
    startsOn: date('When the agreement takes effect'),
    endsOn: date('When it ends (none: open-ended)').nullable().optional(),
    scope: text().optional(),
    purposeLimitation: text().optional(),
    participants: z.array(
      z
        .object({
          orgId: z.string(),
          country: text('ISO 3166-1 two-letter code'),
          receives: z.array(oneOf(DATA_CATEGORIES)),
        })
        .strict(),
    ),
  })
  .strict()
  .openapi('AgreementInput');

const NewCompartment = z
  .object({
    name: text(),
    description: text().optional(),
    members: z
      .array(z.string())
      .optional()
      .openapi({ description: 'User ids of case members; you are added when you are not listed' }),
  })
  .strict()
  .openapi('NewCompartment');
const CompartmentMembers = z
  .object({ members: z.array(z.string()).openapi({ description: 'User ids of case members' }) })
  .strict()
  .openapi('CompartmentMembers');

const ItemCompartment = z
  .object({
    compartmentId: z
      .string()
      .nullable()
      .openapi({ description: 'A compartment of the item’s case, or null for the general area' }),
  })
  .strict()
  .openapi('ItemCompartment');
const ProfileInput = z
  .object({ sourceKind: oneOf(SOURCE_KINDS), sourceLabel: text('Such as W-0421 or "Ministry archive"') })
  .strict()
  .openapi('ItemProfileInput');
const AdmissibilityInput = z
  .object({
    jurisdiction: text('A national profile, such as DE'),
    ruleId: text("An entry of the profile's admissibility checklist"),
    answer: oneOf(ANSWERS),
    note: text().optional(),
  })
  .strict()
  .openapi('AdmissibilityInput');

const IncidentInput = z
  .object({
    title: text(),
    occurredFrom: text('A month (2022-03), a date (2022-03-09) or a time with its offset'),
    occurredTo: z.string().nullable().optional(),
    compartmentId: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'A compartment of the case; when changing an incident, absent keeps it' }),
    place: text().optional(),
    latitude: z.number().nullable().optional(),
    longitude: z.number().nullable().optional(),
    acts: z.array(z.string()).optional(),
    victims: z.array(z.string()).optional().openapi({ description: 'Pseudonyms only (V-0012, W-0421)' }),
    perpetratorIds: z.array(z.string()).optional().openapi({ description: 'Suspects of the case' }),
    perpetratorsOther: text('Perpetrators not (yet) identified, in words').optional(),
    sources: text().optional(),
  })
  .strict()
  .openapi('IncidentInput');

const NewSuspect = z
  .object({ name: text(), position: text('Rank, function, unit').optional(), note: text().optional() })
  .strict()
  .openapi('NewSuspect');
const NewCharge = z
  .object({
    suspectId: z.string(),
    crimeId: text('A crime of the legal catalogue, such as rs-7-1-a'),
    modeId: text('A mode of liability, such as rs-25-3-a'),
    note: text().optional(),
  })
  .strict()
  .openapi('NewCharge');
const NewLink = z
  .object({
    itemId: z.string(),
    elementId: text('An element of the crime or of the mode of liability, such as rs-7-1-a.1'),
    partKind: oneOf(PART_KINDS, 'Default whole').optional(),
    part: text('"12" or "12-14" (page), "00:01:30-00:02:10" (time), "x,y,w,h" (region)').optional(),
    stance: oneOf(STANCES),
    weight: oneOf(WEIGHTS),
    reliability: oneOf(RELIABILITY, 'A completely reliable … F cannot be judged'),
    credibility: z
      .union([z.string(), z.number()])
      .openapi({ description: '1 confirmed … 6 cannot be judged', example: '2' }),
    note: text().optional(),
  })
  .strict()
  .openapi('NewProofLink');

const pathId = (name: string) => z.uuid().openapi({ param: { name, in: 'path' } });
const CaseUserParam = z.object({ id: pathId('id'), userId: pathId('userId') });
const CaseAgreementParam = z.object({ id: pathId('id'), agreementId: pathId('agreementId') });
const IncidentItemParam = z.object({ id: pathId('id'), itemId: pathId('itemId') });

const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ description: '1–500, default 100' }),
});
const GapsQuery = z.object({
  jurisdiction: z.string().optional().openapi({
    description: 'A national profile (DE, FR…) or ICC for the Rome Statute (the default)',
    example: 'DE',
  }),
});

const noContent = (description: string) => ({ 204: { description }, ...errors });

// ── mapping ──────────────────────────────────────────────────────────────────
const toView = (v: CaseView) => ({
  case: v.record,
  role: v.role ?? null,
  may: v.may,
  receives: v.receives ?? null,
});

const toItemSummary = (i: ItemRecord) => ({
  id: i.id,
  caseId: i.caseId,
  title: i.title,
  kind: i.kind,
  mediaType: i.mediaType,
  size: i.size,
  sha256: i.sha256,
  derivedFrom: i.derivedFrom,
  capturedAt: i.capturedAt,
  sensitive: i.sensitive,
  sealedAt: i.sealedAt,
  createdAt: i.createdAt,
});

export const toGapReportJson = (report: GapReport, suspect: Suspect) => ({
  chargeId: report.chargeId,
  jurisdiction: report.jurisdiction,
  suspect: { id: suspect.id, name: suspect.name },
  crime: { id: report.crime.id, name: report.crime.name, article: report.crime.article },
  mode: report.mode ? { id: report.mode.id, name: report.mode.name, article: report.mode.article } : null,
  offences: report.offences.map((o) => ({ id: o.id, name: o.name, citation: { ...o.citation } })),
  applicable: report.applicable,
  proven: report.proven,
  counts: { ...report.counts },
  items: report.items.map((f) => ({
    itemId: f.itemId,
    title: f.title,
    kind: f.kind,
    sealed: f.sealed,
    sourceKind: f.sourceKind,
    sourceLabel: f.sourceLabel,
    notMet: [...(f.notMet.get(report.jurisdiction) ?? [])],
  })),
  rows: report.rows.map((r) => ({
    element: {
      id: r.element.id,
      kind: r.element.kind,
      text: r.element.text,
      citation: { ...r.element.citation },
    },
    of: r.of,
    required: r.required,
    status: r.status,
    contradicted: r.contradicted,
    gap: r.gap,
    reasons: [...r.reasons],
    sources: r.sources.map((s) => ({ label: s.label, kinds: [...s.kinds] })),
    cells: r.cells.map((cell) => ({ itemId: cell.itemId, linkIds: cell.links.map((l) => l.id) })),
  })),
});

/** The name a downloaded gap report gets: the crime and the jurisdiction, never the suspect. */
const csvName = (charge: Charge, jurisdiction: string) => `gap-report-${charge.crimeId}-${jurisdiction}.csv`;

/** The cases part of /api/v1. */
export const registerCasesApi = (def: DefineApiRoute, valid: ValidInput) => {
  const casesOf = (c: Context<AppEnv>): Cases => c.get('cases');
  const { actorOf, idOf, input } = requestParts(valid);

  // ── cases ──────────────────────────────────────────────────────────────────
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases',
      summary: 'The cases you are a member of, with your role on each',
      responses: ok(z.array(CaseListEntrySchema), 'Cases'),
    },
    async (c) =>
      c.json(
        (await casesOf(c).list(actorOf(c))).map(({ role, ...record }) => ({ ...record, role: role ?? null })),
      ),
  );
  def(
    'case.create',
    {
      method: 'post',
      path: '/cases',
      summary: 'Open a case led by your organisation (you become its lead)',
      request: { body: body(NewCase) },
      responses: created(CaseSchema),
    },
    async (c) => c.json(await casesOf(c).create(actorOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}',
      summary: 'One case, your role on it and what you may do',
      request: { params: IdParam },
      responses: { ...ok(CaseViewSchema, 'The case'), ...notFound('No such case (or not a member)') },
    },
    async (c) => c.json(toView(await casesOf(c).view(actorOf(c), idOf(c)))),
  );
  def(
    'case.read',
    {
      method: 'patch',
      path: '/cases/{id}',
      summary: 'Change the case record (leads)',
      request: { params: IdParam, body: body(CaseChange) },
      responses: { ...ok(CaseSchema, 'The changed case'), ...notFound('No such case') },
    },
    async (c) => c.json(await casesOf(c).update(actorOf(c), idOf(c), input(c))),
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/dashboard',
      summary: 'The case at a glance: counts, and per charge and jurisdiction whether it is proven',
      request: { params: IdParam },
      responses: { ...ok(DashboardSchema, 'The dashboard'), ...notFound('No such case') },
    },
    async (c) => {
      const { view, counts, charges } = await casesOf(c).dashboard(actorOf(c), idOf(c));
      return c.json({
        ...toView(view),
        counts,
        charges: charges.map((k) => ({ ...k, suspect: k.suspect ?? null })),
      });
    },
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/history',
      summary: 'The case history, newest first (only the entries you may see)',
      request: { params: IdParam, query: HistoryQuery },
      responses: { ...ok(z.array(CaseEventSchema), 'Events'), ...notFound('No such case') },
    },
    async (c) => {
      const { limit } = valid<{ limit: number }>(c, 'query');
      return c.json(await casesOf(c).history(actorOf(c), idOf(c), limit));
    },
  );

  // ── members and agreements ─────────────────────────────────────────────────
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/members',
      summary: 'The members of the case',
      request: { params: IdParam },
      responses: { ...ok(z.array(MemberSchema), 'Members'), ...notFound('No such case') },
    },
    async (c) => c.json(await casesOf(c).members(actorOf(c), idOf(c))),
  );
  def(
    'case.read',
    {
      method: 'put',
      path: '/cases/{id}/members/{userId}',
      summary: 'Add a member or change their role (leads)',
      request: { params: CaseUserParam, body: body(MemberRole) },
      responses: {
        ...ok(z.array(MemberSchema), 'The members now'),
        ...notFound('No such case or user'),
        ...conflict('Refused (disabled account, or the last lead)'),
      },
    },
    async (c) => {
      const { id, userId } = valid<{ id: string; userId: string }>(c, 'param');
      return c.json(await casesOf(c).putMember(actorOf(c), id, { ...input(c), userId }));
    },
  );
  def(
    'case.read',
    {
      method: 'delete',
      path: '/cases/{id}/members/{userId}',
      summary: 'Remove a member (leads)',
      request: { params: CaseUserParam },
      responses: {
        ...ok(z.array(MemberSchema), 'The members now'),
        ...notFound('No such case or member'),
        ...conflict('Refused (the last lead)'),
      },
    },
    async (c) => {
      const { id, userId } = valid<{ id: string; userId: string }>(c, 'param');
      return c.json(await casesOf(c).removeMember(actorOf(c), id, userId));
    },
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/agreements',
      summary: 'The joint investigation team agreements of the case',
      request: { params: IdParam },
      responses: { ...ok(z.array(AgreementSchema), 'Agreements'), ...notFound('No such case') },
    },
    async (c) => c.json(await casesOf(c).agreements(actorOf(c), idOf(c))),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/cases/{id}/agreements',
      summary: 'Record a joint investigation team agreement (leads)',
      request: { params: IdParam, body: body(AgreementInput) },
      responses: { ...created(AgreementSchema), ...notFound('No such case or organisation') },
    },
    async (c) => c.json(await casesOf(c).saveAgreement(actorOf(c), idOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'put',
      path: '/cases/{id}/agreements/{agreementId}',
      summary: 'Replace an agreement (leads)',
      request: { params: CaseAgreementParam, body: body(AgreementInput) },
      responses: { ...ok(AgreementSchema, 'The agreement'), ...notFound('No such case or agreement') },
    },
    async (c) => {
      const { id, agreementId } = valid<{ id: string; agreementId: string }>(c, 'param');
      return c.json(await casesOf(c).saveAgreement(actorOf(c), id, input(c), agreementId));
    },
  );

  // ── compartments ───────────────────────────────────────────────────────────
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/compartments',
      summary: 'The compartments you are named in (leads see all)',
      request: { params: IdParam },
      responses: { ...ok(z.array(CompartmentSchema), 'Compartments'), ...notFound('No such case') },
    },
    async (c) => c.json(await casesOf(c).compartments(actorOf(c), idOf(c))),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/cases/{id}/compartments',
      summary: 'Create a compartment (leads)',
      request: { params: IdParam, body: body(NewCompartment) },
      responses: {
        ...created(CompartmentSchema),
        ...notFound('No such case'),
        ...conflict('The case has a compartment of that name'),
      },
    },
    async (c) => c.json(await casesOf(c).createCompartment(actorOf(c), idOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'put',
      path: '/compartments/{id}/members',
      summary: 'Name the members of a compartment (leads)',
      request: { params: IdParam, body: body(CompartmentMembers) },
      responses: { ...ok(CompartmentSchema, 'The compartment'), ...notFound('No such compartment') },
    },
    async (c) => {
      const { members } = valid<{ members: string[] }>(c, 'json');
      return c.json(await casesOf(c).setCompartmentMembers(actorOf(c), idOf(c), members));
    },
  );

  // ── evidence items as the case sees them ──────────────────────────────────────
  def(
    'case.read',
    {
      method: 'put',
      path: '/evidence/{id}/compartment',
      summary: 'File an item in a compartment of its case, or (null) in the general area',
      request: { params: IdParam, body: body(ItemCompartment) },
      responses: { ...noContent('Filed'), ...notFound('No such item or compartment') },
    },
    async (c) => {
      const { compartmentId } = valid<{ compartmentId: string | null }>(c, 'json');
      await casesOf(c).fileItem(actorOf(c), idOf(c), compartmentId);
      return c.body(null, 204);
    },
  );
  def(
    'case.read',
    {
      method: 'put',
      path: '/evidence/{id}/profile',
      summary: 'Classify an item as a source: its kind, and which source it comes from',
      request: { params: IdParam, body: body(ProfileInput) },
      responses: { ...ok(ProfileSchema, 'The profile'), ...notFound('No such item') },
    },
    async (c) => c.json(await casesOf(c).setProfile(actorOf(c), idOf(c), input(c))),
  );
  def(
    'case.read',
    {
      method: 'put',
      path: '/evidence/{id}/admissibility',
      summary: "Record whether an item meets one entry of a jurisdiction's admissibility checklist",
      request: { params: IdParam, body: body(AdmissibilityInput) },
      responses: { ...ok(AdmissibilitySchema, 'The answer'), ...notFound('No such item') },
    },
    async (c) => c.json(await casesOf(c).setAdmissibility(actorOf(c), idOf(c), input(c))),
  );

  // ── incidents ──────────────────────────────────────────────────────────────
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/incidents',
      summary: 'The incidents of the case you may see',
      request: { params: IdParam },
      responses: { ...ok(z.array(IncidentSchema), 'Incidents'), ...notFound('No such case') },
    },
    async (c) => c.json(await casesOf(c).listIncidents(actorOf(c), idOf(c))),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/cases/{id}/incidents',
      summary: 'Record an incident: who did what to whom, when and where',
      request: { params: IdParam, body: body(IncidentInput) },
      responses: { ...created(IncidentSchema), ...notFound('No such case, compartment or suspect') },
    },
    async (c) => c.json(await casesOf(c).saveIncident(actorOf(c), idOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/incidents/{id}',
      summary: 'One incident with the linked items you may see and the suspects named as perpetrators',
      request: { params: IdParam },
      responses: { ...ok(IncidentDetailSchema, 'The incident'), ...notFound('No such incident') },
    },
    async (c) => {
      const { incident, items, suspects } = await casesOf(c).incident(actorOf(c), idOf(c));
      return c.json({ incident, items: items.map(toItemSummary), suspects });
    },
  );
  def(
    'case.read',
    {
      method: 'put',
      path: '/incidents/{id}',
      summary: 'Replace an incident (every field; an absent compartmentId keeps its compartment)',
      request: { params: IdParam, body: body(IncidentInput) },
      responses: { ...ok(IncidentSchema, 'The incident'), ...notFound('No such incident') },
    },
    async (c) => {
      const cases = casesOf(c);
      const actor = actorOf(c);
      const { incident } = await cases.incident(actor, idOf(c));
      return c.json(await cases.saveIncident(actor, incident.caseId, input(c), incident.id));
    },
  );
  def(
    'case.read',
    {
      method: 'put',
      path: '/incidents/{id}/items/{itemId}',
      summary: 'Link an evidence item of the case to the incident',
      request: { params: IncidentItemParam },
      responses: { ...noContent('Linked'), ...notFound('No such incident or item') },
    },
    async (c) => {
      const { id, itemId } = valid<{ id: string; itemId: string }>(c, 'param');
      await casesOf(c).linkIncidentItem(actorOf(c), id, itemId, true);
      return c.body(null, 204);
    },
  );
  def(
    'case.read',
    {
      method: 'delete',
      path: '/incidents/{id}/items/{itemId}',
      summary: 'Unlink an evidence item from the incident',
      request: { params: IncidentItemParam },
      responses: { ...noContent('Unlinked'), ...notFound('No such incident or item') },
    },
    async (c) => {
      const { id, itemId } = valid<{ id: string; itemId: string }>(c, 'param');
      await casesOf(c).linkIncidentItem(actorOf(c), id, itemId, false);
      return c.body(null, 204);
    },
  );

  // ── the proof matrix ───────────────────────────────────────────────────────
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/suspects',
      summary: 'The suspects of the case',
      request: { params: IdParam },
      responses: { ...ok(z.array(SuspectSchema), 'Suspects'), ...notFound('No such case') },
    },
    async (c) => c.json(await casesOf(c).suspects(actorOf(c), idOf(c))),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/cases/{id}/suspects',
      summary: 'Add a suspect',
      request: { params: IdParam, body: body(NewSuspect) },
      responses: { ...created(SuspectSchema), ...notFound('No such case') },
    },
    async (c) => c.json(await casesOf(c).addSuspect(actorOf(c), idOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/cases/{id}/charges',
      summary: 'Charge a suspect with a crime of the catalogue under a mode of liability',
      request: { params: IdParam, body: body(NewCharge) },
      responses: {
        ...created(ChargeSchema),
        ...notFound('No such case or suspect'),
        ...conflict('The suspect is already charged so'),
      },
    },
    async (c) => c.json(await casesOf(c).addCharge(actorOf(c), idOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'delete',
      path: '/charges/{id}',
      summary: 'Withdraw a charge (it stays on record, marked withdrawn)',
      request: { params: IdParam },
      responses: {
        ...ok(ChargeSchema, 'The withdrawn charge'),
        ...notFound('No such charge'),
        ...conflict('Already withdrawn'),
      },
    },
    async (c) => c.json(await casesOf(c).withdrawCharge(actorOf(c), idOf(c))),
  );
  def(
    'case.read',
    {
      method: 'post',
      path: '/charges/{id}/links',
      summary: 'Link an item (or part of one) to an element of the charge, with its assessment',
      request: { params: IdParam, body: body(NewLink) },
      responses: {
        ...created(LinkSchema),
        ...notFound('No such charge or item'),
        ...conflict('The charge was withdrawn'),
      },
    },
    async (c) => c.json(await casesOf(c).addLink(actorOf(c), idOf(c), input(c)), 201),
  );
  def(
    'case.read',
    {
      method: 'delete',
      path: '/links/{id}',
      summary: 'Withdraw a link (it stays on record, marked withdrawn)',
      request: { params: IdParam },
      responses: {
        ...ok(LinkSchema, 'The withdrawn link'),
        ...notFound('No such link'),
        ...conflict('Already withdrawn'),
      },
    },
    async (c) => c.json(await casesOf(c).withdrawLink(actorOf(c), idOf(c))),
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/cases/{id}/matrix',
      summary: 'The proof matrix: suspects, charges, links and the items they point to (those you may see)',
      request: { params: IdParam },
      responses: { ...ok(MatrixSchema, 'The matrix'), ...notFound('No such case') },
    },
    async (c) => {
      const m = await casesOf(c).matrix(actorOf(c), idOf(c));
      return c.json({ ...m, items: m.items.map(toItemSummary) });
    },
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/charges/{id}/gaps',
      summary: 'Gap analysis of a charge under one jurisdiction: the state of proof of every element',
      description:
        'An element is corroborated by at least two independent admissible sources of different kinds; ' +
        'links to sealed items do not count, and items recorded as not meeting the jurisdiction’s ' +
        'admissibility checklist make an element inadmissible. Only what you may see is analysed.',
      request: { params: IdParam, query: GapsQuery },
      responses: { ...ok(GapReportSchema, 'The report'), ...notFound('No such charge') },
    },
    async (c) => {
      const { jurisdiction } = valid<{ jurisdiction?: string }>(c, 'query');
      const { report, suspect } = await casesOf(c).gaps(actorOf(c), idOf(c), jurisdiction);
      return c.json(toGapReportJson(report, suspect));
    },
  );
  def(
    'case.read',
    {
      method: 'get',
      path: '/charges/{id}/gaps.csv',
      summary: 'The gap analysis as CSV: one line per element and linked item',
      request: { params: IdParam, query: GapsQuery },
      responses: {
        200: { description: 'The report (RFC 4180)', content: { 'text/csv': { schema: z.string() } } },
        ...errors,
        ...notFound('No such charge'),
      },
    },
    async (c) => {
      const { jurisdiction } = valid<{ jurisdiction?: string }>(c, 'query');
      const { report, suspect, charge } = await casesOf(c).gaps(actorOf(c), idOf(c), jurisdiction);
      return c.body(gapReportCsv(report, suspect.name), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': contentDisposition('attachment', csvName(charge, report.jurisdiction)),
      });
    },
  );
};
