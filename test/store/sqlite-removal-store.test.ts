import { removalStoreSuite } from './removal-store.suite.ts';

removalStoreSuite('sqlite');
