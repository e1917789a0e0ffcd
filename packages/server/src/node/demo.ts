import { AccordError, type Accounts, type OrgId, type Role } from '@accord/core';

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
}[] = [
  { username: 'demo-admin', displayName: 'Amara Okafor', role: 'admin', org: 'otp' },
  { username: 'demo-investigator', displayName: 'Olena Kovalenko', role: 'investigator', org: 'ngo' },
  { username: 'demo-analyst', displayName: 'Jonas Weber', role: 'analyst', org: 'police' },
  { username: 'demo-legal', displayName: 'Camille Laurent', role: 'legal_officer', org: 'otp' },
  { username: 'demo-advocate', displayName: 'Nour Haddad', role: 'survivor_advocate', org: 'ngo' },
  { username: 'demo-protection', displayName: 'Mateo Fernández', role: 'protection_officer', org: 'otp' },
  { username: 'demo-auditor', displayName: 'Ingrid Nilsen', role: 'auditor', org: 'otp' },
  { username: 'demo-observer', displayName: 'Taro Yamada', role: 'observer', org: 'police' },
];

export interface DemoLogin {
  readonly username: string;
  readonly role: Role;
}

/** Seeds the demo data once; later calls find it and change nothing. */
export const seedDemo = async (accounts: Accounts): Promise<{ created: boolean; logins: DemoLogin[] }> => {
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
  for (const u of USERS) {
    await accounts.createUser(operator, {
      orgId: ids.get(u.org),
      username: u.username,
      displayName: u.displayName,
      role: u.role,
      password: DEMO_PASSWORD,
    });
  }
  await accounts.createCase(operator, {
    title: 'Shelling of residential districts, spring 2022 (demo)',
    leadOrgId: ids.get('otp')!,
  });
  return { created: true, logins };
};
