/**
 * The transparency log's signed checkpoint of the registry state a snapshot was taken from: the
 * log up to and including the snapshot's `snapshot.created` event (so `size` is that event's
 * sequence number). The snapshot and filter files carry it (format v3), so that a dataset built
 * from them without the registry is anchored like one built with it (docs/transparency.md
 * "Datasets anchored in the log"). The same shape as a manifest's `anchor`.
 */
export interface SnapshotAnchor {
  /** Tree size: the log's first `size` events; the last of them is the snapshot's event. */
  size: number;
  /** The tree's root hash, base64 (as in the checkpoint). */
  root: string;
  /** The signed note (C2SP tlog-checkpoint), as the registry signed it. */
  checkpoint: string;
}

/**
 * The bytes a snapshot file's header keeps for its anchor's JSON: a checkpoint is about 170 bytes
 * plus twice its key's name (the log's origin), so 1 KiB takes names of some 350 characters. The
 * header's width cannot depend on the anchor (written last), and every byte of padding is one
 * more byte every reader checks.
 */
export const ANCHOR_ROOM = 1024;

/** Why `value` is not an anchor a file may carry, or undefined when it is one. */
export function anchorProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'anchor must be null or an object with size, root and checkpoint';
  const a = value as Record<string, unknown>;
  const keys = Object.keys(a);
  if (keys.length !== 3 || keys[0] !== 'size' || keys[1] !== 'root' || keys[2] !== 'checkpoint')
    return 'anchor must hold exactly size, root and checkpoint, in that order';
  if (!Number.isSafeInteger(a.size) || (a.size as number) < 1)
    return 'anchor.size must be a positive integer';
  if (typeof a.root !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(a.root))
    return 'anchor.root must be a SHA-256 hash in base64';
  if (
    typeof a.checkpoint !== 'string' ||
    !a.checkpoint.endsWith('\n') ||
    Buffer.byteLength(a.checkpoint) > 800
  )
    return 'anchor.checkpoint must be a signed note (text ending in a newline, at most 800 bytes)';
  return undefined;
}

/** The anchor with its fields in the one order files write them. */
export function orderedAnchor(a: SnapshotAnchor): SnapshotAnchor {
  return { size: a.size, root: a.root, checkpoint: a.checkpoint };
}
