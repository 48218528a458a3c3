/**
 * The one application error. `code` is stable and machine-readable (it becomes the RFC 9457
 * problem `type` suffix), `messageKey` is the catalogue key shown to people, `detail` is an
 * English explanation for API clients and logs (never containing personal data).
 */
export type ErrorCode =
  | 'validation'
  | 'not-found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'idempotency-mismatch'
  | 'rate-limited'
  | 'code-invalid'
  | 'code-expired'
  | 'code-attempts'
  | 'review-disabled'
  | 'invalid-state'
  | 'unavailable';

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  'not-found': 404,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  'idempotency-mismatch': 422,
  'rate-limited': 429,
  'code-invalid': 400,
  'code-expired': 400,
  'code-attempts': 429,
  'review-disabled': 409,
  'invalid-state': 409,
  unavailable: 503,
};

export interface FieldIssue {
  /** JSON pointer-ish path of the offending field, e.g. "subject.accountId". */
  field: string;
  reason: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly messageKey: string;
  readonly issues: FieldIssue[];

  constructor(
    code: ErrorCode,
    detail: string,
    options: { issues?: FieldIssue[]; messageKey?: string } = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.code = code;
    this.status = STATUS[code];
    this.messageKey = options.messageKey ?? `error.${code}`;
    this.issues = options.issues ?? [];
  }

  /** The first offending field, for forms that highlight one input. */
  get field(): string | undefined {
    return this.issues[0]?.field;
  }
}
