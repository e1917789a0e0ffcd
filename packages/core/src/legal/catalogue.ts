import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { AccordError } from '../shared/errors.ts';

/**
 * The legal catalogue: crimes and their elements (the Rome Statute, following the ICC Elements of
 * Crimes) and national profiles that map offences onto those elements. Both are YAML data files in
 * the repository (`legal/`), extensible per deployment with more files; this module parses and
 * validates them strictly and names the file and line of anything wrong.
 */
export interface Citation {
  readonly instrument: string;
  readonly article: string;
  readonly paragraph: string | null;
}

export const ELEMENT_KINDS = ['material', 'contextual', 'mental', 'circumstance'] as const;
export const CRIME_CATEGORIES = [
  'genocide',
  'crimes_against_humanity',
  'war_crimes',
  'mode_of_liability',
] as const;
export const CONFLICTS = ['international', 'non_international', 'both'] as const;
export const MATCHES = ['full', 'partial', 'none'] as const;

export interface Source {
  readonly file: string;
  readonly line: number;
}

export interface LegalElement {
  readonly id: string;
  readonly kind: (typeof ELEMENT_KINDS)[number];
  readonly text: string;
  readonly citation: Citation;
  readonly note: string | null;
}

export interface Crime {
  readonly id: string;
  readonly name: string;
  readonly article: string;
  readonly category: (typeof CRIME_CATEGORIES)[number];
  readonly conflict: (typeof CONFLICTS)[number] | null;
  readonly instrument: string;
  readonly citation: Citation;
  readonly elements: readonly LegalElement[];
  readonly source: Source;
}

export interface Mapping {
  readonly crime: string;
  readonly elements: readonly string[];
  readonly match: (typeof MATCHES)[number];
  readonly note: string | null;
}

export interface Offence {
  readonly id: string;
  readonly name: string;
  readonly citation: Citation;
  readonly mapsTo: readonly Mapping[];
  readonly source: Source;
}

export interface CitedText {
  readonly text: string;
  readonly citation: Citation | null;
  readonly note: string | null;
}

export interface AdmissibilityRule {
  readonly id: string;
  readonly requirement: string;
  readonly citation: Citation | null;
  readonly note: string | null;
}

export interface Jurisdiction {
  readonly code: string;
  readonly name: string;
  readonly instruments: readonly { readonly id: string; readonly name: string }[];
  readonly offences: readonly Offence[];
  readonly universalJurisdiction: { readonly applies: boolean; readonly conditions: readonly CitedText[] };
  readonly limitation: readonly CitedText[];
  readonly admissibility: readonly AdmissibilityRule[];
  readonly source: Source;
}

export interface LegalCatalogue {
  readonly crimes: readonly Crime[];
  readonly jurisdictions: readonly Jurisdiction[];
  crime(id: string): Crime | undefined;
  element(id: string): { crime: Crime; element: LegalElement } | undefined;
  jurisdiction(code: string): Jurisdiction | undefined;
}

export interface CatalogueFile {
  /** Shown in errors: a path relative to the repository or the data folder. */
  readonly name: string;
  readonly text: string;
}

/** Thrown with every problem found, each as `file:line: what`. */
const MAX_REPORTED = 20;

class FileReader {
  readonly #file: string;
  readonly #lines: LineCounter;
  readonly problems: string[];

  constructor(file: string, lines: LineCounter, problems: string[]) {
    this.#file = file;
    this.#lines = lines;
    this.problems = problems;
  }

  line(node: Node | null | undefined): number {
    const offset = node?.range?.[0] ?? 0;
    return this.#lines.linePos(offset).line;
  }

  fail(node: Node | null | undefined, message: string): void {
    this.problems.push(`${this.#file}:${this.line(node)}: ${message}`);
  }

