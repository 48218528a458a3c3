import { z } from 'zod';

const size = (what: string) =>
  z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe(what);

/** `GET /v1/transparency/proof/inclusion` */
export const inclusionQuery = z.object({
  index: size("The leaf index (an audit event's sequence number minus one)"),
  size: size('The tree size of the checkpoint to prove against'),
});

/** `GET /v1/transparency/proof/consistency` */
export const consistencyQuery = z.object({
  from: size('The smaller tree size (a checkpoint seen before)'),
  to: size('The larger tree size'),
});

const hashes = z
  .array(z.string())
  .describe('The proof: base64 SHA-256 hashes in RFC 9162 §2.1.3 / §2.1.4 order');

export const inclusionView = z
  .object({ index: z.number().int(), size: z.number().int(), hashes })
  .describe('An RFC 9162 inclusion proof');

export const consistencyView = z
  .object({ from: z.number().int(), to: z.number().int(), hashes })
  .describe('An RFC 9162 consistency proof');

export const keysView = z
  .object({
    origin: z.string().describe("The log's origin line (its signing key's name)"),
    log: z.string().describe('The verifier key (C2SP vkey) checkpoints are signed with'),
    previous: z.array(z.string()).describe('Verifier keys of retired signing keys'),
    witnesses: z
      .array(z.string())
      .describe('Verifier keys (type 0x04) of the witnesses Veto accepts'),
  })
  .describe("The transparency log's keys");

export const cosignaturesView = z
  .object({
    size: z.number().int(),
    witnesses: z.array(z.string()).describe('Witnesses whose cosignature was stored'),
  })
  .describe('Cosignatures accepted');

export const tileParams = z.object({
  level: z.coerce.number().int().min(0).max(7).describe('Tile level'),
  '*': z.string().describe('The tile index path, e.g. x001/234 or 005.p/17'),
});
