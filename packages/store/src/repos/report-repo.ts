import { randomBytes } from 'node:crypto';
import {
  AccordError,
  type AttachmentRecord,
  type CaseId,
  type EntryKind,
  type ItemId,
  type Locale,
  type RecipientKey,
  type Report,
  type ReportChange,
  type ReportEntry,
  type ReportKeyWrap,
  type ReportRepo,
  type ReportStatus,
  type UserId,
} from '@accord/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  Database,
  RecipientKeysTable,
  ReportAttachmentsTable,
  ReportEntriesTable,
  ReportsTable,
} from '../db/schema.ts';

const CODE_SALT_KEY = 'report_code_salt';
const REPORTING_ORG_KEY = 'reporting_org';
const CODE_SALT_BYTES = 16;
/** The role whose enabled members receive every report's key. */
const RECIPIENT_ROLE = 'survivor_advocate';

/**
 * ReportRepo on Kysely, the same code for SQLite and PostgreSQL. `apply` writes all its changes in
 * one transaction. Entries are only ever appended, numbered 1, 2, 3… per report; attachments only
 * change by being filed in a case, once (the database refuses anything else of both).
 */
export class KyselyReportRepo implements ReportRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async apply(changes: readonly ReportChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (const change of changes) await applyOne(trx, change);
    });
  }

  async get(id: string): Promise<Report | undefined> {
    const row = await this.#db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toReport(row);
  }

  async findByLookup(lookup: string): Promise<Report | undefined> {
    const row = await this.#db
      .selectFrom('reports')
      .selectAll()
      .where('lookup', '=', lookup)
      .executeTakeFirst();
    return row && toReport(row);
  }

  async list(filter: { readonly status?: ReportStatus; readonly assignedTo?: UserId }): Promise<Report[]> {
    let query = this.#db.selectFrom('reports').selectAll();
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.assignedTo !== undefined) query = query.where('assigned_to', '=', filter.assignedTo);
    const rows = await query.orderBy('received_on', 'desc').orderBy('id').execute();
    return rows.map(toReport);
  }

  async entries(reportId: string): Promise<ReportEntry[]> {
    const rows = await this.#db
      .selectFrom('report_entries')
      .selectAll()
      .where('report_id', '=', reportId)
      .orderBy('seq')
      .execute();
    return rows.map(toEntry);
  }

  async attachments(reportId: string): Promise<AttachmentRecord[]> {
    const rows = await this.#db
      .selectFrom('report_attachments')
      .selectAll()
      .where('report_id', '=', reportId)
      .orderBy('position')
      .execute();
    return rows.map(toAttachment);
  }

  async wrapFor(reportId: string, userId: UserId): Promise<ReportKeyWrap | undefined> {
    const row = await this.#db
      .selectFrom('report_key_wraps')
      .selectAll()
      .where('report_id', '=', reportId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && { reportId: row.report_id, userId: row.user_id as UserId, wrapped: row.wrapped };
  }

  async missingWraps(userId: UserId): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('reports')
      .select('reports.id')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('report_key_wraps')
              .select('report_key_wraps.report_id')
              .whereRef('report_key_wraps.report_id', '=', 'reports.id')
              .where('report_key_wraps.user_id', '=', userId),
          ),
        ),
      )
      .orderBy('reports.received_on')
      .orderBy('reports.id')
      .execute();
    return rows.map((r) => r.id);
  }

  async recipientKey(userId: UserId): Promise<RecipientKey | undefined> {
    const row = await this.#db
      .selectFrom('recipient_keys')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && toRecipientKey(row);
  }

  async putRecipientKey(key: RecipientKey): Promise<void> {
    const row = {
      public_key: key.publicKey,
      sealed_private: key.sealedPrivate,
      salt: key.salt,
      created_on: key.createdOn,
    };
    await this.#db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('recipient_keys')
        .select('public_key')
        .where('user_id', '=', key.userId)
        .executeTakeFirst();
      await trx
        .insertInto('recipient_keys')
        .values({ user_id: key.userId, ...row })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
        .execute();
      if (before && before.public_key !== key.publicKey) {
        // A new pair (after a password reset): the keys wrapped to the old one can never be opened
        // again, since its private half was just replaced. Without them the reports are listed by
        // missingWraps, and a colleague's next look at the queue wraps them to the new pair.
        await trx.deleteFrom('report_key_wraps').where('user_id', '=', key.userId).execute();
      }
    });
  }

  async recipients(orgId: string): Promise<RecipientKey[]> {
    const rows = await this.#db
      .selectFrom('recipient_keys')
      .innerJoin('users', 'users.id', 'recipient_keys.user_id')
      .selectAll('recipient_keys')
      .where('users.role', '=', RECIPIENT_ROLE)
      .where('users.org_id', '=', orgId)
      .where('users.disabled_at', 'is', null)
      .orderBy('recipient_keys.user_id')
      .execute();
    return rows.map(toRecipientKey);
  }

  async reportingOrg(): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('node_meta')
      .select('value')
      .where('key', '=', REPORTING_ORG_KEY)
      .executeTakeFirst();
    return row?.value;
  }

  async setReportingOrg(orgId: string): Promise<void> {
    await this.#db
      .insertInto('node_meta')
      .values({ key: REPORTING_ORG_KEY, value: orgId })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: orgId }))
      .execute();
  }

  async codeSalt(): Promise<Uint8Array> {
    // Insert-if-absent, then read back: of two first uses at the same moment, one salt wins and
    // both return it.
    await this.#db
      .insertInto('node_meta')
      .values({ key: CODE_SALT_KEY, value: randomBytes(CODE_SALT_BYTES).toString('base64url') })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const row = await this.#db
      .selectFrom('node_meta')
      .select('value')
      .where('key', '=', CODE_SALT_KEY)
      .executeTakeFirstOrThrow();
    const salt = Buffer.from(row.value, 'base64url');
    if (salt.byteLength !== CODE_SALT_BYTES || salt.toString('base64url') !== row.value) {
      // Every receipt code ever given depends on this salt: never replace it, say it is damaged.
      throw new AccordError(
        'integrity',
        `the node's ${CODE_SALT_KEY} is not ${CODE_SALT_BYTES} bytes of base64url`,
      );
    }
    return new Uint8Array(salt);
  }
}

