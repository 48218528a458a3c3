import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRemovalBatch } from '../../src/domain/removals/removal-planner.ts';
import type { PlanningEvent, PlanningInput } from '../../src/store/removal-store.ts';

const SETTINGS = { publicUrl: 'https://veto.example', modelPolicy: 'retrain-next' as const };

function input(events: PlanningEvent[], planned: string[]): PlanningInput {
  return {
    events,
    recipients: new Map(),
    models: new Map(),
    contacts: new Map([
      ['acct:amelie', { subjectKey: 'acct:amelie', email: 'a@example.org', language: 'fr' }],
    ]),
    planned: new Set(planned),
  };
}

const event = (hits: PlanningEvent['hits']): PlanningEvent => ({
  seq: 7,
  at: '2026-12-06T10:00:00.000Z',
  objectionId: 'obj_amelie',
  subjectKey: 'acct:amelie',
  purpose: 'ai-training',
  hits,
});

test('a removal from a rebuilt version of a dataset the person was told about is recorded, but not emailed again', () => {
  // Told about ds_a already; the erasure job's ds_a.v2 still held one of her items.
  const plan = planRemovalBatch(
    input([event([{ datasetId: 'ds_a.v2', itemIds: ['p1'] }])], ['obj_amelie\tds_a']),
    '2026-12-06T10:00:01.000Z',
    SETTINGS,
  );
  assert.equal(plan.removals.length, 1);
  assert.equal(plan.removals[0]!.datasetId, 'ds_a.v2');
  assert.equal(plan.emails.length, 0);
});

test('a removal from another dataset is emailed, counting only what is news', () => {
  const plan = planRemovalBatch(
    input(
      [
        event([
          { datasetId: 'ds_a.v3', itemIds: ['p1'] },
          { datasetId: 'ds_b', itemIds: ['p2', 'p3'] },
        ]),
      ],
      ['obj_amelie\tds_a.v2'],
    ),
    '2026-12-06T10:00:01.000Z',
    SETTINGS,
  );
  assert.equal(plan.removals.length, 2);
  assert.equal(plan.emails.length, 1);
  const vars = (plan.emails[0]!.payload as { vars: Record<string, unknown> }).vars;
  assert.equal(vars.datasets, 1);
  assert.equal(vars.items, 2);
});

test('a first removal is emailed', () => {
  const plan = planRemovalBatch(
    input([event([{ datasetId: 'ds_a', itemIds: ['p1'] }])], []),
    '2026-12-06T10:00:01.000Z',
    SETTINGS,
  );
  assert.equal(plan.emails.length, 1);
});
