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
  summary: Generated<string>;
  status: Generated<string>;
  /** JSON array of jurisdiction codes. */
  jurisdictions: Generated<string>;
  legal_basis: Generated<string>;
  /** Null for cases created before the case module: read as the date of created_at. */
  opened_on: string | null;
  closed_on: string | null;
  /** Null for cases created before the case module: read as created_at. */
  updated_at: string | null;
}

export interface CaseMembersTable {
  case_id: string;
  user_id: string;
  role: string;
  added_at: string;
}

export interface CaseCompartmentsTable {
  id: string;
  case_id: string;
  name: string;
  description: string;
  created_at: string;
}

export interface CompartmentMembersTable {
  compartment_id: string;
  user_id: string;
}

export interface JitAgreementsTable {
  id: string;
  case_id: string;
  title: string;
  basis_kind: string;
  legal_basis: string;
  starts_on: string;
  ends_on: string | null;
  scope: string;
  purpose_limitation: string;
  /** JSON array of participants. */
  participants: string;
  created_at: string;
  updated_at: string;
}

export interface IncidentsTable {
  id: string;
  case_id: string;
  compartment_id: string | null;
  title: string;
  occurred_from: string;
  occurred_to: string | null;
  place: string;
  latitude: number | null;
  longitude: number | null;
  /** JSON arrays of strings. */
  acts: string;
  victims: string;
  perpetrator_ids: string;
  perpetrators_other: string;
  sources: string;
  created_at: string;
  updated_at: string;
}

export interface IncidentItemsTable {
  incident_id: string;
  item_id: string;
}

export interface SuspectsTable {
  id: string;
  case_id: string;
  name: string;
  position: string;
  note: string;
  created_at: string;
}

export interface ChargesTable {
  id: string;
  case_id: string;
  suspect_id: string;
  crime_id: string;
  mode_id: string;
  note: string;
  created_at: string;
  withdrawn_at: string | null;
}

export interface ProofLinksTable {
  id: string;
  case_id: string;
  charge_id: string;
  element_id: string;
  item_id: string;
  part_kind: string;
  part: string;
  stance: string;
  weight: string;
  reliability: string;
  credibility: string;
  note: string;
  created_at: string;
  created_by: string | null;
  withdrawn_at: string | null;
}

export interface ItemProfilesTable {
  item_id: string;
  case_id: string;
  source_kind: string;
  source_label: string;
  updated_at: string;
}

export interface ItemAdmissibilityTable {
  item_id: string;
  case_id: string;
  jurisdiction: string;
  rule_id: string;
  answer: string;
  note: string;
  updated_at: string;
}

export interface ItemCompartmentsTable {
  item_id: string;
  compartment_id: string;
}

export interface CaseEventsTable {
  /** bigint identity on PostgreSQL: read back as a string. */
  seq: Generated<number | string>;
  id: string;
  case_id: string;
  compartment_id: string | null;
  at: string;
  actor_user_id: string | null;
  actor_org_id: string | null;
  type: string;
  subject_id: string | null;
  /** JSON object. */
  details: string;
}

export interface WitnessesTable {
  id: string;
  case_id: string;
  pseudonym: string;
  kind: string;
  /** JSON array of BCP 47 language tags. */
  languages: string;
  note: string;
  created_at: string;
  updated_at: string;
}

export interface WitnessIdentitiesTable {
  witness_id: string;
  case_id: string;
  compartment_id: string;
  full_name: string;
  /** JSON array of strings. */
  other_names: string;
  date_of_birth: string | null;
  contact: string;
  address: string;
  note: string;
  updated_at: string;
}

export interface ConsentEventsTable {
  /** bigint identity on PostgreSQL: read back as a string. */
  seq: Generated<number | string>;
  id: string;
  witness_id: string;
  case_id: string;
  purpose: string;
  scope: string;
  state: string;
  at: string;
  recorded_by: string | null;
  via: string;
  note: string;
}

export interface WitnessStatementsTable {
  id: string;
  witness_id: string;
  case_id: string;
  item_id: string | null;
  taken_on: string;
  taken_by: string;
  org_id: string;
  language: string;
  interpreter: string;
  /** JSON array of consent states. */
  consent_at_time: string;
  note: string;
  created_at: string;
  created_by: string | null;
}

export interface RiskAssessmentsTable {
  id: string;
  witness_id: string;
  case_id: string;
  level: string;
  assessed_on: string;
  threats: string;
  measures: string;
  review_on: string;
  created_at: string;
  created_by: string | null;
}

export interface RecipientKeysTable {
  user_id: string;
  /** Raw X25519 public key, base64url. */
  public_key: string;
  sealed_private: string;
  salt: string;
  /** YYYY-MM-DD */
  created_on: string;
}

/** Safe reports: what the team sorts by; the rest is sealed. Dates are days, never times. */
export interface ReportsTable {
  id: string;
  lookup: string;
  language: string;
  status: string;
  received_on: string;
  updated_on: string;
  assigned_to: string | null;
  case_id: string | null;
  incident_id: string | null;
  witness_id: string | null;
  code_wrap: string;
  sealed: string;
}

export interface ReportKeyWrapsTable {
  report_id: string;
  user_id: string;
  wrapped: string;
}

export interface ReportEntriesTable {
  report_id: string;
  /** 1, 2, 3… per report. */
  seq: number;
  id: string;
  kind: string;
  author_user_id: string | null;
  on_day: string;
  sealed: string;
}

export interface ReportAttachmentsTable {
  report_id: string;
  id: string;
  /** 1, 2, 3… per report, in the order received. */
  position: number;
  sealed: string;
  item_id: string | null;
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
  case_members: CaseMembersTable;
  case_compartments: CaseCompartmentsTable;
  compartment_members: CompartmentMembersTable;
  jit_agreements: JitAgreementsTable;
  incidents: IncidentsTable;
  incident_items: IncidentItemsTable;
  suspects: SuspectsTable;
  charges: ChargesTable;
  proof_links: ProofLinksTable;
  item_profiles: ItemProfilesTable;
  item_admissibility: ItemAdmissibilityTable;
  item_compartments: ItemCompartmentsTable;
  case_events: CaseEventsTable;
  witnesses: WitnessesTable;
  witness_identities: WitnessIdentitiesTable;
  consent_events: ConsentEventsTable;
  witness_statements: WitnessStatementsTable;
  risk_assessments: RiskAssessmentsTable;
  recipient_keys: RecipientKeysTable;
  reports: ReportsTable;
  report_key_wraps: ReportKeyWrapsTable;
  report_entries: ReportEntriesTable;
  report_attachments: ReportAttachmentsTable;
}
