import {
  AccordError,
  CONFLICTS,
  CRIME_CATEGORIES,
  type Crime,
  ELEMENT_KINDS,
  type Jurisdiction,
  type LegalCatalogue,
  MATCHES,
} from '@accord/core';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type DefineApiRoute, ErrorSchema, ok, type ValidInput } from './api-common.ts';
import type { AppEnv } from './context.ts';
import { type Comparison, compareCrime, countJurisdiction } from './legal-compare.ts';

// ── schemas ──────────────────────────────────────────────────────────────────
const CitationSchema = z
  .object({
    instrument: z.string().openapi({ example: 'ICC Elements of Crimes' }),
    article: z.string().openapi({ example: '6(a)' }),
    paragraph: z.string().nullable().openapi({ example: '1' }),
  })
  .openapi('LegalCitation');

const SourceSchema = z
  .object({ file: z.string(), line: z.number().int() })
  .openapi({ description: 'The catalogue file and line this entry was read from' });

const ElementSchema = z
  .object({
    id: z.string().openapi({ example: 'rs-6a.1' }),
    kind: z.enum(ELEMENT_KINDS),
    text: z.string().openapi({ description: 'The element in the words of its source (not translated)' }),
    citation: CitationSchema,
    note: z.string().nullable(),
  })
  .openapi('LegalElement');

const CrimeSchema = z
  .object({
    id: z.string().openapi({ example: 'rs-6a' }),
    name: z.string(),
    article: z.string().openapi({ example: '6(a)' }),
    category: z.enum(CRIME_CATEGORIES),
    conflict: z
      .enum(CONFLICTS)
      .nullable()
      .openapi({ description: 'For war crimes: the kind of armed conflict; null otherwise' }),
    instrument: z.string(),
    citation: CitationSchema,
    elements: z.array(ElementSchema),
    source: SourceSchema,
  })
  .openapi('Crime');

const MappingSchema = z
  .object({
    crime: z.string(),
    elements: z
      .array(z.string())
      .openapi({ description: 'The elements the offence covers; an empty list means the whole crime' }),
    match: z.enum(MATCHES),
    note: z.string().nullable().openapi({ description: 'What differs (always present for partial)' }),
  })
  .openapi('OffenceMapping');

const CitedTextSchema = z
  .object({ text: z.string(), citation: CitationSchema.nullable(), note: z.string().nullable() })
  .openapi('CitedText');

const JurisdictionSchema = z
  .object({
    code: z.string().length(2).openapi({ example: 'DE' }),
    name: z.string(),
    instruments: z.array(z.object({ id: z.string(), name: z.string() })),
    offences: z.array(
      z
        .object({
          id: z.string(),
          name: z.string(),
          citation: CitationSchema,
          mapsTo: z.array(MappingSchema),
          source: SourceSchema,
        })
        .openapi('Offence'),
    ),
    universalJurisdiction: z.object({ applies: z.boolean(), conditions: z.array(CitedTextSchema) }),
    limitation: z.array(CitedTextSchema),
    admissibility: z.array(
      z
        .object({
          id: z.string(),
          requirement: z.string(),
          citation: CitationSchema.nullable(),
          note: z.string().nullable(),
        })
        .openapi('AdmissibilityRule'),
    ),
    source: SourceSchema,
  })
  .openapi('Jurisdiction');

const JurisdictionSummarySchema = z
  .object({
    code: z.string().length(2),
    name: z.string(),
    universalJurisdiction: z.boolean(),
    counts: z.object({
      offences: z.number().int(),
      crimes: z.number().int().openapi({ description: 'Distinct crimes its offences map to' }),
      mappings: z.number().int(),
      full: z.number().int(),
      partial: z.number().int(),
      none: z.number().int(),
      admissibilityRules: z.number().int(),
    }),
  })
  .openapi('JurisdictionSummary');

const CellStatusSchema = z.enum(['covered', 'partial', 'gap']);

const ComparisonSchema = z
  .object({
    crime: CrimeSchema,
    jurisdictions: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        counts: z.object({ covered: z.number().int(), partial: z.number().int(), gap: z.number().int() }),
      }),
    ),
    rows: z.array(
      z.object({
        element: ElementSchema,
        cells: z
          .array(
            z.object({
              jurisdiction: z.string(),
              status: CellStatusSchema.openapi({
                description:
                  'covered: an offence matches the element fully; partial: only partly (see the note); ' +
                  'gap: no offence covers it',
              }),
              offences: z.array(
                z.object({
                  id: z.string(),
                  name: z.string(),
                  citation: CitationSchema,
                  match: z.enum(MATCHES),
                  note: z.string().nullable(),
                  wholeCrime: z
                    .boolean()
                    .openapi({ description: 'The mapping covers the whole crime (it lists no elements)' }),
                }),
              ),
            }),
          )
          .openapi({ description: 'One per jurisdiction, in the order of `jurisdictions`' }),
      }),
    ),
  })
  .openapi('CrimeComparison');

const CrimeParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'rs-6a' }),
});
const CrimeIdParam = z.object({
  crimeId: z.string().openapi({ param: { name: 'crimeId', in: 'path' }, example: 'rs-6a' }),
});
const CodeParam = z.object({
  code: z.string().openapi({ param: { name: 'code', in: 'path' }, example: 'DE' }),
});

const notFound = (what: string) => ({
  404: { description: what, content: { 'application/json': { schema: ErrorSchema } } },
});

