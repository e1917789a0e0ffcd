import {
  type AccordError,
  type CaseId,
  type CaseRecord,
  type ItemRecord,
  isAccordError,
  type Organisation,
} from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import { sendBundle } from '../../http/bundle-download.ts';
import type { AppEnv } from '../../http/context.ts';
import { csrfField, describeError, formatDate, type Notice, page } from '../layout.ts';
import { formatSize, itemBadges, typeLabel } from './evidence-common.ts';
import type { PageRoutes } from './index.ts';

/** What the reader typed or chose, kept when the form is shown again. */
interface ExportForm {
  readonly itemIds: readonly string[];
  readonly derivedOnly: boolean;
  readonly recipient: string;
  /** The recipient organisation on this node, when there is one ("" for none). */
  readonly recipientOrgId: string;
  readonly purpose: string;
  readonly legalBasis: string;
}

const EMPTY: ExportForm = {
  itemIds: [],
  derivedOnly: false,
  recipient: '',
  recipientOrgId: '',
  purpose: '',
  legalBasis: '',
};

const statusFor = (e: AccordError): number =>
  e.code === 'not_found' ? 404 : e.code === 'conflict' ? 409 : e.code === 'forbidden' ? 403 : 400;

const one = (value: unknown): string => {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v : '';
};

/**
 * The export page: choose items of a case, say to whom, why and under which legal basis, and get
 * the bundle as a download — a plain form, no script. The domain refuses what cannot be exported;
 * the page says so first, in the reader's language, from the items it shows.
 */
