// Rows written straight into a test database, below the repositories under test: organisations,
// users, cases and items that the case and witness contract tests build on.
import type { CaseId, ItemId, OrgId, UserId } from '@accord/core';
import { newId } from '@accord/core';
import type { OpenDatabase } from '../db/open.ts';

export const ROW_TIME = '2026-11-25T09:00:00.000Z';
/** A time on the test morning, `minute` minutes past nine. */
export const rowTime = (minute: number): string => `2026-11-25T09:${String(minute).padStart(2, '0')}:00.000Z`;

export const insertOrg = async (database: OpenDatabase, name: string): Promise<OrgId> => {
  const id = newId<OrgId>();
  await database.db
    .insertInto('organisations')
    .values({ id, name, country: 'UA', kind: 'ngo', created_at: ROW_TIME })
    .execute();
  return id;
};

export const insertUser = async (
  database: OpenDatabase,
  orgId: OrgId,
  username: string,
  disabledAt: string | null = null,
): Promise<UserId> => {
  const id = newId<UserId>();
  await database.db
    .insertInto('users')
    .values({
      id,
      org_id: orgId,
      username,
      display_name: `Name of ${username}`,
      role: 'investigator',
      password_hash: 'x',
      must_change_password: 0,
      totp_secret_sealed: null,
      totp_pending_sealed: null,
      totp_last_step: null,
      locale: null,
      failed_logins: 0,
      locked_until: null,
      disabled_at: disabledAt,
      created_at: ROW_TIME,
    })
    .execute();
  return id;
};

export const insertCase = async (database: OpenDatabase, orgId: OrgId, title: string): Promise<CaseId> => {
  const id = newId<CaseId>();
  await database.db
    .insertInto('cases')
    .values({ id, title, lead_org_id: orgId, created_by: null, created_at: ROW_TIME })
    .execute();
  return id;
};

/** Item number `n` of a case: its bytes' hash, size and time follow from `n`. */
export const insertItem = async (
  database: OpenDatabase,
  caseId: CaseId,
  n: number,
  over: { mediaType?: string; title?: string; sensitive?: boolean } = {},
): Promise<ItemId> => {
  const id = newId<ItemId>();
  await database.db
    .insertInto('items')
    .values({
      id,
      case_id: caseId,
      sha256: Buffer.alloc(32, n).toString('hex'),
      size: n,
      media_type: over.mediaType ?? 'text/plain',
      title: over.title ?? `item ${n}`,
      description: '',
      kind: 'original',
      derived_from: null,
      metadata: '{}',
      problems: '[]',
      captured_at: null,
      latitude: null,
      longitude: null,
      sensitive: over.sensitive ? 1 : 0,
      holder_org_id: null,
      holder_user_id: null,
      sealed_at: null,
      seal_reason: null,
      created_at: rowTime(n),
      created_by: null,
      event_count: 0,
      head_hash: '',
    })
    .execute();
  return id;
};
