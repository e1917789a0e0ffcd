import type { KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Clock } from '../accounts/ports.ts';
import type { Principal } from '../accounts/service.ts';
import { LOCALES, type Locale, type User } from '../accounts/types.ts';
import type { Cases } from '../cases/service.ts';
import type { Evidence, MetadataExtractor } from '../evidence/service.ts';
import type { ItemId } from '../evidence/types.ts';
import { type Actor, decide, decideConsent } from '../policy/policy.ts';
import { AccordError, invalid, notFound } from '../shared/errors.ts';
import { type CaseId, newId, type UserId } from '../shared/ids.ts';
import { currentConsent, type Witnesses } from '../witnesses/service.ts';
import {
  CONSENT_PURPOSES,
  CONSENT_STATES,
  type ConsentEvent,
  type ConsentPurpose,
  type ConsentState,
  type ConsentStateValue,
} from '../witnesses/types.ts';
import {
  type Argon2Params,
  DEFAULT_ARGON2,
  deriveCodeKeys,
  newReceiptCode,
  newRecipientKeyPair,
  newReportKey,
  normaliseReceiptCode,
  openWith,
  publicKeyOf,
  sealPrivateKey,
  sealWith,
  unlockPrivateKey,
  unwrapAsRecipient,
  wrapToRecipient,
} from './crypto.ts';
import type { IntakeStore, ReportChange, ReportRepo } from './ports.ts';
import {
  type AttachmentMeta,
  type EntryBody,
  type EntryKind,
  type OpenedAttachment,
  type OpenedEntry,
  type OpenedReport,
  REPORT_STATUSES,
  REPORTER_VISIBLE,
  type RecipientKey,
  type Report,
  type ReportContent,
  type ReportEntry,
  type ReportStatus,
  SUPPORT_KINDS,
  type SupportKind,
} from './types.ts';

export interface ReportsSettings {
  /**
   * Receipt-code lookups (Argon2id, 64 MiB each) running at once, node-wide. With the penalty
   * below this is the rate limit on guessing: nobody is recorded, and a right code is never
   * refused for someone else's wrong ones (it only waits its turn).
   */
  readonly concurrentLookups: number;
  /** How long a wrong code keeps its lookup slot: at most concurrentLookups wrong codes per this long. */
  readonly wrongCodePenaltyMs: number;
  /** Lookups that may wait for a slot; more are refused as busy (reports being sent always wait). */
  readonly queuedLookups: number;
  /**
   * New reports and replies accepted per minute, node-wide, before any file byte is read: a flood
   * cannot fill the disk or bury real reports in the queue (nobody is recorded; everyone waits).
   */
  readonly sendsPerMinute: number;
  readonly argon2: Argon2Params;
}

export const DEFAULT_REPORTS_SETTINGS: ReportsSettings = {
  concurrentLookups: 2,
  wrongCodePenaltyMs: 1000,
  queuedLookups: 32,
  sendsPerMinute: 60,
  argon2: DEFAULT_ARGON2,
};

/** The role whose members receive reports and hold the keys to read them. */
export const REPORT_RECIPIENT_ROLE = 'survivor_advocate';

const MAX_ATTACHMENTS = 20;
const ACCOUNT_MAX = 20_000;
const MESSAGE_MAX = 10_000;

type Fields = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What the reporter gets back once, and never again. */
export interface Receipt {
  readonly code: string;
  readonly report: Report;
}

/** The survivor's view, in their language, through their receipt code. */
export interface SurvivorView {
  readonly status: ReportStatus;
  readonly receivedOn: string;
  readonly language: Locale;
  readonly content: ReportContent;
  readonly entries: readonly OpenedEntry[];
  readonly attachments: readonly { readonly fileName: string; readonly size: number }[];
  readonly consent: readonly ConsentState[];
}

export interface QueueEntry {
  readonly report: Report;
  /** Undefined when the reader holds no key for this report (yet). */
  readonly summary?: {
    readonly excerpt: string;
    readonly anonymous: boolean;
    readonly support: readonly SupportKind[];
    readonly flagged: boolean;
    readonly unread: number;
  };
}

/** A recipient's private key, unlocked by signing in; held in memory only (see KeyCache). */
export interface UnlockedKey {
  readonly userId: UserId;
  readonly privateKey: KeyObject;
}

/**
 * Unlocked recipient keys by browser session, in memory only: a restart or sign-out forgets them
 * and the recipient signs in again to read reports.
 */
export class KeyCache {
  readonly #keys = new Map<string, UnlockedKey & { readonly until: number }>();
  /** No session lives longer than this (the accounts' maximum session age). */
  readonly #maxAgeMs: number;

  constructor(maxAgeMs = 12 * 3600_000) {
    this.#maxAgeMs = maxAgeMs;
  }

