import type { ItemId, ItemKind } from '../evidence/types.ts';
import type { Crime, LegalCatalogue, LegalElement, Offence } from '../legal/catalogue.ts';
import { AccordError } from '../shared/errors.ts';
import { type Charge, type ProofLink, ROME_STATUTE, type SourceKind } from './types.ts';

/**
 * Gap analysis: for one charge (suspect × crime × mode of liability) under one jurisdiction, the
 * state of proof of every element. Pure: it sees only what it is given, so a caller that leaves
 * out what the viewer may not see gets an analysis that reveals nothing of it.
 */

/** What the analysis needs to know about one evidence item. */
export interface EvidenceFacts {
  readonly itemId: ItemId;
  readonly title: string;
  readonly kind: ItemKind;
  readonly sealed: boolean;
  /** The kind of source, when the team has classified it. */
  readonly sourceKind: SourceKind | null;
  /** Items with the same key come from the same source and are not independent of each other. */
  readonly sourceKey: string;
  /** A label for people (the source label, or the item's title). */
  readonly sourceLabel: string;
  /** Per jurisdiction code: the checklist entries recorded as not met for this item. */
  readonly notMet: ReadonlyMap<string, readonly string[]>;
}

export const ELEMENT_STATUSES = ['unproven', 'inadmissible', 'single_source', 'corroborated'] as const;
export type ElementStatus = (typeof ELEMENT_STATUSES)[number];

export interface GapCell {
  readonly itemId: ItemId;
  readonly links: readonly ProofLink[];
}

export interface ElementRow {
  readonly element: LegalElement;
  /** Whether the element belongs to the crime or to the mode of liability. */
  readonly of: 'crime' | 'mode';
  /** False when the jurisdiction's offences do not require this element (shown, never a gap). */
  readonly required: boolean;
  readonly status: ElementStatus;
  readonly contradicted: boolean;
  readonly gap: boolean;
  /** Why, in words, for the grid and the printable report. */
  readonly reasons: readonly string[];
  /** Independent admissible sources supporting the element. */
  readonly sources: readonly { readonly label: string; readonly kinds: readonly (SourceKind | null)[] }[];
  readonly cells: readonly GapCell[];
}

export interface GapReport {
  readonly chargeId: string;
  readonly jurisdiction: string;
  readonly crime: Crime;
  readonly mode: Crime | undefined;
  /** National offences that correspond to the crime (empty for the Rome Statute). */
  readonly offences: readonly Offence[];
  /** False when the jurisdiction has no offence that maps onto the crime. */
  readonly applicable: boolean;
  readonly rows: readonly ElementRow[];
  /** The evidence columns of the grid, in the order of first link. */
  readonly items: readonly EvidenceFacts[];
  readonly counts: Readonly<Record<ElementStatus | 'contradicted' | 'gaps', number>>;
  /** Every required element corroborated and none contradicted. */
  readonly proven: boolean;
}

/** At least two independent sources of different kinds. */
export const corroborates = (sources: ReadonlyMap<string, ReadonlySet<SourceKind | null>>): boolean => {
  const list = [...sources.values()];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      for (const a of list[i] ?? []) {
        for (const b of list[j] ?? []) if (a !== null && b !== null && a !== b) return true;
      }
    }
  }
  return false;
};

