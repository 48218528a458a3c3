import { AppError } from '../domain/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { CosignatureRecord, RegistryStore } from '../store/registry-store.ts';
import { type OpenedCheckpoint, openCheckpoint, signCheckpoint } from './checkpoint.ts';
import { auditLogAgainst, type KeptCheckpoint } from './log-audit.ts';
import { type ReceiptProof, receiptProof } from './receipt-proof.ts';
import { type SealedEventProof, sealedEventProof } from './sealed-event-proof.ts';
import {
  NoteError,
  parseSigner,
  parseVerifier,
  type Signer,
  type Verifier,
  validCosignature,
} from './signed-note.ts';
import { TransparencyLog } from './transparency-log.ts';

export interface TransparencyKeys {
  /** The signing key (`PRIVATE+KEY+...`). */
  signingKey: string;
  /** Verifier keys of the keys it replaced. */
  previousKeys: readonly string[];
  /** Verifier keys (type 0x04) of accepted witnesses. */
  witnesses: readonly string[];
}

export interface Proof {
  hashes: string[];
}

const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');

/**
 * What the registry publishes about its log (docs/transparency.md): signed checkpoints, proofs,
 * and the cosignatures of the witnesses it knows. Checkpoints are signed on demand (Ed25519 is
 * deterministic: the same size always gives the same note) and the last one is kept.
 */
export class Transparency {
  readonly log: TransparencyLog;
  readonly signer: Signer;
  readonly logKeys: Verifier[];
  readonly witnesses: Verifier[];
  private last: { size: number; note: string; root: Uint8Array } | null = null;

  constructor(
    private readonly deps: { store: RegistryStore; clock: Clock; keys: TransparencyKeys },
  ) {
    this.log = new TransparencyLog(deps.store);
    this.signer = parseSigner(deps.keys.signingKey);
    this.logKeys = [this.signer, ...deps.keys.previousKeys.map(parseVerifier)];
    this.witnesses = deps.keys.witnesses.map(parseVerifier);
  }

  get origin(): string {
    return this.signer.name;
  }

  /** The signed checkpoint of the log as it is now. */
  async checkpoint(): Promise<{ size: number; root: Uint8Array; note: string }> {
    const size = await this.log.size();
    if (this.last?.size !== size) {
      const head = await this.log.treeHead(size);
      this.last = { size, root: head.root, note: signCheckpoint(this.signer, size, head.root) };
    }
    return this.last;
  }

  /**
   * The signed checkpoint of the log's first `size` entries (an earlier state: a dataset's
   * anchor is the log up to its snapshot's event).
   */
  async checkpointAt(size: number): Promise<{ size: number; root: Uint8Array; note: string }> {
    const head = await this.sized(() =>
      this.log.checkSize(size).then(() => this.log.treeHead(size)),
    );
    return { size, root: head.root, note: signCheckpoint(this.signer, size, head.root) };
  }

  async inclusionProof(index: number, size: number): Promise<Proof> {
    return { hashes: (await this.sized(() => this.log.inclusionProof(index, size))).map(b64) };
  }

  async consistencyProof(from: number, to: number): Promise<Proof> {
    return { hashes: (await this.sized(() => this.log.consistencyProof(from, to))).map(b64) };
  }

  /** The first `width` hashes of a tile, if the log has them (full tiles never change). */
  async tile(level: number, index: number, width: number): Promise<Uint8Array | null> {
    const [t] = await this.deps.store.readTiles([{ level, index }]);
    if (!t || t.width < width) return null;
    return t.hashes.subarray(0, width * 32);
  }

