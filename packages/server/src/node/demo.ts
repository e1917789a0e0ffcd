import {
  AccordError,
  type Accounts,
  type CaseRole,
  type Cases,
  type OrgId,
  type Reports,
  type Role,
  type UserId,
  type Witnesses,
} from '@accord/core';

/**
 * Demo data: three organisations from three countries, one user per role and a case. Demo users
 * share one published password and have no TOTP yet: the first sign-in asks them to enrol.
 * Never use a demo node for real work.
 */
import { DEMO_PASSWORD } from './defaults.ts';

export { DEMO_PASSWORD };

const ORGS = [
  { key: 'otp', name: 'Office of the Prosecutor (demo)', country: 'NL', kind: 'prosecution' },
  { key: 'ngo', name: 'Kharkiv Human Rights Documentation Group (demo)', country: 'UA', kind: 'ngo' },
  { key: 'police', name: 'Federal War Crimes Unit (demo)', country: 'DE', kind: 'police' },
] as const;

const USERS: readonly {
  username: string;
  displayName: string;
  role: Role;
  org: (typeof ORGS)[number]['key'];
  /** Their role on the demo case. */
  onCase: CaseRole;
}[] = [
  { username: 'demo-admin', displayName: 'Amara Okafor', role: 'admin', org: 'otp', onCase: 'lead' },
  {
    username: 'demo-investigator',
    displayName: 'Olena Kovalenko',
    role: 'investigator',
    org: 'ngo',
    onCase: 'investigator',
  },
  { username: 'demo-analyst', displayName: 'Jonas Weber', role: 'analyst', org: 'police', onCase: 'analyst' },
  {
    username: 'demo-legal',
    displayName: 'Camille Laurent',
    role: 'legal_officer',
    org: 'otp',
    onCase: 'lead',
  },
  {
    username: 'demo-advocate',
    displayName: 'Nour Haddad',
    role: 'survivor_advocate',
    org: 'ngo',
    onCase: 'survivor_advocate',
  },
  {
    username: 'demo-protection',
    displayName: 'Mateo Fernández',
    role: 'protection_officer',
    org: 'otp',
    onCase: 'protection_officer',
  },
  { username: 'demo-auditor', displayName: 'Ingrid Nilsen', role: 'auditor', org: 'otp', onCase: 'auditor' },
  {
    username: 'demo-observer',
    displayName: 'Taro Yamada',
    role: 'observer',
    org: 'police',
    onCase: 'observer',
  },
];

export interface DemoLogin {
  readonly username: string;
  readonly role: Role;
}

/** Seeds the demo data once; later calls find it and change nothing. */
export const seedDemo = async ({
  accounts,
  cases,
  witnesses,
  reports,
}: {
  accounts: Accounts;
  cases: Cases;
  witnesses: Witnesses;
  reports: Reports;
}): Promise<{ created: boolean; logins: DemoLogin[] }> => {
  const operator = { operator: true } as const;
  const logins = USERS.map(({ username, role }) => ({ username, role }));
  const existing = await accounts.listOrganisations(operator);
  if (existing.some((o) => o.name === ORGS[0].name)) return { created: false, logins };
  // Never add accounts with a published password to a node that holds real ones.
  if ((await accounts.listUsers(operator)).length > 0) {
    throw new AccordError(
      'conflict',
      'this node already has accounts that are not demo data; accord demo only seeds an empty node (use another folder, e.g. --data ./accord-demo)',
    );
  }
  const ids = new Map<string, OrgId>();
  for (const o of ORGS) {
    const org = await accounts.createOrganisation(operator, {
      name: o.name,
      country: o.country,
      kind: o.kind,
    });
    ids.set(o.key, org.id);
  }
  // The NGO's survivor advocates receive the reports sent to the portal.
  await reports.setReportingOrganisation(operator, ids.get('ngo')!);
  const userIds = new Map<string, UserId>();
  for (const u of USERS) {
    const created = await accounts.createUser(operator, {
      orgId: ids.get(u.org),
      username: u.username,
      displayName: u.displayName,
      role: u.role,
      password: DEMO_PASSWORD,
    });
    userIds.set(u.username, created.user.id);
    // A survivor advocate's report key pair is made with their password: the demo portal is open at once.
    await reports.unlock(created.user, DEMO_PASSWORD);
  }
  const kase = await cases.create(operator, {
    title: 'Shelling of residential districts, spring 2022 (demo)',
    summary:
      'Demo case: repeated shelling of residential districts. A joint investigation team of a prosecutor, an NGO and a police war-crimes unit.',
    status: 'investigation',
    jurisdictions: ['ICC', 'DE', 'UA'],
    legalBasis: 'Demo only: no real agreement or proceedings.',
    leadOrgId: ids.get('otp')!,
    leadUserId: userIds.get('demo-admin'),
  });
  for (const u of USERS) {
    if (u.username === 'demo-admin') continue;
    await cases.putMember(operator, kase.id, { userId: userIds.get(u.username), role: u.onCase });
  }
  await cases.saveAgreement(operator, kase.id, {
    title: 'Joint investigation team agreement (demo)',
    basisKind: 'ad_hoc',
    legalBasis: 'Demo only.',
    startsOn: '2022-04-01',
    scope: 'Attacks on residential districts in spring 2022.',
    purposeLimitation: 'Criminal investigation and prosecution of the crimes in scope only.',
    participants: [
      // The NGO runs the survivor advocates who take safe reports: it receives witness records too.
      { orgId: ids.get('ngo'), country: 'UA', receives: ['originals', 'incidents', 'analysis', 'witnesses'] },
      { orgId: ids.get('police'), country: 'DE', receives: ['derivatives', 'incidents', 'analysis'] },
    ],
  });
  const protection = await cases.createCompartment(operator, kase.id, {
    name: 'Witness protection',
    description: 'Identities and protective measures: protection officers and the case leads only.',
    members: [userIds.get('demo-protection'), userIds.get('demo-legal'), userIds.get('demo-admin')],
  });
  // A witness known by pseudonym; the identity is invented and filed in the protection compartment.
  const witness = await witnesses.create(operator, kase.id, { kind: 'survivor', languages: ['uk'] });
  await witnesses.setIdentity(operator, witness.id, {
    compartmentId: protection.id,
    fullName: 'Demo Person (invented)',
    note: 'Demo data: not a real person.',
  });
  await witnesses.recordConsent(operator, witness.id, { purpose: 'investigation', state: 'given' });
  await witnesses.recordConsent(operator, witness.id, {
    purpose: 'sharing',
    scope: ids.get('ngo'),
    state: 'given',
  });
  return { created: true, logins };
};
