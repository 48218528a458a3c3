/**
 * A snapshot or filter file that cannot be trusted: wrong magic, bad header, keys out of order,
 * wrong count or hash, truncated. Readers throw it and never return partial data, so a gate run
 * fails closed instead of running with an incomplete objector set.
 */
export class RegistryFileError extends Error {
  override name = 'RegistryFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}
