/**
 * Every failure the domain reports carries a stable code (for programs), a human-readable
 * message (for people) and optional context. The domain never speaks HTTP: the server maps
 * codes to statuses in one edge function.
 */
export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'unauthenticated'
  | 'forbidden'
  | 'locked'
  | 'rate_limited'
  | 'integrity'
  | 'unavailable'
  | 'config';

export class AccordError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { context?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AccordError';
    this.code = code;
    this.context = options.context ?? {};
  }
}

export const isAccordError = (e: unknown): e is AccordError => e instanceof AccordError;

export const invalid = (message: string, context?: Record<string, unknown>): AccordError =>
  new AccordError('invalid_input', message, context ? { context } : {});

export const notFound = (message: string): AccordError => new AccordError('not_found', message);