/**
 * Entries and attachments are numbered per report. The number is read and used under the report
 * row's lock (a no-op update: a row lock on PostgreSQL until the transaction ends; SQLite has one
 * writer), so two appends at the same moment wait for each other instead of taking the same number.
 */
const lockReport = async (trx: Transaction<Database>, reportId: string): Promise<void> => {
  const result = await trx
    .updateTable('reports')
    .set({ id: reportId })
    .where('id', '=', reportId)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) {
    throw new AccordError('not_found', `report ${reportId} does not exist`, { context: { reportId } });
  }
};

const applyOne = async (trx: Transaction<Database>, change: ReportChange): Promise<void> => {
  switch (change.type) {
    case 'report': {
      const r = change.report;
      // Only what may change after receipt; the lookup, language, day received and sealed content
      // are written once.
      const mutable = {
        status: r.status,
        updated_on: r.updatedOn,
        assigned_to: r.assignedTo,
        case_id: r.caseId,
        incident_id: r.incidentId,
        witness_id: r.witnessId,
      };
      await trx
        .insertInto('reports')
        .values({
          id: r.id,
          lookup: r.lookup,
          language: r.language,
          received_on: r.receivedOn,
          code_wrap: r.codeWrap,
          sealed: r.sealed,
          ...mutable,
        })
        .onConflict((oc) => oc.column('id').doUpdateSet(mutable))
        .execute();
      return;
    }
    case 'update': {
      const u = change.set;
      const set = {
        updated_on: u.updatedOn,
        ...(u.status === undefined ? {} : { status: u.status }),
        ...(u.assignedTo === undefined ? {} : { assigned_to: u.assignedTo }),
        ...(u.caseId === undefined ? {} : { case_id: u.caseId }),
        ...(u.incidentId === undefined ? {} : { incident_id: u.incidentId }),
        ...(u.witnessId === undefined ? {} : { witness_id: u.witnessId }),
      };
      const result = await trx
        .updateTable('reports')
        .set(set)
        .where('id', '=', change.reportId)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        throw new AccordError('not_found', `report ${change.reportId} does not exist`, {
          context: { reportId: change.reportId },
        });
      }
      return;
    }
    case 'wrap': {
      const w = change.wrap;
      // A later wrap for the same user replaces the earlier one (the user's new key pair).
      await trx
        .insertInto('report_key_wraps')
        .values({ report_id: w.reportId, user_id: w.userId, wrapped: w.wrapped })
        .onConflict((oc) => oc.columns(['report_id', 'user_id']).doUpdateSet({ wrapped: w.wrapped }))
        .execute();
      return;
    }
    case 'entry': {
      const e = change.entry;
      await lockReport(trx, e.reportId);
      const { last } = await trx
        .selectFrom('report_entries')
        .select((eb) => eb.fn.max('seq').as('last'))
        .where('report_id', '=', e.reportId)
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('report_entries')
        .values({
          report_id: e.reportId,
          seq: Number(last ?? 0) + 1,
          id: e.id,
          kind: e.kind,
          author_user_id: e.authorUserId,
          on_day: e.onDay,
          sealed: e.sealed,
        })
        .execute();
      return;
    }
    case 'attachment': {
      const a = change.attachment;
      await lockReport(trx, a.reportId);
      const { last } = await trx
        .selectFrom('report_attachments')
        .select((eb) => eb.fn.max('position').as('last'))
        .where('report_id', '=', a.reportId)
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('report_attachments')
        .values({
          report_id: a.reportId,
          id: a.id,
          position: Number(last ?? 0) + 1,
          sealed: a.sealed,
          item_id: a.itemId,
        })
        .execute();
      return;
    }
    case 'filed': {
      // The database refuses a second filing (and any other change) of an attachment.
      const result = await trx
        .updateTable('report_attachments')
        .set({ item_id: change.itemId })
        .where('report_id', '=', change.reportId)
        .where('id', '=', change.attachmentId)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) {
        throw new AccordError(
          'not_found',
          `report ${change.reportId} has no attachment ${change.attachmentId}`,
          {
            context: { reportId: change.reportId, attachmentId: change.attachmentId },
          },
        );
      }
      return;
    }
    default: {
      const unknown: never = change;
      throw new AccordError('invalid_input', `unknown report change ${(unknown as { type: string }).type}`);
    }
  }
};

