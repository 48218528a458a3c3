import type { DatasetManifest } from './manifest.ts';
import { REASONS } from './reasons.ts';

/**
 * A dataset card for downstream users: Croissant (MLCommons, 1.0) metadata with its
 * Responsible-AI fields (Croissant RAI 1.0), from a sealed dataset's manifest. The data file is
 * named with its sha256; the RAI fields say how the content was collected, what was left out
 * and why (objections, minors, private messages, notice period), what personal data it may
 * still hold, and how removals after the build reach its users.
 */
export function croissantMetadata(
  manifest: DatasetManifest,
  context: { platformName: string; publicUrl: string },
): Record<string, unknown> {
  const left = REASONS.filter((r) => r !== 'kept' && (manifest.counts[r] ?? 0) > 0).map(
    (r) => `${r}: ${manifest.counts[r]}`,
  );
  const mime = manifest.output.format === 'parquet' ? 'application/x-parquet' : 'application/jsonl';
  return {
    '@context': {
      '@language': 'en',
      '@vocab': 'https://schema.org/',
      cr: 'http://mlcommons.org/croissant/',
      rai: 'http://mlcommons.org/croissant/RAI/',
      dct: 'http://purl.org/dc/terms/',
      sc: 'https://schema.org/',
      conformsTo: 'dct:conformsTo',
      citeAs: 'cr:citeAs',
      recordSet: 'cr:recordSet',
      field: 'cr:field',
    },
    '@type': 'sc:Dataset',
    conformsTo: ['http://mlcommons.org/croissant/1.0', 'http://mlcommons.org/croissant/RAI/1.0'],
    name: manifest.datasetId,
    description: `Content published by users of ${context.platformName}, selected for the purpose "${manifest.purpose}" by the policy "${manifest.policy.title}" and checked against the registry of objections (Veto). ${manifest.counts.kept ?? 0} of ${manifest.records} records kept.`,
    url: context.publicUrl,
    datePublished: manifest.finishedAt,
    // The languages of at least 1 % of the manifest's sample (an estimate; see the manifest).
    ...(manifest.languages?.sampled
      ? {
          inLanguage: manifest.languages.languages
            .filter((l) => l.records * 100 >= manifest.languages!.sampled)
            .map((l) => l.language),
        }
      : {}),
    version: manifest.datasetId,
    distribution: [
      {
        '@type': 'cr:FileObject',
        '@id': manifest.files.data,
        name: manifest.files.data,
        contentUrl: manifest.files.data,
        encodingFormat: mime,
        sha256: manifest.output.sha256,
        contentSize: `${manifest.output.bytes} B`,
      },
    ],
    'rai:dataCollection': `Posts and comments that users of ${context.platformName} published, exported by the platform and filtered record by record by the dataset gate (policy ${manifest.policy.id}, sha256 ${manifest.policy.sha256}).`,
    'rai:dataCollectionType': ['Secondary data: user-generated content of an online platform'],
    'rai:dataCollectionTimeframe': [manifest.snapshot.asOf, manifest.finishedAt],
    'rai:dataPreprocessingProtocol': [
      `Records of people who objected (GDPR Art. 21) at the cut-off ${manifest.snapshot.asOf} (objector snapshot ${manifest.snapshot.id}, sha256 ${manifest.snapshot.sha256}) were left out, with records mentioning or showing them where the policy says so; objections received later were checked again before sealing (${manifest.recheck.lateObjectors} late objector(s), ${manifest.recheck.removedRecords} record(s) removed).`,
      `Records left out by reason: ${left.length ? left.join(', ') : 'none'}.`,
      `Identifiers of third parties redacted (${manifest.redaction.mode}; categories: ${manifest.redaction.categories.join(', ') || 'none'}); ${manifest.redactedRecords} record(s) changed.`,
    ],
    'rai:personalSensitiveInformation': [
      'Public posts of users who did not object: they may name, show or describe people. Private messages and content of minors are excluded by the policy where it says so; identifiers of third parties are redacted as listed in the preprocessing protocol.',
    ],
    'rai:dataUseCases': [`Training of AI models for the purpose "${manifest.purpose}" only.`],
    'rai:dataLimitations': [
      'Content of people who objected is absent, which can under-represent some groups; a record is judged alone, so context across posts is lost.',
    ],
    'rai:dataReleaseMaintenancePlan': [
      `People may object after the build: each removal is sent to the registered recipients of this dataset version (Standard Webhooks or NATS JetStream), and the next version (${manifest.datasetId}.v2, ...) is built without the removed items. Users of this data must apply every removal they receive.`,
    ],
  };
}