// ── mapping ──────────────────────────────────────────────────────────────────
// Copies, so that a response never holds the catalogue's own (shared, immutable) objects.
export const toCrimeJson = (crime: Crime) => ({
  id: crime.id,
  name: crime.name,
  article: crime.article,
  category: crime.category,
  conflict: crime.conflict,
  instrument: crime.instrument,
  citation: { ...crime.citation },
  elements: crime.elements.map((e) => ({ ...e, citation: { ...e.citation } })),
  source: { ...crime.source },
});

export const toJurisdictionJson = (j: Jurisdiction) => ({
  code: j.code,
  name: j.name,
  instruments: j.instruments.map((i) => ({ ...i })),
  offences: j.offences.map((o) => ({
    id: o.id,
    name: o.name,
    citation: { ...o.citation },
    mapsTo: o.mapsTo.map((m) => ({ ...m, elements: [...m.elements] })),
    source: { ...o.source },
  })),
  universalJurisdiction: {
    applies: j.universalJurisdiction.applies,
    conditions: j.universalJurisdiction.conditions.map((t) => ({ ...t })),
  },
  limitation: j.limitation.map((t) => ({ ...t })),
  admissibility: j.admissibility.map((r) => ({ ...r })),
  source: { ...j.source },
});

const toComparisonJson = (comparison: Comparison) => ({
  crime: toCrimeJson(comparison.crime),
  jurisdictions: comparison.jurisdictions.map((j) => ({ ...j, counts: { ...j.counts } })),
  rows: comparison.rows.map((row) => ({
    element: { ...row.element, citation: { ...row.element.citation } },
    cells: row.cells.map((cell) => ({ ...cell, offences: cell.offences.map((o) => ({ ...o })) })),
  })),
});

/** The catalogue lookups, refusing unknown names with a message that says what was asked for. */
export const crimeOr404 = (catalogue: LegalCatalogue, id: string): Crime => {
  const crime = catalogue.crime(id);
  if (!crime) {
    throw new AccordError('not_found', `the legal catalogue has no crime "${id}"`);
  }
  return crime;
};

export const jurisdictionOr404 = (catalogue: LegalCatalogue, code: string): Jurisdiction => {
  const j = catalogue.jurisdiction(code);
  if (!j) {
    throw new AccordError('not_found', `the legal catalogue has no national profile "${code}"`);
  }
  return j;
};

const catalogueOf = (c: Context<AppEnv>): LegalCatalogue => c.get('node').legal;

/** The legal catalogue (issue 5): reference material every role may read. */
export const registerLegalApi = (def: DefineApiRoute, valid: ValidInput) => {
  def(
    'legal.read',
    {
      method: 'get',
      path: '/legal/crimes',
      summary: 'Crimes of the legal catalogue, with their elements and citations',
      description:
        'The Rome Statute crimes and modes of liability the node knows, each with its elements ' +
        '(following the ICC Elements of Crimes) and a citation for each. Texts are in their original language.',
      request: {
        query: z.object({
          category: z
            .enum(CRIME_CATEGORIES)
            .optional()
            .openapi({ description: 'Only crimes of this category' }),
        }),
      },
      responses: ok(z.array(CrimeSchema), 'Crimes, in catalogue order'),
    },
    (c) => {
      const { category } = valid<{ category?: Crime['category'] }>(c, 'query');
      const crimes = catalogueOf(c).crimes.filter((k) => !category || k.category === category);
      return c.json(crimes.map(toCrimeJson));
    },
  );
  def(
    'legal.read',
    {
      method: 'get',
      path: '/legal/crimes/{id}',
      summary: 'One crime with its elements',
      request: { params: CrimeParam },
      responses: { ...ok(CrimeSchema, 'The crime'), ...notFound('No such crime') },
    },
    (c) => {
      const { id } = valid<{ id: string }>(c, 'param');
      return c.json(toCrimeJson(crimeOr404(catalogueOf(c), id)));
    },
  );
  def(
    'legal.read',
    {
      method: 'get',
      path: '/legal/jurisdictions',
      summary: 'National profiles: code, name and counts',
      responses: ok(z.array(JurisdictionSummarySchema), 'National profiles'),
    },
    (c) =>
      c.json(
        catalogueOf(c).jurisdictions.map((j) => ({
          code: j.code,
          name: j.name,
          universalJurisdiction: j.universalJurisdiction.applies,
          counts: countJurisdiction(j),
        })),
      ),
  );
  def(
    'legal.read',
    {
      method: 'get',
      path: '/legal/jurisdictions/{code}',
      summary:
        'One national profile: offences and their mappings, universal jurisdiction, limitation, admissibility',
      request: { params: CodeParam },
      responses: { ...ok(JurisdictionSchema, 'The profile'), ...notFound('No such national profile') },
    },
    (c) => {
      const { code } = valid<{ code: string }>(c, 'param');
      return c.json(toJurisdictionJson(jurisdictionOr404(catalogueOf(c), code)));
    },
  );
  def(
    'legal.read',
    {
      method: 'get',
      path: '/legal/compare/{crimeId}',
      summary: 'A crime under the Rome Statute and under each national profile, element by element',
      description:
        'One row per element of the crime, one cell per national profile: the offences whose mappings reach ' +
        'the element (a mapping without elements covers the whole crime), and whether the element is ' +
        'covered, only partly covered or a gap.',
      request: { params: CrimeIdParam },
      responses: { ...ok(ComparisonSchema, 'The comparison'), ...notFound('No such crime') },
    },
    (c) => {
      const { crimeId } = valid<{ crimeId: string }>(c, 'param');
      const catalogue = catalogueOf(c);
      crimeOr404(catalogue, crimeId);
      return c.json(toComparisonJson(compareCrime(catalogue, crimeId)!));
    },
  );
};
