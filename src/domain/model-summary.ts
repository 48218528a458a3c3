import type { DatasetManifest } from '../gate/manifest.ts';
import { REASONS } from '../gate/reasons.ts';
import { addCalendarMonths } from '../lib/calendar.ts';
import type { ModelRecord, RemovalRecord } from '../store/removal-store.ts';

/**
 * The parts of the AI Act public summary of training content (Art. 53(1)(d), the Commission's
 * template of July 2025) that a platform's own user data answers, filled from the manifests of
 * the datasets recorded against a model: section 1.3 (modality, volume, period of the user data),
 * 2.4 (data from users of the provider's services), 3.1 (how opt-outs and objections were
 * honoured) and 3.3 (exclusions and the removal history). The other sections are the provider's
 * to write; the summary says so in each (docs/console.md lists them).
 */
export const SUMMARY_UPDATE_MONTHS = 6;
/** How long before the six-monthly update the console and the CLI start reminding. */
export const REMINDER_DAYS = 30;

export interface SummaryInput {
  model: ModelRecord;
  datasets: { manifest: DatasetManifest; recordedAt: string; removals: RemovalRecord[] }[];
  platformName: string;
  controllerName?: string | undefined;
  now: string;
}

export interface UpdateSchedule {
  /** The next date by which the summary is to be brought up to date. */
  dueBy: string;
  /** True from REMINDER_DAYS before `dueBy`. */
  remind: boolean;
}

/** Six-monthly from when the model was recorded (or trained): the next date not yet passed. */
export function updateSchedule(model: ModelRecord, now: string): UpdateSchedule {
  const start = model.trainedAt ?? model.recordedAt;
  let k = 1;
  let dueBy = addCalendarMonths(start, SUMMARY_UPDATE_MONTHS);
  while (dueBy <= now) dueBy = addCalendarMonths(start, SUMMARY_UPDATE_MONTHS * ++k);
  const remind = Date.parse(dueBy) - Date.parse(now) <= REMINDER_DAYS * 86_400_000;
  return { dueBy, remind };
}

const PROVIDER = '_To be written by the provider: Veto does not know this._';

const REASON_WORDS: Record<string, string> = {
  objected: 'the author objected (GDPR Art. 21)',
  'objected-mention': 'a person mentioned or shown in it objected',
  'private-message': 'private messages (always excluded)',
  minor: 'the author is a minor',
  kind: 'a kind of content the policy does not include',
  visibility: 'not public',
  notice: 'the author had not been shown the notice long enough before the build',
  malformed: 'could not be read',
};

/**
 * The kept content's languages over every dataset: each dataset's sample shares scaled to its
 * kept records, then summed (a dataset of 1M records weighs a thousand times one of 1,000).
 */
function languagesLine(manifests: DatasetManifest[]): string {
  const withFigures = manifests.filter((m) => m.languages && m.languages.sampled > 0);
  const missing = manifests.length - withFigures.length;
  if (withFigures.length === 0)
    return manifests.length === 0
      ? 'no dataset recorded.'
      : 'not recorded in the dataset manifests (sealed before languages were recorded); for the provider to give.';
  const estimate = new Map<string, number>();
  let undetermined = 0;
  let total = 0;
  let sampled = 0;
  let fromField = 0;
  for (const m of withFigures) {
    const l = m.languages!;
    const scale = l.records / l.sampled;
    for (const x of l.languages)
      estimate.set(x.language, (estimate.get(x.language) ?? 0) + x.records * scale);
    undetermined += l.undetermined * scale;
    total += l.records;
    sampled += l.sampled;
    fromField += l.fromField;
  }
  const names = new Intl.DisplayNames(['en'], { type: 'language' });
  const pct = (n: number) => `${Math.round((100 * n) / total)} %`;
  const ranked = [...estimate].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = ranked.filter(([, n]) => n * 100 >= total);
  const other = ranked.filter(([, n]) => n * 100 < total).reduce((n, [, v]) => n + v, 0);
  const parts = shown.map(([l, n]) => `${names.of(l) ?? l} ${pct(n)}`);
  if (other > 0) parts.push(`other languages ${pct(other)}`);
  if (undetermined > 0) parts.push(`undetermined ${pct(undetermined)}`);
  const how =
    fromField === sampled
      ? "the export's language field"
      : fromField === 0
        ? `detected from the text (${withFigures[0]!.languages!.detector})`
        : `the export's language field for ${fromField}, detected from the text for the rest`;
  return `${parts.join(', ')} (estimated from ${sampled} sampled records of ${total} kept: ${how})${missing ? `; ${missing} dataset(s) sealed before languages were recorded are not counted` : ''}.`;
}

