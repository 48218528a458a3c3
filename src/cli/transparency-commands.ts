import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DatasetManifest } from '../gate/manifest.ts';
import { verifyExclusionProof } from '../transparency/dataset-exclusion.ts';
import { verifyReceiptProof } from '../transparency/receipt-proof.ts';
import { parseVrfPublicKey, VrfKeyError, type VrfPublicKey } from '../transparency/rsa-fdh-vrf.ts';
import {
  loggedExclusion,
  loggedTerms,
  verifySealedEventProof,
} from '../transparency/sealed-event-proof.ts';
import {
  COSIGNATURE_V1,
  generateSigner,
  NoteError,
  parseSigner,
  parseVerifier,
} from '../transparency/signed-note.ts';
import { verifyTermsProof } from '../transparency/terms-commitment.ts';
import { httpWatchedLog, submitCosignature, witnessRound } from '../transparency/witness.ts';
import { type Command, defineCommand, UsageError } from './command.ts';

/** A key given inline or as a file holding it. */
function keyArgument(option: string, value: string): string {
  if (!existsSync(value)) return value.trim();
  try {
    return readFileSync(value, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`${option} ${value}: ${(err as Error).message}`);
  }
}

/**
 * The witness side of the transparency log (docs/transparency.md): commands a third party (a
 * data-protection authority, an NGO) runs with its own key, needing nothing of the registry's
 * configuration, only its public URL and its log key.
 */