  source(node: Node | null | undefined): Source {
    return { file: this.#file, line: this.line(node) };
  }

  /** A mapping with exactly the allowed keys; returns the values by key. */
  map(
    node: unknown,
    what: string,
    required: readonly string[],
    optional: readonly string[] = [],
  ): Map<string, Node | null> | undefined {
    if (!isMap(node)) {
      this.fail(node as Node, `${what} must be a mapping (key: value)`);
      return undefined;
    }
    const out = new Map<string, Node | null>();
    for (const pair of (node as YAMLMap).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (![...required, ...optional].includes(key)) {
        this.fail(
          pair.key as Node,
          `${what} has an unknown key "${key}" (allowed: ${[...required, ...optional].join(', ')})`,
        );
        continue;
      }
      if (out.has(key)) this.fail(pair.key as Node, `${what} has the key "${key}" twice`);
      out.set(key, (pair.value as Node | null) ?? null);
    }
    for (const key of required) if (!out.has(key)) this.fail(node as Node, `${what} lacks the key "${key}"`);
    return out;
  }

  text(node: Node | null | undefined, what: string, allowNull = false): string | null {
    if (isScalar(node) && typeof node.value === 'string' && node.value.trim() !== '')
      return node.value.trim();
    if (isScalar(node) && typeof node.value === 'number') {
      // 8.10 would silently become "8.1": legal citations must be quoted text.
      this.fail(node, `${what} must be quoted text (write "${node.source ?? String(node.value)}" in quotes)`);
      return null;
    }
    if (allowNull && (node === null || node === undefined || (isScalar(node) && node.value === null)))
      return null;
    this.fail(node, `${what} must be ${allowNull ? 'text or null' : 'non-empty text'}`);
    return null;
  }

  oneOf<T extends string>(
    node: Node | null | undefined,
    what: string,
    allowed: readonly T[],
    allowNull = false,
  ): T | null {
    const value = isScalar(node) ? node.value : undefined;
    if (allowNull && (value === null || node === null)) return null;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.fail(
      node,
      `${what} must be one of ${allowed.join(', ')}${allowNull ? ' or null' : ''} (got ${JSON.stringify(value ?? null)})`,
    );
    return null;
  }

  list(node: Node | null | undefined, what: string, allowEmpty = false): Node[] {
    if (!isSeq(node)) {
      this.fail(node, `${what} must be a list`);
      return [];
    }
    if (node.items.length === 0 && !allowEmpty) this.fail(node, `${what} must not be empty`);
    return node.items as Node[];
  }

  citation(node: Node | null | undefined, what: string): Citation | null {
    const m = this.map(node, `${what}'s citation`, ['instrument', 'article', 'paragraph']);
    if (!m) return null;
    const instrument = this.text(m.get('instrument'), `${what}'s citation instrument`);
    const article = this.text(m.get('article'), `${what}'s citation article`);
    const paragraph = this.text(m.get('paragraph'), `${what}'s citation paragraph`, true);
    return instrument && article ? { instrument, article, paragraph } : null;
  }
}

const ID = /^[a-z0-9][a-z0-9.-]*$/;

/**
 * Parses and validates catalogue files (crime files have `crimes:`, national profiles `code:`) and
 * checks every cross-reference. Throws AccordError('config') naming each problem's file and line.
 */
export const loadCatalogue = (files: readonly CatalogueFile[]): LegalCatalogue => {
  const problems: string[] = [];
  const crimes: Crime[] = [];
  const jurisdictions: Jurisdiction[] = [];
  const mappingChecks: { reader: FileReader; node: Node; crime: string; elements: string[] }[] = [];
  for (const file of files) {
    const lines = new LineCounter();
    const doc = parseDocument(file.text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const reader = new FileReader(file.name, lines, problems);
    if (doc.errors.length > 0) {
      for (const e of doc.errors.slice(0, 5)) {
        problems.push(
          `${file.name}:${e.linePos?.[0]?.line ?? 1}: not valid YAML: ${e.message.split('\n')[0]}`,
        );
      }
      continue;
    }
    const root = doc.contents as Node | null;
    if (isMap(root) && root.has('crimes')) crimes.push(...readCrimeFile(reader, root));
    else if (isMap(root) && root.has('code')) {
      const j = readJurisdiction(reader, root, mappingChecks);
      if (j) jurisdictions.push(j);
    } else {
      reader.fail(
        root,
        'a catalogue file must have either "crimes:" (crimes and elements) or "code:" (a national profile)',
      );
    }
  }
  // Unique ids across files, then every mapping must point at something that exists.
  const crimeById = new Map<string, Crime>();
  const elementById = new Map<string, { crime: Crime; element: LegalElement }>();
  for (const crime of crimes) {
    const first = crimeById.get(crime.id);
    if (first)
      problems.push(
        `${crime.source.file}:${crime.source.line}: crime ${crime.id} is already defined in ${first.source.file}:${first.source.line}`,
      );
    crimeById.set(crime.id, crime);
    for (const element of crime.elements) {
      if (!element.id.startsWith(`${crime.id}.`)) {
        problems.push(
          `${crime.source.file}:${crime.source.line}: element ${element.id} of crime ${crime.id} must be named ${crime.id}.<number>`,
        );
      }
      if (elementById.has(element.id))
        problems.push(`${crime.source.file}:${crime.source.line}: element ${element.id} is defined twice`);
      elementById.set(element.id, { crime, element });
    }
  }
  const byCode = new Map<string, Jurisdiction>();
  for (const j of jurisdictions) {
    const first = byCode.get(j.code);
    if (first)
      problems.push(
        `${j.source.file}:${j.source.line}: jurisdiction ${j.code} is already defined in ${first.source.file}`,
      );
    byCode.set(j.code, j);
  }
  for (const check of mappingChecks) {
    if (!crimeById.has(check.crime)) {
      check.reader.fail(check.node, `maps to an unknown crime "${check.crime}"`);
      continue;
    }
    for (const id of check.elements) {
      const found = elementById.get(id);
      if (!found) check.reader.fail(check.node, `maps to an unknown element "${id}"`);
      else if (found.crime.id !== check.crime)
        check.reader.fail(check.node, `element "${id}" belongs to ${found.crime.id}, not ${check.crime}`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED);
    throw new AccordError(
      'config',
      `the legal catalogue has ${problems.length} problem(s):\n${shown.join('\n')}${problems.length > shown.length ? `\n… and ${problems.length - shown.length} more` : ''}`,
      { context: { problems } },
    );
  }
  return {
    crimes,
    jurisdictions,
    crime: (id) => crimeById.get(id),
    element: (id) => elementById.get(id),
    jurisdiction: (code) => byCode.get(code.toUpperCase()),
  };
};

const readCrimeFile = (r: FileReader, root: YAMLMap): Crime[] => {
  const top = r.map(root, 'the file', ['version', 'instrument', 'crimes']);
  if (!top) return [];
  if (!isScalar(top.get('version')) || (top.get('version') as { value: unknown }).value !== 1) {
    r.fail(top.get('version'), 'version must be 1');
  }
  const instrument = r.text(top.get('instrument'), 'instrument') ?? '';
  const out: Crime[] = [];
  for (const node of r.list(top.get('crimes'), 'crimes')) {
    const c = r.map(node, 'a crime', [
      'id',
      'name',
      'article',
      'category',
      'conflict',
      'citation',
      'elements',
    ]);
    if (!c) continue;
    const id = r.text(c.get('id'), 'the crime id') ?? '';
    if (id && !ID.test(id)) r.fail(c.get('id'), `crime id "${id}" may only hold a-z, 0-9, "." and "-"`);
    const where = `crime ${id}`;
    const category = r.oneOf(c.get('category'), `${where}'s category`, CRIME_CATEGORIES);
    const conflict = r.oneOf(c.get('conflict'), `${where}'s conflict`, CONFLICTS, true);
    if (category === 'war_crimes' && conflict === null)
      r.fail(
        c.get('conflict'),
        `${where} is a war crime: conflict must be international, non_international or both`,
      );
    if (category !== 'war_crimes' && conflict !== null)
      r.fail(c.get('conflict'), `${where} is not a war crime: conflict must be null`);
    const elements: LegalElement[] = [];
    for (const en of r.list(c.get('elements'), `${where}'s elements`)) {
      const e = r.map(en, `an element of ${where}`, ['id', 'kind', 'text', 'citation'], ['note']);
      if (!e) continue;
      const eid = r.text(e.get('id'), 'the element id') ?? '';
      const kind = r.oneOf(e.get('kind'), `element ${eid}'s kind`, ELEMENT_KINDS);
      const text = r.text(e.get('text'), `element ${eid}'s text`);
      const citation = r.citation(e.get('citation'), `element ${eid}`);
      const note = e.has('note') ? r.text(e.get('note'), `element ${eid}'s note`, true) : null;
      if (eid && kind && text && citation) elements.push({ id: eid, kind, text, citation, note });
    }
    const name = r.text(c.get('name'), `${where}'s name`);
    const article = r.text(c.get('article'), `${where}'s article`);
    const citation = r.citation(c.get('citation'), where);
    if (id && name && article && category && citation) {
      out.push({
        id,
        name,
        article,
        category,
        conflict,
        instrument,
        citation,
        elements,
        source: r.source(node),
      });
    }
  }
  return out;
};

const readCitedTexts = (r: FileReader, node: Node | null | undefined, what: string): CitedText[] =>
  r.list(node, what).flatMap((n) => {
    const m = r.map(n, `an entry of ${what}`, ['text', 'citation'], ['note']);
    if (!m) return [];
    const text = r.text(m.get('text'), `${what} text`);
    const citationNode = m.get('citation');
    const citation =
      isScalar(citationNode) && citationNode.value === null ? null : r.citation(citationNode, what);
    const note = m.has('note') ? r.text(m.get('note'), `${what} note`, true) : null;
    if (citation === null && note === null)
      r.fail(n, `${what}: an entry without a citation needs a note saying where it comes from`);
    return text ? [{ text, citation, note }] : [];
  });

const readJurisdiction = (
  r: FileReader,
  root: YAMLMap,
  checks: { reader: FileReader; node: Node; crime: string; elements: string[] }[],
): Jurisdiction | undefined => {
  const top = r.map(root, 'the profile', [
    'version',
    'code',
    'name',
    'instruments',
    'offences',
    'universal_jurisdiction',
    'limitation',
    'admissibility',
  ]);
  if (!top) return undefined;
  const code = r.text(top.get('code'), 'code') ?? '';
  if (code && !/^[A-Z]{2}$/.test(code))
    r.fail(top.get('code'), `code must be an ISO 3166-1 alpha-2 code such as DE (got "${code}")`);
  const name = r.text(top.get('name'), 'name') ?? '';
  const instruments = r.list(top.get('instruments'), 'instruments').flatMap((n) => {
    const m = r.map(n, 'an instrument', ['id', 'name']);
    const id = m && r.text(m.get('id'), 'the instrument id');
    const iname = m && r.text(m.get('name'), 'the instrument name');
    return id && iname ? [{ id, name: iname }] : [];
  });
  const seen = new Set<string>();
  const offences: Offence[] = [];
  for (const n of r.list(top.get('offences'), 'offences')) {
    const o = r.map(n, 'an offence', ['id', 'name', 'citation', 'maps_to']);
    if (!o) continue;
    const id = r.text(o.get('id'), 'the offence id') ?? '';
    if (seen.has(id)) r.fail(o.get('id'), `offence ${id} appears twice`);
    seen.add(id);
    const mapsTo: Mapping[] = [];
    for (const mn of r.list(o.get('maps_to'), `offence ${id}'s maps_to`, true)) {
      const m = r.map(mn, `a mapping of offence ${id}`, ['crime', 'elements', 'match'], ['note']);
      if (!m) continue;
      const crime = r.text(m.get('crime'), `offence ${id}'s mapped crime`) ?? '';
      const elements = r.list(m.get('elements'), `offence ${id}'s mapped elements`, true).flatMap((en) => {
        const t = r.text(en, 'an element id');
        return t ? [t] : [];
      });
      const match = r.oneOf(m.get('match'), `offence ${id}'s match`, MATCHES);
      const note = m.has('note') ? r.text(m.get('note'), `offence ${id}'s note`, true) : null;
      if (match === 'partial' && !note)
        r.fail(mn, `offence ${id}: a partial mapping needs a note saying what differs`);
      checks.push({ reader: r, node: mn, crime, elements });
      if (crime && match) mapsTo.push({ crime, elements, match, note });
    }
    const oname = r.text(o.get('name'), `offence ${id}'s name`);
    const citation = r.citation(o.get('citation'), `offence ${id}`);
    if (id && oname && citation) offences.push({ id, name: oname, citation, mapsTo, source: r.source(n) });
  }
  const uj = r.map(top.get('universal_jurisdiction'), 'universal_jurisdiction', ['applies', 'conditions']);
  const applies =
    uj && isScalar(uj.get('applies')) ? (uj.get('applies') as { value: unknown }).value : undefined;
  if (uj && typeof applies !== 'boolean')
    r.fail(uj.get('applies'), 'universal_jurisdiction.applies must be true or false');
  const conditions = uj ? readCitedTexts(r, uj.get('conditions'), 'universal_jurisdiction.conditions') : [];
  const limitation = readCitedTexts(r, top.get('limitation'), 'limitation');
  const admissibility = r.list(top.get('admissibility'), 'admissibility').flatMap((n) => {
    const m = r.map(n, 'an admissibility rule', ['id', 'requirement', 'citation'], ['note']);
    if (!m) return [];
    const id = r.text(m.get('id'), 'the rule id');
    const requirement = r.text(m.get('requirement'), `rule ${id}'s requirement`);
    const citationNode = m.get('citation');
    const citation =
      isScalar(citationNode) && citationNode.value === null ? null : r.citation(citationNode, `rule ${id}`);
    const note = m.has('note') ? r.text(m.get('note'), `rule ${id}'s note`, true) : null;
    if (citation === null && note === null)
      r.fail(n, `rule ${id}: without a citation it needs a note (e.g. "established practice")`);
    return id && requirement ? [{ id, requirement, citation, note }] : [];
  });
  if (!code || !name) return undefined;
  return {
    code,
    name,
    instruments,
    offences,
    universalJurisdiction: { applies: applies === true, conditions },
    limitation,
    admissibility,
    source: r.source(root),
  };
};