export function modelSummaryMarkdown(input: SummaryInput): string {
  const { model } = input;
  const schedule = updateSchedule(model, input.now);
  const kept = input.datasets.reduce((n, d) => n + (d.manifest.counts.kept ?? 0), 0);
  const asOf = input.datasets.map((d) => d.manifest.snapshot.asOf).sort();
  const built = input.datasets.map((d) => d.manifest.finishedAt).sort();
  const excluded = new Map<string, number>();
  for (const d of input.datasets)
    for (const reason of REASONS)
      if (reason !== 'kept' && (d.manifest.counts[reason] ?? 0) > 0)
        excluded.set(reason, (excluded.get(reason) ?? 0) + (d.manifest.counts[reason] ?? 0));
  const removals = input.datasets.flatMap((d) => d.removals);
  const items = removals.reduce((n, r) => n + r.itemIds.length, 0);
  const late = input.datasets.reduce((n, d) => n + (d.manifest.recheck.lateObjectors ?? 0), 0);
  const lines = [
    `# Public summary of training content: ${model.name}`,
    '',
    `Sections of the Commission's template filled by Veto from ${input.datasets.length} dataset(s) of ${input.platformName} user content recorded against model \`${model.id}\`; generated ${input.now.slice(0, 10)}. Update due by ${schedule.dueBy.slice(0, 10)} (every ${SUMMARY_UPDATE_MONTHS} months).`,
    '',
    '## 1. General information',
    '',
    '### 1.1 Provider identification',
    '',
    input.controllerName
      ? `Provider (as configured): ${input.controllerName}. ${PROVIDER}`
      : PROVIDER,
    '',
    '### 1.2 Model identification',
    '',
    `Model name as recorded in Veto: ${model.name}${model.trainedAt ? `, trained ${model.trainedAt.slice(0, 10)}` : ''}. ${PROVIDER}`,
    '',
    '### 1.3 Modalities, overall training data size and other characteristics (user data only)',
    '',
    `- Modality: text (posts and comments of ${input.platformName} users).`,
    `- Size: ${kept} records of user content kept after the gate; the token count and the size range are for the provider to give.`,
    `- Period: content as of the objector cut-off${asOf.length ? ` ${asOf[0]!.slice(0, 10)}${asOf.length > 1 ? ` to ${asOf[asOf.length - 1]!.slice(0, 10)}` : ''}` : ''}; datasets sealed ${built.length ? `${built[0]!.slice(0, 10)}${built.length > 1 ? ` to ${built[built.length - 1]!.slice(0, 10)}` : ''}` : '—'}.`,
    `- Languages: ${languagesLine(input.datasets.map((d) => d.manifest))}`,
    '',
    '## 2. List of data sources',
    '',
    '### 2.1 Publicly available datasets',
    '',
    PROVIDER,
    '',
    '### 2.2 Private datasets obtained from third parties',
    '',
    PROVIDER,
    '',
    '### 2.3 Data crawled and scraped from online sources',
    '',
    PROVIDER,
    '',
    '### 2.4 Data from users of the provider’s services',
    '',
    `Yes: content that users published on ${input.platformName}, selected by the policy of each dataset:`,
    '',
    ...input.datasets.map(
      (d) =>
        `- \`${d.manifest.datasetId}\` (purpose ${d.manifest.purpose}, policy “${d.manifest.policy.title}” \`${d.manifest.policy.id}\`): ${d.manifest.counts.kept ?? 0} records kept of ${d.manifest.records}.`,
    ),
    '',
    '### 2.5 Synthetic data',
    '',
    PROVIDER,
    '',
    '### 2.6 Other sources of data',
    '',
    PROVIDER,
    '',
    '## 3. Data processing aspects',
    '',
    '### 3.1 Respect of reservations of rights and of objections',
    '',
    `Every dataset was built against the registry of objections to AI training: a person's objection (GDPR Art. 21) excludes their content, and content mentioning or showing them, from the cut-off on; objections received later were checked again before sealing (${late} late objector(s)), and later ones still are removed from datasets already built and their recipients told. Users were shown the notice before the build (notice period checked per dataset). Where the platform installs Veto's crawler-header middleware, its pages carry a machine-readable reservation against AI training for the whole site, the same for everyone (\`Content-Usage: train-ai=n\`, \`tdm-reservation: 1\`, \`Content-Signal: ai-train=no\`); the provider confirms it is installed.`,
    '',
    'Content excluded, by reason:',
    '',
    ...(excluded.size
      ? [...excluded].map(([r, n]) => `- ${REASON_WORDS[r] ?? r}: ${n} records`)
      : ['- none']),
    '',
    '### 3.2 Removal of illegal content',
    '',
    PROVIDER,
    '',
    '### 3.3 Other information: removal history',
    '',
    `${removals.length} removal(s) recorded since the build, ${items} item(s), for objections received after the datasets were sealed.`,
    '',
  ];
  return `${lines.join('\n')}`;
}
