import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { loadConfig as LoadConfig } from '../config.ts';

/** The options a command declares, in `node:util` `parseArgs` form. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** What `parseArgs` gives back for a command's options (typed from the declaration). */
export type OptionValues<O extends CommandOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>['values'];

/** What every command receives besides its own arguments. */
export interface CliContext {
  loadConfig: typeof LoadConfig;
}

/**
 * One `veto` command. Options are declared, never read ad hoc, so the one parser in `main.ts`
 * refuses anything unknown (exit 2) and `--help` prints the same synopsis and details the
 * command documents.
 */
export interface CommandSpec<O extends CommandOptions> {
  /** The words that select it: `gate build`, `serve`. */
  name: string;
  /** What follows the name in the usage line: `DATASET [--out DIR]`. */
  synopsis: string;
  /** One line for `veto --help`. */
  summary: string;
  /** Option descriptions and notes for `veto NAME --help`. */
  details?: string;
  options: O;
  /** How many positional arguments it takes (default: none). */
  positionals?: { min?: number; max?: number };
  run(input: { values: OptionValues<O>; positionals: string[] }, ctx: CliContext): Promise<number>;
}

/** A command with its option types erased, as `main.ts` holds them. */
export interface Command {
  name: string;
  synopsis: string;
  summary: string;
  details?: string;
  options: CommandOptions;
  positionals: { min: number; max: number };
  run(
    input: { values: Record<string, unknown>; positionals: string[] },
    ctx: CliContext,
  ): Promise<number>;
}

export function defineCommand<const O extends CommandOptions>(spec: CommandSpec<O>): Command {
  return {
    ...spec,
    positionals: { min: spec.positionals?.min ?? 0, max: spec.positionals?.max ?? 0 },
    run: spec.run as Command['run'],
  };
}

/**
 * Thrown by a command for a usage mistake that its declaration cannot express (two options that
 * exclude each other, a number out of range): `main.ts` prints it with the usage line, exit 2.
 */
export class UsageError extends Error {}

/** `veto NAME SYNOPSIS`, the first line of every usage message. */
export function usageLine(c: Pick<Command, 'name' | 'synopsis'>): string {
  return `usage: veto ${c.name}${c.synopsis ? ` ${c.synopsis}` : ''}`;
}

/** Everything `veto NAME --help` prints. */
export function commandHelp(c: Command): string {
  const lines = [usageLine(c), '', `  ${c.summary}`];
  if (c.details) lines.push('', c.details.replace(/^\n+|\n+$/g, ''));
  if (!('help' in c.options)) lines.push('', '  -h, --help          this help');
  return lines.join('\n');
}

export type ParsedCommandLine =
  | { ok: true; help: boolean; values: Record<string, unknown>; positionals: string[] }
  | { ok: false; why: string };

/**
 * Parses a command's arguments strictly: an unknown option, a missing option value or a wrong
 * number of positional arguments is a usage error, never ignored.
 */
export function parseCommandLine(c: Command, args: string[]): ParsedCommandLine {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: { ...c.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (err) {
    // node:util's messages name the option; drop its advice about `--` which rarely applies.
    return { ok: false, why: (err as Error).message.replace(/\. To specify a positional.*$/s, '') };
  }
  const { help, ...values } = parsed.values;
  if (help === true) return { ok: true, help: true, values, positionals: parsed.positionals };
  const n = parsed.positionals.length;
  const { min, max } = c.positionals;
  if (n < min) {
    return { ok: false, why: `missing argument${min - n > 1 ? 's' : ''}` };
  }
  if (n > max) {
    const extra = parsed.positionals.slice(max).join(' ');
    return { ok: false, why: `unexpected argument${n - max > 1 ? 's' : ''}: ${extra}` };
  }
  return { ok: true, help: false, values, positionals: parsed.positionals };
}
