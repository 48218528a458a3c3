import { openCheckpoint } from './checkpoint.ts';
import { verifyConsistency } from './merkle.ts';
import { cosignatureLine, NoteError, type Signer, type Verifier } from './signed-note.ts';

/** What a witness needs from the log it watches (over HTTP for `veto witness`). */
export interface WatchedLog {
  checkpoint(): Promise<string>;
  consistencyProof(from: number, to: number): Promise<Uint8Array[]>;
}

export interface Cosigned {
  /** The checkpoint with this witness's cosignature line added: the next state, and what it submits. */
  note: string;
  size: number;
  /** The size of the checkpoint it last cosigned (null the first time). */
  previousSize: number | null;
}

/**
 * One round of a witness (C2SP tlog-witness, run by a third party with its own key): take the
 * log's latest checkpoint, check it is signed by a pinned log key, check it extends the last
 * checkpoint this witness cosigned (its state) by a consistency proof, and only then cosign it
 * (C2SP tlog-cosignature/v1). A log that shrank, or whose history differs from what was
 * cosigned, gets no cosignature: that refusal is the witness's whole point. Throws NoteError.
 */
export async function witnessRound(deps: {
  log: WatchedLog;
  logKeys: readonly Verifier[];
  witness: Signer;
  /** The last checkpoint this witness cosigned, as it kept it; null on the first run. */
  state: string | null;
  now: () => number;
}): Promise<Cosigned> {
  const { log, logKeys, witness } = deps;
  const previous = deps.state === null ? null : openCheckpoint(deps.state, logKeys);
  const latest = openCheckpoint(await log.checkpoint(), logKeys);
  if (previous) {
    if (latest.origin !== previous.origin) {
      throw new NoteError(
        `the log's origin changed from ${previous.origin} to ${latest.origin}: not the log this witness watches`,
      );
    }
    if (latest.size < previous.size) {
      throw new NoteError(
        `the log shrank: it now shows ${latest.size} entries, this witness cosigned ${previous.size}; refusing to cosign`,
      );
    }
    const proof =
      latest.size === previous.size ? [] : await log.consistencyProof(previous.size, latest.size);
    if (!verifyConsistency(previous.size, latest.size, previous.root, latest.root, proof)) {
      throw new NoteError(
        `the log at size ${latest.size} does not extend the checkpoint this witness cosigned at size ${previous.size}: its history was rewritten; refusing to cosign`,
      );
    }
  }
  const text = latest.note.text;
  const logLines = latest.note.signatures.filter((s) =>
    logKeys.some((k) => k.name === s.name && k.keyId.equals(s.keyId)),
  );
  const line = cosignatureLine(witness, text, Math.floor(deps.now() / 1000));
  return {
    note: `${text}\n${logLines.map((s) => s.line).join('')}${line}`,
    size: latest.size,
    previousSize: previous?.size ?? null,
  };
}

/** The log's public endpoints (src/http/api/transparency-routes.ts) as a `WatchedLog`. */
export function httpWatchedLog(baseUrl: string): WatchedLog {
  const base = baseUrl.replace(/\/+$/, '');
  const get = async (path: string): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`);
    } catch (err) {
      throw new NoteError(`GET ${base}${path}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new NoteError(`GET ${base}${path}: HTTP ${res.status}`);
    return res;
  };
  return {
    checkpoint: async () => (await get('/v1/transparency/checkpoint')).text(),
    async consistencyProof(from, to) {
      const body = (await (
        await get(`/v1/transparency/proof/consistency?from=${from}&to=${to}`)
      ).json()) as { hashes?: unknown };
      if (!Array.isArray(body.hashes) || body.hashes.some((h) => typeof h !== 'string')) {
        throw new NoteError('the consistency proof is not a list of base64 hashes');
      }
      return (body.hashes as string[]).map((h) => Buffer.from(h, 'base64'));
    },
  };
}

/** Sends a cosigned checkpoint back to the log, which stores and serves it. */
export async function submitCosignature(baseUrl: string, note: string): Promise<void> {
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/transparency/cosignatures`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: note,
  });
  if (res.status !== 201) {
    throw new NoteError(`POST ${url}: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
}
