import { type ErrorCode, isAccordError } from '@accord/core';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The one table from domain error codes to HTTP statuses. */
export const STATUS: Readonly<Record<ErrorCode, ContentfulStatusCode>> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  locked: 423,
  rate_limited: 429,
  integrity: 500,
  unavailable: 503,
  config: 500,
};

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

/**
 * Turns anything thrown into a status and a body safe to show. Domain errors keep their message;
 * everything else becomes a generic 500 whose details go only to the log.
 */
export const toErrorResponse = (
  e: unknown,
): { status: ContentfulStatusCode; body: ErrorBody; internal: boolean } => {
  // 'config' and 'integrity' mean the node itself is wrong (keys, setup): internal, and logged.
  if (isAccordError(e) && e.code !== 'config' && e.code !== 'integrity') {
    const field = typeof e.context.field === 'string' ? e.context.field : undefined;
    return {
      status: STATUS[e.code],
      body: { error: { code: e.code, message: e.message, ...(field ? { field } : {}) } },
      internal: false,
    };
  }
  return {
    status: 500,
    body: { error: { code: 'internal', message: 'an internal error occurred; it was logged' } },
    internal: true,
  };
};

export const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } });
