import type { TestContext } from 'node:test';
import type { VetoConfigInput } from '../../src/config.ts';
import type { Clock } from '../../src/lib/clock.ts';
import type { Mailer } from '../../src/mail/mailer.ts';
import {
  dropSchema,
  freshSchemaName,
  PG_URL,
  postgresAvailable,
  printableUrl,
  queryOnce,
} from '../store/postgres-test-db.ts';
import { requireService } from './services.ts';
import { testVeto } from './test-veto.ts';

export type Adapter = 'sqlite' | 'postgres';
export const ADAPTERS: readonly Adapter[] = ['sqlite', 'postgres'];

let pgUp: Promise<boolean> | undefined;

/**
 * Whether tests on `adapter` can run here: PostgreSQL goes through `requireService` (skip with
 * the reason printed, or fail under VETO_REQUIRE_SERVICES=1).
 */
export async function adapterAvailable(adapter: Adapter): Promise<boolean> {
  if (adapter === 'sqlite') return true;
  pgUp ??= postgresAvailable(PG_URL);
  return requireService(
    'PostgreSQL',
    await pgUp,
    `no PostgreSQL answering at ${printableUrl(PG_URL)} (set VETO_TEST_PG_URL)`,
  );
}

/**
 * `testVeto` on either adapter: on PostgreSQL a fresh schema per test (selected through the
 * connection's `search_path`, so the wiring is the production one), dropped after the test.
 */
export async function testVetoOn(
  adapter: Adapter,
  t: TestContext,
  overrides: Partial<VetoConfigInput> = {},
  options: { mailer?: Mailer; clock?: Clock } = {},
): ReturnType<typeof testVeto> {
  if (adapter === 'sqlite') return testVeto(t, overrides, options);
  const schema = freshSchemaName();
  await queryOnce(PG_URL, `CREATE SCHEMA "${schema}"`);
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  try {
    const wired = await testVeto(t, { databaseUrl: url.toString(), ...overrides }, options);
    // After hooks run in registration order: this one runs once testVeto's has closed the pool.
    t.after(() => dropSchema(PG_URL, schema));
    return wired;
  } catch (err) {
    await dropSchema(PG_URL, schema);
    throw err;
  }
}
