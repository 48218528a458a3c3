import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { Registry } from '../../domain/registry.ts';
import type { Afterwards } from '../../domain/removals/afterwards.ts';
import { accountIdSchema } from '../../domain/subjects.ts';
import { REFERENCE_PATTERN } from '../../lib/ids.ts';
import { exclusionProofSchema } from '../../transparency/dataset-exclusion.ts';
import { termsProofSchema } from '../../transparency/terms-commitment.ts';
import type { ApiAuthenticator } from '../auth/api-auth.ts';
import { problemSchema } from './objection-schemas.ts';
import { datasetParams } from './removal-schemas.ts';

const errors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  503: problemSchema,
};

const PROOF_DESCRIPTION =
  'A `veto-exclusion-proof/v1` (docs/transparency.md "Am I in this dataset? A proof"): the VRF proof for the ' +
  "account's key in this dataset and either its leaf (`included`) or the two adjacent leaves around it " +
  "(`not-included`), against the dataset's committed root and subject count. Served as its canonical text: " +
  'save it unchanged and check it offline with `veto dataset exclusion-proof verify FILE --key KEY`.';

/** The proof's canonical text as it is: any re-serialisation would change the bytes it is checked as. */
function sendProof(reply: FastifyReply, text: string, datasetId: string, kind = 'exclusion') {
  return reply
    .type('application/json')
    .header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="${kind}-proof-${datasetId}.json"`)
    .serializer((payload: unknown) => payload as string)
    .send(text);
}

/**
 * Exclusion proofs: the public VRF key; a person's proof for their own account (user token); the
 * platform's proof for any account (API key or admin key).
 */
export function exclusionRoutes(
  app: FastifyInstance,
  deps: { registry: Registry; afterwards: Afterwards; auth: ApiAuthenticator },
): void {
  const { registry, afterwards, auth } = deps;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/transparency/exclusion-key',
    {
      schema: {
        tags: ['transparency'],
        summary: 'The VRF public key that commits who is in each dataset',
        description:
          'RSA-FDH-VRF-SHA256 (RFC 9381 §4). `keyId` (hex SHA-256 of the SubjectPublicKeyInfo) is named in every manifest commitment and proof.',
        response: {
          200: z.object({ suite: z.string(), keyId: z.string(), publicKey: z.string() }),
          503: problemSchema,
        },
      },
    },
    async () => afterwards.exclusionKey(),
  );

  r.get(
    '/v1/me/datasets/:datasetId/exclusion-proof',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Proof that my account is, or is not, in a dataset',
        description: `${PROOF_DESCRIPTION} Only ever for the caller's own account.`,
        security: [{ userToken: [] }],
        params: datasetParams,
        response: { 200: exclusionProofSchema, ...errors },
      },
    },
    async (request, reply) => {
      const caller = await auth.authenticate(request);
      if (caller.kind !== 'user')
        throw new AppError('forbidden', "this endpoint needs the person's own platform token");
      const key = registry.subjectKey({ kind: 'account', accountId: caller.session.accountId });
      const { datasetId } = request.params;
      return sendProof(reply, await afterwards.exclusionProof(datasetId, key), datasetId);
    },
  );

  r.get(
    '/v1/datasets/:datasetId/exclusion-proof',
    {
      schema: {
        tags: ['datasets'],
        summary: "Proof that an account is, or is not, in a dataset (the platform's request)",
        description: `${PROOF_DESCRIPTION} For the platform, to answer a person through its own product.`,
        security: [{ apiKey: [] }, { adminKey: [] }],
        params: datasetParams,
        querystring: z.object({ accountId: accountIdSchema('The platform account id') }),
        response: { 200: exclusionProofSchema, ...errors },
      },
    },
    async (request, reply) => {
      const caller = await auth.authenticate(request);
      if (caller.kind === 'user')
        throw new AppError(
          'forbidden',
          "a person's token gets their own proof at /v1/me/datasets/{datasetId}/exclusion-proof",
        );
      const key = registry.subjectKey({ kind: 'account', accountId: request.query.accountId });
      const { datasetId } = request.params;
      return sendProof(reply, await afterwards.exclusionProof(datasetId, key), datasetId);
    },
  );

  r.get(
    '/v1/receipts/:reference/terms-proof/:datasetId',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Proof that a terms objection (no account) was applied by a dataset’s redaction',
        description:
          "A `veto-terms-proof/v1` (docs/transparency.md \"Terms objections applied\"): the objection's blind and leaf in the dataset's terms commitment, against its committed root and count. It shows the terms were among those the gate's redaction applied to this dataset, not that no text anywhere names the person. For the person, with the status token of their receipt (`t`, as in the status link); or for the platform (API key, admin key). Served as its canonical text: save it unchanged and check it offline with `veto dataset verify-terms FILE --manifest manifest.json`. 404 when the dataset has no terms commitment or did not apply this objection.",
        security: [{}, { apiKey: [] }, { adminKey: [] }],
        params: datasetParams.extend({
          reference: z
            .string()
            .transform((v) => v.trim().toUpperCase())
            .pipe(z.string().regex(REFERENCE_PATTERN, 'a receipt reference, VT-XXXX-XXXX-XXXX'))
            .describe('The receipt reference'),
        }),
        querystring: z.object({
          t: z.string().max(200).optional().describe("The status token of the receipt's link"),
        }),
        response: { 200: termsProofSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { reference, datasetId } = request.params;
      const objection = await registry.getByReference(reference);
      const token = request.query.t;
      if (token !== undefined) {
        // The same answer for "no such receipt" and "not your token": nobody learns of others'.
        if (!objection || !registry.checkStatusToken(objection, token))
          throw new AppError('not-found', 'no such receipt');
      } else {
        const caller = await auth.authenticate(request);
        if (caller.kind === 'user')
          throw new AppError(
            'forbidden',
            "a person's proof is asked with their receipt's status token (t), or by the platform",
          );
        if (!objection) throw new AppError('not-found', 'no such receipt');
      }
      if (objection.subjectKind !== 'non-user')
        throw new AppError(
          'not-found',
          'terms proofs are for objections made without an account (an account has exclusion proofs)',
        );
      return sendProof(
        reply,
        await afterwards.termsProof(datasetId, objection.reference),
        datasetId,
        'terms',
      );
    },
  );
}
