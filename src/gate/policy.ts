import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Policy, policySchema } from './policy-schema.ts';

export interface PolicyIssue {
  /** Dotted path of the field, e.g. `content.kinds[2]`; empty for the whole file. */
  field: string;
  /** 1-based line in the policy file, when known. */
  line?: number;
  reason: string;
}

/** A policy file that cannot be used; `message` lists every problem as `file:line: field: why`. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly file: string,
    readonly issues: PolicyIssue[],
  ) {
    super(
      issues
        .map(
          (i) =>
            `${file}${i.line ? `:${i.line}` : ''}: ${i.field ? `${i.field}: ` : ''}${i.reason}`,
        )
        .join('\n'),
    );
  }
}

export interface LoadedPolicy {
  policy: Policy;
  /** Hex sha256 of the file's bytes: the policy hash recorded in every manifest. */
  sha256: string;
  path: string;
  /** The file's text, stored next to the dataset so the hash can be checked later. */
  source: string;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

/** Parses and validates policy text (YAML, or JSON when `file` ends in `.json`). */
export function parsePolicy(text: string, file: string): Policy {
  const lines = new LineCounter();
  let data: unknown;
  let locate: (path: readonly PropertyKey[]) => number | undefined = () => undefined;
  if (extname(file).toLowerCase() === '.json') {
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new PolicyError(file, [
        { field: '', reason: `not valid JSON: ${(err as Error).message}` },
      ]);
    }
  } else {
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new PolicyError(
        file,
        doc.errors.map((e) => ({
          field: '',
          line: e.linePos?.[0]?.line,
          reason: `not valid YAML: ${e.message.split('\n')[0]}`,
        })),
      );
    }
    data = doc.toJS();
    locate = (path) => {
      for (let n = path.length; n > 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true) as
          | { range?: [number] }
          | undefined;
        if (node?.range) return lines.linePos(node.range[0]).line;
      }
      return undefined;
    };
  }
  const result = policySchema.safeParse(data);
  if (!result.success) {
    throw new PolicyError(
      file,
      result.error.issues.map((issue: z.core.$ZodIssue) => ({
        field: fieldPath(issue.path),
        line: locate(issue.path),
        reason:
          issue.code === 'unrecognized_keys'
            ? `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
            : issue.message,
      })),
    );
  }
  return result.data;
}

/** Reads, validates and hashes a policy file. Throws {@link PolicyError} with every problem. */
export async function loadPolicy(path: string): Promise<LoadedPolicy> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new PolicyError(path, [{ field: '', reason: `cannot read: ${(err as Error).message}` }]);
  }
  const source = bytes.toString('utf8');
  return {
    policy: parsePolicy(source, path),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    path,
    source,
  };
}