  put(sessionId: string, key: UnlockedKey): void {
    const now = Date.now();
    for (const [id, k] of this.#keys) if (k.until <= now) this.#keys.delete(id);
    this.#keys.set(sessionId, { ...key, until: now + this.#maxAgeMs });
  }

  get(sessionId: string | undefined, userId: UserId): UnlockedKey | undefined {
    if (!sessionId) return undefined;
    const key = this.#keys.get(sessionId);
    return key?.userId === userId && key.until > Date.now() ? key : undefined;
  }

  /** Sign-in replaces the half-signed-in session with a new one: the key moves with it. */
  move(from: string, to: string): void {
    const key = this.#keys.get(from);
    if (!key) return;
    this.#keys.delete(from);
    this.#keys.set(to, key);
  }

  drop(sessionId: string): void {
    this.#keys.delete(sessionId);
  }

  dropUser(userId: UserId): void {
    for (const [id, key] of this.#keys) if (key.userId === userId) this.#keys.delete(id);
  }
}

/** A report or reply being received: its attachments stream in before anything is recorded. */
export class Upload {
  readonly #reports: Reports;
  readonly reportId: string;
  readonly #key: Buffer;
  readonly #stored: string[] = [];
  readonly metas: { id: string; meta: AttachmentMeta }[] = [];
  #done = false;

  constructor(reports: Reports, reportId: string, key: Buffer) {
    this.#reports = reports;
    this.reportId = reportId;
    this.#key = key;
  }

  /** Streams one attachment into the intake store, sealed under the report key. */
  async attach(fileName: unknown, source: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.#done) throw new Error('upload already finished');
    if (this.metas.length >= MAX_ATTACHMENTS) {
      throw invalid(`send at most ${MAX_ATTACHMENTS} files at once`, { reason: 'too_many_files' });
    }
    const id = newId();
    this.#stored.push(id);
    const meta = await this.#reports.storeAttachment(this.reportId, id, this.#key, fileName, source);
    this.metas.push({ id, meta });
  }

  /** Nothing of this upload remains. */
  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#reports.intake.remove(this.reportId, this.#stored);
  }

  finish(): { id: string; meta: AttachmentMeta }[] {
    this.#done = true;
    return this.metas;
  }
}

/**
 * Safe reporting: survivors report and come back with a receipt code; survivor advocates triage,
 * answer, link reports to cases and turn reporters into witnesses. Contents are sealed under a
 * per-report key that only the receipt code and the recipients' sign-in passwords unlock.
 */
export class Reports {
  readonly #repo: ReportRepo;
  readonly intake: IntakeStore;
  readonly #extractor: () => MetadataExtractor;
  readonly #witnesses: Witnesses;
  readonly #evidence: Evidence;
  readonly #cases: Cases;
  readonly #clock: Clock;
  readonly #settings: ReportsSettings;
  readonly #organisations: () => Promise<readonly { id: string; name: string }[]>;
  readonly #jurisdictions: () => readonly string[];
  readonly keys = new KeyCache();
  #running = 0;
  readonly #sends: number[] = [];
  readonly #waiting: (() => void)[] = [];

  constructor(deps: {
    repo: ReportRepo;
    intake: IntakeStore;
    extractor: () => MetadataExtractor;
    witnesses: Witnesses;
    evidence: Evidence;
    cases: Cases;
    clock: Clock;
    organisations: () => Promise<readonly { id: string; name: string }[]>;
    jurisdictions: () => readonly string[];
    settings?: Partial<ReportsSettings>;
  }) {
    this.#repo = deps.repo;
    this.intake = deps.intake;
    this.#extractor = deps.extractor;
    this.#witnesses = deps.witnesses;
    this.#evidence = deps.evidence;
    this.#cases = deps.cases;
    this.#clock = deps.clock;
    this.#organisations = deps.organisations;
    this.#jurisdictions = deps.jurisdictions;
    this.#settings = { ...DEFAULT_REPORTS_SETTINGS, ...deps.settings };
  }

  // ── recipients' keys ────────────────────────────────────────────────────────

