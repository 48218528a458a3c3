import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type LoadedPolicy, loadPolicy } from '../gate/policy.ts';
import { printableHtml } from '../lib/printable-markdown.ts';
import type { NoticeVersion } from './notices/notice-types.ts';

/**
 * The record of processing activities (GDPR Art. 30(1)) for the AI-training purpose, generated
 * from the deployment's configuration, its dataset policies and the notice people were shown:
 * controller, purposes and legal basis, categories of people and of data, recipients,
 * transfers, retention and safeguards. Printed as Markdown and as printable HTML; each version
 * that differs from the last is kept (`<data dir>/records/art30/`), never overwritten.
 */
export interface Art30Input {
  config: {
    platformName: string;
    controllerName?: string | undefined;
    controllerContact?: string | undefined;
    dpoContact?: string | undefined;
    recipients?: string | undefined;
    retentionMonths?: number | undefined;
    supervisoryAuthority?: string | undefined;
    purposes: string[];
  };
  policies: LoadedPolicy[];
  notice: NoticeVersion | undefined;
}

const MISSING = '_Not configured: the controller must complete this._';
const or = (v: string | number | undefined) => (v === undefined || v === '' ? MISSING : String(v));

export function art30Markdown(input: Art30Input): string {
  const { config, policies, notice } = input;
  const lines: string[] = [
    `# Record of processing activities (GDPR Art. 30(1)): AI training at ${config.platformName}`,
    '',
    '## 1. Controller',
    '',
    `- Controller: ${or(config.controllerName)}`,
    `- Contact: ${or(config.controllerContact)}`,
    `- Data protection officer: ${or(config.dpoContact)}`,
    `- Supervisory authority: ${or(config.supervisoryAuthority)}`,
    '',
    '## 2. Purposes and legal basis',
    '',
    `Purposes people can object to in the registry: ${config.purposes.join(', ')}.`,
    '',
    ...(policies.length
      ? policies.flatMap((p) => [
          `- **${p.policy.title}** (policy \`${p.policy.id}\`, sha256 \`${p.sha256.slice(0, 16)}…\`): purpose \`${p.policy.purpose}\`; legal basis ${p.policy.legalBasis.article}. ${p.policy.legalBasis.interest ?? ''}`.trimEnd(),
        ])
      : [`- ${MISSING} (no dataset policy given)`]),
    '',
    '## 3. Categories of data subjects',
    '',
    `- Users of ${config.platformName} whose content the policies include${policies.some((p) => p.policy.minors.excludeAccounts) ? ` (accounts under ${Math.min(...policies.map((p) => p.policy.minors.adultAge))} excluded)` : ''}.`,
    '- People mentioned, named or shown in that content, with or without an account (third parties).',
    '',
    '## 4. Categories of personal data',
    '',
    ...policies.map(
      (p) =>
        `- \`${p.policy.id}\`: content kinds ${p.policy.content.kinds.join(', ')}; audiences ${p.policy.content.audiences.join(', ')}; special categories ${p.policy.sensitive.exclude ? 'excluded' : 'included'}; third parties' identifiers ${p.policy.redaction.enabled ? `redacted (${p.policy.redaction.categories.join(', ')})` : 'not redacted'}.`,
    ),
    ...(policies.length ? [] : [`- ${MISSING}`]),
    '',
    '## 5. Recipients',
    '',
    `- ${or(config.recipients)}`,
    '',
    '## 6. Transfers to third countries',
    '',
    `- None recorded in Veto's configuration. ${MISSING.replace(/_/g, '')} State any transfer and its safeguard (GDPR Art. 46) here.`,
    '',
    '## 7. Retention',
    '',
    `- Training datasets: ${config.retentionMonths ? `${config.retentionMonths} months, then deleted` : MISSING}.`,
    '- The objection registry: kept while the processing lasts, so that an objection keeps its effect on later datasets.',
    '',
    '## 8. Safeguards (GDPR Art. 32 and the balancing of interests)',
    '',
    '- An unconditional right to object before and after training, honoured at the dataset gate (objector snapshot at the cut-off, re-checked before sealing) and by removals sent to every recipient after the build.',
    ...policies.map(
      (p) =>
        `- \`${p.policy.id}\`: notice at least ${p.policy.notice.minimumDays} days before the processing (notice version ${p.policy.notice.version}); minors' accounts ${p.policy.minors.excludeAccounts ? 'excluded' : 'included'}; private messages excluded.`,
    ),
    '- A tamper-evident audit log of every objection and staff action, published as a transparency log; staff access by role, each read of personal data audited.',
    '',
    '## 9. Information to the people concerned (GDPR Art. 13 and 14)',
    '',
    notice
      ? `- Notice version \`${notice.id}\` published ${notice.publishedAt.slice(0, 10)}, effective ${notice.effectiveAt.slice(0, 10)}, in ${notice.texts.length} language(s) (${notice.texts.map((t) => t.language).join(', ')}); sha256 \`${notice.sha256.slice(0, 16)}…\`.`
      : `- ${MISSING} (no notice published in the registry)`,
    '',
  ];
  return lines.join('\n');
}

