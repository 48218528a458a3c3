import { createHash } from 'node:crypto';
import type { AuditEvent } from '../domain/types.ts';
import { SnapshotBody } from '../registry-files/subject-keys.ts';
import { openCheckpoint } from '../transparency/checkpoint.ts';
import { CompactRange } from '../transparency/compact-range.ts';
import { eventLeafHash } from '../transparency/event-leaves.ts';
import { verifyConsistency } from '../transparency/merkle.ts';
import { NoteError, type Verifier } from '../transparency/signed-note.ts';
import { DATASET_SEALED_EVENT, type DatasetManifest } from './manifest.ts';

/**
 * `veto dataset verify`'s anchor check: a dataset's manifest records the signed checkpoint of
 * the transparency log up to its snapshot's `snapshot.created` event (`manifest.anchor`). With
 * the registry reachable, verify checks
 *
 * 1. the checkpoint's signature by the log's key (current or previous), and that its size and
 *    root are the manifest's;
 * 2. that the log now extends it: an RFC 9162 consistency proof from the stored tiles between
 *    the anchor and the current signed checkpoint, and the log's first `size` events, hashed
 *    from the events themselves, giving the anchor's root (so the events replayed next are the
 *    ones the checkpoint signed);
 * 3. that event `size` is the snapshot's own `snapshot.created` event, naming the manifest's
 *    snapshot id, purpose, cut-off, count and hash;
 * 4. that replaying those events (`objection.recorded`, `.withdrawn`, an overriding
 *    `.decided`) gives the objector set: the subjects whose objection for the purpose was
 *    effective at the cut-off hash, as a snapshot file's body, to the snapshot's sha256, and
 *    equal the registry's objections effective at the cut-off as its table reads now;
 * 5. that the log's `dataset.sealed` event of this dataset, if it is sealed, names the sha256 of
 *    this very `manifest.json`.
 *
 * A difference names what differs by counts and a few subject keys' sha256 (never a key).
 */

/** The registry's transparency log, as verify reads it. */
export interface RegistryLog {
  /** The log's verifier keys: the current one first, then those it replaced. */
  logKeys: readonly Verifier[];
  /** The signed checkpoint of the log as it is now. */
  checkpoint(): Promise<{ size: number; root: Uint8Array; note: string }>;
  /** RFC 9162 consistency proof between two tree sizes, from the stored tiles. */
  consistencyProof(from: number, to: number): Promise<Uint8Array[]>;
  /** Every audit event in log order (the leaves). */
  readEvents(): AsyncIterable<AuditEvent>;
}

export interface AnchorCheckResult {
  /** `not checked` when the manifest records no anchor (the reason in `detail`). */
  status: 'pass' | 'fail' | 'not checked';
  detail: string;
  /** What fails the anchor check. */
  problems: string[];
  /** What fails the manifest check: a `dataset.sealed` event naming another manifest. */
  manifestProblems: string[];
  /** The dataset's `dataset.sealed` event: found and matching, or why not. */
  sealedEvent: string;
}

/** Subject keys listed (as sha256 prefixes) when the sets differ. */
const SAMPLE = 5;

