import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Preview grants: the item page records one "viewed" custody event and embeds its previews
 * (image, video, audio) with a grant that lets this session fetch this item's bytes for a while
 * without recording an event per request — a video alone makes dozens of range requests. Bytes
 * fetched without a grant are downloads, and each is recorded as "downloaded".
 *
 * A grant is `<expiry ms>.<HMAC-SHA256(key, session ‖ item ‖ expiry)>`. The key lives in memory
 * only, so a restart ends every grant (the page is simply reloaded).
 */
export class PreviewGrants {
  readonly #key = randomBytes(32);
  readonly #lifetimeMs: number;

  constructor(lifetimeMs = 3_600_000) {
    this.#lifetimeMs = lifetimeMs;
  }

  issue(sessionId: string, itemId: string, nowMs: number): string {
    const expires = nowMs + this.#lifetimeMs;
    return `${expires}.${this.#mac(sessionId, itemId, expires)}`;
  }

  check(grant: string | undefined, sessionId: string | undefined, itemId: string, nowMs: number): boolean {
    if (!grant || !sessionId) return false;
    const m = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(grant);
    if (!m) return false;
    const expires = Number(m[1]);
    if (!(expires > nowMs)) return false;
    const expected = Buffer.from(this.#mac(sessionId, itemId, expires));
    const given = Buffer.from(m[2]!);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  #mac(sessionId: string, itemId: string, expires: number): string {
    return createHmac('sha256', this.#key)
      .update(`accord-preview\n${sessionId}\n${itemId}\n${expires}`)
      .digest('base64url');
  }
}
