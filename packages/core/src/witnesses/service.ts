import type { Clock } from '../accounts/ports.ts';
import type { Principal } from '../accounts/service.ts';
import { parseText } from '../accounts/validate.ts';
import type { CaseAccess } from '../cases/access.ts';
import type { CaseItems } from '../cases/ports.ts';
import { ROME_STATUTE } from '../cases/types.ts';
import {
  choice,
  optionalDate,
  optionalText,
  parseDate,
  parseList,
  parseRecordId,
} from '../cases/validate.ts';
import type { ItemId, ItemRecord } from '../evidence/types.ts';
import { parseItemId } from '../evidence/validate.ts';
import type { LegalCatalogue } from '../legal/catalogue.ts';
import { type CaseAction, decideConsent } from '../policy/policy.ts';
import { AccordError, invalid, notFound } from '../shared/errors.ts';
import { type CaseId, newId, type OrgId, parseCaseId, parseOrgId } from '../shared/ids.ts';
import { normaliseForSearch } from '../shared/text.ts';
import type { WitnessChange, WitnessRepo } from './ports.ts';
import {
  CONSENT_PURPOSES,
  CONSENT_STATES,
  type ConsentEvent,
  type ConsentPurpose,
  type ConsentState,
  RISK_LEVELS,
  type RiskAssessment,
  type Statement,
  WITNESS_KINDS,
  type Witness,
  type WitnessIdentity,
} from './types.ts';

type Input = Readonly<Record<string, unknown>>;

/** A consent as the survivor gave it, with the day they gave it. */
export interface SurvivorConsent {
  readonly purpose: unknown;
  readonly scope: unknown;
  readonly state: unknown;
  readonly day?: string;
}

const parseKind = choice(WITNESS_KINDS, 'kind', 'the kind of witness');
const parsePurpose = choice(CONSENT_PURPOSES, 'purpose', 'the purpose');
const parseState = choice(CONSENT_STATES, 'state', 'the consent');
const parseLevel = choice(RISK_LEVELS, 'level', 'the risk level');

const PSEUDONYM = /^[\p{Lu}\p{N}][\p{L}\p{N}._-]{0,39}$/u;
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/** The current consent: for each purpose and scope, the latest entry. */
export const currentConsent = (history: readonly ConsentEvent[]): ConsentState[] => {
  const latest = new Map<string, ConsentEvent>();
  for (const e of [...history].sort((a, b) => a.seq - b.seq)) latest.set(`${e.purpose}\u0000${e.scope}`, e);
  return [...latest.values()].map((e) => ({ purpose: e.purpose, scope: e.scope, state: e.state, at: e.at }));
};

/** A witness as a reader sees it: the identity and risks only for protection officers inside. */
export interface WitnessView {
  readonly witness: Witness;
  readonly consent: readonly ConsentEvent[];
  readonly current: readonly ConsentState[];
  readonly statements: readonly Statement[];
  /** Undefined when the reader may not open it (or there is none: `hasIdentity` tells which only inside). */
  readonly identity: WitnessIdentity | undefined;
  readonly risks: readonly RiskAssessment[] | undefined;
  readonly may: { readonly edit: boolean; readonly protect: boolean };
}

/**
 * Witnesses of a case: pseudonyms, consent (append-only, the latest word counts), statements
 * ("tell it once"), and — for protection officers inside the protection compartment only — real
 * identities and risk assessments. Exports ask it for consent and for the names never to let out.
 */
export class Witnesses {
  readonly #repo: WitnessRepo;
  readonly #access: CaseAccess;
  readonly #items: CaseItems;
  readonly #legal: () => LegalCatalogue;
  readonly #clock: Clock;

  constructor(deps: {
    repo: WitnessRepo;
    access: CaseAccess;
    items: CaseItems;
    legal: () => LegalCatalogue;
    clock: Clock;
  }) {
    this.#repo = deps.repo;
    this.#access = deps.access;
    this.#items = deps.items;
    this.#legal = deps.legal;
    this.#clock = deps.clock;
  }