  /** True when at least one recipient can read what is sent: the portal takes reports only then. */
  async accepting(): Promise<boolean> {
    return (await this.#recipients()).length > 0;
  }

  /** What the portal offers to consent to. */
  async consentChoices(): Promise<{
    organisations: readonly { id: string; name: string }[];
    jurisdictions: readonly string[];
  }> {
    return { organisations: await this.#organisations(), jurisdictions: this.#jurisdictions() };
  }

  /**
   * Called with the password at sign-in: unlocks the recipient's private key and holds it for the
   * session (without a session id it is only made or checked). The first sign-in makes the key
   * pair — but never under a password someone else chose (an administrator's initial or reset
   * password, which must be changed first: the pair is then made or replaced by `reseal`). A key
   * that does not open is left as it is, never replaced here.
   */
  async unlock(user: User, password: string, sessionId?: string): Promise<boolean> {
    if (user.role !== REPORT_RECIPIENT_ROLE || user.disabled || user.mustChangePassword) return false;
    const stored = await this.#repo.recipientKey(user.id);
    let privateKey: KeyObject;
    if (stored) {
      try {
        privateKey = await unlockPrivateKey(stored, password, user.id, this.#settings.argon2);
      } catch (e) {
        if (e instanceof AccordError && e.code === 'integrity') return false;
        throw e;
      }
    } else {
      privateKey = await this.#newKeyPair(user, password);
    }
    if (sessionId) this.keys.put(sessionId, { userId: user.id, privateKey });
    return true;
  }

  /**
   * After a password change: the same key pair, sealed under the new password. When the old
   * password does not open the stored key (an administrator reset it), a new pair replaces it —
   * reports reach it again through a colleague. The key is then held for `sessionId`.
   */
  async reseal(user: User, oldPassword: string, newPassword: string, sessionId?: string): Promise<void> {
    if (user.role !== REPORT_RECIPIENT_ROLE || user.disabled) return;
    const stored = await this.#repo.recipientKey(user.id);
    let privateKey: KeyObject | undefined;
    if (stored) {
      try {
        privateKey = await unlockPrivateKey(stored, oldPassword, user.id, this.#settings.argon2);
      } catch (e) {
        if (!(e instanceof AccordError) || e.code !== 'integrity') throw e;
      }
    }
    if (stored && privateKey) {
      const pair = await sealPrivateKey(
        privateKey,
        Buffer.from(publicKeyOf(privateKey), 'base64url'),
        newPassword,
        user.id,
        this.#settings.argon2,
      );
      await this.#repo.putRecipientKey({ ...pair, userId: user.id, createdOn: stored.createdOn });
    } else {
      privateKey = await this.#newKeyPair(user, newPassword);
    }
    if (sessionId) this.keys.put(sessionId, { userId: user.id, privateKey });
  }

  async #newKeyPair(user: User, password: string): Promise<KeyObject> {
    const pair = await newRecipientKeyPair(password, user.id, this.#settings.argon2);
    await this.#repo.putRecipientKey({ ...pair, userId: user.id, createdOn: this.#today() });
    return unlockPrivateKey(pair, password, user.id, this.#settings.argon2);
  }

  /**
   * Removes from the intake area what no report records: files of uploads cut off by a crash, or
   * refused after they were stored. Only files older than `minAgeMs` (an upload may be in flight).
   */
  async sweepIntake(minAgeMs = 3600_000): Promise<number> {
    let removed = await this.intake.removeStaleTemp(minAgeMs);
    const known = new Map<string, Set<string>>();
    for (const file of await this.intake.stored()) {
      if (file.ageMs < minAgeMs) continue;
      let ids = known.get(file.reportId);
      if (!ids) {
        ids = new Set((await this.#repo.attachments(file.reportId)).map((a) => a.id));
        known.set(file.reportId, ids);
      }
      if (!ids.has(file.attachmentId)) {
        await this.intake.remove(file.reportId, [file.attachmentId]);
        removed += 1;
      }
    }
    return removed;
  }

  // ── the reporter's side ─────────────────────────────────────────────────────

  /** Checks the report's fields and opens an upload for its attachments; nothing is stored yet. */
  async startReport(
    languageInput: unknown,
    fields: Fields,
  ): Promise<{ upload: Upload; commit: () => Promise<Receipt> }> {
    if (!(await this.accepting())) {
      throw new AccordError(
        'unavailable',
        'this node does not take reports yet: no survivor advocate has signed in',
      );
    }
    const language = parseLanguage(languageInput);
    const content = parseContent(fields);
    const consents = await this.#parseConsents(fields);
    this.#countSend();
    const id = newId();
    const key = newReportKey();
    const upload = new Upload(this, id, key);
    const commit = async (): Promise<Receipt> => {
      try {
        return await this.#commitReport(id, key, language, content, consents, upload.finish());
      } catch (e) {
        // Nothing of a report that was not recorded stays on disk.
        await this.intake.remove(id);
        throw e;
      }
    };
    return { upload, commit };
  }

  async #commitReport(
    id: string,
    key: Buffer,
    language: Locale,
    content: ReportContent,
    consents: readonly { purpose: ConsentPurpose; scope: string; state: ConsentStateValue }[],
    attachments: readonly { id: string; meta: AttachmentMeta }[],
  ): Promise<Receipt> {
    const code = newReceiptCode();
    const salt = await this.#repo.codeSalt();
    const codeKeys = await this.#inSlot(true, () =>
      deriveCodeKeys(normaliseReceiptCode(code)!, salt, this.#settings.argon2),
    );
    const today = this.#today();
    const recipients = await this.#recipients();
    const report: Report = {
      id,
      lookup: codeKeys.lookup,
      language,
      status: 'received',
      receivedOn: today,
      updatedOn: today,
      assignedTo: null,
      caseId: null,
      incidentId: null,
      witnessId: null,
      codeWrap: sealWith(codeKeys.wrapKey, key, `report-key:${id}`),
      sealed: sealWith(key, JSON.stringify(content), reportContext(id, language, today)),
    };
    const changes: ReportChange[] = [
      { type: 'report', report },
      ...recipients.map((r) => ({
        type: 'wrap' as const,
        wrap: {
          reportId: id,
          userId: r.userId,
          wrapped: wrapToRecipient(key, r.publicKey, `report-key:${id}`),
        },
      })),
      ...attachments.map((a) => this.#attachmentChange(id, key, a)),
      ...consents.map((consent) => this.#entryChange(id, key, 'consent', null, today, { text: '', consent })),
    ];
    await this.#repo.apply(changes);
    return { code, report };
  }

  /** What the survivor sees with their code. */
  async survivorView(codeInput: unknown): Promise<SurvivorView> {
    const { report, key } = await this.#byCode(codeInput);
    return this.#survivorView(report, key);
  }

  /** A reply or added information, with files; opened by the code before any file is read. */
  async startReply(
    codeInput: unknown,
  ): Promise<{ upload: Upload; commit: (fields: Fields) => Promise<SurvivorView> }> {
    const { report, key } = await this.#byCode(codeInput);
    this.#countSend();
    const upload = new Upload(this, report.id, key);
    const commit = async (fields: Fields): Promise<SurvivorView> => {
      const attachments = upload.finish();
      const today = this.#today();
      try {
        const text = optionalMultiline(fields.message, 'message', MESSAGE_MAX);
        if (text === '' && attachments.length === 0) {
          throw invalid('write a message or choose a file to send', {
            field: 'message',
            reason: 'empty_reply',
          });
        }
        await this.#repo.apply([
          ...attachments.map((a) => this.#attachmentChange(report.id, key, a)),
          this.#entryChange(report.id, key, 'reporter', null, today, {
            text,
            attachmentIds: attachments.map((a) => a.id),
          }),
          { type: 'update', reportId: report.id, set: { updatedOn: today } },
        ]);
      } catch (e) {
        await this.intake.remove(
          report.id,
          attachments.map((a) => a.id),
        );
        throw e;
      }
      return this.#survivorView({ ...report, updatedOn: today }, key);
    };
    return { upload, commit };
  }

  /** The survivor gives or withdraws a consent with their code. */
  async survivorConsent(codeInput: unknown, fields: Fields): Promise<SurvivorView> {
    const { report, key } = await this.#byCode(codeInput);
    const consent = await this.#parseConsent(fields.purpose, fields.scope, fields.state);
    const today = this.#today();
    if (report.witnessId) {
      await this.#witnesses.recordSurvivorConsent(report.witnessId, consent, today);
    } else {
      await this.#repo.apply([
        this.#entryChange(report.id, key, 'consent', null, today, { text: '', consent }),
      ]);
    }
    return this.#survivorView(report, key);
  }

  // ── the team's side ─────────────────────────────────────────────────────────

  /** New and open reports; wraps keys for recipients who have none yet, where this reader can. */
  async queue(
    by: Actor,
    key: UnlockedKey | undefined,
    filter: { status?: unknown; mine?: boolean } = {},
  ): Promise<QueueEntry[]> {
    await this.#authorize(by);
    const status =
      filter.status === undefined || filter.status === '' ? undefined : parseStatus(filter.status);
    if (key) await this.#shareBacklog(key);
    const reports = await this.#repo.list({
      ...(status ? { status } : {}),
      ...(filter.mine ? { assignedTo: by.userId } : {}),
    });
    const out: QueueEntry[] = [];
    for (const report of reports) {
      const reportKey = key ? await this.#reportKey(report, key) : undefined;
      if (!reportKey) {
        out.push({ report });
        continue;
      }
      const content = this.#content(report, reportKey);
      const attachments = await this.#attachments(report.id, reportKey);
      const entries = await this.#repo.entries(report.id);
      const lastTeam = entries.findLast((e) => e.kind === 'advocate' || e.kind === 'note');
      out.push({
        report,
        summary: {
          excerpt: content.account.slice(0, 160),
          anonymous: content.anonymous,
          support: content.support,
          flagged: attachments.some((a) => a.flags.length > 0),
          unread: entries.filter((e) => e.kind === 'reporter' && (!lastTeam || e.seq > lastTeam.seq)).length,
        },
      });
    }
    return out;
  }

  async open(by: Actor, key: UnlockedKey | undefined, id: unknown): Promise<OpenedReport> {
    const { report, reportKey } = await this.#forTeam(by, key, id);
    return {
      report,
      content: this.#content(report, reportKey),
      entries: await this.#entries(report.id, reportKey),
      attachments: await this.#attachments(report.id, reportKey),
      consent: await this.#consent(report, reportKey),
    };
  }

  /** An attachment's bytes, for a recipient to look at before filing it. */
  async attachment(
    by: Actor,
    key: UnlockedKey | undefined,
    id: unknown,
    attachmentId: unknown,
  ): Promise<{ meta: OpenedAttachment; stream: Readable }> {
    const { report, reportKey } = await this.#forTeam(by, key, id);
    const meta = (await this.#attachments(report.id, reportKey)).find((a) => a.id === attachmentId);
    if (!meta) throw notFound('this report has no such attachment');
    return { meta, stream: await this.intake.get(report.id, meta.id, reportKey) };
  }

  async assign(by: Actor, id: unknown, userInput: unknown): Promise<Report> {
    await this.#authorize(by);
    const report = await this.#get(id);
    let assignedTo: UserId | null = null;
    if (userInput !== undefined && userInput !== null && userInput !== '') {
      const recipients = await this.#recipients();
      const found = recipients.find((r) => r.userId === userInput);
      if (!found) {
        throw invalid('reports can be assigned only to a survivor advocate who has signed in', {
          field: 'assignedTo',
          reason: 'not_a_recipient',
        });
      }
      assignedTo = found.userId;
    }
    const next: Report = {
      ...report,
      assignedTo,
      status: report.status === 'received' && assignedTo ? 'under_review' : report.status,
      updatedOn: this.#today(),
    };
    await this.#repo.apply([
      {
        type: 'update',
        reportId: report.id,
        set: { assignedTo, status: next.status, updatedOn: next.updatedOn },
      },
    ]);
    return next;
  }

