import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AccordError, type Citation, type Crime, type LegalCatalogue } from '@accord/core';
import type { Command } from 'commander';
import type { EvidenceCommandContext } from './evidence-commands.ts';

/** `accord legal list`: the crimes, their elements and citations; or a jurisdiction's offences. */
export const registerLegalCommands = (program: Command, ctx: EvidenceCommandContext): void => {
  const legal = program
    .command('legal')
    .description('the legal catalogue: crimes, elements and national profiles')
    .exitOverride();
  ctx
    .withCommon(
      legal
        .command('list')
        .description(
          "print the crimes with their elements and citations, or with --jurisdiction that country's offences and the elements they map to",
        )
        .option('--jurisdiction <code>', 'a national profile, e.g. DE (ISO 3166-1 alpha-2)')
        .option('--json', 'print JSON: one object per crime (or offence) with its article and its elements'),
    )
    .action(async (opts: { data: string; jurisdiction?: string; json?: boolean }) => {
      const { loadLegalCatalogue } = await import('@accord/server');
      // The data folder's own catalogue files count when there is a data folder.
      const catalogue = await loadLegalCatalogue(
        existsSync(join(opts.data, 'accord.json')) ? opts.data : undefined,
      );
      if (!opts.jurisdiction) {
        if (opts.json) {
          for (const crime of catalogue.crimes) ctx.out(JSON.stringify(crimeJson(crime)));
          return;
        }
        for (const crime of catalogue.crimes) printCrime(crime, ctx.out);
        ctx.out(
          `${catalogue.crimes.length} crimes and modes of liability; national profiles: ${catalogue.jurisdictions.map((j) => j.code).join(', ') || 'none'}`,
        );
        return;
      }
      const j = catalogue.jurisdiction(opts.jurisdiction.trim());
      if (!j) {
        throw new AccordError(
          'invalid_input',
          `there is no national profile "${opts.jurisdiction}"; known: ${catalogue.jurisdictions.map((x) => x.code).join(', ') || 'none'}`,
        );
      }
      for (const offence of j.offences) {
        const mapped = offence.mapsTo.map((m) => ({
          crime: m.crime,
          match: m.match,
          note: m.note,
          elements: elementsOf(catalogue, m.crime, m.elements),
        }));
        if (opts.json) {
          ctx.out(
            JSON.stringify({
              id: offence.id,
              jurisdiction: j.code,
              name: offence.name,
              article: cite(offence.citation),
              citation: offence.citation,
              mapsTo: mapped.map(({ crime, match, note }) => ({
                crime,
                article: catalogue.crime(crime)?.article,
                match,
                note,
              })),
              elements: mapped.flatMap((m) => m.elements),
            }),
          );
          continue;
        }
        ctx.out(`${offence.id}  ${cite(offence.citation)}  ${offence.name}`);
        for (const m of mapped) {
          const crime = catalogue.crime(m.crime);
          ctx.out(
            `  = ${m.match} ${m.crime} (Rome Statute art. ${crime?.article ?? '?'}: ${crime?.name ?? '?'})${m.note ? ` — ${m.note}` : ''}`,
          );
          for (const e of m.elements) ctx.out(`      ${e.id} [${e.kind}] ${e.text} (${cite(e.citation)})`);
        }
      }
      if (opts.json) return;
      ctx.out(`${j.name}: ${j.offences.length} offences`);
      ctx.out(`universal jurisdiction: ${j.universalJurisdiction.applies ? 'yes' : 'no'}`);
      for (const c of j.universalJurisdiction.conditions)
        ctx.out(`  - ${c.text}${c.citation ? ` (${cite(c.citation)})` : ''}`);
      ctx.out('limitation:');
      for (const l of j.limitation) ctx.out(`  - ${l.text}${l.citation ? ` (${cite(l.citation)})` : ''}`);
      ctx.out('admissibility checklist:');
      for (const a of j.admissibility)
        ctx.out(
          `  - [${a.id}] ${a.requirement}${a.citation ? ` (${cite(a.citation)})` : a.note ? ` (${a.note})` : ''}`,
        );
    });
};

const cite = (c: Citation): string =>
  `${c.instrument} art. ${c.article}${c.paragraph ? ` ${c.paragraph}` : ''}`;

const crimeJson = (crime: Crime) => ({
  id: crime.id,
  name: crime.name,
  article: crime.article,
  category: crime.category,
  conflict: crime.conflict,
  citation: crime.citation,
  elements: crime.elements.map((e) => ({
    id: e.id,
    kind: e.kind,
    text: e.text,
    citation: e.citation,
    note: e.note,
  })),
});

/** The elements a mapping names, or all of the crime's when it names none. */
const elementsOf = (catalogue: LegalCatalogue, crimeId: string, ids: readonly string[]) => {
  const crime = catalogue.crime(crimeId);
  const chosen =
    ids.length === 0 ? (crime?.elements ?? []) : ids.flatMap((id) => catalogue.element(id)?.element ?? []);
  return chosen.map((e) => ({ id: e.id, kind: e.kind, text: e.text, citation: e.citation }));
};

const printCrime = (crime: Crime, out: (text: string) => void): void => {
  out(
    `${crime.id}  art. ${crime.article}  ${crime.name}${crime.conflict ? ` (${crime.conflict.replace('_', '-')} armed conflict)` : ''}`,
  );
  for (const e of crime.elements) out(`    ${e.id} [${e.kind}] ${e.text} (${cite(e.citation)})`);
};
