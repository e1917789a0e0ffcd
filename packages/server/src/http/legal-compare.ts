import type {
  Citation,
  Crime,
  Jurisdiction,
  LegalCatalogue,
  LegalElement,
  Mapping,
  Offence,
} from '@accord/core';

/**
 * The jurisdiction comparison: one Rome Statute crime, element by element, against every national
 * profile of the catalogue. Shared by the API and the page, so that both say the same thing.
 */

/** How well a jurisdiction covers one element: the best match any of its offences declares. */
export type CellStatus = 'covered' | 'partial' | 'gap';

export interface CoveringOffence {
  readonly id: string;
  readonly name: string;
  readonly citation: Citation;
  readonly match: Mapping['match'];
  readonly note: string | null;
  /** The mapping names no elements: it covers the crime as a whole. */
  readonly wholeCrime: boolean;
}

export interface ComparisonCell {
  readonly jurisdiction: string;
  readonly status: CellStatus;
  /** Every offence whose mapping reaches this element, best match first (declared non-matches too). */
  readonly offences: readonly CoveringOffence[];
}

export interface ComparisonRow {
  readonly element: LegalElement;
  readonly cells: readonly ComparisonCell[];
}

export interface ComparedJurisdiction {
  readonly code: string;
  readonly name: string;
  readonly counts: Readonly<Record<CellStatus, number>>;
}

export interface Comparison {
  readonly crime: Crime;
  readonly jurisdictions: readonly ComparedJurisdiction[];
  readonly rows: readonly ComparisonRow[];
}

const RANK: Readonly<Record<Mapping['match'], number>> = { full: 0, partial: 1, none: 2 };

const cellFor = (jurisdiction: Jurisdiction, crime: Crime, element: LegalElement): ComparisonCell => {
  const offences: CoveringOffence[] = [];
  for (const offence of jurisdiction.offences) {
    for (const mapping of offence.mapsTo) {
      if (mapping.crime !== crime.id) continue;
      const wholeCrime = mapping.elements.length === 0;
      if (!wholeCrime && !mapping.elements.includes(element.id)) continue;
      offences.push(covering(offence, mapping, wholeCrime));
    }
  }
  offences.sort((a, b) => RANK[a.match] - RANK[b.match]);
  const best = offences[0]?.match;
  const status: CellStatus = best === 'full' ? 'covered' : best === 'partial' ? 'partial' : 'gap';
  return { jurisdiction: jurisdiction.code, status, offences };
};

const covering = (offence: Offence, mapping: Mapping, wholeCrime: boolean): CoveringOffence => ({
  id: offence.id,
  name: offence.name,
  citation: offence.citation,
  match: mapping.match,
  note: mapping.note,
  wholeCrime,
});

/** The comparison for one crime, or undefined when the catalogue has no such crime. */
export const compareCrime = (catalogue: LegalCatalogue, crimeId: string): Comparison | undefined => {
  const crime = catalogue.crime(crimeId);
  if (!crime) return undefined;
  const rows = crime.elements.map((element) => ({
    element,
    cells: catalogue.jurisdictions.map((j) => cellFor(j, crime, element)),
  }));
  const jurisdictions = catalogue.jurisdictions.map((j, index) => {
    const counts = { covered: 0, partial: 0, gap: 0 };
    for (const row of rows) counts[row.cells[index]!.status] += 1;
    return { code: j.code, name: j.name, counts };
  });
  return { crime, jurisdictions, rows };
};

export interface JurisdictionCounts {
  readonly offences: number;
  /** Distinct Rome Statute crimes its offences map to. */
  readonly crimes: number;
  readonly mappings: number;
  readonly full: number;
  readonly partial: number;
  readonly none: number;
  readonly admissibilityRules: number;
}

export const countJurisdiction = (j: Jurisdiction): JurisdictionCounts => {
  const mappings = j.offences.flatMap((o) => o.mapsTo);
  return {
    offences: j.offences.length,
    crimes: new Set(mappings.map((m) => m.crime)).size,
    mappings: mappings.length,
    full: mappings.filter((m) => m.match === 'full').length,
    partial: mappings.filter((m) => m.match === 'partial').length,
    none: mappings.filter((m) => m.match === 'none').length,
    admissibilityRules: j.admissibility.length,
  };
};
