import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedDemo } from '../node/demo.ts';
import { createTestNode, describeEachDatabase, type TestNode } from '../testing/harness.ts';
import { compareCrime, countJurisdiction } from './legal-compare.ts';
import { legalFixture } from './legal-fixture.ts';

type Json = Record<string, unknown>;
type Citation = { instrument: string; article: string; paragraph: string | null };
type Element = { id: string; kind: string; text: string; citation: Citation; note: string | null };
type Crime = {
  id: string;
  name: string;
  article: string;
  category: string;
  conflict: string | null;
  citation: Citation;
  elements: Element[];
  source: { file: string; line: number };
};
type Cell = {
  jurisdiction: string;
  status: string;
  offences: {
    id: string;
    name: string;
    citation: Citation;
    match: string;
    note: string | null;
    wholeCrime: boolean;
  }[];
};
type Comparison = {
  crime: Crime;
  jurisdictions: { code: string; name: string; counts: { covered: number; partial: number; gap: number } }[];
  rows: { element: Element; cells: Cell[] }[];
};

describe('the jurisdiction comparison', () => {
  const catalogue = legalFixture();
  const comparison = compareCrime(catalogue, 'rs-6a')!;
  const cell = (element: string, code: string) =>
    comparison.rows.find((r) => r.element.id === element)!.cells.find((c) => c.jurisdiction === code)!;

  it('has one row per element and one cell per jurisdiction, in catalogue order', () => {
    assert.deepEqual(
      comparison.rows.map((r) => r.element.id),
      ['rs-6a.1', 'rs-6a.2', 'rs-6a.3', 'rs-6a.4'],
    );
    for (const row of comparison.rows)
      assert.deepEqual(
        row.cells.map((c) => c.jurisdiction),
        ['DE', 'FR', 'UA'],
      );
  });

  it('a mapping without elements covers every element of the crime', () => {
    for (const row of comparison.rows) {
      const de = row.cells[0]!;
      assert.equal(de.status, 'covered');
      assert.deepEqual(
        de.offences.map((o) => [o.id, o.wholeCrime]),
        [['de-vstgb-6', true]],
      );
    }
  });

  it('covered, partial (with its note) and gaps, the best match deciding', () => {
    assert.equal(cell('rs-6a.1', 'FR').status, 'covered');
    assert.equal(cell('rs-6a.3', 'FR').status, 'partial');
    assert.match(cell('rs-6a.3', 'FR').offences[0]!.note ?? '', /concerted plan/);
    assert.equal(cell('rs-6a.4', 'FR').status, 'gap');
    assert.deepEqual(cell('rs-6a.4', 'FR').offences, []);
    // A mapping declared "none" leaves a gap but is shown, with why.
    assert.equal(cell('rs-6a.2', 'UA').status, 'gap');
    assert.equal(cell('rs-6a.2', 'UA').offences[0]!.match, 'none');
    assert.deepEqual(
      comparison.jurisdictions.map((j) => [j.code, j.counts]),
      [
        ['DE', { covered: 4, partial: 0, gap: 0 }],
        ['FR', { covered: 2, partial: 1, gap: 1 }],
        ['UA', { covered: 0, partial: 1, gap: 3 }],
      ],
    );
  });

  it('is undefined for an unknown crime; a profile counts its mappings', () => {
    assert.equal(compareCrime(catalogue, 'rs-99'), undefined);
    assert.deepEqual(countJurisdiction(catalogue.jurisdiction('FR')!), {
      offences: 2,
      crimes: 2,
      mappings: 3,
      full: 2,
      partial: 1,
      none: 0,
      admissibilityRules: 1,
    });
  });
});

