import { test } from 'node:test';
import { adapterAvailable } from '../support/veto-on.ts';
import { removalStoreSuite } from './removal-store.suite.ts';

if (await adapterAvailable('postgres')) removalStoreSuite('postgres');
else test('PostgreSQL removal store', { skip: 'PostgreSQL unavailable' }, () => {});
