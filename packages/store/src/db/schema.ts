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

export interface ItemsTable {
  id: string;
  case_id: string;
  sha256: string;
  /** bigint: PostgreSQL returns it as a string. */
  size: number | string;
  media_type: string;
  title: string;
  description: string;
  kind: string;
  derived_from: string | null;
  metadata: string;
  problems: string;
  captured_at: string | null;
  latitude: number | null;
  longitude: number | null;
  sensitive: number;
  holder_org_id: string | null;
  holder_user_id: string | null;
  sealed_at: string | null;
  seal_reason: string | null;
  created_at: string;
  created_by: string | null;
  event_count: number;
  head_hash: string;
}

export interface CustodyEventsTable {
  leaf_index: number | string;
  id: string;
  item_id: string;
  action: string;
  at: string;
  actor_user_id: string | null;
  actor_org_id: string | null;
  hash: string;
  bytes: Uint8Array;
  private_record: string | null;
}

export interface CollectionsTable {
  id: string;
  item_id: string;
  event_id: string;
  file_name: string | null;
  collected_by: string | null;
  collected_at: string | null;
  source_url: string | null;
  method: string | null;
  latitude: number | null;
  longitude: number | null;
  note: string | null;
  created_at: string;
}

export interface LogTilesTable {
  level: number;
  idx: number | string;
  hashes: Uint8Array;
}

export interface LogStateTable {
  id: number;
  size: number | string;
  root: Uint8Array;
}

export interface LogCheckpointsTable {
  size: number | string;
  root: Uint8Array;
  note: string;
  created_at: string;
}

export interface Database {
  items: ItemsTable;
  custody_events: CustodyEventsTable;
  collections: CollectionsTable;
  log_tiles: LogTilesTable;
  log_state: LogStateTable;
  log_checkpoints: LogCheckpointsTable;
  node_meta: NodeMetaTable;
  organisations: OrganisationsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  cases: CasesTable;
}