  /** The assignable people: recipients with a key pair. */
  async recipients(by: Actor): Promise<UserId[]> {
    await this.#authorize(by);
    return (await this.#recipients()).map((r) => r.userId);
  }

  /** A message to the reporter, a published milestone, or a note only the team sees. */
  async post(
    by: Actor,
    key: UnlockedKey | undefined,
    id: unknown,
    kindInput: unknown,
    textInput: unknown,
  ): Promise<void> {
    const { report, reportKey } = await this.#forTeam(by, key, id);
    const kind =
      kindInput === 'milestone' || kindInput === 'note'
        ? kindInput
        : kindInput === 'advocate'
          ? 'advocate'
          : undefined;
    if (!kind) throw invalid('post a message, a milestone or a note', { field: 'kind' });
    const text = optionalMultiline(textInput, 'text', MESSAGE_MAX);
    if (text === '') throw invalid('write the message first', { field: 'text', reason: 'empty_message' });
    const today = this.#today();
    await this.#repo.apply([
      this.#entryChange(report.id, reportKey, kind, by.userId, today, { text }),
      { type: 'update', reportId: report.id, set: { updatedOn: today } },
    ]);
  }

  async setStatus(
    by: Actor,
    key: UnlockedKey | undefined,
    id: unknown,
    statusInput: unknown,
  ): Promise<Report> {
    const { report, reportKey } = await this.#forTeam(by, key, id);
    const status = parseStatus(statusInput);
    if (status === 'linked' && !report.caseId) {
      throw invalid('link the report to a case first', { field: 'status', reason: 'not_linked' });
    }
    if (status === report.status) return report;
    const next = { ...report, status, updatedOn: this.#today() };
    await this.#repo.apply([
      { type: 'update', reportId: report.id, set: { status, updatedOn: next.updatedOn } },
      this.#entryChange(report.id, reportKey, 'status', by.userId, next.updatedOn, { text: '', status }),
    ]);
    return next;
  }

  /** Links the report to a case (and optionally one of its incidents) the advocate works on. */
  async link(
    by: Actor,
    key: UnlockedKey | undefined,
    id: unknown,
    input: { caseId: unknown; incidentId?: unknown },
  ): Promise<Report> {
    const { report, reportKey } = await this.#forTeam(by, key, id);
    if (report.witnessId && report.caseId !== input.caseId) {
      throw new AccordError('conflict', 'the reporter is already a witness of another case; the link stays', {
        context: { reason: 'report_has_witness' },
      });
    }
    const caseId = await this.#evidence.requireCase(by, input.caseId);
    const incidentId =
      input.incidentId === undefined || input.incidentId === null || input.incidentId === ''
        ? null
        : await this.#incidentOf(by, caseId, input.incidentId);
    const next: Report = { ...report, caseId, incidentId, status: 'linked', updatedOn: this.#today() };
    const changes: ReportChange[] = [
      {
        type: 'update',
        reportId: report.id,
        set: { caseId, incidentId, status: 'linked', updatedOn: next.updatedOn },
      },
    ];
    if (report.status !== 'linked') {
      changes.push(
        this.#entryChange(report.id, reportKey, 'status', by.userId, next.updatedOn, {
          text: '',
          status: 'linked',
        }),
      );
    }
    await this.#repo.apply(changes);
    return next;
  }

  /**
   * Turns the reporter into a witness of the linked case (a pseudonym such as W-0421), carrying over
   * the consent they gave, and files their account and attachments in the case's evidence vault as
   * their statement ("received via safe reporting"). Attachments already filed are not filed twice.
   */
  async makeWitness(
    by: Actor,
    key: UnlockedKey | undefined,
    id: unknown,
    input: { pseudonym?: unknown } = {},
  ): Promise<{ witnessId: string; filed: ItemId[] }> {
    const { report, reportKey } = await this.#forTeam(by, key, id);
    if (!report.caseId) throw invalid('link the report to a case first', { reason: 'not_linked' });
    // Filing the report in a case uses it for the investigation: the reporter must have agreed.
    const consent = await this.#consent(report, reportKey);
    const decision = decideConsent('the reporter', consent, {
      purpose: 'investigation',
      scope: '',
      label: 'the investigation',
    });
    if (!decision.allowed) {
      throw new AccordError('forbidden', `consent missing: ${decision.reason}; nothing was filed`, {
        context: { reason: 'report_no_investigation_consent' },
      });
    }
    let witnessId = report.witnessId;
    if (!witnessId) {
      const copied = await this.#consentEntries(report.id, reportKey);
      const witness = await this.#witnesses.create(
        by,
        report.caseId,
        {
          kind: 'survivor',
          languages: report.language,
          note: `reported through the safe reporting portal on ${report.receivedOn}`,
          ...(input.pseudonym ? { pseudonym: input.pseudonym } : {}),
        },
        currentConsent(copied).map((c) => ({
          purpose: c.purpose,
          scope: c.scope,
          state: c.state,
          day: c.at.slice(0, 10),
        })),
      );
      witnessId = witness.id;
      await this.#repo.apply([
        { type: 'update', reportId: report.id, set: { witnessId, updatedOn: this.#today() } },
      ]);
      // A consent change the survivor made while the witness was being created went to the report:
      // it is carried over now, so that no change of mind is lost.
      const last = copied.at(-1)?.seq ?? 0;
      for (const late of (await this.#consentEntries(report.id, reportKey)).filter((c) => c.seq > last)) {
        await this.#witnesses.recordSurvivorConsent(witnessId, late, late.at.slice(0, 10));
      }
    }
    const filed = await this.#file(by, { ...report, witnessId }, reportKey);
    return { witnessId, filed };
  }

  // ── internals ───────────────────────────────────────────────────────────────

  /** Used by Upload: seals and stores one attachment, reading its metadata on the way. */
  async storeAttachment(
    reportId: string,
    attachmentId: string,
    key: Buffer,
    fileNameInput: unknown,
    source: AsyncIterable<Uint8Array>,
  ): Promise<AttachmentMeta> {
    const fileName = parseAttachmentName(fileNameInput);
    const extractor = this.#extractor();
    const stored = await this.intake.put(reportId, attachmentId, key, source, (chunk) =>
      extractor.write(chunk),
    );
    const info = await extractor.end();
    if (stored.size === 0) {
      await this.intake.remove(reportId, [attachmentId]);
      throw invalid(`the file "${fileName}" is empty`, { field: 'files', reason: 'empty_file' });
    }
    const exif = (info as unknown as { exif?: Record<string, unknown> }).exif;
    const flags: string[] = [];
    if (info.exif?.gps) flags.push('gps');
    if (exif && Object.keys(exif).some((k) => k !== 'gps')) flags.push('exif');
    return {
      fileName,
      sha256: stored.sha256,
      size: stored.size,
      mediaType: info.mediaType,
      flags,
      problems: [...info.problems],
    };
  }

  async #file(by: Actor, report: Report, reportKey: Buffer): Promise<ItemId[]> {
    const caseId = report.caseId as CaseId;
    const content = this.#content(report, reportKey);
    const filed: ItemId[] = [];
    const capture = {
      method: 'received via safe reporting',
      collectedBy: content.anonymous ? 'anonymous reporter' : 'reporter',
      note: `received on ${report.receivedOn} through the safe reporting portal; the time of day is not kept`,
    };
    // A retry after a failure part-way files what is missing and records each statement once.
    const recorded = new Set(
      (await this.#witnesses.view(by, report.witnessId)).statements.map((st) => st.itemId),
    );
    const statement = async (itemId: ItemId, note: string) => {
      if (!recorded.has(itemId)) {
        await this.#witnesses.addStatement(by, report.witnessId, {
          itemId,
          takenOn: report.receivedOn,
          takenBy: 'safe reporting portal',
          language: report.language,
          note,
        });
      }
      if (report.incidentId) await this.#cases.linkIncidentItem(by, report.incidentId, itemId, true);
    };
    const entries = await this.#repo.entries(report.id);
    if (!entries.some((e) => e.kind === 'note' && openBody(e, reportKey).text === ACCOUNT_FILED)) {
      const text = accountText(content, report);
      const result = await this.#evidence.ingest(
        by,
        {
          caseId,
          source: Readable.from([Buffer.from(text, 'utf8')]),
          fileName: `report-${report.receivedOn}.txt`,
          title: `Safe report of ${report.receivedOn} (written account)`,
          sensitive: true,
          capture,
        },
        'web',
      );
      filed.push(result.item.id);
      await statement(result.item.id, 'written account sent through the safe reporting portal');
      await this.#repo.apply([
        this.#entryChange(report.id, reportKey, 'note', by.userId, this.#today(), { text: ACCOUNT_FILED }),
      ]);
    }
    let n = 0;
    for (const a of await this.#attachments(report.id, reportKey)) {
      n += 1;
      if (a.itemId) continue;
      const result = await this.#evidence.ingest(
        by,
        {
          caseId,
          source: await this.intake.get(report.id, a.id, reportKey),
          // A neutral name in the vault: the reporter's own file name may name them or their device
          // (it stays in the sealed report, for the advocates).
          fileName: `report-${report.receivedOn}-${n}${extensionOf(a.fileName)}`,
          title: `Safe report of ${report.receivedOn}: file ${n}`,
          sensitive: true,
          capture: {
            ...capture,
            note: `${capture.note}${a.flags.includes('gps') ? '; the file carries a GPS position that may identify the reporter' : ''}`,
          },
        },
        'web',
      );
      if (result.item.sha256 !== a.sha256) {
        throw new AccordError(
          'integrity',
          `the attachment "${a.fileName}" changed between receipt and filing`,
        );
      }
      filed.push(result.item.id);
      // The statement first: a file is marked filed only once the witness's consent covers it.
      await statement(result.item.id, 'file sent through the safe reporting portal');
      await this.#repo.apply([
        { type: 'filed', reportId: report.id, attachmentId: a.id, itemId: result.item.id },
      ]);
    }
    return filed;
  }

  async #survivorView(report: Report, key: Buffer): Promise<SurvivorView> {
    const attachments = await this.#attachments(report.id, key);
    return {
      status: report.status,
      receivedOn: report.receivedOn,
      language: report.language,
      content: this.#content(report, key),
      entries: (await this.#entries(report.id, key)).filter((e) => REPORTER_VISIBLE.has(e.kind)),
      attachments: attachments.map((a) => ({ fileName: a.fileName, size: a.size })),
      consent: await this.#consent(report, key),
    };
  }

  async #consent(report: Report, key: Buffer): Promise<ConsentState[]> {
    if (report.witnessId) return this.#witnesses.survivorConsent(report.witnessId);
    return currentConsent(await this.#consentEntries(report.id, key));
  }

  /** The consent the reporter gave through the portal before they became a witness, oldest first. */
  async #consentEntries(reportId: string, key: Buffer): Promise<ConsentEvent[]> {
    return (await this.#entries(reportId, key))
      .filter((e) => e.kind === 'consent' && e.body.consent)
      .map((e) => ({
        ...e.body.consent!,
        seq: e.seq,
        id: e.id,
        witnessId: '',
        caseId: '' as CaseId,
        at: `${e.onDay}T00:00:00.000Z`,
        recordedBy: null,
        via: 'survivor' as const,
        note: '',
      }));
  }

  async #byCode(codeInput: unknown): Promise<{ report: Report; key: Buffer }> {
    const code = normaliseReceiptCode(codeInput);
    if (!code) {
      throw invalid('a receipt code has 20 letters and digits, such as 7K3QM-2XHDA-V9PRT-0BC4W', {
        field: 'code',
        reason: 'receipt_code_format',
      });
    }
    return this.#inSlot(false, async () => {
      const keys = await deriveCodeKeys(code, await this.#repo.codeSalt(), this.#settings.argon2);
      const report = await this.#repo.findByLookup(keys.lookup);
      if (!report) {
        // The slot stays taken a while: this is what limits guessing, for everyone at once.
        await new Promise((resolve) => setTimeout(resolve, this.#settings.wrongCodePenaltyMs));
        throw notFound('no report has this receipt code; check it and try again');
      }
      const key = openWith(keys.wrapKey, report.codeWrap, `report-key:${report.id}`);
      await this.#shareWith(report.id, key);
      return { report, key };
    });
  }

  /**
   * When the reporter comes back, their report key is wrapped to every current advocate who lacks
   * it: a report that reached nobody (the only advocate lost their key, or the reporting
   * organisation changed) reaches the team again.
   */
  async #shareWith(reportId: string, key: Buffer): Promise<void> {
    const changes: ReportChange[] = [];
    for (const r of await this.#recipients()) {
      if (await this.#repo.wrapFor(reportId, r.userId)) continue;
      changes.push({
        type: 'wrap',
        wrap: {
          reportId,
          userId: r.userId,
          wrapped: wrapToRecipient(key, r.publicKey, `report-key:${reportId}`),
        },
      });
    }
    if (changes.length > 0) await this.#repo.apply(changes);
  }

  /**
   * Runs `fn` in one of the node's few lookup slots, so that guessing cannot exhaust the node's
   * memory or try codes faster than the slots allow. A lookup finding the queue full is refused
   * as busy; a report being sent (`always`) waits, since its files are already received.
   */
  async #inSlot<T>(always: boolean, fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#settings.concurrentLookups) {
      if (!always && this.#waiting.length >= this.#settings.queuedLookups) {
        throw new AccordError(
          'rate_limited',
          'the node is busy checking receipt codes; try again in a minute',
          {
            context: { reason: 'receipt_code_busy' },
          },
        );
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }

  async #forTeam(
    by: Actor,
    key: UnlockedKey | undefined,
    id: unknown,
  ): Promise<{ report: Report; reportKey: Buffer }> {
    await this.#authorize(by);
    const report = await this.#get(id);
    if (!key || key.userId !== by.userId) {
      throw new AccordError(
        'locked',
        'sign in again with your password to open reports: the key that reads them is unlocked only by signing in',
        {
          context: { reason: 'report_key_locked' },
        },
      );
    }
    const reportKey = await this.#reportKey(report, key);
    if (!reportKey) {
      throw new AccordError(
        'locked',
        'this report has not been shared with your key yet; it will be when another advocate opens the queue',
        {
          context: { reason: 'report_key_missing' },
        },
      );
    }
    return { report, reportKey };
  }

  async #reportKey(report: Report, key: UnlockedKey): Promise<Buffer | undefined> {
    const wrap = await this.#repo.wrapFor(report.id, key.userId);
    if (!wrap) return undefined;
    try {
      return unwrapAsRecipient(wrap.wrapped, key.privateKey, `report-key:${report.id}`);
    } catch {
      return undefined; // wrapped to an older key pair of this user (lost to a password reset)
    }
  }

  /** Wraps report keys this reader holds to every recipient who lacks them (new advocates, reset keys). */
  async #shareBacklog(key: UnlockedKey): Promise<void> {
    const changes: ReportChange[] = [];
    for (const r of await this.#recipients()) {
      if (r.userId === key.userId) continue;
      for (const reportId of await this.#repo.missingWraps(r.userId)) {
        const report = await this.#repo.get(reportId);
        const reportKey = report && (await this.#reportKey(report, key));
        if (reportKey)
          changes.push({
            type: 'wrap',
            wrap: {
              reportId,
              userId: r.userId,
              wrapped: wrapToRecipient(reportKey, r.publicKey, `report-key:${reportId}`),
            },
          });
      }
    }
    if (changes.length > 0) await this.#repo.apply(changes);
  }

  async #incidentOf(by: Actor, caseId: CaseId, value: unknown): Promise<string> {
    const { incident } = await this.#cases.incident(by, value);
    if (incident.caseId !== caseId)
      throw invalid('the incident belongs to another case', { field: 'incidentId' });
    return incident.id;
  }

  /** Counts a report or reply about to be received; refuses it when the node-wide budget is spent. */
  #countSend(): void {
    const now = this.#clock.now().getTime();
    while (this.#sends.length > 0 && this.#sends[0]! <= now - 60_000) this.#sends.shift();
    if (this.#sends.length >= this.#settings.sendsPerMinute) {
      throw new AccordError(
        'rate_limited',
        'too many reports are arriving right now; wait a minute and send again',
        {
          context: { reason: 'reports_busy' },
        },
      );
    }
    this.#sends.push(now);
  }

  /** Survivor advocates of the reporting organisation, signed in: nobody else triages reports. */
  async #authorize(by: Principal): Promise<void> {
    if ('operator' in by)
      throw new AccordError(
        'forbidden',
        'reports are read only by survivor advocates, never from the command line',
      );
    const decision = decide(by, 'report.triage');
    if (!decision.allowed) throw new AccordError('forbidden', `not allowed: ${decision.reason}`);
    if (by.orgId !== (await this.#repo.reportingOrg())) {
      throw new AccordError(
        'forbidden',
        "not allowed: reports are handled by the survivor advocates of the node's reporting organisation",
        { context: { reason: 'report_other_org' } },
      );
    }
  }

  /** The survivor advocates of the reporting organisation who hold a key pair. */
  async #recipients(): Promise<RecipientKey[]> {
    const orgId = await this.#repo.reportingOrg();
    return orgId ? this.#repo.recipients(orgId) : [];
  }

  /** The organisation whose survivor advocates receive the node's reports. */
  async reportingOrganisation(): Promise<string | undefined> {
    return this.#repo.reportingOrg();
  }

  /**
   * Names the organisation whose survivor advocates receive reports (the node operator only).
   * Reports already received keep the keys they were wrapped to; new ones go to the new advocates.
   */
  async setReportingOrganisation(by: Principal, orgId: string): Promise<void> {
    if (!('operator' in by)) {
      throw new AccordError('forbidden', 'only the node operator names the reporting organisation');
    }
    const orgs = await this.#organisations();
    if (!orgs.some((o) => o.id === orgId)) throw notFound(`there is no organisation ${orgId}`);
    await this.#repo.setReportingOrg(orgId);
  }

  async #get(idInput: unknown): Promise<Report> {
    const id = typeof idInput === 'string' && /^[0-9a-f-]{36}$/.test(idInput) ? idInput : undefined;
    const report = id ? await this.#repo.get(id) : undefined;
    if (!report) throw notFound('there is no such report');
    return report;
  }

  #content(report: Report, key: Buffer): ReportContent {
    return JSON.parse(
      openWith(key, report.sealed, reportContext(report.id, report.language, report.receivedOn)).toString(
        'utf8',
      ),
    ) as ReportContent;
  }

  async #entries(reportId: string, key: Buffer): Promise<OpenedEntry[]> {
    return (await this.#repo.entries(reportId)).map((e) => ({
      id: e.id,
      seq: e.seq,
      kind: e.kind,
      onDay: e.onDay,
      authorUserId: e.authorUserId,
      body: openBody(e, key),
    }));
  }

  async #attachments(reportId: string, key: Buffer): Promise<OpenedAttachment[]> {
    return (await this.#repo.attachments(reportId)).map((a) => ({
      ...(JSON.parse(
        openWith(key, a.sealed, `attachment:${reportId}:${a.id}`).toString('utf8'),
      ) as AttachmentMeta),
      id: a.id,
      itemId: a.itemId,
    }));
  }

  #attachmentChange(reportId: string, key: Buffer, a: { id: string; meta: AttachmentMeta }): ReportChange {
    return {
      type: 'attachment',
      attachment: {
        reportId,
        id: a.id,
        itemId: null,
        sealed: sealWith(key, JSON.stringify(a.meta), `attachment:${reportId}:${a.id}`),
      },
    };
  }

  #entryChange(
    reportId: string,
    key: Buffer,
    kind: EntryKind,
    author: UserId | null,
    day: string,
    body: EntryBody,
  ): ReportChange {
    const id = newId();
    return {
      type: 'entry',
      entry: {
        reportId,
        id,
        kind,
        authorUserId: author,
        onDay: day,
        sealed: sealWith(
          key,
          JSON.stringify(body),
          entryContext({ reportId, id, kind, authorUserId: author, onDay: day }),
        ),
      },
    };
  }

  async #parseConsents(
    fields: Fields,
  ): Promise<{ purpose: ConsentPurpose; scope: string; state: ConsentStateValue }[]> {
    const out: { purpose: ConsentPurpose; scope: string; state: ConsentStateValue }[] = [];
    for (const value of listOf(fields.consent)) {
      const [purpose, scope = ''] = value.split(':', 2);
      out.push(await this.#parseConsent(purpose, scope, 'given'));
    }
    return out;
  }

  async #parseConsent(purposeInput: unknown, scopeInput: unknown, stateInput: unknown) {
    const purpose = CONSENT_PURPOSES.find((p) => p === purposeInput);
    if (!purpose)
      throw invalid(`consent is for one of: ${CONSENT_PURPOSES.join(', ')}`, { field: 'purpose' });
    const state = CONSENT_STATES.find((s) => s === stateInput);
    if (!state) throw invalid('consent is given or withdrawn', { field: 'state' });
    const scope = typeof scopeInput === 'string' ? scopeInput.trim() : '';
    const choices = await this.consentChoices();
    if (purpose === 'sharing' && !choices.organisations.some((o) => o.id === scope)) {
      throw invalid('consent to sharing names one of the partner organisations listed', {
        field: 'scope',
        reason: 'sharing_scope',
      });
    }
    if (purpose === 'prosecution' && !choices.jurisdictions.includes(scope)) {
      throw invalid('consent to prosecution names one of the jurisdictions listed', {
        field: 'scope',
        reason: 'unknown_jurisdiction',
      });
    }
    if (purpose !== 'sharing' && purpose !== 'prosecution' && scope !== '') {
      throw invalid(`consent to ${purpose} has no scope`, { field: 'scope' });
    }
    return { purpose, scope, state };
  }

  #today(): string {
    return this.#clock.now().toISOString().slice(0, 10);
  }
}

