import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type FileFieldIssue, formatFileIssues, validateYamlFile } from '../lib/yaml-fields.ts';
import { type Policy, policySchema } from './policy-schema.ts';

export type PolicyIssue = FileFieldIssue;

/** A policy file that cannot be used; `message` lists every problem as `file:line: field: why`. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly file: string,
    readonly issues: PolicyIssue[],
  ) {
    super(formatFileIssues(file, issues));
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

/** Parses and validates policy text (YAML, or JSON when `file` ends in `.json`). */
export function parsePolicy(text: string, file: string): Policy {
  const result = validateYamlFile(text, file, policySchema);
  if (result.issues) throw new PolicyError(file, result.issues);
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
