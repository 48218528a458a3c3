import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FileMigrationProvider, type Kysely, Migrator } from 'kysely';

/**
 * Applies every migration file of a dialect folder (`NNN-name.ts`, run in name order) and
 * throws one error naming the migration that failed. Each feature adds its own file, so
 * features never edit each other's migrations.
 */
export async function migrateToLatest(db: Kysely<any>, folder: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: folder }),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const which = failed ? `migration ${failed.migrationName}` : 'migrations';
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${which} failed in ${folder}: ${reason}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of the folder's migrations the database has not run (empty when current). */
export async function pendingMigrations(
  db: Kysely<any>,
  folder: string,
  migrationTableSchema?: string,
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: folder }),
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const all = await migrator.getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