/** ".jpg" of "photo.JPG": letters and digits only, else nothing. */
const extensionOf = (fileName: string): string => {
  const ext = /\.([A-Za-z0-9]{1,10})$/.exec(fileName)?.[1];
  return ext ? `.${ext.toLowerCase()}` : '';
};

const ACCOUNT_FILED = '[the written account was filed in the case]';

/**
 * What a sealed entry is bound to (its associated data): its report, id, kind, author and day, so
 * that a team note cannot be turned into a message the reporter sees, nor moved or re-dated.
 */
const entryContext = (e: Pick<ReportEntry, 'reportId' | 'id' | 'kind' | 'authorUserId' | 'onDay'>): string =>
  `entry:${e.reportId}:${e.id}:${e.kind}:${e.authorUserId ?? '-'}:${e.onDay}`;

/** The report's sealed content is bound to its id, language and day of receipt. */
const reportContext = (id: string, language: string, receivedOn: string): string =>
  `report:${id}:${language}:${receivedOn}`;

const openBody = (e: ReportEntry, key: Buffer): EntryBody =>
  JSON.parse(openWith(key, e.sealed, entryContext(e)).toString('utf8')) as EntryBody;

const accountText = (content: ReportContent, report: Report): string =>
  [
    `Received through the safe reporting portal on ${report.receivedOn} (language: ${report.language}).`,
    content.when ? `When: ${content.when}` : '',
    content.where ? `Where: ${content.where}` : '',
    '',
    content.account,
    '',
  ]
    .filter((line, i) => line !== '' || i >= 3)
    .join('\n');

