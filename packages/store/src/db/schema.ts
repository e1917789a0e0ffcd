import type { Generated } from 'kysely';

/**
 * Table shapes as Kysely sees them. Times are ISO-8601 UTC strings with milliseconds in both
 * databases so that they compare and sort the same way everywhere; flags are 0/1 integers.
 */
export interface OrganisationsTable {
  id: string;
  name: string;
  country: string;
  kind: string;
  created_at: string;
}

export interface UsersTable {
  id: string;
  org_id: string;
  username: string;
  display_name: string;
  role: string;
  password_hash: string;
  must_change_password: number;
  totp_secret_sealed: string | null;
  totp_pending_sealed: string | null;
  totp_last_step: number | null;
  locale: string | null;
  failed_logins: number;
  locked_until: string | null;
  disabled_at: string | null;
  created_at: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  stage: string;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  scopes: string;
  secret_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditEventsTable {
  seq: Generated<number>;
  id: string;
  at: string;
  type: string;
  outcome: string;
  actor_user_id: string | null;
  actor_org_id: string | null;
  subject_user_id: string | null;
  details: string;
}

export interface CasesTable {
  id: string;
  title: string;
  lead_org_id: string;
  created_by: string | null;
  created_at: string;
}

export interface NodeMetaTable {
  key: string;
  value: string;
}

export interface Database {
  node_meta: NodeMetaTable;
  organisations: OrganisationsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  cases: CasesTable;
}