/** A subject key as reports may show it: the first 16 hex digits of its sha256. */
export function hashedKey(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The snapshot file body's sha256 for these keys (sorted, each once) under that identity. */
function snapshotDigest(
  identity: { id: string; purpose: string; asOf: string },
  keys: readonly string[],
): { count: number; sha256: string } {
  const body = new SnapshotBody({ identity, engine: 'js' });
  for (const key of keys) {
    const problem = body.add(key);
    if (problem) throw new Error(problem);
    if (body.full) body.take();
  }
  const problem = body.end();
  if (problem) throw new Error(problem);
  return { count: body.count, sha256: body.digest() };
}

interface ReplayedObjection {
  subjectKey: string;
  purpose: string;
  receivedAt: number;
  endedAt: number | null;
}

export async function checkDatasetAnchor(options: {
  manifest: DatasetManifest;
  /** sha256 of the `manifest.json` bytes verify read. */
  manifestSha256: string;
  log: RegistryLog;
  /** The registry's objections effective at the cut-off for the purpose, as its table reads now. */
  registryObjectors: () => AsyncIterable<string>;
}): Promise<AnchorCheckResult> {
  const { manifest, log } = options;
  const problems: string[] = [];
  const manifestProblems: string[] = [];
  const anchor = manifest.anchor;
  const size = Number(anchor?.size);
  const anchored =
    anchor !== undefined &&
    anchor !== null &&
    Number.isSafeInteger(size) &&
    size >= 1 &&
    typeof anchor.root === 'string' &&
    typeof anchor.checkpoint === 'string';
  if (anchor !== undefined && !anchored) {
    problems.push('manifest.anchor is malformed: it needs a size, a root and a checkpoint');
  }
  const purpose = manifest.purpose;
  const asOfMs = Date.parse(manifest.snapshot.asOf);

  // One pass over the log: the first `size` leaves hashed and replayed, the sealed event found.
  const range = new CompactRange();
  let prefixRoot: Uint8Array | undefined;
  let snapshotEvent: AuditEvent | undefined;
  const objections = new Map<string, ReplayedObjection>();
  const sealed: AuditEvent[] = [];
  let events = 0;
  for await (const e of log.readEvents()) {
    events++;
    if (anchored && e.seq <= size) {
      range.push(eventLeafHash(e));
      if (range.size === size) {
        prefixRoot = range.root();
        snapshotEvent = e;
      }
      replay(objections, e, purpose);
    }
    if (e.type === DATASET_SEALED_EVENT && e.data.datasetId === manifest.datasetId) sealed.push(e);
  }

  let sealedEvent: string;
  if (sealed.length === 0) {
    sealedEvent = 'no dataset.sealed event in the log (not sealed in this registry yet)';
  } else if (sealed.length > 1) {
    sealedEvent = `${sealed.length} dataset.sealed events`;
    manifestProblems.push(
      `the log holds ${sealed.length} dataset.sealed events for ${manifest.datasetId} (#${sealed.map((e) => e.seq).join(', #')}); a dataset is sealed once`,
    );
  } else {
    const e = sealed[0]!;
    if (e.data.manifestSha256 === options.manifestSha256) {
      sealedEvent = `dataset.sealed #${e.seq} names this manifest.json (sha256 ${options.manifestSha256})`;
    } else {
      sealedEvent = `dataset.sealed #${e.seq} names another manifest`;
      manifestProblems.push(
        `manifest.json has sha256 ${options.manifestSha256}, the log's dataset.sealed event #${e.seq} sealed ${String(e.data.manifestSha256)}`,
      );
    }
  }

  if (!anchored) {
    return {
      status: problems.length > 0 ? 'fail' : 'not checked',
      detail:
        problems.length > 0
          ? 'the anchor cannot be read'
          : 'the manifest records no checkpoint (an offline build, or one sealed before datasets were anchored)',
      problems,
      manifestProblems,
      sealedEvent,
    };
  }
  const anchorRoot = Buffer.from(anchor.root, 'base64');

  // 1. The signature, and the signed size and root are the manifest's.
  let signer = '';
  try {
    const cp = openCheckpoint(anchor.checkpoint, log.logKeys);
    signer = cp.signedBy.name;
    if (cp.size !== size || !cp.root.equals(anchorRoot)) {
      problems.push(
        `manifest.anchor says size ${size} root ${anchor.root}, its signed checkpoint says size ${cp.size} root ${cp.root.toString('base64')}`,
      );
    }
  } catch (err) {
    if (!(err instanceof NoteError)) throw err;
    problems.push(`the anchor's checkpoint is not signed by this registry's log: ${err.message}`);
  }

  // 2. The log extends it: recomputed from the events, and proved from the tiles.
  if (events < size) {
    problems.push(`TRUNCATED: the anchor counts ${size} events, the log now holds ${events}`);
  } else if (!prefixRoot || !Buffer.from(prefixRoot).equals(anchorRoot)) {
    problems.push(`REWRITTEN: the log's first ${size} events no longer hash to the anchor's root`);
  }
  let current = 0;
  try {
    const now = await log.checkpoint();
    current = now.size;
    if (now.size < size) {
      problems.push(
        `the log's checkpoint now is of size ${now.size}, smaller than the anchor's ${size}`,
      );
    } else {
      const proof = await log.consistencyProof(size, now.size);
      if (!verifyConsistency(size, now.size, anchorRoot, now.root, proof)) {
        problems.push(
          `the log now (size ${now.size}) is not consistent with the anchor (size ${size}): the consistency proof fails`,
        );
      }
    }
  } catch (err) {
    problems.push(`no consistency proof from the anchor to the log now: ${(err as Error).message}`);
  }

  // 3. The anchor ends at the snapshot's own event.
  const s = manifest.snapshot;
  const d = snapshotEvent?.data ?? {};
  if (snapshotEvent?.type !== 'snapshot.created' || d.id !== s.id) {
    problems.push(
      `event #${size} is not snapshot ${s.id}'s snapshot.created event (it is ${snapshotEvent ? `a ${snapshotEvent.type} event` : 'missing'})`,
    );
  } else {
    for (const field of ['purpose', 'asOf', 'count', 'sha256'] as const) {
      if (d[field] !== s[field]) {
        problems.push(
          `snapshot.${field}: the log's snapshot.created event #${size} says ${String(d[field])}, the manifest ${String(s[field])}`,
        );
      }
    }
  }

  // 4. The objector set the log says was effective at the cut-off.
  const fromLog = new Set<string>();
  for (const o of objections.values()) {
    if (o.receivedAt <= asOfMs && (o.endedAt === null || o.endedAt > asOfMs)) {
      fromLog.add(o.subjectKey);
    }
  }
  const logKeys = [...fromLog].sort(byteOrder);
  let logSet = { count: logKeys.length, sha256: '' };
  try {
    logSet = snapshotDigest({ id: s.id, purpose: s.purpose, asOf: s.asOf }, logKeys);
  } catch (err) {
    problems.push(`the log's objector set cannot be hashed: ${(err as Error).message}`);
  }
  if (logSet.sha256 && (logSet.sha256 !== s.sha256 || logSet.count !== s.count)) {
    problems.push(
      `the log's first ${size} events give ${logSet.count} objectors effective at ${s.asOf} (sha256 ${logSet.sha256}); the snapshot holds ${s.count} (sha256 ${s.sha256})`,
    );
  }
  const inRegistry = new Set<string>();
  for await (const key of options.registryObjectors()) inRegistry.add(key);
  const missing = logKeys.filter((k) => !inRegistry.has(k));
  const extra = [...inRegistry].filter((k) => !fromLog.has(k)).sort(byteOrder);
  if (missing.length > 0 || extra.length > 0) {
    const sample = (keys: string[]) =>
      `${keys.slice(0, SAMPLE).map(hashedKey).join(', ')}${keys.length > SAMPLE ? ', ...' : ''}`;
    problems.push(
      [
        `the registry's objections effective at ${s.asOf} (${inRegistry.size}) differ from the log's first ${size} events (${logKeys.length})`,
        missing.length > 0
          ? `${missing.length} effective in the log, missing from the registry (subject key sha256 ${sample(missing)})`
          : '',
        extra.length > 0
          ? `${extra.length} in the registry, not effective in the log (subject key sha256 ${sample(extra)})`
          : '',
      ]
        .filter(Boolean)
        .join('; '),
    );
  }

  return {
    status: problems.length > 0 ? 'fail' : 'pass',
    detail:
      problems.length > 0
        ? `checkpoint of ${size} events: ${problems.length} problem(s)`
        : `${anchor.offline ? `copied from the ${anchor.offline.source} by an offline build (signature ${anchor.offline.signature} there); ` : ''}checkpoint of ${size} events signed by ${signer}, consistent with the log now (${current} events); replaying it gives the ${logKeys.length} objectors of snapshot ${s.id}, as the registry holds them`,
    problems,
    manifestProblems,
    sealedEvent,
  };
}

/**
 * One event's effect on the objections of `purpose`: recorded (subject, time), ended by a
 * withdrawal or an overriding decision (time). Mirrors what the registry stores
 * (`src/domain/audit-registry-check.ts` compares each row with the same events).
 */
function replay(objections: Map<string, ReplayedObjection>, e: AuditEvent, purpose: string): void {
  if (!e.objectionId) return;
  if (e.type === 'objection.recorded') {
    if (e.data.purpose !== purpose || !e.subjectKey) return;
    objections.set(e.objectionId, {
      subjectKey: e.subjectKey,
      purpose,
      receivedAt: Date.parse(e.at),
      endedAt: null,
    });
    return;
  }
  const o = objections.get(e.objectionId);
  if (!o || o.endedAt !== null) return;
  if (
    e.type === 'objection.withdrawn' ||
    (e.type === 'objection.decided' && e.data.outcome === 'overridden')
  ) {
    o.endedAt = Date.parse(e.at);
  }
}