const listOf = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : [...value];

const single = (value: string | readonly string[] | undefined): string =>
  (typeof value === 'string' ? value : (value?.[0] ?? '')).trim();

const parseLanguage = (value: unknown): Locale => {
  const found = LOCALES.find((l) => l === value);
  if (!found) throw invalid(`the language is one of ${LOCALES.join(', ')}`, { field: 'language' });
  return found;
};

const parseStatus = (value: unknown): ReportStatus => {
  const found = REPORT_STATUSES.find((s) => s === value);
  if (!found) throw invalid(`the status is one of ${REPORT_STATUSES.join(', ')}`, { field: 'status' });
  return found;
};

/** Text as people type it: line breaks kept, other control characters refused. */
const optionalMultiline = (value: unknown, field: string, max: number): string => {
  const text = (typeof value === 'string' ? value : Array.isArray(value) ? String(value[0] ?? '') : '')
    .replace(/\r\n?/g, '\n')
    .trim()
    .normalize('NFC');
  if (/[\p{Cc}]/u.test(text.replace(/[\n\t]/g, ''))) {
    throw invalid('the text contains control characters', { field, reason: 'control_chars' });
  }
  if ([...text].length > max)
    throw invalid(`the text is longer than ${max} characters`, { field, reason: 'too_long', max });
  return text;
};

