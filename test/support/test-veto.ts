import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { type Veto, wireVeto } from '../../src/app/wire.ts';
import { loadConfig, type VetoConfig, type VetoConfigInput } from '../../src/config.ts';
import type { Clock } from '../../src/lib/clock.ts';
import type { Mailer } from '../../src/mail/mailer.ts';
import { CaptureMailer } from './capture-mailer.ts';

export const TEST_API_KEY = 'test-platform-key-0123456789';
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789-0123456789-abcdef';

/** A wired Veto on a fresh SQLite file in a temp dir, closed when the test ends. */
export async function testVeto(
  t: { after: (fn: () => void | Promise<void>) => void },
  overrides: Partial<VetoConfigInput> = {},
  options: { mailer?: Mailer; clock?: Clock } = {},
): Promise<{ veto: Veto; config: VetoConfig; mailer: CaptureMailer | Mailer; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'veto-'));
  const config = loadConfig(
    {
      dataDir: dir,
      databaseUrl: `sqlite:${path.join(dir, 'veto.db')}`,
      secret: 'test-secret-0123456789-0123456789-0123456789',
      platformJwtSecret: TEST_JWT_SECRET,
      apiKeys: { platform: TEST_API_KEY },
      adminKey: TEST_ADMIN_KEY,
      logLevel: 'silent',
      controllerName: 'Example Platform SA',
      controllerContact: 'privacy@platform.example',
      dpoContact: 'dpo@platform.example',
      recipients: 'Example AI Lab SARL',
      retentionMonths: 24,
      supervisoryAuthority: 'CNIL, https://www.cnil.fr',
      ...overrides,
    },
    {},
  );
  const mailer = options.mailer ?? new CaptureMailer();
  const veto = await wireVeto(config, {
    mailer,
    logger: pino({ level: 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // One hook, in this order: close the store (and its checkpoint worker), then remove the files.
  t.after(async () => {
    await veto.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { veto, config, mailer, dir };
}
