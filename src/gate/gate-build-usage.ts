/**
 * `veto gate build`'s options and help text. Kept apart from `cli-gate-build.ts` so `veto --help`
 * and the argument parser know them without loading the gate.
 */
export const GATE_BUILD_OPTIONS = {
  policy: { type: 'string' },
  input: { type: 'string', multiple: true },
  out: { type: 'string' },
  snapshot: { type: 'string' },
  filter: { type: 'string' },
  workers: { type: 'string' },
  format: { type: 'string' },
  map: { type: 'string' },
  names: { type: 'string' },
  offline: { type: 'boolean' },
  'log-key': { type: 'string', multiple: true },
  'dataset-id': { type: 'string' },
  'pseudonym-key-file': { type: 'string' },
  runner: { type: 'string' },
  shards: { type: 'string' },
  nats: { type: 'string' },
  'allow-empty': { type: 'boolean' },
  resume: { type: 'boolean' },
} as const;

export const GATE_BUILD_DETAILS = `  --policy FILE       policy (YAML or JSON), see docs/policy.md
  --input FILE        content export, JSONL or .parquet; repeat for several
  --out DIR           the dataset is sealed as DIR/<dataset id>/
  --snapshot FILE     registry snapshot to judge against (default: take one now)
  --filter FILE       or a filter file (for workers without database access)
  --workers N         worker threads (default: all cores, or 0 when the JSONL inputs and
                      the objector file are under 32 MiB; 0 = main thread only)
  --format F          output format: jsonl (default) or parquet
  --map FILE          field mapping (JSON: {"fields": {...}, "kinds": {...}, "audiences": {...}})
  --names FILE        accounts' handles and display names (JSONL: account_id, handles,
                      display_names): a text naming an account counts as mentioning it
                      (docs/gate.md "Named objectors")
  --offline           no registry connection: no re-check, no inclusion index in the
                      database (inclusions.tsv is still written); needs --snapshot or --filter.
                      The file's anchor (the transparency log's signed checkpoint at the
                      snapshot) goes into the manifest; veto dataset register checks it
  --log-key KEY       with --offline: the log's verifier key (GET /v1/transparency/keys, or a
                      file holding it; repeat for rotated keys): the anchor's signature is
                      checked and a bad one refuses the build. Default: the deployment's key
                      when this machine has it (VETO_TRANSPARENCY_KEY, VETO_TRANSPARENCY_KEY_FILE,
                      or transparency-log.key in VETO_DATA_DIR); without any, the manifest
                      says the signature was not checked
  --dataset-id ID     choose the dataset id (default: ds_<uuidv7>)
  --pseudonym-key-file FILE
                      the key for a policy with redaction mode "pseudonym" (default: the
                      VETO_PSEUDONYM_KEY environment variable); at least 32 characters
  --runner R          local (default: this process) or jetstream: shards judged by
                      \`veto gate worker\` processes through NATS JetStream (docs/scale.md);
                      JSONL inputs on a folder every worker sees, the output byte-identical
  --shards N          with --runner jetstream: how many shards to cut the inputs into
  --nats URL          with --runner jetstream: the NATS server (default: VETO_NATS_URL)
  --allow-empty       seal a dataset even when the export holds no valid record (without it
                      such a run fails with exit code 1 and seals nothing)
  --resume            with --runner jetstream: take up the last run of this --dataset-id
                      whose coordinator died (same inputs, policy, snapshot, shards): the
                      shards it had judged are not judged again. Only when no other build of
                      that id is running

  With a registry, the policy version needs a recorded legitimate-interest assessment
  (veto assessment record, docs/assessment.md); VETO_BUILD_WITHOUT_ASSESSMENT=1 builds
  without one, said on stderr and recorded in the manifest.`;

/** The usage message the command prints on a usage error. */
export const GATE_BUILD_USAGE = `usage: veto gate build --policy P --input FILE... --out DIR [options]

${GATE_BUILD_DETAILS}`;