  private async sized<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof RangeError) throw new AppError('validation', err.message);
      throw err;
    }
  }

  /**
   * Accepts a checkpoint cosigned by known witnesses: it must be one this log signed, of a size
   * it has, with the root it has at that size; each valid cosignature by a configured witness
   * is stored. Returns how many were new or repeated.
   */
  async addCosignatures(note: string): Promise<CosignatureRecord[]> {
    let opened: ReturnType<typeof openCheckpoint>;
    try {
      opened = openCheckpoint(note, this.logKeys);
    } catch (err) {
      throw new AppError('validation', (err as NoteError).message);
    }
    if (opened.size > (await this.log.size())) {
      throw new AppError('validation', `this log has no tree of size ${opened.size} yet`);
    }
    const ours = await this.log.treeHead(opened.size);
    if (!Buffer.from(ours.root).equals(opened.root)) {
      throw new AppError('conflict', `the root at size ${opened.size} is not this log's`);
    }
    const found: CosignatureRecord[] = [];
    for (const w of this.witnesses) {
      const c = validCosignature(opened.note, w);
      if (!c) continue;
      const record: CosignatureRecord = {
        size: opened.size,
        root: opened.root.toString('base64'),
        witness: w.name,
        keyId: w.keyId.toString('hex'),
        signedAt: c.timestamp,
        line: c.line,
        receivedAt: this.deps.clock(),
      };
      await this.deps.store.putCosignature(record);
      found.push(record);
    }
    if (found.length === 0) {
      throw new AppError('validation', 'no valid cosignature by a witness this log knows');
    }
    return found;
  }

  /** The largest checkpoint witnesses cosigned, with their cosignature lines; null if none. */
  async cosignedCheckpoint(): Promise<string | null> {
    const rows = await this.deps.store.latestCosignatures();
    const first = rows[0];
    if (!first) return null;
    const note = signCheckpoint(this.signer, first.size, Buffer.from(first.root, 'base64'));
    return note + rows.map((r) => r.line).join('');
  }

  /**
   * `veto audit verify --checkpoint FILE --witness KEY`: checks the log against checkpoints
   * kept outside the database. Each file must be signed by one of this log's keys (current or
   * previous); each witness key needs at least one checkpoint it cosigned, from the files or
   * from the cosignatures stored here (fail closed: an operator who deletes them is caught too).
   * The log is then recomputed from the events, and the stored tiles checked against it.
   */
  async auditAgainst(
    files: readonly { source: string; note: string }[],
    witnessKeys: readonly string[],
  ): Promise<{ problems: string[]; confirmed: string[] }> {
    const problems: string[] = [];
    const opened: { source: string; cp: OpenedCheckpoint }[] = [];
    for (const f of files) {
      try {
        opened.push({ source: f.source, cp: openCheckpoint(f.note, this.logKeys) });
      } catch (err) {
        if (!(err instanceof NoteError)) throw err;
        problems.push(`${f.source}: not a checkpoint of this log: ${err.message}`);
      }
    }
    const kept: KeptCheckpoint[] = opened.map(({ source, cp }) => ({
      source: `checkpoint ${source}`,
      size: cp.size,
      root: cp.root,
    }));
    if (witnessKeys.length > 0) {
      const stored = await this.cosignedCheckpoint();
      const candidates = [...opened];
      if (stored) {
        try {
          candidates.push({ source: 'stored', cp: openCheckpoint(stored, this.logKeys) });
        } catch (err) {
          if (!(err instanceof NoteError)) throw err;
        }
      }
      for (const key of witnessKeys) {
        let w: Verifier;
        try {
          w = parseVerifier(key);
        } catch (err) {
          if (!(err instanceof NoteError)) throw err;
          problems.push(`--witness ${key.slice(0, 40)}: ${err.message}`);
          continue;
        }
        const cosigned = candidates.filter((c) => validCosignature(c.cp.note, w));
        if (cosigned.length === 0) {
          problems.push(
            `witness ${w.name}: no checkpoint it cosigned, neither in the files given nor stored in the registry`,
          );
        }
        for (const c of cosigned) {
          kept.push({
            source: `cosigned by ${w.name} (${c.source === 'stored' ? 'stored' : c.source})`,
            size: c.cp.size,
            root: c.cp.root,
          });
        }
      }
    }
    const audit = await auditLogAgainst(this.deps.store.readEvents(), kept);
    problems.push(...audit.problems);
    // The tiles serve every proof: they must describe the events, not some other history.
    let tilesRoot: Uint8Array | null = null;
    try {
      tilesRoot = (await this.log.treeHead(audit.size)).root;
    } catch {
      tilesRoot = null;
    }
    if (!tilesRoot || !Buffer.from(tilesRoot).equals(Buffer.from(audit.root))) {
      problems.push(
        `the stored tiles do not match the events: proofs served at size ${audit.size} would be wrong`,
      );
    }
    return { problems, confirmed: audit.confirmed };
  }

  /**
   * A dataset's `dataset.sealed` event with its inclusion proof in the latest checkpoint: the
   * commitments the log holds for it. Nothing personal is in it; 404 for a dataset never sealed.
   */
  async sealedEventOf(datasetId: string): Promise<SealedEventProof> {
    const event = await this.deps.store.datasetSealedEvent(datasetId);
    if (!event) throw new AppError('not-found', `no dataset.sealed event for ${datasetId}`);
    const cp = await this.checkpoint();
    const proof = await this.inclusionProof(event.seq - 1, cp.size);
    return sealedEventProof({
      datasetId,
      event,
      checkpoint: cp.note,
      inclusion: proof.hashes,
      logKey: this.signer.vkey,
    });
  }

  /**
   * The proof for an objection's receipt: its recording event, the latest checkpoint and the
   * event's inclusion proof in it. The caller checks the objection is the person's own.
   */
  async receiptProofOf(objectionId: string): Promise<ReceiptProof> {
    const events = await this.deps.store.eventsOfObjections([objectionId]);
    const event = events.find((e) => e.type === 'objection.recorded');
    if (!event) throw new AppError('not-found', 'no recorded event for this objection');
    const cp = await this.checkpoint();
    const proof = await this.inclusionProof(event.seq - 1, cp.size);
    return receiptProof({
      event,
      checkpoint: cp.note,
      inclusion: proof.hashes,
      logKey: this.signer.vkey,
    });
  }
}
