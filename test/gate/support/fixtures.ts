import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSnapshotFile } from '../../../src/registry-files/snapshot-file.ts';
import { compareUtf8 } from '../../../src/registry-files/subject-keys.ts';
import { recordTestSnapshot } from './memory-registry.ts';

export const AS_OF = '2025-05-27T00:00:00.000Z';

export async function tempDir(prefix = 'veto-gate-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A record every test policy keeps, with overrides. */
export function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'p1',
    author_id: 'u1',
    kind: 'post',
    audience: 'public',
    created_at: '2025-04-01T10:00:00Z',
    text: 'Hello world',
    author_minor: false,
    region: 'FR',
    ...overrides,
  };
}

export function jsonl(records: unknown[]): string {
  return `${records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`;
}

export async function writeSnapshot(
  dir: string,
  keys: string[],
  purpose = 'ai-training',
): Promise<string> {
  const unique = Math.random().toString(36).slice(2);
  const path = join(dir, `snapshot-${unique}.txt`);
  const meta = await writeSnapshotFile(
    path,
    { id: `snap_test_${unique}`, purpose, asOf: AS_OF },
    [...new Set(keys)].sort(compareUtf8),
  );
  // As the registry records a snapshot it takes (the gate checks the file against it).
  recordTestSnapshot(meta);
  return path;
}

export const TEST_POLICY = `format: veto-policy/v1
id: test
title: Test policy
purpose: ai-training
legalBasis:
  article: GDPR Art. 6(1)(f)
  interest: test
notice:
  version: "2025-04"
  minimumDays: 42
content:
  kinds: [post, comment, message-to-assistant]
  audiences: [public, conversation]
  notBefore: "2020-01-01"
  regions: [FR, DE]
minors:
  excludeAccounts: true
objections:
  coverMentions: true
redaction:
  enabled: true
  categories: [EMAIL, PHONE, IBAN, CARD, IP]
  defaultRegion: FR
`;

export async function writePolicy(
  dir: string,
  text = TEST_POLICY,
  name = 'policy.yaml',
): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}
