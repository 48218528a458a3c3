/**
 * Which driver errors mean "the storage is not there right now" (a lost or refused database
 * connection, a full or failing disk) rather than a bug or a bad request. Only the store layer
 * knows driver error shapes; the HTTP edge asks this module and answers 503 "storage
 * unavailable" with Retry-After instead of a generic 500 with a stack trace per request.
 */

/** PostgreSQL SQLSTATE classes: 08 connection exception, 53 insufficient resources (53100 disk
 * full), 57P0x operator intervention (terminated, shutting down), 58 system error (I/O). */
const PG_FAULT_STATE = /^(08...|53...|57P0[1-4]|58...|XX001)$/;

/** better-sqlite3 codes: full disk, I/O errors, a file that cannot be opened or written. */
const SQLITE_FAULT_CODE =
  /^(SQLITE_FULL|SQLITE_IOERR(_.*)?|SQLITE_CANTOPEN(_.*)?|SQLITE_READONLY(_.*)?|SQLITE_CORRUPT(_.*)?|SQLITE_NOTADB)$/;

/** Operating-system errors on the socket or the file. */
const OS_FAULT_CODE =
  /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOSPC|EDQUOT|EIO|EROFS)$/;

/** node-postgres reports a cut connection with messages, not codes. */
const PG_CONNECTION_MESSAGE =
  /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Cannot use a pool after calling end|SQLite writer thread exited/;

export function isStorageFault(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (PG_FAULT_STATE.test(code) || SQLITE_FAULT_CODE.test(code) || OS_FAULT_CODE.test(code))
        return true;
    }
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && PG_CONNECTION_MESSAGE.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
