import { z } from '@hono/zod-openapi';
import { type DefineApiRoute, ErrorSchema, errors, type ValidInput } from './api-common.ts';
import { sendBundle } from './bundle-download.ts';

const CaseParam = z.object({ caseId: z.uuid().openapi({ param: { name: 'caseId', in: 'path' } }) });

const ExportRequest = z
  .object({
    itemIds: z
      .array(z.uuid())
      .max(1000)
      .optional()
      .openapi({
        description:
          'Items of the case to export; when absent or empty, every item of the case that can be exported ' +
          '(sealed items, and originals with derivedOnly, are left out)',
      }),
    derivedOnly: z
      .boolean()
      .optional()
      .openapi({ description: 'Export only derivatives (redactions, transcripts…), never an original' }),
    // The messages are the domain's own, so that a missing field reads like an empty one.
    recipient: z
      .string({ error: 'the recipient is required' })
      .openapi({ description: 'To whom (recorded in the custody event)' }),
    recipientOrgId: z
      .string()
      .optional()
      .openapi({
        description:
          'The recipient organisation on this node (its id), recorded in the private record. Required ' +
          'when the export includes a witness statement (or something derived from one): every such ' +
          'witness must have consented to sharing with that organisation',
      }),
    purpose: z
      .string({ error: 'the purpose is required' })
      .openapi({ description: 'Why (recorded in the custody event)' }),
    legalBasis: z
      .string({ error: 'the legal basis must be text' })
      .optional()
      .openapi({ description: 'Under which legal basis, e.g. a court order (recorded)' }),
  })
  .strict()
  .openapi('ExportRequest');

/** Court-ready export bundles (docs/bundle-format.md), streamed as the response. */
export const registerExportApi = (def: DefineApiRoute, valid: ValidInput) => {
  def(
    'evidence.export',
    {
      method: 'post',
      path: '/cases/{caseId}/exports',
      summary: 'Export items of a case as a bundle anyone can verify offline (streamed)',
      description:
        'Records an "exported" custody event on every exported item (recipient, purpose and legal basis ' +
        'in its private record), waits for a signed checkpoint covering those events, then streams the ' +
        'bundle (an uncompressed tar, docs/bundle-format.md). Every refusal — unknown case, a listed ' +
        'item that is sealed, not in the case or (with derivedOnly) an original, a missing recipient or ' +
        'purpose, a witness statement without recipientOrgId or without the witness’s consent to sharing ' +
        'with that organisation, an item whose content or records name a protected witness — is a JSON ' +
        'error sent before any byte of the bundle, and records nothing. A download cut off midway ' +
        'leaves the export events recorded.',
      request: {
        params: CaseParam,
        body: { required: true, content: { 'application/json': { schema: ExportRequest } } },
      },
      responses: {
        200: {
          description: 'The bundle, as `<caseId>-<YYYY-MM-DD>.accord.tar`',
          content: { 'application/x-tar': { schema: { type: 'string', format: 'binary' } } },
        },
        ...errors,
        403: {
          description:
            'Not allowed: your role, a witness’s consent to sharing with the recipient organisation ' +
            'missing, or an item naming a protected witness',
          content: { 'application/json': { schema: ErrorSchema } },
        },
        404: {
          description: 'No such case, item or organisation',
          content: { 'application/json': { schema: ErrorSchema } },
        },
        409: {
          description: 'A listed item is sealed',
          content: { 'application/json': { schema: ErrorSchema } },
        },
      },
    },
    async (c) => {
      const { caseId } = valid<{ caseId: string }>(c, 'param');
      const input = valid<z.infer<typeof ExportRequest>>(c, 'json');
      return sendBundle(c, c.get('auth')!.actor, {
        caseId,
        ...(input.itemIds && input.itemIds.length > 0 ? { itemIds: input.itemIds } : {}),
        derivedOnly: input.derivedOnly === true,
        recipient: input.recipient,
        ...(input.recipientOrgId ? { recipientOrgId: input.recipientOrgId } : {}),
        purpose: input.purpose,
        ...(input.legalBasis ? { legalBasis: input.legalBasis } : {}),
        via: 'api',
      });
    },
  );
};
