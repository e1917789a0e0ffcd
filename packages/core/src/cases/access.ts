import type { Clock } from '../accounts/ports.ts';
import type { Principal } from '../accounts/service.ts';
import type { EvidenceAccess } from '../evidence/ports.ts';
import type { ItemId, ItemRecord, ItemScope } from '../evidence/types.ts';
import {
  type Actor,
  type CaseAction,
  type CaseDecision,
  type CaseResource,
  type CaseStanding,
  type DataCategory,
  decideInCase,
  receivesCategory,
} from '../policy/policy.ts';
import { AccordError, notFound } from '../shared/errors.ts';
import type { CaseId } from '../shared/ids.ts';
import type { CaseRepo } from './ports.ts';
import type { Agreement, CaseRecord } from './types.ts';

/**
 * The agreements in force on `day` (YYYY-MM-DD): started, and not yet ended. An agreement is in
 * force from the start of its first day to the start of its end day: ending one "today" cuts its
 * partners off at once.
 */
export const agreementsInForce = (agreements: readonly Agreement[], day: string): Agreement[] =>
  agreements.filter((a) => a.startsOn <= day && (a.endsOn === null || a.endsOn > day));

/** What agreements in force let one organisation receive (for members outside the lead org). */
export const receivedBy = (agreements: readonly Agreement[], orgId: string, day: string): DataCategory[] => {
  const out = new Set<DataCategory>();
  for (const a of agreementsInForce(agreements, day)) {
    for (const p of a.participants) if (p.orgId === orgId) for (const c of p.receives) out.add(c);
  }
  return [...out].sort();
};

/**
 * Works out who stands where in a case and asks the policy module. Services call this for every
 * read and write inside a case; nothing else decides case access. A refusal that must not reveal
 * the thing exists becomes "not found" with the same words as for something that really is not.
 */
/**
 * Which items of a case members of a partner organisation may not see even though their agreement
 * grants the category: witness statements whose witness has not consented to sharing with them.
 */
export interface ShareGate {
  partnerExclusions(caseId: CaseId, orgId: string): Promise<ReadonlySet<string>>;
}

export class CaseAccess implements EvidenceAccess {
  readonly #repo: CaseRepo;
  readonly #clock: Clock;
  #shareGate: ShareGate | undefined;

  constructor(deps: { repo: CaseRepo; clock: Clock }) {
    this.#repo = deps.repo;
    this.#clock = deps.clock;
  }

  /** The witnesses module, once it exists (it is built on this class). */
  useShareGate(gate: ShareGate): void {
    this.#shareGate = gate;
  }

  /** Whether consent keeps this item from a member of a partner organisation. */
  async #withheld(by: Principal, c: CaseRecord, itemId: string): Promise<boolean> {
    if ('operator' in by || by.orgId === c.leadOrgId || !this.#shareGate) return false;
    return (await this.#shareGate.partnerExclusions(c.id, by.orgId)).has(itemId);
  }

  today(): string {
    return this.#clock.now().toISOString().slice(0, 10);
  }

  async standing(actor: Actor, c: CaseRecord): Promise<CaseStanding | undefined> {
    const member = await this.#repo.getMember(c.id, actor.userId);
    if (!member) return undefined;
    const compartments = await this.#repo.compartmentsOf(c.id, actor.userId);
    if (actor.orgId === c.leadOrgId) return { role: member.role, compartments };
    const agreements = await this.#repo.listAgreements(c.id);
    return { role: member.role, compartments, receives: receivedBy(agreements, actor.orgId, this.today()) };
  }

  /** The decision, for pages that show or hide an action. Operators may do anything. */
  async decide(
    by: Principal,
    c: CaseRecord,
    action: CaseAction,
    resource?: CaseResource,
  ): Promise<CaseDecision> {
    if ('operator' in by) return { allowed: true };
    return decideInCase(by, await this.standing(by, c), action, resource);
  }

  /**
   * Loads the case and checks the action, or throws: not_found (with `missing`'s words) when the
   * actor may not know it exists, forbidden with the reason otherwise.
   */
  async require(
    by: Principal,
    caseId: CaseId,
    action: CaseAction,
    resource?: CaseResource,
    missing?: string,
  ): Promise<CaseRecord> {
    const c = await this.#repo.getCase(caseId);
    if (!c) throw notFound(`there is no case ${caseId}`);
    const d = await this.decide(by, c, action, resource);
    if (!d.allowed) {
      if (d.hide) throw notFound(resource && missing ? missing : `there is no case ${caseId}`);
      throw new AccordError('forbidden', `not allowed: ${d.reason}`);
    }
    return c;
  }

  /** Checks an action on one evidence item (its compartment and kind decide what is visible). */
  async requireItem(by: Principal, item: ItemRecord, action: CaseAction): Promise<CaseRecord> {
    const compartmentId = await this.#repo.itemCompartment(item.id);
    const missing = `there is no evidence item ${item.id}`;
    const resource = { compartmentId, derived: item.derivedFrom !== null };
    const c = await this.require(by, item.caseId, action, resource, missing);
    if (await this.#withheld(by, c, item.id)) throw notFound(missing);
    return c;
  }

  itemCompartment(itemId: ItemId): Promise<string | null> {
    return this.#repo.itemCompartment(itemId);
  }

  async compartmentInCase(compartmentId: string, caseId: CaseId): Promise<boolean> {
    return (await this.#repo.getCompartment(compartmentId))?.caseId === caseId;
  }

  /** Whether the principal may see the item at all (for filtering lists of linked things). */
  async canSeeItem(by: Principal, item: ItemRecord): Promise<boolean> {
    if ('operator' in by) return true;
    const c = await this.#repo.getCase(item.caseId);
    if (!c) return false;
    const compartmentId = await this.#repo.itemCompartment(item.id);
    const d = await this.decide(by, c, 'evidence.read', {
      compartmentId,
      derived: item.derivedFrom !== null,
    });
    return d.allowed && !(await this.#withheld(by, c, item.id));
  }

  /**
   * The evidence the principal may list: per case they are a member of with the right to read
   * evidence, the compartments they are in and whether they see only derivatives. Undefined for
   * the operator (everything).
   */
  async scopes(by: Principal, onlyCase?: CaseId): Promise<ItemScope[] | undefined> {
    if ('operator' in by) return undefined;
    const cases = await this.#repo.listCasesOf(by.userId);
    const out: ItemScope[] = [];
    for (const c of cases) {
      if (onlyCase && c.id !== onlyCase) continue;
      const standing = await this.standing(by, c);
      if (!standing || !decideInCase(by, standing, 'evidence.read').allowed) continue;
      const r = standing.receives;
      if (r && !receivesCategory(r, 'derivatives')) continue;
      const excluded =
        r !== undefined && this.#shareGate
          ? [...(await this.#shareGate.partnerExclusions(c.id, by.orgId))]
          : [];
      out.push({
        caseId: c.id,
        compartments: standing.compartments,
        derivedOnly: r !== undefined && !r.includes('originals'),
        ...(excluded.length > 0 ? { excluded: excluded as ItemId[] } : {}),
      });
    }
    return out;
  }
}
