import { AppError } from '../domain/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { CosignatureRecord, RegistryStore } from '../store/registry-store.ts';
import { openCheckpoint, signCheckpoint } from './checkpoint.ts';
import {
  type NoteError,
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
}
