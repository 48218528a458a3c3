import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { catalogueLanguages } from './i18n/catalogue.ts';
import { generateSigner, parseSigner, parseVerifier } from './transparency/signed-note.ts';

/**
 * Configuration comes from environment variables (VETO_*), optionally layered over a JSON file
 * named by VETO_CONFIG. Every field is validated; an error names the variable and the reason.
 * The README's "Configuration" table documents each one.
 */
const csv = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

const bool = z
  .union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])])
  .transform((v) => v === true || v === '1' || v === 'true' || v === 'yes' || v === 'on');

const apiKeys = z
  .union([z.record(z.string(), z.string().min(16)), z.string()])
  .transform((v, ctx) => {
    if (typeof v !== 'string') return v;
    const out: Record<string, string> = {};
    for (const pair of csv(v)) {
      const i = pair.indexOf(':');
      if (i <= 0 || pair.length - i - 1 < 16) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected name:key pairs, keys of at least 16 characters',
        });
        return z.NEVER;
      }
      out[pair.slice(0, i)] = pair.slice(i + 1);
    }
    return out;
  });

export const configSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Public base URL used in emails and links. */
  publicUrl: z.string().url().optional(),
  /** `sqlite:<path>` (default, embedded) or `postgres://...`. */
  databaseUrl: z.string().default('sqlite:./data/veto.db'),
  dataDir: z.string().default('./data'),
  /** HMAC secret for subject keys of non-users, CSRF, sessions and status links. >= 32 chars. */
  secret: z.string().min(32).optional(),
  /** Platform session tokens: HS256 shared secret, or a JWKS URL (RS256/ES256). */
  platformJwtSecret: z.string().min(32).optional(),
  platformJwksUrl: z.string().url().optional(),
  platformJwtIssuer: z.string().optional(),
  platformJwtAudience: z.string().optional(),
  /**
   * Explicit opt-out: accept platform tokens without checking their issuer and audience. Outside
   * `--demo`, `serve` refuses to start without both unless this is set (and logs that it is).
   */
  platformJwtAnyIssuer: bool.default(false),
  /** The longest lifetime (exp minus iat, or minus now) a platform token may have, in seconds. */
  platformJwtMaxLifetimeSeconds: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .default(24 * 3600),
  platformName: z.string().default('Demo Social'),
  /**
   * What GDPR Art. 13/14 requires every notice to say and the deployment knows: published
   * notices fill them in ({controllerName}, ...) and publication refuses a text without them.
   * `--demo` fills demo values; a real deployment sets its own.
   */
  controllerName: z.string().min(1).optional(),
  controllerContact: z.string().min(1).optional(),
  dpoContact: z.string().min(1).optional(),
  /** Who receives the training datasets (names of organisations). */
  recipients: z.string().min(1).optional(),
  /** How long a training dataset is kept before it is deleted. */
  retentionMonths: z.coerce.number().int().min(1).max(600).optional(),
  /** Key of the notice emails' one-click objection links (default: derived from `secret`). */
  objectLinkSecret: z.string().min(32).optional(),
  /** Days a one-click objection link stays valid after the email is sent. */
  objectLinkDays: z.coerce.number().int().min(1).max(730).default(120),
  /** The authority a person can complain to (name and address or link). */
  supervisoryAuthority: z.string().min(1).optional(),
  /** Server-to-server API keys, `name:key,name2:key2`. */
  apiKeys: apiKeys.default({}),
  /** Admin credential for /v1/admin/* (Bearer). */
  adminKey: z.string().min(16).optional(),
  smtpUrl: z.string().optional(),
  mailFrom: z.string().default('Veto <no-reply@veto.invalid>'),
  /** Where email goes when no SMTP server is configured. */
  outboxDir: z.string().optional(),
  /**
   * Folders holding sealed dataset versions (each in `<folder>/<dataset id>/`): the automatic
   * erasure job rebuilds those with removals and deletes what they replace. Default:
   * `<data dir>/datasets`.
   */
  datasetDirs: z.union([z.array(z.string()), z.string().transform(csv)]).optional(),
  /**
   * The dataset policy files the training uses: the Art. 30 record (`veto record art30` without
   * `--policy`, and the console's `/console/records/art30`) is generated from them.
   */
  policies: z.union([z.array(z.string()), z.string().transform(csv)]).optional(),
  /**
   * Seconds between a superseded version's replacement and the deletion of its record files
   * (0: at once). The delay lets recipients switch; it is recorded in the audit log.
   */
  supersededDeleteAfter: z.coerce
    .number()
    .int()
    .min(0)
    .max(90 * 86_400)
    .default(0),
  /** Languages offered; by default every catalogue file present (a new language is a file drop). */
  languages: z.union([z.array(z.string()), z.string().transform(csv)]).optional(),
  defaultLanguage: z.string().default('en'),
  purposes: z
    .union([z.array(z.string()), z.string().transform(csv)])
    .default(['ai-training', 'third-party-sharing']),
  /**
   * What a `Sec-GPC: 1` request from a signed-in person does (GDPR Art. 21(5)):
   * `off` nothing; `no-sharing` an objection to `gpcPurpose`; `object` that and a full
   * objection to the default purpose (AI training).
   */
  gpc: z.enum(['off', 'no-sharing', 'object']).default('no-sharing'),
  /** The purpose a GPC signal objects to: sharing data or models with third parties. */
  gpcPurpose: z.string().min(1).max(100).default('third-party-sharing'),
  reviewMode: bool.default(false),
  demo: bool.default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Group commit: at most this many objections per transaction. */
  maxBatch: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** Per-IP requests per minute on the public API and forms. */
  rateLimitPerMinute: z.coerce.number().int().min(1).default(600),
  /**
   * What the deployment does about models already trained when content is removed after the
   * build, told to each person: retrain without it at the next version, apply machine
   * unlearning, or filter the model's outputs.
   */
  modelPolicy: z.enum(['retrain-next', 'unlearning', 'output-filter']).default('retrain-next'),
  /** NATS server for recipients that take removals on a JetStream subject. */
  natsUrl: z.string().optional(),
  /**
   * The transparency log's Ed25519 signing key (`PRIVATE+KEY+<name>+<id>+<base64>`, see
   * docs/transparency.md), or a file holding it. Without either, one is generated once into the
   * data directory. Its name is the log's origin.
   */
  transparencyKey: z.string().optional(),
  transparencyKeyFile: z.string().optional(),
  /**
   * The RSA key (PEM) of the VRF behind exclusion proofs (docs/transparency.md "Am I in this
   * dataset? A proof"); without it one is generated into the data directory when first needed.
   */
  exclusionKeyFile: z.string().optional(),
  /** Retired VRF keys (PEM files): proofs for the datasets they committed stay available. */
  exclusionPreviousKeyFiles: z.union([z.array(z.string()), z.string().transform(csv)]).default([]),
  /** Verifier keys of retired signing keys: checkpoints they signed stay verifiable. */
  transparencyPreviousKeys: z.union([z.array(z.string()), z.string().transform(csv)]).default([]),
  /** Verifier keys (type 0x04) of the witnesses whose cosignatures Veto accepts and serves. */
  transparencyWitnesses: z.union([z.array(z.string()), z.string().transform(csv)]).default([]),
  /**
   * The staff console (/console): staff sign in through the platform's OpenID Connect provider.
   * Without an issuer the console is off; the admin key stays for machines only.
   */
  staffOidcIssuer: z.string().url().optional(),
  staffOidcClientId: z.string().min(1).optional(),
  staffOidcClientSecret: z.string().min(1).optional(),
  /** The ID-token claim holding the staff role(s): `viewer`, `reviewer` or `admin`. */
  staffRoleClaim: z.string().min(1).default('veto_role'),
});

