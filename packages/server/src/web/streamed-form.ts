import { AccordError, invalid, safeEqual } from '@accord/core';
import type { Context } from 'hono';
import { requestBytes } from '../http/content.ts';
import type { AppEnv } from '../http/context.ts';
import { boundaryOf, type MultipartReader, readMultipart } from '../http/multipart.ts';

/** Thrown when a streamed form's first field is not the session's CSRF token. */
export class CsrfRefused extends Error {
  constructor() {
    super('missing or wrong CSRF token in a streamed form');
    this.name = 'CsrfRefused';
  }
}

/**
 * Opens a page form posted as multipart/form-data without buffering it. When the guard deferred
 * the CSRF check to the body, the first field must be `_csrf` with the session's token; nothing
 * else is read before that.
 */
export const openStreamedForm = async (c: Context<AppEnv>): Promise<MultipartReader> => {
  const boundary = boundaryOf(c.req.header('Content-Type'));
  if (!boundary) throw invalid('send this form as multipart/form-data', { reason: 'bad_form' });
  const parts = readMultipart(requestBytes(c), boundary);
  const expected = c.get('deferredCsrf');
  if (expected) {
    const first = await parts.next();
    if (first.done || first.value.name !== '_csrf' || first.value.fileName !== undefined)
      throw new CsrfRefused();
    const sent = await first.value.text(256);
    if (!safeEqual(sent, expected)) throw new CsrfRefused();
  }
  return parts;
};

/** Reads and discards the rest of a form, so that the browser gets the answer rather than a reset connection. */
export const drain = async (parts: MultipartReader): Promise<void> => {
  try {
    for await (const _ of parts) {
      // each unread part is skipped by the reader
    }
  } catch {
    // a malformed or cut-off rest changes nothing about the answer
  }
};

/** True for errors of the form data itself (malformed, cut off): the whole request failed. */
export const isFormError = (e: unknown): boolean =>
  e instanceof AccordError && e.context.reason === 'bad_form';