export const transparencyCommands: Command[] = [
  defineCommand({
    name: 'witness',
    synopsis: '--log URL --log-key KEY --key FILE --state FILE [--submit]',
    summary: "cosign the registry's checkpoint if it extends the last one cosigned",
    details: `  --log URL           the registry's public URL (its /v1/transparency endpoints)
  --log-key KEY       the log's verifier key (or a file holding it); repeat for rotated keys
  --key FILE          this witness's signing key (veto witness keygen writes one)
  --state FILE        the last checkpoint this witness cosigned; created on the first run,
                      replaced only after the new checkpoint is proven to extend it
  --submit            also send the cosigned checkpoint to the registry, which serves it

  Prints the cosigned checkpoint. Exits 1 without cosigning if the log shrank or its history
  differs from what was cosigned before.`,
    options: {
      log: { type: 'string' },
      'log-key': { type: 'string', multiple: true },
      key: { type: 'string' },
      state: { type: 'string' },
      submit: { type: 'boolean' },
    },
    async run({ values }) {
      const { log, key, state } = values;
      const logKeyArgs = values['log-key'] ?? [];
      if (!log || !key || !state || logKeyArgs.length === 0) {
        throw new UsageError('--log, --log-key, --key and --state are required');
      }
      let witness: ReturnType<typeof parseSigner>;
      let logKeys: ReturnType<typeof parseVerifier>[];
      try {
        witness = parseSigner(keyArgument('--key', key));
        logKeys = logKeyArgs.map((k) => parseVerifier(keyArgument('--log-key', k)));
      } catch (err) {
        if (err instanceof NoteError) throw new UsageError(err.message);
        throw err;
      }
      if (witness.type !== COSIGNATURE_V1) {
        throw new UsageError('--key: a witness key has type 0x04 (veto witness keygen makes one)');
      }
      const previous = existsSync(state) ? readFileSync(state, 'utf8') : null;
      try {
        const cosigned = await witnessRound({
          log: httpWatchedLog(log),
          logKeys,
          witness,
          state: previous,
          now: Date.now,
        });
        // Replace the state only now, and atomically: a crash never leaves half a checkpoint.
        writeFileSync(`${state}.tmp`, cosigned.note);
        renameSync(`${state}.tmp`, state);
        process.stdout.write(cosigned.note);
        const from =
          cosigned.previousSize === null
            ? 'first checkpoint'
            : `consistent with ${cosigned.previousSize}`;
        console.error(`cosigned size ${cosigned.size} (${from})`);
        if (values.submit) {
          await submitCosignature(log, cosigned.note);
          console.error('submitted to the registry');
        }
        return 0;
      } catch (err) {
        if (!(err instanceof NoteError)) throw err;
        console.error(`veto witness: REFUSED: ${err.message}`);
        return 1;
      }
    },
  }),

  defineCommand({
    name: 'witness keygen',
    synopsis: 'NAME --key FILE',
    summary: "make a witness's cosigning key; prints the verifier key to give the registry",
    details: `  NAME                the witness's name, e.g. witness.dpa.example (no spaces or "+")
  --key FILE          where to write the secret key (never overwritten)`,
    options: { key: { type: 'string' } },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }) {
      if (!values.key) throw new UsageError('--key FILE is required');
      if (existsSync(values.key)) throw new UsageError(`--key ${values.key}: already exists`);
      let signer: ReturnType<typeof generateSigner>;
      try {
        signer = generateSigner(positionals[0]!, COSIGNATURE_V1);
      } catch (err) {
        if (err instanceof NoteError) throw new UsageError(err.message);
        throw err;
      }
      writeFileSync(values.key, `${signer.skey}\n`, { mode: 0o600, flag: 'wx' });
      console.log(signer.vkey);
      return 0;
    },
  }),

  defineCommand({
    name: 'receipt verify',
    synopsis: 'FILE [--log-key KEY]...',
    summary: "check a receipt's proof offline: the objection is in the registry's log",
    details: `  FILE                the proof saved from the receipt (GET /v1/objections/{id}/proof)
  --log-key KEY       the log's verifier key as the registry publishes it (or a file holding
                      it); repeat for rotated keys. Without it the key in the receipt is used,
                      and the result says so

  Needs no network and no access to the registry. Exits 1 if the proof does not hold.`,
    options: { 'log-key': { type: 'string', multiple: true } },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }) {
      const file = positionals[0]!;
      let input: unknown;
      try {
        input = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new UsageError(`${file}: ${(err as Error).message}`);
      }
      const keys = (values['log-key'] ?? []).map((k) => keyArgument('--log-key', k));
      const check = verifyReceiptProof(input, keys);
      if (check.ok) {
        for (const line of check.lines) console.log(line);
        console.log('receipt proof OK');
        return 0;
      }
      for (const line of check.lines) console.error(line);
      console.error('receipt proof FAILED');
      return 1;
    },
  }),

  defineCommand({
    name: 'dataset verify-exclusion',
    synopsis:
      'FILE --key KEY [--manifest FILE] [--sealed-event FILE [--log-key KEY]...] [--expect included|not-included]',
    summary: 'check offline that an account is, or is not, in a dataset',
    details: `  FILE                the proof as served (GET /v1/me/datasets/{id}/exclusion-proof, or the
                      portal's "Am I in the dataset?" page), unchanged
  --key KEY           the deployment's VRF public key: a PEM file, the PEM itself, or the JSON
                      of GET /v1/transparency/exclusion-key
  --manifest FILE     the dataset's manifest.json: the proof must be against its commitment
  --sealed-event FILE the dataset's sealed event (GET /v1/datasets/{id}/sealed-event): the
                      proof's root must be the one the transparency log holds for the dataset,
                      and the event must be in the log's signed checkpoint
  --log-key KEY       the log's verifier key (or a file holding it), for --sealed-event; repeat
                      for rotated keys. Without it the key written in the file is used, and the
                      output says so
  --expect RESULT     also fail unless the proof shows this result

  Prints IN or NOT IN and what was checked. Needs no network and no access to the registry.
  Exits 0 when the proof holds, 1 when it does not.`,
    options: {
      key: { type: 'string' },
      manifest: { type: 'string' },
      'sealed-event': { type: 'string' },
      'log-key': { type: 'string', multiple: true },
      expect: { type: 'string' },
    },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }) {
      const file = positionals[0]!;
      if (!values.key) throw new UsageError('--key is required');
      const expect = values.expect;
      if (expect !== undefined && expect !== 'included' && expect !== 'not-included')
        throw new UsageError('--expect: included or not-included');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`${file}: ${(err as Error).message}`);
      }
      let key: VrfPublicKey;
      try {
        let keyText = keyArgument('--key', values.key);
        if (keyText.startsWith('{')) keyText = String(JSON.parse(keyText).publicKey ?? '');
        key = parseVrfPublicKey(keyText);
      } catch (err) {
        if (err instanceof VrfKeyError || err instanceof SyntaxError)
          throw new UsageError(`--key: ${err.message}`);
        throw err;
      }
      let expected: Parameters<typeof verifyExclusionProof>[2];
      if (values.manifest) {
        const manifest = manifestOption(values.manifest);
        if (!manifest.exclusion) {
          console.error(`--manifest ${values.manifest}: the dataset has no exclusion commitment`);
          console.error('exclusion proof FAILED');
          return 1;
        }
        expected = { datasetId: manifest.datasetId, commitment: manifest.exclusion };
      }
      if (values['log-key'] && !values['sealed-event'])
        throw new UsageError('--log-key is for --sealed-event');
      const check = verifyExclusionProof(text, key, expected);
      if (check.ok && values['sealed-event']) {
        const sealed = sealedEventCheck(
          values['sealed-event'],
          (values['log-key'] ?? []).map((k) => keyArgument('--log-key', k)),
          JSON.parse(text) as { datasetId: string; commitment: { root: string; count: number } },
        );
        check.lines.push(...sealed.lines);
        if (!sealed.ok) check.ok = false;
      }
      if (check.ok && (expect === undefined || check.result === expect)) {
        for (const line of check.lines) console.log(line);
        console.log(
          `exclusion proof OK: ${check.result === 'included' ? 'IN' : 'NOT IN'} the dataset`,
        );
        return 0;
      }
      for (const line of check.lines) console.error(line);
      if (check.ok) console.error(`the proof shows ${check.result}, not ${expect}`);
      console.error('exclusion proof FAILED');
      return 1;
    },
  }),

  defineCommand({
    name: 'dataset verify-terms',
    synopsis: 'FILE [--manifest FILE] [--sealed-event FILE [--log-key KEY]...]',
    summary: "check offline that a terms objection was applied by a dataset's redaction",
    details: `  FILE                the proof as served (the receipt's "terms applied" page, or
                      GET /v1/receipts/{reference}/terms-proof/{id}), unchanged
  --manifest FILE     the dataset's manifest.json: the proof must be against its commitment
  --sealed-event FILE the dataset's sealed event (GET /v1/datasets/{id}/sealed-event): the
                      proof's root must be the one the transparency log holds for the dataset
  --log-key KEY       the log's verifier key (or a file holding it), for --sealed-event; repeat
                      for rotated keys. Without it the key written in the file is used

  Prints APPLIED and what was checked: the terms objection with this receipt reference was among
  those the gate's redaction applied to the dataset (not that no text anywhere names you; see
  docs/transparency.md). Needs no network. Exits 0 when the proof holds, 1 when it does not.`,
    options: {
      manifest: { type: 'string' },
      'sealed-event': { type: 'string' },
      'log-key': { type: 'string', multiple: true },
    },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals }) {
      const file = positionals[0]!;
      if (values['log-key'] && !values['sealed-event'])
        throw new UsageError('--log-key is for --sealed-event');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`${file}: ${(err as Error).message}`);
      }
      let expected: Parameters<typeof verifyTermsProof>[1];
      if (values.manifest) {
        const manifest = manifestOption(values.manifest);
        if (!manifest.terms) {
          console.error(`--manifest ${values.manifest}: the dataset has no terms commitment`);
          console.error('terms proof FAILED');
          return 1;
        }
        expected = { datasetId: manifest.datasetId, commitment: manifest.terms };
      }
      const check = verifyTermsProof(text, expected);
      if (check.ok && values['sealed-event']) {
        const sealed = sealedEventCheck(
          values['sealed-event'],
          (values['log-key'] ?? []).map((k) => keyArgument('--log-key', k)),
          JSON.parse(text) as { datasetId: string; commitment: { root: string; count: number } },
          'terms',
          (data) => loggedTerms(data),
        );
        check.lines.push(...sealed.lines);
        if (!sealed.ok) check.ok = false;
      }
      if (check.ok) {
        for (const line of check.lines) console.log(line);
        console.log('terms proof OK: APPLIED by the dataset’s redaction');
        return 0;
      }
      for (const line of check.lines) console.error(line);
      console.error('terms proof FAILED');
      return 1;
    },
  }),
];

