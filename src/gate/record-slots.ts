import { CANONICAL_FIELDS } from './record-fields.ts';

/**
 * A record's fields as the gate holds them while it judges: one slot per canonical field, by its
 * index in CANONICAL_FIELDS (checked below). Every record reader fills the same slots
 * (`record-readers.ts`), and `RecordValidator` reads them, so all readers feed the same rules.
 */
export const ID = 0;
export const AUTHOR = 1;
export const KIND = 2;
export const AUDIENCE = 3;
export const CREATED = 4;
export const TEXT = 5;
export const MINOR = 6;
export const AGE = 7;
export const REGION = 8;
export const MEDIA = 9;
export const MENTIONS = 10;
export const REPLY_TO = 11;
export const DEPICTS = 12;
export const SENSITIVE = 13;
(
  [
    [ID, 'id'],
    [AUTHOR, 'author_id'],
    [KIND, 'kind'],
    [AUDIENCE, 'audience'],
    [CREATED, 'created_at'],
    [TEXT, 'text'],
    [MINOR, 'author_minor'],
    [AGE, 'author_age'],
    [REGION, 'region'],
    [MEDIA, 'media'],
    [MENTIONS, 'mentions'],
    [REPLY_TO, 'reply_to'],
    [DEPICTS, 'depicts_minor'],
    [SENSITIVE, 'sensitive'],
  ] as const
).forEach(([i, name]) => {
  if (CANONICAL_FIELDS[i] !== name) throw new Error(`record slots: field ${i} is not ${name}`);
});

/** In the text's slot while the rules run: its type is all they check (the text stays bytes). */
export const TEXT_IS_STRING: unique symbol = Symbol('text is a string');
/**
 * In the author id's slot when its bytes already passed every check (`plainAccountId`): the
 * rules then build neither the id nor the subject key as strings.
 */
export const ACCOUNT_ID_BYTES: unique symbol = Symbol('account id checked as bytes');

/** The longest id and account id a record may have. */
export const MAX_ID_LENGTH = 500;
