import type { Command } from 'commander';
import type { EvidenceCommandContext } from './evidence-commands.ts';

const OPERATOR = { operator: true } as const;

/**
 * `accord reports …`: the operator's part of safe reporting. The operator holds no advocate's key,
 * so no command reads a report; the operator only names whose advocates receive them.
 */
export const registerReportCommands = (program: Command, ctx: EvidenceCommandContext): void => {
  const { out, withCommon, withOpenNode } = ctx;
  const reports = program
    .command('reports')
    .description('safe reporting: which organisation receives the reports sent to /report')
    .exitOverride();

  withCommon(
    reports
      .command('organisation')
      .description(
        'show, or with ORG set, the organisation whose survivor advocates receive reports; the portal takes reports only once it is set and one of them has signed in',
      )
      .argument('[org]', 'the organisation id or exact name'),
  ).action(async (org: string | undefined, opts: { data: string }) => {
    const shown = await withOpenNode(opts.data, async (node) => {
      if (org) {
        const found = await node.accounts.resolveOrganisation(org);
        await node.reports.setReportingOrganisation(OPERATOR, found.id);
      }
      const id = await node.reports.reportingOrganisation();
      const orgs = await node.accounts.listOrganisations(OPERATOR);
      return { name: orgs.find((o) => o.id === id)?.name, accepting: await node.reports.accepting() };
    });
    if (!shown.name) {
      out('no reporting organisation yet: the portal at /report takes no reports.');
      out('name one with "accord reports organisation <org>".');
      return;
    }
    out(`reports go to the survivor advocates of "${shown.name}".`);
    out(
      shown.accepting
        ? 'the portal at /report is taking reports.'
        : 'the portal takes reports once one of its survivor advocates has signed in.',
    );
  });
};
