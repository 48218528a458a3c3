import { type Kysely, type Migration, Migrator } from 'kysely';

/** A dialect's migrations by name (`sqlite-migrations.ts`, `postgres-migrations.ts`). */
export type Migrations = Readonly<Record<string, Migration>>;

function migrator(db: Kysely<any>, migrations: Migrations, migrationTableSchema?: string) {
  return new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
}

/**
 * Applies every migration not yet run, in name order, and throws one error naming the migration
 * that failed. `migrationTableSchema` pins Kysely's own bookkeeping tables to a schema (see
 * PostgreSQL's store for why).
 */
export async function migrateToLatest(
  db: Kysely<any>,
  migrations: Migrations,
  migrationTableSchema?: string,
): Promise<string[]> {
  const { error, results } = await migrator(db, migrations, migrationTableSchema).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const which = failed ? `migration ${failed.migrationName}` : 'migrations';
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${which} failed: ${reason}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of the migrations the database has not run (empty when current). */
export async function pendingMigrations(
  db: Kysely<any>,
  migrations: Migrations,
  migrationTableSchema?: string,
): Promise<string[]> {
  const all = await migrator(db, migrations, migrationTableSchema).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
