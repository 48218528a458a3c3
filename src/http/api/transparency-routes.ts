import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../domain/errors.ts';
import { sealedEventProofSchema } from '../../transparency/sealed-event-proof.ts';
import type { Transparency } from '../../transparency/transparency.ts';
import { problemSchema } from './objection-schemas.ts';
import { datasetParams } from './removal-schemas.ts';
import {
  consistencyQuery,
  consistencyView,
  cosignaturesView,
  inclusionQuery,
  inclusionView,
  keysView,
  tileParams,
} from './transparency-schemas.ts';

const NOTE_TYPE = 'text/plain; charset=utf-8';

/**
 * The transparency log's public endpoints (docs/transparency.md): anyone can fetch signed
 * checkpoints, proofs and tiles, and check the registry only ever grew. Nothing here needs a
 * credential, and nothing here reveals an event: leaves are hashes of events whose content
 * only the person concerned receives (their receipt).
 */
export function transparencyRoutes(
  app: FastifyInstance,
  deps: { transparency: Transparency },
): void {
  const { transparency } = deps;
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['transparency'];

  api.get(
    '/v1/transparency/checkpoint',
    {
      schema: {
        tags,
        summary: 'The latest signed checkpoint (C2SP tlog-checkpoint, signed note)',
        produces: ['text/plain'],
      },
    },
    async (_request, reply) => {
      const { note } = await transparency.checkpoint();
      return reply.type(NOTE_TYPE).header('cache-control', 'no-store').send(note);
    },
  );

  api.get(
    '/v1/transparency/cosigned-checkpoint',
    {
      schema: {
        tags,
        summary: 'The largest checkpoint witnesses cosigned, with their cosignatures',
        description: 'Answers 404 (problem+json) until a witness has cosigned.',
        produces: ['text/plain'],
      },
    },
    async (_request, reply) => {
      const note = await transparency.cosignedCheckpoint();
      if (!note) throw new AppError('not-found', 'no witness has cosigned a checkpoint yet');
      return reply.type(NOTE_TYPE).send(note);
    },
  );

  api.get(
    '/v1/transparency/keys',
    {
      schema: {
        tags,
        summary: "The log's verifier keys and its witnesses",
        response: { 200: keysView },
      },
    },
    async () => ({
      origin: transparency.origin,
      log: transparency.signer.vkey,
      previous: transparency.logKeys.slice(1).map((k) => k.vkey),
      witnesses: transparency.witnesses.map((w) => w.vkey),
    }),
  );

  api.get(
    '/v1/transparency/proof/inclusion',
    {
      schema: {
        tags,
        summary: 'Inclusion proof of a leaf in the tree of a given size (RFC 9162 §2.1.3)',
        querystring: inclusionQuery,
        response: { 200: inclusionView, 400: problemSchema },
      },
    },
    async (request) => {
      const { index, size } = request.query;
      return { index, size, ...(await transparency.inclusionProof(index, size)) };
    },
  );

  api.get(
    '/v1/transparency/proof/consistency',
    {
      schema: {
        tags,
        summary: 'Consistency proof between two tree sizes (RFC 9162 §2.1.4)',
        querystring: consistencyQuery,
        response: { 200: consistencyView, 400: problemSchema },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      return { from, to, ...(await transparency.consistencyProof(from, to)) };
    },
  );

  api.get(
    '/v1/datasets/:datasetId/sealed-event',
    {
      schema: {
        tags: ['transparency', 'datasets'],
        summary: "A dataset's dataset.sealed event, with its inclusion proof in the signed log",
        description:
          "The event names the dataset's exclusion commitment (key id, subject count, root) and terms commitment (count, root), its manifest's sha256 and snapshot. Check an exclusion or terms proof against it offline: `veto dataset verify-exclusion PROOF --key KEY --sealed-event FILE`, `veto dataset verify-terms PROOF --sealed-event FILE`. Public: the event holds hashes and counts, nothing about a person. 404 for a dataset not sealed in this registry.",
        params: datasetParams,
        response: { 200: sealedEventProofSchema, 400: problemSchema, 404: problemSchema },
      },
    },
    async (request, reply) => {
      const proof = await transparency.sealedEventOf(request.params.datasetId);
      return reply.header('cache-control', 'no-store').send(proof);
    },
  );

  api.post(
    '/v1/transparency/cosignatures',
    {
      schema: {
        tags,
        summary: "A witness's cosigned checkpoint (C2SP tlog-cosignature/v1), as text",
        description:
          'The body is a checkpoint this log signed with one or more cosignature lines added by witnesses listed in VETO_TRANSPARENCY_WITNESSES. Each valid one is stored and served by GET /v1/transparency/cosigned-checkpoint.',
        consumes: ['text/plain'],
        response: { 201: cosignaturesView, 400: problemSchema, 409: problemSchema },
      },
    },
    async (request, reply) => {
      if (typeof request.body !== 'string') {
        throw new AppError('validation', 'send the cosigned checkpoint as text/plain');
      }
      const stored = await transparency.addCosignatures(request.body);
      return reply
        .code(201)
        .send({ size: stored[0]!.size, witnesses: stored.map((s) => s.witness) });
    },
  );

  api.get(
    '/v1/transparency/tile/:level/*',
    {
      schema: {
        tags,
        summary: 'A tile of the log (C2SP tlog-tiles): concatenated 32-byte hashes',
        description:
          'Full tiles are immutable; a partial tile (.p/W) is the first W hashes. Answers 404 (problem+json) for a tile the log does not have yet.',
        params: tileParams,
        produces: ['application/octet-stream'],
      },
    },
    async (request, reply) => {
      const m = /^((?:x\d{3}\/)*\d{3})(?:\.p\/(\d{1,3}))?$/.exec(request.params['*']);
      if (!m)
        throw new AppError(
          'validation',
          'tile path: expected N in groups of three digits, then .p/W for a partial tile',
        );
      const index = Number(m[1]!.replaceAll('x', '').replaceAll('/', ''));
      const width = m[2] === undefined ? 256 : Number(m[2]);
      if (width < 1 || width > 256) throw new AppError('validation', 'tile width: 1 to 255');
      const bytes = await transparency.tile(request.params.level, index, width);
      if (!bytes) throw new AppError('not-found', 'no such tile (yet)');
      const full = width === 256;
      return reply
        .type('application/octet-stream')
        .header('cache-control', full ? 'public, max-age=31536000, immutable' : 'no-store')
        .send(Buffer.from(bytes));
    },
  );
}