const parseContent = (fields: Fields): ReportContent => {
  const account = optionalMultiline(single(fields.account), 'account', ACCOUNT_MAX);
  if (account === '') {
    throw invalid('tell us what happened, in as few or as many words as you wish', {
      field: 'account',
      reason: 'empty_account',
    });
  }
  const anonymous = single(fields.anonymous) === 'yes';
  const contact = anonymous ? '' : optionalMultiline(single(fields.contact), 'contact', 300);
  const support: SupportKind[] = [];
  for (const s of listOf(fields.support)) {
    const kind = SUPPORT_KINDS.find((k) => k === s);
    if (!kind) throw invalid('support is "support" or "legal_aid"', { field: 'support' });
    if (!support.includes(kind)) support.push(kind);
  }
  return {
    account,
    when: optionalMultiline(single(fields.when), 'when', 300),
    where: optionalMultiline(single(fields.where), 'where', 300),
    anonymous,
    name: anonymous ? '' : optionalMultiline(single(fields.name), 'name', 200),
    contact,
    contactWanted: contact !== '' && single(fields.contactWanted) === 'yes',
    support,
  };
};

const parseAttachmentName = (value: unknown): string => {
  const raw = typeof value === 'string' ? value.normalize('NFC').trim() : '';
  const name = raw.replace(/^.*[/\\]/, '').replace(/\p{Cc}/gu, '');
  if (name === '' || name === '.' || name === '..') return 'file';
  return [...name].slice(0, 200).join('');
};
