import type { Migration } from 'kysely';
import * as m001 from './migrations/001-registry.ts';
import * as m002 from './migrations/002-notices.ts';
import * as m003 from './migrations/003-datasets.ts';
import * as m004 from './migrations/004-removals.ts';
import * as m005 from './migrations/005-dataset-sealing.ts';
import * as m007 from './migrations/007-shared-instances.ts';
import * as m009 from './migrations/009-transparency-log.ts';
import * as m012 from './migrations/012-memorisation-answers.ts';
import * as m013 from './migrations/013-assessments.ts';
import * as m014 from './migrations/014-dataset-exclusion.ts';
import * as m017 from './migrations/017-exposure-batches.ts';
import * as m018 from './migrations/018-dataset-location.ts';
import * as m019 from './migrations/019-dataset-verifications.ts';
import * as m020 from './migrations/020-dataset-terms.ts';
import * as m021 from './migrations/021-exposures-shown-index.ts';

/**
 * Every PostgreSQL migration by name (Kysely runs them in name order). Listed here, not read from the
 * folder at run time, so that they are part of the `veto` bundle; a test checks that the list
 * and the folder agree. Each feature adds its own file, so features never edit each other's.
 */
export const POSTGRESQL_MIGRATIONS: Record<string, Migration> = {
  '001-registry': m001,
  '002-notices': m002,
  '003-datasets': m003,
  '004-removals': m004,
  '005-dataset-sealing': m005,
  '007-shared-instances': m007,
  '009-transparency-log': m009,
  '012-memorisation-answers': m012,
  '013-assessments': m013,
  '014-dataset-exclusion': m014,
  '017-exposure-batches': m017,
  '018-dataset-location': m018,
  '019-dataset-verifications': m019,
  '020-dataset-terms': m020,
  '021-exposures-shown-index': m021,
};
