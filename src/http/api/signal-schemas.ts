import { z } from 'zod';
import { accountIdSchema } from '../../domain/subjects.ts';

/** `GET /v1/signals/headers`: the outbound "do not train" headers for an account's public pages. */
export const signalHeadersQuery = z.object({
  accountId: accountIdSchema('The platform account whose public pages these are'),
});

export const signalHeadersView = z
  .object({
    accountId: z.string(),
    purpose: z
      .string()
      .describe('The purpose checked (the deployment default, e.g. "ai-training")'),
    objecting: z.boolean().describe('True when an objection to that purpose is effective now'),
    headers: z
      .record(z.string(), z.string())
      .describe(
        'Response headers to add to the account\'s public pages: X-Robots-Tag "noai, noimageai", tdm-reservation "1" (W3C TDMRep) and Content-Usage "train-ai=n" (IETF AIPREF) for an objector; none otherwise',
      ),
  })
  .describe('Outbound "do not train" signals for third-party crawlers');
