import { loadConfig } from '../config.ts';
import { assessmentCommands } from './assessment-commands.ts';
import { cardCommands } from './card-commands.ts';
import { type Command, commandHelp, parseCommandLine, UsageError, usageLine } from './command.ts';
import { coreCommands } from './commands.ts';
import { contractCommands } from './contract-commands.ts';
import { datasetCommands } from './dataset-commands.ts';
import { noticeCommands } from './notice-commands.ts';
import { removalCommands } from './removal-commands.ts';
import { transparencyCommands } from './transparency-commands.ts';

/** Every `veto` command, in the order `veto --help` lists them. */
export const COMMANDS: readonly Command[] = [
  ...coreCommands,
  ...noticeCommands,
  ...removalCommands,
  ...datasetCommands,
  ...contractCommands,
  ...transparencyCommands,
  ...cardCommands,
  ...assessmentCommands,
];

const byName = new Map(COMMANDS.map((c) => [c.name, c]));

function overview(): string {
  const width = 34;
  const lines = COMMANDS.map((c) => {
    const head = `  ${c.name}`;
    return head.length < width
      ? `${head.padEnd(width)}${c.summary}`
      : `${head}\n${' '.repeat(width)}${c.summary}`;
  });
  return `veto — honour the right to object before training AI on user content

usage: veto <command> [options]      veto <command> --help for its options

${lines.join('\n')}

Configuration: VETO_* environment variables (see README.md).`;
}

/** `veto dataset --help`: the commands that start with `dataset`. */
function groupHelp(group: string): string | undefined {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  if (members.length === 0) return undefined;
  return members.map((c) => `${usageLine(c)}\n    ${c.summary}`).join('\n');
}

/** Runs one `veto` command line; resolves to the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [first, second, ...rest] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    console.log(overview());
    return first ? 0 : 2;
  }
  const two = second !== undefined ? byName.get(`${first} ${second}`) : undefined;
  const command = two ?? byName.get(first);
  if (!command) {
    const group = groupHelp(first);
    if (group && (second === undefined || second === '--help' || second === '-h')) {
      console.log(group);
      return second === undefined ? 2 : 0;
    }
    const what = [first, second].filter(Boolean).join(' ');
    console.error(`veto: unknown command "${what}" (veto --help lists them)`);
    return 2;
  }
  const args = two ? rest : [second, ...rest].filter((a): a is string => a !== undefined);
  const parsed = parseCommandLine(command, args);
  if (!parsed.ok) {
    console.error(
      `veto ${command.name}: ${parsed.why}\n${usageLine(command)}\n(veto ${command.name} --help for details)`,
    );
    return 2;
  }
  if (parsed.help) {
    console.log(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(parsed, { loadConfig });
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`veto ${command.name}: ${err.message}\n${usageLine(command)}`);
      return 2;
    }
    throw err;
  }
}
