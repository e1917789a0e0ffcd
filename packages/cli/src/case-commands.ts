import {
  AccordError,
  CASE_ROLES,
  CASE_STATUSES,
  type CaseRecord,
  gapReportCsv,
  type OrgId,
  type UserId,
} from '@accord/core';
import type { AccordNode } from '@accord/server';
import type { Command } from 'commander';
import type { EvidenceCommandContext } from './evidence-commands.ts';

const OPERATOR = { operator: true } as const;

interface CaseCreateOptions {
  data: string;
  title: string;
  org?: string;
  lead?: string;
  summary?: string;
  status?: string;
  jurisdiction?: string[];
  legalBasis?: string;
  openedOn?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `accord case …`: open cases, name their members, read their gap analysis. */
export const registerCaseCommands = (program: Command, ctx: EvidenceCommandContext): void => {
  const { out, withCommon, withOpenNode } = ctx;
  const cases = program
    .command('case')
    .description('cases, their members and their gap analysis')
    .exitOverride();

  withCommon(
    cases
      .command('create')
      .description('open a case; prints its id on the last line')
      .requiredOption('--title <text>', 'the case title')
      .option('--org <id or name>', 'lead organisation (default: the lead user’s, or the only organisation)')
      .option('--lead <username>', 'the first lead of the case (without one, nobody can open it yet)')
      .option('--summary <text>', 'a summary')
      .option('--status <status>', `one of: ${CASE_STATUSES.join(', ')} (default preliminary)`)
      .option('--jurisdiction <code>', 'ICC or a national profile such as DE; repeat for several', collect)
      .option('--legal-basis <text>', 'the legal basis of the investigation')
      .option('--opened-on <date>', 'the opening date, YYYY-MM-DD (default today)'),
  ).action(async (opts: CaseCreateOptions) => {
    const created = await withOpenNode(opts.data, async (node) => {
      const lead = opts.lead ? await node.accounts.findUserByUsername(opts.lead) : undefined;
      const leadOrgId = opts.org
        ? (await node.accounts.resolveOrganisation(opts.org)).id
        : (lead?.orgId ?? (await onlyOrganisation(node)));
      return node.cases.create(OPERATOR, {
        title: opts.title,
        summary: opts.summary,
        status: opts.status,
        jurisdictions: opts.jurisdiction,
        legalBasis: opts.legalBasis,
        openedOn: opts.openedOn,
        leadOrgId: leadOrgId as OrgId,
        leadUserId: lead?.id as UserId | undefined,
      });
    });
    out(`opened case "${created.title}"`);
    if (!opts.lead) {
      out('it has no member yet: name a lead with "accord case member add <case> <username> --role lead"');
    }
    out(created.id);
  });

  withCommon(
    cases
      .command('list')
      .description('list every case of the node')
      .option('--json', 'one JSON object per case'),
  ).action(async (opts: { data: string; json?: boolean }) => {
    const list = await withOpenNode(opts.data, (node) => node.cases.list(OPERATOR));
    if (opts.json) {
      for (const c of list) out(JSON.stringify(caseJson(c)));
      return;
    }
    if (list.length === 0) out('no cases yet; open one with "accord case create --title …"');
    for (const c of list) {
      out(`${c.id}  ${c.openedOn}  ${c.status.padEnd(13)}  ${c.title}`);
    }
  });

  withCommon(
    cases
      .command('show')
      .description('the case record, its members, agreements and compartments')
      .argument('<case>', 'the case id')
      .option('--json', 'print one JSON object'),
  ).action(async (caseId: string, opts: { data: string; json?: boolean }) => {
    const shown = await withOpenNode(opts.data, async (node) => {
      const view = await node.cases.view(OPERATOR, caseId);
      return {
        record: view.record,
        members: await node.cases.members(OPERATOR, caseId),
        agreements: await node.cases.agreements(OPERATOR, caseId),
        compartments: await node.cases.compartments(OPERATOR, caseId),
      };
    });
    if (opts.json) {
      out(
        JSON.stringify({
          ...caseJson(shown.record),
          members: shown.members.map((m) => ({
            userId: m.userId,
            username: m.username,
            org: m.orgName,
            role: m.role,
          })),
          agreements: shown.agreements,
          compartments: shown.compartments.map((k) => ({
            id: k.id,
            name: k.name,
            members: k.members.length,
          })),
        }),
      );
      return;
    }
    const r = shown.record;
    out(`${r.title}`);
    out(`  id            ${r.id}`);
    out(`  status        ${r.status}`);
    out(`  opened        ${r.openedOn}${r.closedOn ? `, closed ${r.closedOn}` : ''}`);
    out(`  jurisdictions ${r.jurisdictions.join(', ') || '(none yet)'}`);
    if (r.legalBasis) out(`  legal basis   ${r.legalBasis}`);
    out(`members (${shown.members.length}):`);
    for (const m of shown.members) out(`  ${m.username.padEnd(20)} ${m.role.padEnd(19)} ${m.orgName}`);
    out(`agreements (${shown.agreements.length}):`);
    for (const a of shown.agreements) {
      out(
        `  ${a.title} (${a.basisKind}), ${a.startsOn} – ${a.endsOn ?? 'open-ended'}, ${a.participants.length} participants`,
      );
    }
    out(`compartments (${shown.compartments.length}):`);
    for (const k of shown.compartments) out(`  ${k.name} (${k.members.length} members)`);
  });

  const member = cases.command('member').description('members of a case').exitOverride();
  withCommon(
    member
      .command('add')
      .description('add a member to a case, or change their role')
      .argument('<case>', 'the case id')
      .argument('<username>', 'the user')
      .requiredOption('--role <role>', `one of: ${CASE_ROLES.join(', ')}`),
  ).action(async (caseId: string, username: string, opts: { data: string; role: string }) => {
    await withOpenNode(opts.data, async (node) => {
      const user = await node.accounts.findUserByUsername(username);
      await node.cases.putMember(OPERATOR, caseId, { userId: user.id, role: opts.role });
    });
    out(`${username} is now ${opts.role} on case ${caseId}`);
  });
  withCommon(
    member
      .command('remove')
      .description('remove a member from a case (and from its compartments)')
      .argument('<case>', 'the case id')
      .argument('<username>', 'the user'),
  ).action(async (caseId: string, username: string, opts: { data: string }) => {
    await withOpenNode(opts.data, async (node) => {
      const user = await node.accounts.findUserByUsername(username);
      await node.cases.removeMember(OPERATOR, caseId, user.id);
    });
    out(`${username} is no longer a member of case ${caseId}`);
  });

  withCommon(
    cases
      .command('gaps')
      .description('the gap analysis of one charge: every element, its state of proof and why')
      .argument('<charge>', 'the charge id')
      .option('--jurisdiction <code>', 'ICC (the Rome Statute, default) or a national profile such as DE')
      .option('--csv', 'print CSV (one line per element and evidence item)')
      .option('--json', 'print one JSON object per element'),
  ).action(
    async (
      chargeId: string,
      opts: { data: string; jurisdiction?: string; csv?: boolean; json?: boolean },
    ) => {
      if (opts.csv && opts.json) throw new AccordError('invalid_input', 'choose --csv or --json, not both');
      const { report, suspect } = await withOpenNode(opts.data, (node) =>
        node.cases.gaps(OPERATOR, chargeId, opts.jurisdiction),
      );
      if (opts.csv) {
        out(gapReportCsv(report, suspect.name).trimEnd());
        return;
      }
      if (opts.json) {
        for (const r of report.rows) {
          out(
            JSON.stringify({
              element: r.element.id,
              of: r.of,
              required: r.required,
              status: r.status,
              contradicted: r.contradicted,
              gap: r.gap,
              reasons: r.reasons,
              items: r.cells.map((c) => c.itemId),
            }),
          );
        }
        return;
      }
      out(
        `${suspect.name}: ${report.crime.name} (${report.crime.id}), ${report.mode?.name ?? ''} — ${report.jurisdiction}`,
      );
      if (!report.applicable) out(`  ${report.jurisdiction} has no offence that corresponds to this crime`);
      for (const r of report.rows) {
        const mark = !r.required ? '  -' : r.gap ? 'GAP' : ' ok';
        out(
          `${mark} ${r.element.id.padEnd(16)} ${r.status}${r.contradicted ? ', contradicted' : ''}${r.reasons.length ? ` — ${r.reasons.join('; ')}` : ''}`,
        );
      }
      const c = report.counts;
      out(
        report.proven
          ? 'every required element is corroborated and none is contradicted'
          : `${c.gaps} gaps: ${c.unproven} unproven, ${c.single_source} single-source, ${c.inadmissible} inadmissible only, ${c.contradicted} contradicted`,
      );
    },
  );
};

const caseJson = (c: CaseRecord) => ({
  id: c.id,
  title: c.title,
  status: c.status,
  jurisdictions: c.jurisdictions,
  leadOrgId: c.leadOrgId,
  openedOn: c.openedOn,
  closedOn: c.closedOn,
});

const onlyOrganisation = async (node: AccordNode): Promise<OrgId> => {
  const orgs = await node.accounts.listOrganisations(OPERATOR);
  const [only] = orgs;
  if (!only)
    throw new AccordError(
      'invalid_input',
      'there is no organisation yet: add one with "accord org add" first',
    );
  if (orgs.length > 1) {
    throw new AccordError(
      'invalid_input',
      'there are several organisations: choose the lead one with --org or --lead',
    );
  }
  return only.id;
};
