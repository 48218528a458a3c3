import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { POSTGRESQL_MIGRATIONS } from '../../src/store/postgres/postgres-migrations.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/sqlite-migrations.ts';

// The migrations are listed in code (so that they are in the `veto` bundle): a file added to a
// folder and not to its list would never run.
for (const [dialect, list] of [
  ['sqlite', SQLITE_MIGRATIONS],
  ['postgres', POSTGRESQL_MIGRATIONS],
] as const) {
  test(`${dialect}: the migration list names every file of the migrations folder, each with up()`, () => {
    const folder = fileURLToPath(new URL(`../../src/store/${dialect}/migrations`, import.meta.url));
    const files = readdirSync(folder)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
    assert.deepEqual(Object.keys(list).sort(), files);
    for (const [name, m] of Object.entries(list))
      assert.equal(typeof m.up, 'function', `${name} has up()`);
  });
}