export const registerExport = (r: PageRoutes) => {
  const caseOf = async (c: Context<AppEnv>): Promise<CaseRecord | undefined> => {
    const id = c.req.param('caseId');
    const cases = await c.get('cases').list(c.get('auth')!.actor);
    return cases.find((k) => k.id === id);
  };

  const itemsOf = async (c: Context<AppEnv>, caseId: CaseId): Promise<ItemRecord[]> => {
    const evidence = c.get('node').evidence;
    const actor = c.get('auth')!.actor;
    const items: ItemRecord[] = [];
    for (let offset = 0; ; offset += 500) {
      const { items: chunk } = await evidence.list(actor, { caseId, limit: 500, offset });
      items.push(...chunk);
      if (chunk.length < 500) return items;
    }
  };

  const notFound = (c: Context<AppEnv>) =>
    page(c, { title: c.get('t')('error.notFound'), body: '', status: 404 });

  /** The organisations of the node, for the recipient organisation (whose consent is checked). */
  const orgsOf = (c: Context<AppEnv>): Promise<Organisation[]> =>
    c.get('accounts').listOrganisations(c.get('auth')!.actor);

  const exportPage = async (
    c: Context<AppEnv>,
    kase: CaseRecord,
    items: readonly ItemRecord[],
    opts: { notices?: Notice[]; status?: number; values?: ExportForm } = {},
  ) => {
    const t = c.get('t');
    const orgs = await orgsOf(c);
    const locale = c.get('locale');
    const values = opts.values ?? EMPTY;
    const chosen = new Set(values.itemIds);
    const row = (item: ItemRecord) => {
      const sealed = item.sealedAt !== null;
      const box = `x-${item.id}`;
      return html`<tr data-item="${item.id}"${sealed ? html` data-sealed` : ''}><td><input type="checkbox" id="${box}" name="itemIds" value="${item.id}"${
        sealed ? html` disabled aria-describedby="s-${item.id}"` : chosen.has(item.id) ? html` checked` : ''
      }></td><td><label for="${box}" class="check">${item.title}</label>${itemBadges(t, item)}${
        sealed
          ? html`<br><span class="muted" id="s-${item.id}">${t('export.sealedReason', {
              date: formatDate(locale, item.sealedAt),
              reason: item.sealReason ?? '',
            })}</span>`
          : ''
      }</td><td>${t(`itemKind.${item.kind}`)}</td><td>${typeLabel(t, item.mediaType)}</td><td>${formatSize(
        locale,
        item.size,
      )}</td><td><span class="hash">${item.sha256.slice(0, 16)}…</span></td></tr>`;
    };
    return page(c, {
      title: t('export.title', { case: kase.title }),
      notices: opts.notices ?? [],
      status: opts.status ?? 200,
      body:
        items.length === 0
          ? html`<p class="muted" data-empty>${t('export.noItems')}</p>`
          : html`<p>${t('export.intro')}</p>
<p class="notice notice-info">${t('export.recorded')}</p>
<form method="post" action="/cases/${kase.id}/export" class="card" id="export-form">${csrfField(c)}
<fieldset><legend>${t('export.items')}</legend>
<p class="muted">${t('export.itemsHelp')}</p>
<div class="table-scroll"><table><thead><tr><th>${t('export.include')}</th><th>${t('evidence.itemTitle')}</th><th>${t('item.kind')}</th><th>${t('evidence.type')}</th><th>${t('evidence.size')}</th><th>${t('item.sha256')}</th></tr></thead><tbody>
${items.map(row)}
</tbody></table></div>
</fieldset>
<p><input type="checkbox" id="e-derived" name="derivedOnly" value="on"${values.derivedOnly ? html` checked` : ''}> <label for="e-derived">${t('export.derivedOnly')}</label></p>
<label for="e-recipient">${t('export.recipient')}</label><input type="text" id="e-recipient" name="recipient" required maxlength="300" value="${values.recipient}">
<label for="e-recipient-org">${t('export.recipientOrg')}</label><select id="e-recipient-org" name="recipientOrgId" aria-describedby="e-recipient-org-help"><option value="">${t(
              'export.recipientOrgNone',
            )}</option>${orgs.map(
              (o) =>
                html`<option value="${o.id}"${o.id === values.recipientOrgId ? html` selected` : ''}>${o.name}</option>`,
            )}</select>
<p class="muted" id="e-recipient-org-help">${t('export.recipientOrgHelp')}</p>
<label for="e-purpose">${t('export.purpose')}</label><textarea id="e-purpose" name="purpose" required maxlength="2000">${values.purpose}</textarea>
<label for="e-legal">${t('export.legalBasis')}</label><input type="text" id="e-legal" name="legalBasis" maxlength="500" value="${values.legalBasis}">
<button type="submit">${t('export.submit')}</button>
<p class="muted">${t('export.after')}</p>
</form>`,
    });
  };

  /**
   * What the domain would refuse about the chosen items, said in the reader's language (the domain
   * checks again, and its own refusals are shown too).
   */
  const refusal = (
    c: Context<AppEnv>,
    items: readonly ItemRecord[],
    orgs: readonly Organisation[],
    form: ExportForm,
  ): { text: string; status: number } | undefined => {
    const t = c.get('t');
    if (form.recipientOrgId !== '' && !orgs.some((o) => o.id === form.recipientOrgId))
      return { text: t('export.recipientOrgUnknown'), status: 400 };
    const byId = new Map(items.map((i) => [i.id as string, i]));
    for (const id of form.itemIds) {
      const item = byId.get(id);
      if (!item) return { text: t('export.notInCase'), status: 400 };
      if (item.sealedAt) return { text: t('export.sealedRefused', { title: item.title }), status: 409 };
      if (form.derivedOnly && item.kind === 'original')
        return { text: t('export.originalRefused', { title: item.title }), status: 400 };
    }
    if (form.itemIds.length === 0) {
      const any = items.some((i) => !i.sealedAt && !(form.derivedOnly && i.kind === 'original'));
      if (!any) return { text: t('export.nothing'), status: 400 };
    }
    return undefined;
  };

  r.get('/cases/:caseId/export', 'evidence.export', async (c) => {
    const kase = await caseOf(c);
    if (!kase) return notFound(c);
    return exportPage(c, kase, await itemsOf(c, kase.id));
  });

  // Answers with the bundle itself (a download), or with the form again and what went wrong.
  r.post('/cases/:caseId/export', 'evidence.export', async (c) => {
    const t = c.get('t');
    const kase = await caseOf(c);
    if (!kase) return notFound(c);
    const body = await c.req.parseBody({ all: true });
    const ids = body.itemIds;
    const form: ExportForm = {
      itemIds: (Array.isArray(ids) ? ids : [ids]).filter(
        (v): v is string => typeof v === 'string' && v !== '',
      ),
      derivedOnly: one(body.derivedOnly) === 'on',
      recipient: one(body.recipient),
      recipientOrgId: one(body.recipientOrgId),
      purpose: one(body.purpose),
      legalBasis: one(body.legalBasis),
    };
    const items = await itemsOf(c, kase.id);
    const refused = refusal(c, items, await orgsOf(c), form);
    if (refused)
      return exportPage(c, kase, items, {
        notices: [{ kind: 'error', text: refused.text }],
        status: refused.status,
        values: form,
      });
    try {
      return await sendBundle(c, c.get('auth')!.actor, {
        caseId: kase.id,
        ...(form.itemIds.length > 0 ? { itemIds: form.itemIds } : {}),
        derivedOnly: form.derivedOnly,
        recipient: form.recipient,
        // Exports of witness statements check each witness's consent to sharing with it.
        ...(form.recipientOrgId !== '' ? { recipientOrgId: form.recipientOrgId } : {}),
        purpose: form.purpose,
        ...(form.legalBasis.trim() !== '' ? { legalBasis: form.legalBasis } : {}),
        via: 'web',
      });
    } catch (e) {
      if (!isAccordError(e)) throw e;
      // Refused before the first byte of the bundle: the form again, with the reason.
      return exportPage(c, kase, await itemsOf(c, kase.id), {
        notices: [{ kind: 'error', text: describeError(t, e) }],
        status: statusFor(e),
        values: form,
      });
    }
  });
};