/** The legal catalogue API over a node serving the fixture catalogue. */
describeEachDatabase('legal API', (create, name) => {
  let n: TestNode;
  let token = '';

  before(async () => {
    n = await createTestNode(create, name, { legal: legalFixture() });
    await seedDemo(n.node);
    // The least privileged role, with a read-only token: the catalogue is reference material.
    const observer = await n.node.accounts.findUserByUsername('demo-observer');
    token = (await n.node.accounts.createToken(observer, { name: 'legal', scopes: ['read'] })).secret;
  });
  after(() => n?.close());

  const call = (path: string) =>
    n.app.app.request(`http://127.0.0.1${path}`, { headers: { Authorization: `Bearer ${token}` } });
  const json = async <T = Json>(res: Response, status = 200): Promise<T> => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    assert.match(res.headers.get('Content-Type') ?? '', /^application\/json/);
    return JSON.parse(text) as T;
  };

  it('lists the crimes with their elements and citations', async () => {
    const crimes = await json<Crime[]>(await call('/api/v1/legal/crimes'));
    assert.deepEqual(
      crimes.map((k) => k.id),
      ['rs-6a', 'rs-7-1-a', 'rs-8-2-a-i', 'rs-8-2-c-i', 'rs-25-3-a'],
    );
    const genocide = crimes[0]!;
    assert.equal(genocide.article, '6(a)');
    assert.equal(genocide.category, 'genocide');
    assert.equal(genocide.conflict, null);
    assert.deepEqual(genocide.citation, { instrument: 'Rome Statute', article: '6', paragraph: '(a)' });
    assert.deepEqual(genocide.elements[0], {
      id: 'rs-6a.1',
      kind: 'material',
      text: 'The perpetrator killed one or more persons.',
      citation: { instrument: 'ICC Elements of Crimes', article: '6(a)', paragraph: '1' },
      note: null,
    });
    assert.equal(genocide.elements[3]!.note, 'Fixture note on the contextual element.');
    assert.deepEqual(genocide.source, { file: 'fixture/crimes.yaml', line: 4 });
  });

  it('filters by category and refuses an unknown one', async () => {
    const war = await json<Crime[]>(await call('/api/v1/legal/crimes?category=war_crimes'));
    assert.deepEqual(
      war.map((k) => [k.id, k.conflict]),
      [
        ['rs-8-2-a-i', 'international'],
        ['rs-8-2-c-i', 'non_international'],
      ],
    );
    const modes = await json<Crime[]>(await call('/api/v1/legal/crimes?category=mode_of_liability'));
    assert.deepEqual(
      modes.map((k) => k.id),
      ['rs-25-3-a'],
    );
    const bad = await json<{ error: { code: string; field: string } }>(
      await call('/api/v1/legal/crimes?category=piracy'),
      400,
    );
    assert.equal(bad.error.code, 'invalid_request');
    assert.equal(bad.error.field, 'category');
  });

  it('answers one crime, and 404 with a clear message for an unknown one', async () => {
    const crime = await json<Crime>(await call('/api/v1/legal/crimes/rs-7-1-a'));
    assert.equal(crime.name, 'Crime against humanity of murder');
    assert.equal(crime.elements.length, 2);
    const missing = await json<{ error: { code: string; message: string } }>(
      await call('/api/v1/legal/crimes/rs-99'),
      404,
    );
    assert.deepEqual(missing, {
      error: { code: 'not_found', message: 'the legal catalogue has no crime "rs-99"' },
    });
  });

  it('lists the national profiles with their counts', async () => {
    const list = await json<Json[]>(await call('/api/v1/legal/jurisdictions'));
    assert.deepEqual(list, [
      {
        code: 'DE',
        name: 'Fixture Germany',
        universalJurisdiction: true,
        counts: { offences: 1, crimes: 1, mappings: 1, full: 1, partial: 0, none: 0, admissibilityRules: 1 },
      },
      {
        code: 'FR',
        name: 'Fixture France',
        universalJurisdiction: false,
        counts: { offences: 2, crimes: 2, mappings: 3, full: 2, partial: 1, none: 0, admissibilityRules: 1 },
      },
      {
        code: 'UA',
        name: 'Fixture Ukraine',
        universalJurisdiction: true,
        counts: { offences: 2, crimes: 1, mappings: 2, full: 0, partial: 1, none: 1, admissibilityRules: 1 },
      },
    ]);
  });

  it('answers a whole profile (the code in any case), and 404 for an unknown one', async () => {
    type Profile = {
      code: string;
      instruments: { id: string; name: string }[];
      offences: {
        id: string;
        citation: Citation;
        mapsTo: { crime: string; elements: string[]; match: string; note: string | null }[];
      }[];
      universalJurisdiction: { applies: boolean; conditions: { text: string; citation: Citation | null }[] };
      limitation: { text: string }[];
      admissibility: { id: string; requirement: string; citation: Citation | null; note: string | null }[];
    };
    const fr = await json<Profile>(await call('/api/v1/legal/jurisdictions/fr'));
    assert.equal(fr.code, 'FR');
    assert.deepEqual(fr.instruments, [{ id: 'cp', name: 'Code pénal' }]);
    assert.deepEqual(fr.offences[0]!.mapsTo, [
      { crime: 'rs-6a', elements: ['rs-6a.1', 'rs-6a.2'], match: 'full', note: null },
      {
        crime: 'rs-6a',
        elements: ['rs-6a.3'],
        match: 'partial',
        note: 'Fixture partial note — a concerted plan is required.',
      },
    ]);
    assert.equal(fr.universalJurisdiction.applies, false);
    assert.equal(fr.universalJurisdiction.conditions[0]!.citation?.article, '689-11');
    assert.equal(fr.limitation[0]!.text, 'Not subject to limitation for genocide.');
    const de = await json<Profile>(await call('/api/v1/legal/jurisdictions/DE'));
    assert.deepEqual(de.admissibility, [
      {
        id: 'chain-of-custody',
        requirement: 'The chain of custody is documented.',
        citation: null,
        note: 'established practice',
      },
    ]);
    const missing = await json<{ error: { code: string; message: string } }>(
      await call('/api/v1/legal/jurisdictions/XX'),
      404,
    );
    assert.deepEqual(missing, {
      error: { code: 'not_found', message: 'the legal catalogue has no national profile "XX"' },
    });
  });

  it('compares a crime across the profiles, and 404 for an unknown crime', async () => {
    const cmp = await json<Comparison>(await call('/api/v1/legal/compare/rs-6a'));
    assert.equal(cmp.crime.id, 'rs-6a');
    assert.deepEqual(
      cmp.jurisdictions.map((j) => j.code),
      ['DE', 'FR', 'UA'],
    );
    const statuses = cmp.rows.map((r) => [r.element.id, ...r.cells.map((c) => c.status)]);
    assert.deepEqual(statuses, [
      ['rs-6a.1', 'covered', 'covered', 'partial'],
      ['rs-6a.2', 'covered', 'covered', 'gap'],
      ['rs-6a.3', 'covered', 'partial', 'gap'],
      ['rs-6a.4', 'covered', 'gap', 'gap'],
    ]);
    const partial = cmp.rows[2]!.cells[1]!;
    assert.deepEqual(partial.offences, [
      {
        id: 'fr-cp-211-1',
        name: 'Génocide',
        citation: { instrument: 'Code pénal', article: '211-1', paragraph: null },
        match: 'partial',
        note: 'Fixture partial note — a concerted plan is required.',
        wholeCrime: false,
      },
    ]);
    assert.equal(cmp.rows[0]!.cells[0]!.offences[0]!.wholeCrime, true);
    assert.deepEqual(cmp.rows[3]!.cells[2]!.offences, []);
    const missing = await json<{ error: { code: string; message: string } }>(
      await call('/api/v1/legal/compare/rs-99'),
      404,
    );
    assert.equal(missing.error.message, 'the legal catalogue has no crime "rs-99"');
  });

  it('needs a session or token like every other route', async () => {
    const res = await n.app.app.request('http://127.0.0.1/api/v1/legal/crimes');
    assert.equal(res.status, 401);
  });

  it('describes the routes in openapi.json', async () => {
    const spec = await json<{ paths: Record<string, Record<string, Json>>; components: { schemas: Json } }>(
      await n.app.app.request('http://127.0.0.1/api/v1/openapi.json'),
    );
    for (const path of [
      '/legal/crimes',
      '/legal/crimes/{id}',
      '/legal/jurisdictions',
      '/legal/jurisdictions/{code}',
      '/legal/compare/{crimeId}',
    ]) {
      assert.ok(spec.paths[path]?.get, `GET ${path}`);
    }
    assert.ok(spec.paths['/legal/crimes/{id}']!.get!.responses, 'responses');
    assert.ok((spec.paths['/legal/compare/{crimeId}']!.get!.responses as Json)['404'], '404 described');
    for (const schema of ['Crime', 'LegalElement', 'LegalCitation', 'Jurisdiction', 'CrimeComparison'])
      assert.ok(spec.components.schemas[schema], schema);
  });
});

