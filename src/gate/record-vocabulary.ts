/**
 * The values a content record's `kind` and `audience` take once mapped (see `record-fields.ts`
 * and docs/gate.md "Record schema"). Policies are validated against these lists so a typo in a
 * policy is an error, not a silently empty dataset.
 */
export const CONTENT_KINDS = [
  'post',
  'comment',
  'audio-transcript',
  'photo-caption',
  'video-caption',
  'message-to-business',
  'message-from-business',
  'message-to-assistant',
  'message-from-assistant',
  'private-message',
] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];

/** Private messages between people: excluded by every policy, not configurable. */
export const PRIVATE_MESSAGE_KIND: ContentKind = 'private-message';

export const AUDIENCES = [
  'public',
  'followers',
  'friends',
  'restricted',
  'only-me',
  /** A one-to-one conversation (with a business account or the AI assistant). */
  'conversation',
] as const;
export type Audience = (typeof AUDIENCES)[number];