/**
 * An exclusion (or terms) proof's commitment against the dataset's `dataset.sealed` event in the
 * log: the event is the dataset's and in the signed checkpoint, and it names the same root and
 * count as the proof.
 */
export function sealedEventCheck(
  file: string,
  logKeys: string[],
  proof: { datasetId: string; commitment: { root: string; count: number } },
  field: 'exclusion' | 'terms' = 'exclusion',
  logged: (data: Record<string, unknown>) => { root: string; count: number } | undefined = (data) =>
    loggedExclusion(data),
): { ok: boolean; lines: string[] } {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--sealed-event ${file}: ${(err as Error).message}`);
  }
  const event = verifySealedEventProof(input, logKeys, proof.datasetId);
  if (!event.ok || !event.event) return { ok: false, lines: event.lines };
  const c = logged(event.event.data);
  if (!c) {
    return {
      ok: false,
      lines: [
        ...event.lines,
        `sealed event: the log's event #${event.event.seq} names no ${field} commitment for ${proof.datasetId}`,
      ],
    };
  }
  if (c.root !== proof.commitment.root || c.count !== proof.commitment.count) {
    return {
      ok: false,
      lines: [
        ...event.lines,
        `sealed event: the proof's root ${proof.commitment.root} (${proof.commitment.count}) is not the one the log holds for ${proof.datasetId}: ${c.root} (${c.count})`,
      ],
    };
  }
  return {
    ok: true,
    lines: [
      ...event.lines,
      `the proof's root is the one the log's dataset.sealed event #${event.event.seq} holds (${c.root}, ${c.count})`,
    ],
  };
}

/** `--manifest FILE`: a dataset's manifest.json, or a usage error naming the file and why. */
function manifestOption(file: string): DatasetManifest {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DatasetManifest;
  } catch (err) {
    throw new UsageError(`--manifest ${file}: ${(err as Error).message}`);
  }
}
