import { createHash } from 'node:crypto';

/**
 * Makes one-time-code verification tolerate double submission. A code is single-use in the
 * registry, so a double-clicked "Object" button would verify once and fail the second time
 * ("code invalid") although the person did nothing wrong. Here concurrent attempts with the
 * same address and code share one verification, and a success is remembered for a short while
 * so a resubmission right after it also succeeds. Failures are never remembered.
 * In-process only: a resubmission that lands on another Veto process falls back to the session
 * cookie set by the first success (see the verify route), which covers the sequential case.
 */
export class CodeVerifier {
  private readonly recent = new Map<string, { done: Promise<void>; until: number }>();

  constructor(
    private readonly verify: (email: string, code: string) => Promise<void>,
    private readonly rememberMs = 2 * 60 * 1000,
  ) {}

  async check(email: string, code: string): Promise<void> {
    const now = Date.now();
    for (const [key, entry] of this.recent) if (entry.until < now) this.recent.delete(key);
    const key = createHash('sha256').update(`${email}\u0000${code}`).digest('base64url');
    const existing = this.recent.get(key);
    if (existing) return existing.done;
    const done = this.verify(email, code);
    this.recent.set(key, { done, until: now + this.rememberMs });
    try {
      await done;
    } catch (err) {
      this.recent.delete(key);
      throw err;
    }
  }
}