/** Whatever the real catalogue in legal/ holds while it is being written, the API serves it whole. */
describeEachDatabase('legal API on the built-in catalogue', (create, name) => {
  let n: TestNode;
  let token = '';
  before(async () => {
    n = await createTestNode(create, name);
    await seedDemo(n.node);
    const analyst = await n.node.accounts.findUserByUsername('demo-analyst');
    token = (await n.node.accounts.createToken(analyst, { name: 'legal', scopes: ['read'] })).secret;
  });
  after(() => n?.close());

  it('serves every crime the node loaded, each element with a citation, and compares each', async () => {
    const get = (path: string) =>
      n.app.app.request(`http://127.0.0.1${path}`, { headers: { Authorization: `Bearer ${token}` } });
    const res = await get('/api/v1/legal/crimes');
    assert.equal(res.status, 200);
    const crimes = (await res.json()) as Crime[];
    assert.equal(crimes.length, n.node.legal.crimes.length);
    for (const crime of crimes)
      for (const element of crime.elements) assert.ok(element.citation.instrument, element.id);
    const first = crimes[0];
    if (first) assert.equal((await get(`/api/v1/legal/compare/${first.id}`)).status, 200);
    const profiles = (await (await get('/api/v1/legal/jurisdictions')).json()) as { code: string }[];
    assert.equal(profiles.length, n.node.legal.jurisdictions.length);
    for (const p of profiles) assert.equal((await get(`/api/v1/legal/jurisdictions/${p.code}`)).status, 200);
  });
});