/** Elements the jurisdiction requires for the crime, or undefined when no offence maps onto it. */
const requiredElements = (
  catalogue: LegalCatalogue,
  crime: Crime,
  jurisdiction: string,
): { offences: Offence[]; required: Set<string> | undefined } => {
  if (jurisdiction === ROME_STATUTE)
    return { offences: [], required: new Set(crime.elements.map((e) => e.id)) };
  const j = catalogue.jurisdiction(jurisdiction);
  if (!j) return { offences: [], required: undefined };
  const offences: Offence[] = [];
  const required = new Set<string>();
  for (const o of j.offences) {
    for (const m of o.mapsTo) {
      if (m.crime !== crime.id || m.match === 'none') continue;
      if (!offences.includes(o)) offences.push(o);
      for (const id of m.elements.length === 0 ? crime.elements.map((e) => e.id) : m.elements)
        required.add(id);
    }
  }
  return { offences, required: offences.length === 0 ? undefined : required };
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export const analyseCharge = (input: {
  readonly catalogue: LegalCatalogue;
  readonly charge: Charge;
  readonly jurisdiction: string;
  /** The links of this charge the viewer may see (withdrawn ones already left out). */
  readonly links: readonly ProofLink[];
  readonly facts: ReadonlyMap<ItemId, EvidenceFacts>;
}): GapReport => {
  const { catalogue, charge, jurisdiction } = input;
  const crime = catalogue.crime(charge.crimeId);
  if (!crime) {
    // A deployment may change its catalogue: the charge stays, and says what is missing.
    throw new AccordError(
      'conflict',
      `the crime ${charge.crimeId} of this charge is no longer in the legal catalogue; restore it or withdraw the charge`,
      { context: { reason: 'crime_unknown' } },
    );
  }
  const mode = catalogue.crime(charge.modeId);
  const { offences, required } = requiredElements(catalogue, crime, jurisdiction);
  const links = input.links.filter((l) => l.chargeId === charge.id && input.facts.has(l.itemId));
  const items: EvidenceFacts[] = [];
  for (const l of links) {
    const f = input.facts.get(l.itemId);
    if (f && !items.includes(f)) items.push(f);
  }
  const admissible = (f: EvidenceFacts) => (f.notMet.get(jurisdiction) ?? []).length === 0;

  const row = (element: LegalElement, of: 'crime' | 'mode'): ElementRow => {
    const mine = links.filter((l) => l.elementId === element.id);
    const cells: GapCell[] = [];
    for (const f of items) {
      const here = mine.filter((l) => l.itemId === f.itemId);
      if (here.length > 0) cells.push({ itemId: f.itemId, links: here });
    }
    const isRequired = of === 'mode' || (required?.has(element.id) ?? false);
    const usable = mine.filter((l) => !input.facts.get(l.itemId)?.sealed);
    const supporting = usable.filter((l) => l.stance === 'supports');
    const admissibleSupport = supporting.filter((l) =>
      admissible(input.facts.get(l.itemId) as EvidenceFacts),
    );
    const contradicting = usable.filter(
      (l) => l.stance === 'contradicts' && admissible(input.facts.get(l.itemId) as EvidenceFacts),
    );
    const sources = new Map<string, Set<SourceKind | null>>();
    const labels = new Map<string, string>();
    for (const l of admissibleSupport) {
      const f = input.facts.get(l.itemId) as EvidenceFacts;
      const kinds = sources.get(f.sourceKey) ?? new Set();
      kinds.add(f.sourceKind);
      sources.set(f.sourceKey, kinds);
      labels.set(f.sourceKey, f.sourceLabel);
    }
    const reasons: string[] = [];
    let status: ElementStatus;
    if (supporting.length === 0) {
      status = 'unproven';
      reasons.push(
        mine.length > usable.length
          ? 'no evidence supports this element (links to sealed items do not count)'
          : 'no evidence supports this element',
      );
    } else if (admissibleSupport.length === 0) {
      status = 'inadmissible';
      const why = new Set<string>();
      for (const l of supporting)
        for (const r of input.facts.get(l.itemId)?.notMet.get(jurisdiction) ?? []) why.add(r);
      reasons.push(
        `supported only by evidence that the ${jurisdiction} checklist would not admit (not met: ${[...why].join(', ')})`,
      );
    } else if (corroborates(sources)) {
      status = 'corroborated';
    } else {
      status = 'single_source';
      const kinds = new Set([...sources.values()].flatMap((k) => [...k]));
      if (sources.size === 1) reasons.push(`only one independent source (${[...labels.values()][0]})`);
      else if (kinds.has(null) && [...kinds].filter((k) => k !== null).length <= 1)
        reasons.push(
          `${plural(sources.size, 'independent source')}, but not all classified by kind: classify them to judge corroboration`,
        );
      else
        reasons.push(
          `${plural(sources.size, 'independent source')}, all of one kind (${[...kinds].join(', ')})`,
        );
    }
    if (contradicting.length > 0) {
      reasons.push(`contradicted by ${plural(new Set(contradicting.map((l) => l.itemId)).size, 'item')}`);
    }
    const contradicted = contradicting.length > 0;
    return {
      element,
      of,
      required: isRequired,
      status,
      contradicted,
      gap: isRequired && (status !== 'corroborated' || contradicted),
      reasons: isRequired ? reasons : [`not required by the ${jurisdiction} offences`, ...reasons],
      sources: [...sources.entries()].map(([key, kinds]) => ({
        label: labels.get(key) ?? key,
        kinds: [...kinds],
      })),
      cells,
    };
  };

  const rows = [
    ...crime.elements.map((e) => row(e, 'crime')),
    ...(mode?.elements ?? []).map((e) => row(e, 'mode')),
  ];
  const counts = {
    unproven: 0,
    inadmissible: 0,
    single_source: 0,
    corroborated: 0,
    contradicted: 0,
    gaps: 0,
  };
  for (const r of rows) {
    if (!r.required) continue;
    counts[r.status]++;
    if (r.contradicted) counts.contradicted++;
    if (r.gap) counts.gaps++;
  }
  const applicable = required !== undefined;
  return {
    chargeId: charge.id,
    jurisdiction,
    crime,
    mode,
    offences,
    applicable,
    rows,
    items,
    counts,
    proven: applicable && counts.gaps === 0,
  };
};

/** The report as CSV (RFC 4180): one line per element and item, plus one per element without any. */
export const gapReportCsv = (report: GapReport, suspectName: string): string => {
  const q = (v: string | number | boolean) => {
    const s = String(v);
    // A leading =, +, - or @ would be run as a formula by spreadsheet programs.
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  const header = [
    'suspect',
    'crime',
    'mode_of_liability',
    'jurisdiction',
    'element',
    'element_of',
    'required',
    'status',
    'contradicted',
    'gap',
    'reasons',
    'item_id',
    'item_title',
    'stance',
    'part',
    'weight',
    'grade',
  ];
  const lines = [header.join(',')];
  for (const r of report.rows) {
    const base = [
      suspectName,
      report.crime.id,
      report.mode?.id ?? '',
      report.jurisdiction,
      r.element.id,
      r.of,
      r.required,
      r.status,
      r.contradicted,
      r.gap,
      r.reasons.join('; '),
    ];
    const links = r.cells.flatMap((c) => c.links);
    if (links.length === 0) lines.push([...base, '', '', '', '', '', ''].map(q).join(','));
    for (const l of links) {
      const f = report.items.find((i) => i.itemId === l.itemId);
      lines.push(
        [
          ...base,
          l.itemId,
          f?.title ?? '',
          l.stance,
          l.partKind === 'whole' ? 'whole' : `${l.partKind} ${l.part}`,
          l.weight,
          `${l.reliability}${l.credibility}`,
        ]
          .map(q)
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
};
