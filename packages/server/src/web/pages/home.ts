import { html } from 'hono/html';
import { formatDate, page } from '../layout.ts';
import type { PageRoutes } from './index.ts';

export const registerHome = (r: PageRoutes) => {
  r.get('/', 'self', async (c) => {
    const t = c.get('t');
    const auth = c.get('auth')!;
    const accounts = c.get('accounts');
    const node = c.get('node');
    const org = await accounts.getOrganisation({ operator: true }, auth.user.orgId);
    const cases = await c.get('cases').list(auth.actor);
    return page(c, {
      title: t('home.title'),
      body: html`<p class="lead">${t('home.welcome', { name: auth.user.displayName })}</p>
<p>${t('home.you', { role: t(`role.${auth.user.role}`), org: org.name })}</p>
<section class="card"><h2>${t('home.cases')}</h2>
${
  cases.length === 0
    ? html`<p class="muted">${t('home.noCases')}</p>`
    : html`<ul>${cases.map((k) => html`<li>${k.title} <span class="muted">(${formatDate(c.get('locale'), k.createdAt)})</span></li>`)}</ul>`
}
</section>
<section class="card"><h2>${t('home.security')}</h2><p>${t('home.totpOn')}</p></section>
<section class="card"><h2>${t('home.node')}</h2><p>${t('home.nodeId')}: <code>${node.folder.identity.nodeId}</code></p></section>`,
    });
  });
};
