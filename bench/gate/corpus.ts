import { open } from 'node:fs/promises';
import { fmix32 } from '../../src/registry-files/key-hash.ts';

/**
 * The synthetic corpus of the gate benchmark: ~305-byte JSONL records, authors drawn from a
 * space of account ids of which one in five objected, 10 % private messages, ~3 % minors, some
 * texts with e-mail addresses, phone numbers or IP addresses to redact. Deterministic (no
 * randomness but a counter-based hash), so every run measures the same bytes.
 */
export interface CorpusSpec {
  records: number;
  /** Account ids are 0..accounts-1; objectors are those with `isObjector(id)`. */
  accounts: number;
}

export function isObjector(account: number): boolean {
  return fmix32(account ^ 0x5f3759df) % 5 === 0;
}

const WORDS =
  'the a of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(
    ' ',
  );

function rand(i: number, salt: number): number {
  return fmix32(Math.imul(i, 0x9e3779b1) ^ salt);
}

function text(i: number): string {
  const n = 20 + (rand(i, 1) % 12);
  const words: string[] = [];
  for (let k = 0; k < n; k++) words.push(WORDS[rand(i, 100 + k) % WORDS.length]!);
  const roll = rand(i, 7) % 100;
  if (roll < 5) words.splice(3, 0, `write to jean.dupont${i % 997}@example.fr`);
  else if (roll < 8)
    words.splice(5, 0, `call 06 12 34 ${String(10 + (i % 89))} ${String(10 + (i % 83))}`);
  else if (roll < 9) words.splice(2, 0, `server 192.168.${i % 250}.${(i >> 8) % 250}`);
  else if (roll < 25) words.push(`in ${2 + (i % 20)} days`);
  return words.join(' ');
}

const KINDS = [
  'post',
  'post',
  'post',
  'comment',
  'comment',
  'message-to-assistant',
  'message-from-assistant',
  'audio-transcript',
  'message-to-business',
];

export function recordLine(i: number, spec: CorpusSpec): string {
  const author = rand(i, 2) % spec.accounts;
  const r = rand(i, 3) % 100;
  const kind = r < 10 ? 'private-message' : KINDS[rand(i, 4) % KINDS.length]!;
  const audience =
    kind.startsWith('message') || kind === 'private-message'
      ? 'conversation'
      : rand(i, 5) % 10 < 8
        ? 'public'
        : 'friends';
  const minor = rand(i, 6) % 100 < 3;
  const day = 1 + (i % 28);
  return JSON.stringify({
    id: `p${i}`,
    author_id: String(author),
    kind,
    audience,
    created_at: `2025-03-${day < 10 ? '0' : ''}${day}T12:${String(i % 60).padStart(2, '0')}:00Z`,
    text: text(i),
    author_minor: minor,
    region: 'FR',
    mentions: rand(i, 8) % 10 === 0 ? [String(rand(i, 9) % spec.accounts)] : [],
  });
}

export async function writeCorpus(path: string, spec: CorpusSpec): Promise<number> {
  const file = await open(path, 'w');
  let bytes = 0;
  try {
    let chunk = '';
    for (let i = 0; i < spec.records; i++) {
      chunk += `${recordLine(i, spec)}\n`;
      if (chunk.length > 1 << 22) {
        const b = Buffer.from(chunk);
        bytes += b.length;
        await file.write(b);
        chunk = '';
      }
    }
    const b = Buffer.from(chunk);
    bytes += b.length;
    await file.write(b);
  } finally {
    await file.close();
  }
  return bytes;
}

/**
 * Yields `acct:<n>` for n in 0..limit-1 with `keep(n)`, in byte order of the key (the decimal
 * strings in lexicographic order: 0, 1, 10, 100, ..., 11, ...), without sorting.
 */
export function* lexicographicKeys(
  limit: number,
  keep: (n: number) => boolean = () => true,
): Generator<string> {
  if (limit <= 0) return;
  if (keep(0)) yield 'acct:0';
  const stack: number[] = [];
  for (let d = 9; d >= 1; d--) stack.push(d);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n >= limit) continue;
    if (keep(n)) yield `acct:${n}`;
    const base = n * 10;
    if (base >= limit) continue;
    for (let k = 9; k >= 0; k--) stack.push(base + k);
  }
}
