import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { StorageHealth } from '../app/storage-health.ts';
import { AppError, type FieldIssue } from '../domain/errors.ts';
import { isStorageFault } from '../store/storage-fault.ts';

/** RFC 9457 problem document. `errors` names each offending field and why. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldIssue[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemType(code: string): string {
  return `urn:veto:problem:${code}`;
}

/** Turns any error into a problem document; unknown errors never leak their message. */
export function toProblem(err: unknown, instance?: string): Problem {
  if (err instanceof AppError) {
    return {
      type: problemType(err.code),
      title: TITLES[err.status] ?? 'Error',
      status: err.status,
      detail: err.message,
      ...(instance ? { instance } : {}),
      ...(err.issues.length ? { errors: err.issues } : {}),
    };
  }
  if (isStorageFault(err)) {
    // A lost database connection or a full disk: the request was not carried out (an objection
    // is acknowledged only after its commit), so the client should simply retry.
    return {
      type: problemType('storage-unavailable'),
      title: TITLES[503]!,
      status: 503,
      detail: 'storage unavailable: nothing was recorded; retry in a few seconds',
      ...(instance ? { instance } : {}),
    };
  }
  const fe = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const where = fe.validationContext ?? 'body';
    const errors = fe.validation.map((v) => {
      const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
      return {
        field: path ? `${where === 'body' ? '' : `${where}.`}${path}` : where,
        reason: v.message ?? 'invalid',
      };
    });
    return {
      type: problemType('validation'),
      title: TITLES[400]!,
      status: 400,
      detail: errors.map((e) => `${e.field}: ${e.reason}`).join('; '),
      ...(instance ? { instance } : {}),
      errors,
    };
  }
  const status =
    typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500
      ? fe.statusCode
      : 500;
  if (status === 500) {
    return {
      type: problemType('internal'),
      title: TITLES[500]!,
      status,
      detail: 'an unexpected error occurred',
      ...(instance ? { instance } : {}),
    };
  }
  // Fastify's own 4xx (malformed JSON, wrong content type, body too large): its message is safe.
  const code =
    status === 429
      ? 'rate-limited'
      : status === 413
        ? 'too-large'
        : status === 415
          ? 'unsupported-media-type'
          : 'bad-request';
  return {
    type: problemType(code),
    title: TITLES[status] ?? 'Error',
    status,
    detail: fe.message,
    ...(instance ? { instance } : {}),
    ...(status === 400 ? { errors: [{ field: 'body', reason: fe.message }] } : {}),
  };
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  err: unknown,
  health?: StorageHealth,
): FastifyReply {
  const p = toProblem(err, request.url);
  if (p.type === problemType('storage-unavailable')) {
    // Logged once per outage by StorageHealth, not once per request.
    health?.fault(storageWork(request.method), err);
    reply.header('retry-after', String(health?.retryAfterSeconds ?? 5));
  } else if (p.status >= 500) request.log.error({ err }, 'request failed');
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** Reads can go on while writes fail (a full disk): the two recover separately. */
export function storageWork(method: string): 'read' | 'write' {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}