  async list(by: Principal, caseInput: unknown): Promise<Witness[]> {
    const c = await this.#access.require(by, parseCaseId(caseInput), 'witness.read', { compartmentId: null });
    return this.#repo.listWitnesses(c.id);
  }

  async view(by: Principal, idInput: unknown): Promise<WitnessView> {
    const witness = await this.#witness(by, idInput, 'witness.read');
    const [consent, statements, identity] = await Promise.all([
      this.#repo.listConsent(witness.id),
      this.#repo.listStatements(witness.id),
      this.#repo.getIdentity(witness.id),
    ]);
    const c = await this.#access.require(by, witness.caseId, 'witness.read');
    const edit = (await this.#access.decide(by, c, 'witness.edit', { compartmentId: null })).allowed;
    const protect = (
      await this.#access.decide(by, c, 'witness.protect', { compartmentId: identity?.compartmentId ?? null })
    ).allowed;
    // Statements pointing at items the reader may not see keep their record but not the link.
    const shown: Statement[] = [];
    for (const s of statements)
      shown.push(s.itemId && !(await this.#canSee(by, s.itemId)) ? { ...s, itemId: null } : s);
    return {
      witness,
      consent,
      current: currentConsent(consent),
      statements: shown,
      identity: protect ? identity : undefined,
      risks: protect && identity ? await this.#repo.listRisks(witness.id) : undefined,
      may: { edit, protect },
    };
  }

  /**
   * `survivorConsents` (from a safe report) are recorded with the witness, in the same transaction,
   * as given by the survivor on the day they gave them.
   */
  async create(
    by: Principal,
    caseInput: unknown,
    input: Input,
    survivorConsents: readonly SurvivorConsent[] = [],
  ): Promise<Witness> {
    const c = await this.#access.require(by, parseCaseId(caseInput), 'witness.edit', { compartmentId: null });
    const existing = await this.#repo.listWitnesses(c.id);
    let pseudonym: string;
    if (typeof input.pseudonym === 'string' && input.pseudonym.trim() !== '') {
      pseudonym = input.pseudonym.trim();
      if (!PSEUDONYM.test(pseudonym)) {
        throw invalid(
          'a pseudonym starts with a capital letter or a digit and has no spaces (such as W-0421): never a name',
          { field: 'pseudonym', reason: 'witness_pseudonym' },
        );
      }
    } else {
      pseudonym = `W-${String((await this.#repo.lastPseudonymNumber(c.id)) + 1).padStart(4, '0')}`;
    }
    const folded = normaliseForSearch(pseudonym);
    for (const identity of await this.#repo.listIdentities(c.id)) {
      for (const name of [identity.fullName, ...identity.otherNames]) {
        const part = normaliseForSearch(name).split(' ');
        if (part.some((p) => p.length >= 3 && folded.includes(p))) {
          throw invalid('a pseudonym must not contain a name of a protected witness', {
            field: 'pseudonym',
            reason: 'witness_pseudonym',
          });
        }
      }
    }
    if (existing.some((w) => w.pseudonym.toLowerCase() === pseudonym.toLowerCase())) {
      throw new AccordError('conflict', `this case already has a witness ${pseudonym}`, {
        context: { reason: 'pseudonym_taken' },
      });
    }
    const now = this.#now();
    const witness: Witness = {
      id: newId(),
      caseId: c.id,
      pseudonym,
      kind: parseKind(input.kind ?? 'witness'),
      languages: this.#languages(input.languages),
      note: optionalText(input.note, 'note', 'the note', 4000),
      createdAt: now,
      updatedAt: now,
    };
    const consents: WitnessChange[] = [];
    for (const c of survivorConsents)
      consents.push(await this.#survivorConsent(witness, c, c.day ?? this.#now().slice(0, 10)));
    await this.#repo.apply([{ type: 'witness', witness }, ...consents]);
    return witness;
  }

  /** The current consent of a witness, for the survivor who reached it through their receipt code. */
  async survivorConsent(witnessId: string): Promise<ConsentState[]> {
    return currentConsent(await this.#repo.listConsent(witnessId));
  }

  /**
   * A consent given or withdrawn by the survivor through their receipt code (the report service has
   * checked the code). The day only is kept, never the time.
   */
  async recordSurvivorConsent(witnessId: string, input: SurvivorConsent, day: string): Promise<void> {
    const w = await this.#repo.getWitness(witnessId);
    if (!w) throw notFound(`there is no witness ${witnessId}`);
    await this.#repo.apply([await this.#survivorConsent(w, input, day)]);
  }

  async #survivorConsent(w: Witness, input: SurvivorConsent, day: string): Promise<WitnessChange> {
    const purpose = parsePurpose(input.purpose);
    return {
      type: 'consent',
      consent: {
        id: newId(),
        witnessId: w.id,
        caseId: w.caseId,
        purpose,
        scope: await this.#scope(purpose, input.scope),
        state: parseState(input.state),
        at: `${parseDate(day, 'day', 'the day')}T00:00:00.000Z`,
        recordedBy: null,
        via: 'survivor',
        note: '',
      },
    };
  }

  async update(by: Principal, idInput: unknown, input: Input): Promise<Witness> {
    const w = await this.#witness(by, idInput, 'witness.edit');
    const witness: Witness = {
      ...w,
      kind: input.kind === undefined ? w.kind : parseKind(input.kind),
      languages: input.languages === undefined ? w.languages : this.#languages(input.languages),
      note: input.note === undefined ? w.note : optionalText(input.note, 'note', 'the note', 4000),
      updatedAt: this.#now(),
    };
    await this.#repo.apply([{ type: 'witness', witness }]);
    return witness;
  }

  /** Records (or replaces) the real identity, filed in a protection compartment. */
  async setIdentity(by: Principal, idInput: unknown, input: Input): Promise<WitnessIdentity> {
    const w = await this.#witness(by, idInput, 'witness.read');
    const compartmentId = parseRecordId(input.compartmentId, 'compartmentId', 'the protection compartment');
    const missing = `there is no compartment ${compartmentId} in this case`;
    if (!(await this.#access.compartmentInCase(compartmentId, w.caseId))) throw notFound(missing);
    await this.#access.require(by, w.caseId, 'witness.protect', { compartmentId }, missing);
    // Opening an identity is a read; changing one needs the right to write as well (token scopes).
    await this.#access.require(by, w.caseId, 'witness.edit', { compartmentId: null }, missing);
    const existing = await this.#repo.getIdentity(w.id);
    if (existing && existing.compartmentId !== compartmentId) {
      // Moving an identity needs the compartment it leaves as well.
      await this.#access.require(
        by,
        w.caseId,
        'witness.protect',
        { compartmentId: existing.compartmentId },
        missing,
      );
    }
    const identity: WitnessIdentity = {
      witnessId: w.id,
      caseId: w.caseId,
      compartmentId,
      fullName: parseText(input.fullName, 'fullName', 'the full name', 300),
      otherNames: parseList(input.otherNames, 'otherNames', 'the other names', { max: 20, maxLength: 300 }),
      dateOfBirth: optionalDate(input.dateOfBirth, 'dateOfBirth', 'the date of birth'),
      contact: optionalText(input.contact, 'contact', 'the contact details', 2000),
      address: optionalText(input.address, 'address', 'the address', 2000),
      note: optionalText(input.note, 'note', 'the note', 4000),
      updatedAt: this.#now(),
    };
    await this.#repo.apply([{ type: 'identity', identity }]);
    return identity;
  }

  /** Appends a consent entry: given or withdrawn, for one purpose (and jurisdiction or partner). */
  async recordConsent(by: Principal, idInput: unknown, input: Input): Promise<ConsentState[]> {
    const w = await this.#witness(by, idInput, 'witness.edit');
    const purpose = parsePurpose(input.purpose);
    const scope = await this.#scope(purpose, input.scope);
    const consent: Omit<ConsentEvent, 'seq'> = {
      id: newId(),
      witnessId: w.id,
      caseId: w.caseId,
      purpose,
      scope,
      state: parseState(input.state),
      at: this.#now(),
      recordedBy: 'operator' in by ? null : by.userId,
      via: 'advocate',
      note: optionalText(input.note, 'note', 'the note', 2000),
    };
    await this.#repo.apply([{ type: 'consent', consent }]);
    return currentConsent(await this.#repo.listConsent(w.id));
  }

  /** Records an interview or statement, with the consent as it stands now. */
  async addStatement(by: Principal, idInput: unknown, input: Input): Promise<Statement> {
    const w = await this.#witness(by, idInput, 'witness.edit');
    let itemId: ItemId | null = null;
    if (input.itemId !== undefined && input.itemId !== null && input.itemId !== '') {
      const id = parseItemId(input.itemId) as ItemId;
      const item = await this.#items.getItem(id);
      if (!item || !(await this.#access.canSeeItem(by, item)))
        throw notFound(`there is no evidence item ${id}`);
      if (item.caseId !== w.caseId) throw invalid('the item belongs to another case', { field: 'itemId' });
      itemId = item.id;
    }
    const orgId = input.orgId ? parseOrgId(input.orgId) : 'operator' in by ? undefined : by.orgId;
    if (!orgId) throw invalid('name the organisation that took the statement', { field: 'orgId' });
    if (!(await this.#items.holderExists(orgId, null))) throw notFound(`there is no organisation ${orgId}`);
    const language = typeof input.language === 'string' ? input.language.trim() : '';
    if (!LANGUAGE.test(language)) {
      throw invalid('the language must be a language tag such as uk, ar or fr', { field: 'language' });
    }
    const statement: Statement = {
      id: newId(),
      witnessId: w.id,
      caseId: w.caseId,
      itemId,
      takenOn: parseDate(input.takenOn, 'takenOn', 'the date it was taken'),
      takenBy: parseText(input.takenBy, 'takenBy', 'who took it', 300),
      orgId,
      language,
      interpreter: optionalText(input.interpreter, 'interpreter', 'the interpreter', 300),
      consentAtTime: currentConsent(await this.#repo.listConsent(w.id)),
      note: optionalText(input.note, 'note', 'the note', 4000),
      createdAt: this.#now(),
      createdBy: 'operator' in by ? null : by.userId,
    };
    await this.#repo.apply([{ type: 'statement', statement }]);
    return statement;
  }

  async addRisk(by: Principal, idInput: unknown, input: Input): Promise<RiskAssessment> {
    const w = await this.#witness(by, idInput, 'witness.read');
    const identity = await this.#repo.getIdentity(w.id);
    // Risk assessments live with the identity, in the protection compartment: record that first.
    await this.#access.require(
      by,
      w.caseId,
      'witness.protect',
      { compartmentId: identity?.compartmentId ?? null },
      `there is no witness ${w.id}`,
    );
    await this.#access.require(
      by,
      w.caseId,
      'witness.edit',
      { compartmentId: null },
      `there is no witness ${w.id}`,
    );
    if (!identity) {
      throw new AccordError(
        'conflict',
        `record ${w.pseudonym}'s identity in a protection compartment first: risk assessments are kept with it`,
        { context: { reason: 'identity_first' } },
      );
    }
    const assessedOn = parseDate(input.assessedOn, 'assessedOn', 'the date of the assessment');
    const reviewOn = parseDate(input.reviewOn, 'reviewOn', 'the review date');
    if (reviewOn < assessedOn)
      throw invalid('the review cannot come before the assessment', { field: 'reviewOn' });
    const risk: RiskAssessment = {
      id: newId(),
      witnessId: w.id,
      caseId: w.caseId,
      level: parseLevel(input.level),
      assessedOn,
      threats: optionalText(input.threats, 'threats', 'the threats', 8000),
      measures: optionalText(input.measures, 'measures', 'the protective measures', 8000),
      reviewOn,
      createdAt: this.#now(),
      createdBy: 'operator' in by ? null : by.userId,
    };
    await this.#repo.apply([{ type: 'risk', risk }]);
    return risk;
  }

  /** Witnesses whose latest risk assessment is due for review today or earlier (protection officers). */
  async reviewsDue(by: Principal, caseInput: unknown): Promise<{ witness: Witness; risk: RiskAssessment }[]> {
    const c = await this.#access.require(by, parseCaseId(caseInput), 'witness.protect');
    const out: { witness: Witness; risk: RiskAssessment }[] = [];
    for (const risk of await this.#repo.reviewsDue(c.id, this.#access.today())) {
      const identity = await this.#repo.getIdentity(risk.witnessId);
      if (!identity) continue;
      const d = await this.#access.decide(by, c, 'witness.protect', {
        compartmentId: identity.compartmentId,
      });
      const witness = await this.#repo.getWitness(risk.witnessId);
      if (d.allowed && witness) out.push({ witness, risk });
    }
    return out;
  }

  /**
   * Before an export: every exported item that is (or was derived from) a witness's statement needs
   * that witness's consent to sharing with the recipient organisation. Returns the names that must
   * not appear anywhere in the bundle.
   */
  async checkExport(
    caseId: CaseId,
    items: readonly ItemRecord[],
    recipientOrgId: OrgId | null,
  ): Promise<{ protectedTerms: string[]; protectedNumbers: string[] }> {
    const statements = await this.#repo.listCaseStatements(caseId);
    if (statements.length > 0) {
      const byItem = new Map<string, Statement[]>();
      for (const s of statements) if (s.itemId) byItem.set(s.itemId, [...(byItem.get(s.itemId) ?? []), s]);
      // A statement's whole family counts: the recording it was transcribed from, and every
      // translation, transcript or redacted copy made of any of them.
      const concerned = new Set<string>();
      for (const item of items) {
        for (const member of await this.#family(item)) {
          for (const s of byItem.get(member) ?? []) concerned.add(s.witnessId);
        }
      }
      if (concerned.size > 0) {
        const pseudonyms: string[] = [];
        for (const id of concerned) pseudonyms.push((await this.#repo.getWitness(id))?.pseudonym ?? id);
        if (!recipientOrgId) {
          throw invalid(
            `name the recipient organisation: the export includes statements of ${pseudonyms.sort().join(', ')}, whose consent to sharing must be checked`,
            { field: 'recipientOrgId', reason: 'recipient_org_needed' },
          );
        }
        for (const id of concerned) {
          const w = await this.#repo.getWitness(id);
          const d = decideConsent(w?.pseudonym ?? id, currentConsent(await this.#repo.listConsent(id)), {
            purpose: 'sharing',
            scope: recipientOrgId,
            label: 'sharing with the recipient organisation',
          });
          if (!d.allowed) {
            throw new AccordError('forbidden', `consent missing: ${d.reason}; nothing was exported`, {
              context: { reason: 'consent_missing', witness: w?.pseudonym ?? id },
            });
          }
        }
      }
    }
    const terms = new Set<string>();
    // Every identity on the node: an item can reach this case from another one.
    const numbers = new Set<string>();
    for (const identity of await this.#repo.listIdentities()) {
      for (const name of [identity.fullName, ...identity.otherNames]) {
        const t = normaliseForSearch(name);
        if (t.length >= 3) terms.add(t);
      }
      // Contact details and addresses identify as well as a name does: e-mail addresses and each
      // line of an address as text, telephone numbers as their digits, however they are written.
      for (const email of identity.contact.match(/[^\s<>(),;]+@[^\s<>(),;]+\.[^\s<>(),;]+/g) ?? []) {
        terms.add(normaliseForSearch(email));
      }
      for (const line of identity.address.split(/\r?\n|,/)) {
        const t = normaliseForSearch(line);
        if (t.length >= 6) terms.add(t);
      }
      for (const run of identity.contact.match(/\+?\d[\d\s()./-]{5,}\d/g) ?? []) {
        const digits = run.replace(/\D/g, '');
        if (digits.length >= 7) numbers.add(digits);
      }
    }
    return { protectedTerms: [...terms], protectedNumbers: [...numbers] };
  }

  /**
   * Inside Accord too, a statement is shared with a partner organisation only with the witness's
   * consent: the items of every statement family whose witness does not (or no longer) consent to
   * sharing with `orgId` are withheld from that organisation's members.
   */
  async partnerExclusions(caseId: CaseId, orgId: string): Promise<ReadonlySet<string>> {
    const out = new Set<string>();
    const statements = (await this.#repo.listCaseStatements(caseId)).filter((s) => s.itemId);
    const consents = new Map<string, boolean>();
    for (const s of statements) {
      if (!consents.has(s.witnessId)) {
        const current = currentConsent(await this.#repo.listConsent(s.witnessId));
        const d = decideConsent(s.witnessId, current, { purpose: 'sharing', scope: orgId, label: '' });
        consents.set(s.witnessId, d.allowed);
      }
      if (consents.get(s.witnessId)) continue;
      const item = await this.#items.getItem(s.itemId as ItemId);
      if (item) for (const id of await this.#family(item)) out.add(id);
    }
    return out;
  }

  /**
   * Why an item may not be linked into another case, if it may not: a witness's statement (or
   * anything of its family) would leave the consent of that witness behind.
   */
  async linkRefusal(item: ItemRecord): Promise<string | undefined> {
    const statements = await this.#repo.listCaseStatements(item.caseId);
    if (statements.length === 0) return undefined;
    const family = new Set(await this.#family(item));
    const hit = statements.find((s) => s.itemId && family.has(s.itemId));
    if (!hit) return undefined;
    const w = await this.#repo.getWitness(hit.witnessId);
    return `this item is part of ${w?.pseudonym ?? 'a witness'}'s statement, whose consent stays with this case; export it to the other team instead`;
  }

  // ── internals ───────────────────────────────────────────────────────────────

  /** The item's root and everything derived from it, at any depth. */
  async #family(item: ItemRecord): Promise<string[]> {
    let root: ItemRecord = item;
    for (let depth = 0; root.derivedFrom && depth < 64; depth++) {
      const parent = await this.#items.getItem(root.derivedFrom);
      if (!parent) break;
      root = parent;
    }
    const out: string[] = [root.id];
    for (let i = 0; i < out.length && out.length < 10_000; i++) {
      for (const d of await this.#items.listDerived(out[i] as ItemId))
        if (!out.includes(d.id)) out.push(d.id);
    }
    return out;
  }

  async #witness(by: Principal, value: unknown, action: CaseAction): Promise<Witness> {
    const id = parseRecordId(value, 'witnessId', 'the witness id');
    const w = await this.#repo.getWitness(id);
    const missing = `there is no witness ${id}`;
    if (!w) throw notFound(missing);
    await this.#access.require(by, w.caseId, action, { compartmentId: null }, missing);
    return w;
  }

  async #canSee(by: Principal, itemId: ItemId): Promise<boolean> {
    const item = await this.#items.getItem(itemId);
    return item !== undefined && (await this.#access.canSeeItem(by, item));
  }

  async #scope(purpose: ConsentPurpose, value: unknown): Promise<string> {
    const text = typeof value === 'string' ? value.trim() : '';
    switch (purpose) {
      case 'prosecution': {
        const code = text.toUpperCase();
        if (code !== ROME_STATUTE && !this.#legal().jurisdiction(code)) {
          throw invalid('consent to prosecution names a jurisdiction: ICC or a national profile such as DE', {
            field: 'scope',
            reason: 'unknown_jurisdiction',
          });
        }
        return code;
      }
      case 'sharing': {
        let orgId: OrgId;
        try {
          orgId = parseOrgId(text);
        } catch {
          throw invalid('consent to sharing names a partner organisation of the node', {
            field: 'scope',
            reason: 'sharing_scope',
          });
        }
        if (!(await this.#items.holderExists(orgId, null)))
          throw notFound(`there is no organisation ${orgId}`);
        return orgId;
      }
      case 'investigation':
      case 'public_reports':
      case 'contact':
        if (text !== '') throw invalid(`consent to ${purpose} has no scope`, { field: 'scope' });
        return '';
    }
  }

  #languages(value: unknown): string[] {
    const list = parseList(value, 'languages', 'the languages', { max: 20, maxLength: 20, split: /[\s,]+/ });
    for (const l of list) {
      if (!LANGUAGE.test(l))
        throw invalid(`"${l}" is not a language tag such as uk, ar or fr`, { field: 'languages' });
    }
    return list;
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}
