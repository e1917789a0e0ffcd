import { can, isAccordError } from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import { csrfField, describeError, formatDate, type Notice, page } from '../layout.ts';
import type { PageRoutes } from './index.ts';

export const registerCases = (r: PageRoutes) => {
  const casesPage = async (c: Context<AppEnv>, notices: Notice[] = [], status = 200) => {
    const t = c.get('t');
    const locale = c.get('locale');
    const auth = c.get('auth')!;
    const accounts = c.get('accounts');
    const [cases, orgs] = await Promise.all([
      accounts.listCases(auth.actor),
      accounts.listOrganisations(auth.actor),
    ]);
    const orgName = new Map(orgs.map((o) => [o.id, o.name]));
    const showEvidence = can(auth.actor, 'evidence.read');
    const showExport = can(auth.actor, 'evidence.export');
    return page(c, {
      title: t('cases.title'),
      notices,
      status,
      body: html`${
        cases.length === 0
          ? html`<p class="muted">${t('cases.none')}</p>`
          : html`<table><thead><tr><th>${t('cases.name')}</th><th>${t('cases.lead')}</th><th>${t('cases.created')}</th>${
              showEvidence ? html`<th>${t('cases.evidence')}</th>` : ''
            }${showExport ? html`<th>${t('cases.export')}</th>` : ''}</tr></thead><tbody>
${cases.map(
  (k) =>
    html`<tr><td>${k.title}</td><td>${orgName.get(k.leadOrgId) ?? ''}</td><td>${formatDate(locale, k.createdAt)}</td>${
      showEvidence ? html`<td><a href="/evidence?caseId=${k.id}">${t('cases.showEvidence')}</a></td>` : ''
    }${showExport ? html`<td><a href="/cases/${k.id}/export">${t('cases.exportLink')}</a></td>` : ''}</tr>`,
)}</tbody></table>`
      }
${
  can(auth.actor, 'case.create')
    ? html`<section class="card"><h2>${t('cases.new')}</h2>
<form method="post" action="/cases">${csrfField(c)}
<label for="title">${t('cases.name')}</label><input type="text" id="title" name="title" required maxlength="300">
<button type="submit">${t('common.create')}</button></form></section>`
    : ''
}`,
    });
  };

  r.get('/cases', 'case.read', (c) => casesPage(c));
  r.post('/cases', 'case.create', async (c) => {
    const body = await c.req.parseBody();
    const actor = c.get('auth')!.actor;
    try {
      await c.get('accounts').createCase(actor, { title: body.title, leadOrgId: actor.orgId });
      return casesPage(c, [{ kind: 'info', text: c.get('t')('cases.createdMsg') }]);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return casesPage(c, [{ kind: 'error', text: describeError(c.get('t'), e) }], 400);
    }
  });
};
