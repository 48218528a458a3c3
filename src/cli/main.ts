import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import { commands } from './commands.ts';

const USAGE = `veto — honour the right to object before training AI on user content

usage: veto <command> [options]

  serve [--demo] [--port N]           run the server (API, portal; --demo adds the demo platform)
  objections import FILE [--format csv|jsonl]
                                      import objections received elsewhere (idempotent)
  registry snapshot [--purpose P] [--out FILE]
                                      freeze the objector set now and write the snapshot file
  registry filter [--purpose P] --out FILE
                                      write the objector set as a fail-closed filter file
  audit verify                        check the audit chain and the registry against it
  gate build --policy P --input FILE... --out DIR
                                      build a training dataset (see docs/gate.md)
  notices publish DIR                 publish a notice version (one Markdown file per language)
  notices list                        list published notice versions
  notices campaign --version V --users FILE.csv [--rate N]
                                      email a notice version; resumable, never sends twice
  notices bounces FILE.csv            record bounced notice emails
  dataset removals DATASET [--out DIR]
                                      write the removal list (JSONL) and its signed manifest
  dataset verify-removals DIR         check a removal list against its signed manifest
  dataset rebuild DATASET --dir SEALED_DIR [--out PARENT]
                                      the next version without the removed items
  models add DATASET --name N [--trained-at T]    record a model trained on a dataset
  models list [DATASET]
  recipients add DATASET --name N [--webhook URL] [--nats-subject S]
                                      record who received a dataset version (Art. 19)
  recipients list [DATASET]
  redact [FILE] [--field F] [--categories A,B] [--mode placeholder|pseudonym] [--lang L]
                                      redact JSONL records alone (see veto redact --help)

Configuration: VETO_* environment variables (see README.md).`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const two = sub ? `${cmd} ${sub}` : undefined;
  const key = two && commands[two] ? two : cmd;
  const run = commands[key];
  if (!run) {
    console.error(`veto: unknown command "${[cmd, sub].filter(Boolean).join(' ')}"\n\n${USAGE}`);
    return 2;
  }
  const args = key === cmd ? [sub, ...rest].filter((a): a is string => a !== undefined) : rest;
  return run(args, { loadConfig, parseArgs });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(
      `veto: ${err instanceof AppError || err instanceof Error ? err.message : String(err)}`,
    );
    process.exitCode = 1;
  },
);
