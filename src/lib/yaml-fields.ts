import { extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';

/** One problem of a validated file: the field's dotted path, its line when known, and why. */
export interface FileFieldIssue {
  /** Dotted path of the field, e.g. `content.kinds[2]`; empty for the whole file. */
  field: string;
  /** 1-based line in the file, when known. */
  line?: number;
  reason: string;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

/**
 * Parses YAML (or JSON when `file` ends in `.json`) and validates it with `schema`, naming every
 * problem with its field and line, so an operator fixes a file in one pass. A field that is
 * missing is located at its nearest parent present in the file.
 */
export function validateYamlFile<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): { data: z.output<S>; issues?: undefined } | { data?: undefined; issues: FileFieldIssue[] } {
  const lines = new LineCounter();
  let data: unknown;
  let locate: (path: readonly PropertyKey[]) => number | undefined = () => undefined;
  if (extname(file).toLowerCase() === '.json') {
    try {
      data = JSON.parse(text);
    } catch (err) {
      return { issues: [{ field: '', reason: `not valid JSON: ${(err as Error).message}` }] };
    }
  } else {
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return {
        issues: doc.errors.map((e) => ({
          field: '',
          line: e.linePos?.[0]?.line,
          reason: `not valid YAML: ${e.message.split('\n')[0]}`,
        })),
      };
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
  const result = schema.safeParse(data);
  if (result.success) return { data: result.data };
  return {
    issues: result.error.issues.map((issue: z.core.$ZodIssue) => ({
      field: fieldPath(issue.path),
      line: locate(issue.path),
      reason:
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
          : issue.message,
    })),
  };
}

/** `file:line: field: why`, one line per issue. */
export function formatFileIssues(file: string, issues: readonly FileFieldIssue[]): string {
  return issues
    .map((i) => `${file}${i.line ? `:${i.line}` : ''}: ${i.field ? `${i.field}: ` : ''}${i.reason}`)
    .join('\n');
}