export type VetoConfigInput = z.input<typeof configSchema>;
export type VetoConfig = Omit<z.output<typeof configSchema>, 'languages'> & {
  secret: string;
  publicUrl: string;
  languages: string[];
  /** The signing key itself, resolved from the variable, the file, or the data directory. */
  transparencyKey: string;
};

const ENV: Record<string, keyof VetoConfigInput> = {
  VETO_HOST: 'host',
  VETO_PORT: 'port',
  VETO_PUBLIC_URL: 'publicUrl',
  VETO_DATABASE_URL: 'databaseUrl',
  VETO_DATA_DIR: 'dataDir',
  VETO_SECRET: 'secret',
  VETO_PLATFORM_JWT_SECRET: 'platformJwtSecret',
  VETO_PLATFORM_JWKS_URL: 'platformJwksUrl',
  VETO_PLATFORM_JWT_ISSUER: 'platformJwtIssuer',
  VETO_PLATFORM_JWT_AUDIENCE: 'platformJwtAudience',
  VETO_PLATFORM_JWT_ANY_ISSUER: 'platformJwtAnyIssuer',
  VETO_PLATFORM_JWT_MAX_LIFETIME_SECONDS: 'platformJwtMaxLifetimeSeconds',
  VETO_PLATFORM_NAME: 'platformName',
  VETO_CONTROLLER_NAME: 'controllerName',
  VETO_CONTROLLER_CONTACT: 'controllerContact',
  VETO_DPO_CONTACT: 'dpoContact',
  VETO_RECIPIENTS: 'recipients',
  VETO_RETENTION_MONTHS: 'retentionMonths',
  VETO_SUPERVISORY_AUTHORITY: 'supervisoryAuthority',
  VETO_OBJECT_LINK_SECRET: 'objectLinkSecret',
  VETO_OBJECT_LINK_DAYS: 'objectLinkDays',
  VETO_API_KEYS: 'apiKeys',
  VETO_ADMIN_KEY: 'adminKey',
  VETO_SMTP_URL: 'smtpUrl',
  VETO_MAIL_FROM: 'mailFrom',
  VETO_OUTBOX_DIR: 'outboxDir',
  VETO_DATASET_DIRS: 'datasetDirs',
  VETO_POLICIES: 'policies',
  VETO_SUPERSEDED_DELETE_AFTER: 'supersededDeleteAfter',
  VETO_LANGUAGES: 'languages',
  VETO_DEFAULT_LANGUAGE: 'defaultLanguage',
  VETO_PURPOSES: 'purposes',
  VETO_GPC: 'gpc',
  VETO_GPC_PURPOSE: 'gpcPurpose',
  VETO_REVIEW_MODE: 'reviewMode',
  VETO_DEMO: 'demo',
  VETO_LOG_LEVEL: 'logLevel',
  VETO_MAX_BATCH: 'maxBatch',
  VETO_RATE_LIMIT_PER_MINUTE: 'rateLimitPerMinute',
  VETO_MODEL_POLICY: 'modelPolicy',
  VETO_NATS_URL: 'natsUrl',
  VETO_TRANSPARENCY_KEY: 'transparencyKey',
  VETO_TRANSPARENCY_KEY_FILE: 'transparencyKeyFile',
  VETO_EXCLUSION_KEY_FILE: 'exclusionKeyFile',
  VETO_EXCLUSION_PREVIOUS_KEY_FILES: 'exclusionPreviousKeyFiles',
  VETO_TRANSPARENCY_PREVIOUS_KEYS: 'transparencyPreviousKeys',
  VETO_TRANSPARENCY_WITNESSES: 'transparencyWitnesses',
  VETO_STAFF_OIDC_ISSUER: 'staffOidcIssuer',
  VETO_STAFF_OIDC_CLIENT_ID: 'staffOidcClientId',
  VETO_STAFF_OIDC_CLIENT_SECRET: 'staffOidcClientSecret',
  VETO_STAFF_ROLE_CLAIM: 'staffRoleClaim',
};

