import { z } from 'zod';

/** `octets` octets as lowercase hex: how proofs write hashes and values. */
export const hex = (octets: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${octets * 2}}$`), `${octets} octets in lowercase hex`);

/**
 * A proof file read as its schema and accepted only as its one canonical text (`canonical`
 * writes it back): a proof whose bytes could change without its check failing would let an
 * edited copy pass for the original. `what` names the kind in the error ("an exclusion proof").
 */
export function parseCanonicalProof<T>(
  text: string,
  schema: z.ZodType<T>,
  canonical: (p: T) => string,
  what: string,
): { ok: true; proof: T } | { ok: false; why: string } {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    return { ok: false, why: `not JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      why: `not ${what}: ${issue.path.join('.') || '(top)'}: ${issue.message}`,
    };
  }
  if (canonical(parsed.data) !== text)
    return { ok: false, why: 'not the canonical text of a proof (edited or re-formatted)' };
  return { ok: true, proof: parsed.data };
}