/** What the record is generated from in a running deployment (`veto record art30`, the console). */
export interface Art30Deployment {
  config: Art30Input['config'] & { dataDir: string; policies?: string[] | undefined };
  notices: { latest(): Promise<NoticeVersion | undefined> };
}

/**
 * The record as it stands: the configuration, the policy files (`policyFiles`, else the
 * configured `VETO_POLICIES`) and the latest published notice. One function for the command and
 * the console, so both show the same record.
 */
export async function currentArt30Markdown(
  deployment: Art30Deployment,
  policyFiles: string[] = deployment.config.policies ?? [],
): Promise<string> {
  const policies: LoadedPolicy[] = [];
  for (const file of policyFiles) policies.push(await loadPolicy(file));
  return art30Markdown({
    config: deployment.config,
    policies,
    notice: await deployment.notices.latest(),
  });
}

/** Where the versions are kept unless `--out` says otherwise. */
export function art30Dir(dataDir: string): string {
  return path.join(dataDir, 'records', 'art30');
}

export interface KeptArt30Version {
  version: string;
  /** When it was kept: its file is created once and never changed. */
  keptAt: string;
  /** sha256 of the Markdown file. */
  sha256: string;
  markdownFile: string;
}

/** The versions kept in `dir`, oldest first (none when the folder does not exist yet). */
export async function listArt30Versions(dir: string): Promise<KeptArt30Version[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: KeptArt30Version[] = [];
  for (const f of files.filter((f) => VERSION_FILE.test(f)).sort()) {
    const markdownFile = path.join(dir, f);
    const [bytes, info] = await Promise.all([readFile(markdownFile), stat(markdownFile)]);
    out.push({
      version: f.slice(0, -3),
      keptAt: info.mtime.toISOString(),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      markdownFile,
    });
  }
  return out;
}

const VERSION_FILE = /^\d{4}-[0-9a-f]{12}\.md$/;

/** The same record as a printable HTML page, its version at the foot. */
export function art30Html(markdown: string, version: string): string {
  return printableHtml(markdown, `Version ${version}`);
}

export interface Art30Version {
  version: string;
  markdownFile: string;
  htmlFile: string;
  created: boolean;
}

/**
 * Keeps the record as a new version when it differs from the latest one kept, else names the
 * latest: versions are `NNNN-<sha256 prefix>.md` and `.html`, numbered in order, never changed.
 * Two keepers at once (two staff members, the command and the console) race for the next number:
 * the loser sees the file exist and looks again, so no version is overwritten or lost.
 */
export async function keepArt30Version(dir: string, markdown: string): Promise<Art30Version> {
  await mkdir(dir, { recursive: true });
  const hash = createHash('sha256').update(markdown).digest('hex').slice(0, 12);
  for (let attempt = 0; ; attempt++) {
    const existing = (await readdir(dir)).filter((f) => VERSION_FILE.test(f)).sort();
    const last = existing[existing.length - 1];
    if (last && (await readFile(path.join(dir, last), 'utf8')) === markdown) {
      const version = last.slice(0, -3);
      return {
        version,
        markdownFile: path.join(dir, last),
        htmlFile: path.join(dir, `${version}.html`),
        created: false,
      };
    }
    const version = `${String(existing.length + 1).padStart(4, '0')}-${hash}`;
    const markdownFile = path.join(dir, `${version}.md`);
    const htmlFile = path.join(dir, `${version}.html`);
    try {
      await writeFile(markdownFile, markdown, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 10) continue;
      throw err;
    }
    await writeFile(htmlFile, art30Html(markdown, version), { flag: 'wx' });
    return { version, markdownFile, htmlFile, created: true };
  }
}

const KEPT_FILE = /^(\d{4}-[0-9a-f]{12})\.(md|html)$/;

/**
 * One kept version's Markdown or printable HTML, by file name (`0003-1a2b3c4d5e6f.md`), or
 * undefined when no such version is kept. Only names of that form are read, so a request cannot
 * reach any other file. A version whose HTML was never written (a crash between the two files)
 * gets it rendered from its Markdown, as keeping it would have.
 */
export async function readArt30Version(
  dir: string,
  file: string,
): Promise<{ version: string; format: 'md' | 'html'; body: string } | undefined> {
  const match = KEPT_FILE.exec(file);
  if (!match) return undefined;
  const version = match[1] as string;
  const format = match[2] as 'md' | 'html';
  const read = async (name: string) => {
    try {
      return await readFile(path.join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const body = await read(file);
  if (body !== undefined) return { version, format, body };
  if (format === 'md') return undefined;
  const markdown = await read(`${version}.md`);
  return markdown === undefined
    ? undefined
    : { version, format, body: art30Html(markdown, version) };
}