const ENV_OF = Object.fromEntries(Object.entries(ENV).map(([k, v]) => [v, k]));

export class ConfigError extends Error {}

/** Reads the configuration: defaults < VETO_CONFIG file < environment < explicit overrides. */
export function loadConfig(
  overrides: Partial<VetoConfigInput> = {},
  env: NodeJS.ProcessEnv = process.env,
): VetoConfig {
  let fromFile: Record<string, unknown> = {};
  if (env.VETO_CONFIG) {
    try {
      fromFile = JSON.parse(readFileSync(env.VETO_CONFIG, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`VETO_CONFIG ${env.VETO_CONFIG}: ${(err as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) {
    if (env[name] !== undefined && env[name] !== '') fromEnv[key] = env[name];
  }
  const parsed = configSchema.safeParse({ ...fromFile, ...fromEnv, ...overrides });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const where = ENV_OF[key] ? `${ENV_OF[key]} (${key})` : key;
      return `  ${where}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const languages = c.languages ?? catalogueLanguages();
  if (!languages.includes(c.defaultLanguage)) {
    throw new ConfigError(
      `VETO_DEFAULT_LANGUAGE: "${c.defaultLanguage}" is not in VETO_LANGUAGES (${languages.join(',')})`,
    );
  }
  if (c.gpc !== 'off' && !c.purposes.includes(c.gpcPurpose)) {
    throw new ConfigError(
      `VETO_GPC_PURPOSE: "${c.gpcPurpose}" is not in VETO_PURPOSES (${c.purposes.join(',')}): add it, or set VETO_GPC=off`,
    );
  }
  if (c.staffOidcIssuer && !c.staffOidcClientId) {
    throw new ConfigError(
      'VETO_STAFF_OIDC_CLIENT_ID: required with VETO_STAFF_OIDC_ISSUER (the console signs staff in as this client)',
    );
  }
  const secret = c.secret ?? persistentSecret(c.dataDir, 'secret');
  const publicUrl = (c.publicUrl ?? `http://${c.host}:${c.port}`).replace(/\/$/, '');
  return {
    ...(c.demo ? demoNoticeItems(c.platformName) : {}),
    ...definedOnly(c),
    languages,
    secret,
    publicUrl,
    transparencyKey: transparencyKey(c, publicUrl),
    transparencyPreviousKeys: verifierKeys(
      c.transparencyPreviousKeys,
      'VETO_TRANSPARENCY_PREVIOUS_KEYS',
      0x01,
    ),
    transparencyWitnesses: verifierKeys(
      c.transparencyWitnesses,
      'VETO_TRANSPARENCY_WITNESSES',
      0x04,
    ),
    platformJwtSecret:
      c.platformJwtSecret ??
      (c.platformJwksUrl ? undefined : persistentSecret(c.dataDir, 'platform-jwt-secret')),
  };
}

/** The demo's Art. 13/14 items: visibly not a real controller's. */
function demoNoticeItems(platformName: string) {
  return {
    controllerName: `${platformName} (demo)`,
    controllerContact: 'privacy@demo-social.invalid',
    dpoContact: 'dpo@demo-social.invalid',
    recipients: `${platformName} AI Lab (demo)`,
    retentionMonths: 24,
    supervisoryAuthority: 'CNIL, https://www.cnil.fr',
  };
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The log's signing key: VETO_TRANSPARENCY_KEY, else the file VETO_TRANSPARENCY_KEY_FILE names,
 * else one generated once into the data directory (named after the public URL's host), like
 * the other secrets. Checked here so a bad key stops the start with the variable's name.
 */
function transparencyKey(
  c: { transparencyKey?: string; transparencyKeyFile?: string; dataDir: string },
  publicUrl: string,
): string {
  let key = c.transparencyKey;
  let where = 'VETO_TRANSPARENCY_KEY';
  if (!key && c.transparencyKeyFile) {
    where = `VETO_TRANSPARENCY_KEY_FILE (${c.transparencyKeyFile})`;
    try {
      key = readFileSync(c.transparencyKeyFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`${where}: ${(err as Error).message}`);
    }
  }
  if (!key) {
    const file = path.join(c.dataDir, 'transparency-log.key');
    where = file;
    if (existsSync(file)) key = readFileSync(file, 'utf8').trim();
    else {
      key = generateSigner(`${new URL(publicUrl).host}/veto-log`).skey;
      mkdirSync(c.dataDir, { recursive: true });
      writeFileSync(file, `${key}\n`, { mode: 0o600 });
    }
  }
  try {
    parseSigner(key);
  } catch (err) {
    throw new ConfigError(`${where}: ${(err as Error).message}`);
  }
  return key;
}

function verifierKeys(keys: string[], variable: string, type: number): string[] {
  for (const k of keys) {
    let v: ReturnType<typeof parseVerifier>;
    try {
      v = parseVerifier(k);
    } catch (err) {
      throw new ConfigError(`${variable}: ${(err as Error).message}`);
    }
    if (v.type !== type) {
      throw new ConfigError(
        `${variable}: key ${v.name} has type 0x0${v.type}, expected 0x0${type}`,
      );
    }
  }
  return keys;
}

/**
 * A fresh machine has no secrets configured: generate one once and keep it in the data
 * directory (mode 0600), so `npm start` works out of the box and restarts keep sessions valid.
 */
function persistentSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, `${name}.txt`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(32).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}
