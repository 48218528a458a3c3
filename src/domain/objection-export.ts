import type { RegistryStore } from '../store/registry-store.ts';
import type { Objection, ObjectionFilter } from './types.ts';

/** Objections fetched per query while exporting. */
const PAGE = 1000;

/**
 * Every objection that matches `filter`, in order of receipt, a page at a time (keyset, so a
 * large registry streams in flat memory and each page is one indexed query). For the admin
 * export: the platform reads the subjects, and the handles and URLs that people without an
 * account gave, to act on them. Objections carry no email address: it stays in `contacts`.
 */
export async function* exportObjections(
  store: RegistryStore,
  filter: Omit<ObjectionFilter, 'after' | 'limit'>,
): AsyncIterable<Objection> {
  let after: ObjectionFilter['after'];
  for (;;) {
    const page = await store.listObjections({
      ...filter,
      ...(after ? { after } : {}),
      limit: PAGE,
    });
    yield* page;
    const last = page.at(-1);
    if (page.length < PAGE || !last) return;
    after = { receivedAt: last.receivedAt, id: last.id };
  }
}
