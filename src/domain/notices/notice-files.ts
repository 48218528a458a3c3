import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PolicyError, parsePolicy } from '../../gate/policy.ts';
import { AppError, type FieldIssue } from '../errors.ts';
import type { NoticeDraft } from './notice-types.ts';

/**
 * A notice version authored as files:
 *
 *     notices/<version>/notice.json   {"version": "2026-01", "effectiveAfterDays": 30,
 *                                      "policy": "../../policies/demo.yaml",
 *                                      "changes": {"en": "...", "fr": "..."}}
 *     notices/<version>/en.md         the English text (Markdown, see notice-markdown.ts)
 *     notices/<version>/fr.md         ...one file per language
 *
 * `version` defaults to the folder name. `effectiveAt` (ISO date or instant) or
 * `effectiveAfterDays` say when the processing starts; neither means "at publication". `policy`
 * is the gate policy the version is tied to: publication checks the texts' promises against it
 * (notice-promises.ts).
 */
const noticeJson = z
  .object({
    version: z.string().optional(),
    effectiveAt: z.string().optional(),
    effectiveAfterDays: z.number().int().min(0).max(3650).optional(),
    /** The policy file this version is tied to, relative to the folder. */
    policy: z.string().min(1).optional(),
    changes: z.record(z.string(), z.string()),
  })
  .strict();

const LANGUAGE_FILE = /^([a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*)\.md$/;

export function readNoticeDirectory(dir: string): NoticeDraft {
  const metaFile = path.join(dir, 'notice.json');
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw invalid(
      dir,
      'not a directory (expected notices/<version>/ with notice.json and <lang>.md)',
    );
  if (!existsSync(metaFile)) throw invalid(metaFile, 'missing');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch (err) {
    throw invalid(metaFile, `not valid JSON: ${(err as Error).message}`);
  }
  const parsed = noticeJson.safeParse(raw);
  if (!parsed.success) {
    const issues: FieldIssue[] = parsed.error.issues.map((i) => ({
      field: `${metaFile}:${i.path.join('.') || '(root)'}`,
      reason: i.message,
    }));
    throw new AppError('validation', issues.map((i) => `${i.field}: ${i.reason}`).join('; '), {
      issues,
    });
  }
  const meta = parsed.data;
  const texts: NoticeDraft['texts'] = [];
  const issues: FieldIssue[] = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort();
  for (const file of files) {
    const m = LANGUAGE_FILE.exec(file);
    if (!m) {
      issues.push({ field: path.join(dir, file), reason: 'file name is not <language>.md' });
      continue;
    }
    const language = m[1]!;
    const changes = meta.changes[language];
    if (changes === undefined) {
      issues.push({
        field: `${metaFile}:changes.${language}`,
        reason: `missing: say what changed since the previous version, in ${language}`,
      });
    }
    texts.push({
      language,
      markdown: readFileSync(path.join(dir, file), 'utf8'),
      changes: changes ?? '',
    });
  }
  for (const lang of Object.keys(meta.changes)) {
    if (!files.includes(`${lang}.md`))
      issues.push({ field: `${metaFile}:changes.${lang}`, reason: `no ${lang}.md next to it` });
  }
  if (texts.length === 0 && issues.length === 0)
    issues.push({ field: dir, reason: 'no <language>.md file' });
  if (issues.length > 0)
    throw new AppError('validation', issues.map((i) => `${i.field}: ${i.reason}`).join('; '), {
      issues,
    });
  if (meta.policy === undefined)
    throw invalid(
      `${metaFile}:policy`,
      'missing: the policy file this version is tied to (its promises are checked against it)',
    );
  let policy: NoticeDraft['policy'];
  {
    const file = path.resolve(dir, meta.policy);
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (err) {
      throw invalid(`${metaFile}:policy`, `cannot read ${file}: ${(err as Error).message}`);
    }
    try {
      policy = { name: meta.policy, policy: parsePolicy(source, file) };
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      throw new AppError('validation', err.message, {
        issues: err.issues.map((i) => ({
          field: `${file}${i.line ? `:${i.line}` : ''}${i.field ? `:${i.field}` : ''}`,
          reason: i.reason,
        })),
      });
    }
  }
  return {
    id: meta.version ?? path.basename(path.resolve(dir)),
    policy,
    effectiveAt: meta.effectiveAt,
    effectiveAfterDays: meta.effectiveAfterDays,
    texts,
  };
}

function invalid(field: string, reason: string): AppError {
  return new AppError('validation', `${field}: ${reason}`, { issues: [{ field, reason }] });
}