const toReport = (r: Selectable<ReportsTable>): Report => ({
  id: r.id,
  lookup: r.lookup,
  language: r.language as Locale,
  status: r.status as ReportStatus,
  receivedOn: r.received_on,
  updatedOn: r.updated_on,
  assignedTo: r.assigned_to as UserId | null,
  caseId: r.case_id as CaseId | null,
  incidentId: r.incident_id,
  witnessId: r.witness_id,
  codeWrap: r.code_wrap,
  sealed: r.sealed,
});

const toEntry = (r: Selectable<ReportEntriesTable>): ReportEntry => ({
  reportId: r.report_id,
  seq: Number(r.seq),
  id: r.id,
  kind: r.kind as EntryKind,
  authorUserId: r.author_user_id as UserId | null,
  onDay: r.on_day,
  sealed: r.sealed,
});

const toAttachment = (r: Selectable<ReportAttachmentsTable>): AttachmentRecord => ({
  reportId: r.report_id,
  id: r.id,
  sealed: r.sealed,
  itemId: r.item_id as ItemId | null,
});

const toRecipientKey = (r: Selectable<RecipientKeysTable>): RecipientKey => ({
  userId: r.user_id as UserId,
  publicKey: r.public_key,
  sealedPrivate: r.sealed_private,
  salt: r.salt,
  createdOn: r.created_on,
});
