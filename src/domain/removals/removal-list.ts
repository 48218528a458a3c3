import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../../lib/durable-file.ts';
import type { RemovalRecord } from '../../store/removal-store.ts';
import { canonicalJson } from '../audit-chain.ts';

export const REMOVAL_LIST_FORMAT = 'veto-removal-list/v1';

/** `removals.manifest.json`: what the list holds, its hash, and an HMAC-SHA256 signature. */
export interface RemovalListManifest {
  format: typeof REMOVAL_LIST_FORMAT;
  datasetId: string;
  generatedAt: string;
  removals: number;
  items: number;
  file: string;
  bytes: number;
  sha256: string;
  signature: {
    alg: 'HMAC-SHA256';
    /** First 16 hex digits of sha256(key): says which deployment key signed, reveals nothing. */
    keyId: string;
    /** Base64 HMAC-SHA256 over the canonical JSON of this manifest without `signature`. */
    value: string;
  };
}

/**
 * The signing key: derived from the deployment secret with HKDF, so the secret itself never
 * signs anything and the key cannot be reused for sessions or CSRF.
 */
export function removalListKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'veto-removals', 'removal-list-hmac', 32));
}

function sign(key: Buffer, unsigned: Omit<RemovalListManifest, 'signature'>): string {
  return createHmac('sha256', key).update(canonicalJson(unsigned)).digest('base64');
}

/** One JSONL line per removed item, in the order the removals were recorded. */
export function removalListLines(removals: readonly RemovalRecord[]): string[] {
  const lines: string[] = [];
  for (const r of removals)
    for (const itemId of r.itemIds)
      lines.push(
        JSON.stringify({
          datasetId: r.datasetId,
          itemId,
          removalId: r.id,
          recordedAt: r.recordedAt,
        }),
      );
  return lines;
}

/**
 * Writes `removals.jsonl` and `removals.manifest.json` into `dir`, each to a temporary name,
 * synced, then renamed: a reader never sees a half-written list.
 */
export async function writeRemovalList(
  dir: string,
  datasetId: string,
  removals: readonly RemovalRecord[],
  secret: string,
  now: string,
): Promise<RemovalListManifest> {
  await mkdir(dir, { recursive: true });
  const lines = removalListLines(removals);
  const body = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  const file = 'removals.jsonl';
  await writeFileDurably(join(dir, file), body);
  const unsigned: Omit<RemovalListManifest, 'signature'> = {
    format: REMOVAL_LIST_FORMAT,
    datasetId,
    generatedAt: now,
    removals: removals.length,
    items: lines.length,
    file,
    bytes: Buffer.byteLength(body),
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  const key = removalListKey(secret);
  const manifest: RemovalListManifest = {
    ...unsigned,
    signature: {
      alg: 'HMAC-SHA256',
      keyId: createHash('sha256').update(key).digest('hex').slice(0, 16),
      value: sign(key, unsigned),
    },
  };
  await writeFileDurably(
    join(dir, 'removals.manifest.json'),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  return manifest;
}

/**
 * Checks a removal list: the manifest's signature with the deployment key, then the list's
 * bytes against the manifest's hash. Returns the problem, or null when both hold.
 */
export function verifyRemovalList(
  manifest: RemovalListManifest,
  listBytes: Buffer,
  secret: string,
): string | null {
  const { signature, ...unsigned } = manifest;
  if (signature?.alg !== 'HMAC-SHA256') return 'unknown signature algorithm';
  const expected = Buffer.from(sign(removalListKey(secret), unsigned), 'base64');
  const given = Buffer.from(signature.value, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return 'signature does not match (wrong key, or the manifest was edited)';
  if (createHash('sha256').update(listBytes).digest('hex') !== manifest.sha256)
    return 'removals.jsonl does not match the manifest hash';
  return null;
}
