import {
  type AuditEvent,
  can,
  isAccordError,
  ORG_KINDS,
  type Organisation,
  parseUserId,
  ROLES,
  type User,
} from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import { countryName, csrfField, describeError, formatDate, type Notice, page } from '../layout.ts';
import type { PageRoutes } from './index.ts';

type Form = Record<string, string | File | (string | File)[]>;
const str = (body: Form, name: string): string | undefined =>
  typeof body[name] === 'string' ? body[name] : undefined;

export const registerAdmin = (r: PageRoutes) => {
  // ── organisations ─────────────────────────────────────────────────────────────
  const orgsPage = async (c: Context<AppEnv>, notices: Notice[] = [], status = 200) => {
    const t = c.get('t');
    const locale = c.get('locale');
    const auth = c.get('auth')!;
    const accounts = c.get('accounts');
    const orgs = await accounts.listOrganisations(auth.actor);
    const users = can(auth.actor, 'user.read') ? await accounts.listUsers(auth.actor) : undefined;
    const count = (o: Organisation) => users?.filter((u) => u.orgId === o.id).length;
    return page(c, {
      title: t('orgs.title'),
      notices,
      status,
      body: html`<table><thead><tr><th>${t('orgs.name')}</th><th>${t('orgs.country')}</th><th>${t('orgs.kind')}</th>${
        users ? html`<th>${t('orgs.members')}</th>` : ''
      }<th>${t('orgs.created')}</th></tr></thead><tbody>
${orgs.map(
  (o) =>
    html`<tr><td>${o.name}</td><td>${countryName(locale, o.country)}</td><td>${t(`kind.${o.kind}`)}</td>${
      users ? html`<td>${count(o)}</td>` : ''
    }<td>${formatDate(locale, o.createdAt)}</td></tr>`,
)}</tbody></table>
${
  can(auth.actor, 'org.create')
    ? html`<section class="card"><h2>${t('orgs.new')}</h2>
<form method="post" action="/organisations">${csrfField(c)}
<label for="name">${t('orgs.name')}</label><input type="text" id="name" name="name" required maxlength="200">
<label for="country">${t('orgs.country')}</label><input type="text" id="country" name="country" required maxlength="2" pattern="[A-Za-z]{2}" placeholder="UA" dir="ltr">
<label for="kind">${t('orgs.kind')}</label><select id="kind" name="kind">${ORG_KINDS.map(
        (k) => html`<option value="${k}">${t(`kind.${k}`)}</option>`,
      )}</select>
<button type="submit">${t('common.create')}</button></form></section>`
    : ''
}`,
    });
  };

  r.get('/organisations', 'org.read', (c) => orgsPage(c));
  r.post('/organisations', 'org.create', async (c) => {
    const body = await c.req.parseBody();
    try {
      await c.get('accounts').createOrganisation(c.get('auth')!.actor, {
        name: str(body, 'name'),
        country: str(body, 'country'),
        kind: str(body, 'kind'),
      });
      return orgsPage(c, [{ kind: 'info', text: c.get('t')('orgs.createdMsg') }]);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return orgsPage(
        c,
        [{ kind: 'error', text: describeError(c.get('t'), e) }],
        e.code === 'conflict' ? 409 : 400,
      );
    }
  });

  // ── users ────────────────────────────────────────────────────────────────────
  const usersPage = async (c: Context<AppEnv>, notices: Notice[] = [], status = 200) => {
    const t = c.get('t');
    const auth = c.get('auth')!;
    const accounts = c.get('accounts');
    const [users, orgs] = await Promise.all([
      accounts.listUsers(auth.actor),
      accounts.listOrganisations(auth.actor),
    ]);
    const orgName = new Map(orgs.map((o) => [o.id, o.name]));
    const manage = can(auth.actor, 'user.update');
    const status_ = (u: User) =>
      u.disabled
        ? t('users.disabled')
        : u.lockedUntil && new Date(u.lockedUntil) > c.get('node').clock.now()
          ? t('users.locked')
          : t('users.active');
    return page(c, {
      title: t('users.title'),
      notices,
      status,
      body: html`<table><thead><tr><th>${t('users.username')}</th><th>${t('users.displayName')}</th><th>${t('users.organisation')}</th><th>${t('users.role')}</th><th>${t('users.totp')}</th><th>${t('users.status')}</th>${
        manage ? html`<th></th>` : ''
      }</tr></thead><tbody>
${users.map(
  (u) =>
    html`<tr><td><code>${u.username}</code></td><td>${u.displayName}</td><td>${orgName.get(u.orgId) ?? ''}</td><td>${t(
      `role.${u.role}`,
    )}</td><td>${u.totpEnrolled ? t('common.yes') : t('common.no')}</td><td>${status_(u)}</td>${
      manage
        ? html`<td>
<form method="post" action="/users/${u.id}/role" class="inline-form">${csrfField(c)}<label class="visually-hidden" for="role-${u.id}">${t('users.changeRole')}</label>
<select id="role-${u.id}" name="role">${ROLES.map((role) => html`<option value="${role}"${role === u.role ? ' selected' : ''}>${t(`role.${role}`)}</option>`)}</select>
<button type="submit" class="secondary">${t('users.changeRole')}</button></form>
<form method="post" action="/users/${u.id}/${u.disabled ? 'enable' : 'disable'}" class="inline-form">${csrfField(c)}<button type="submit" class="secondary">${
            u.disabled ? t('users.enable') : t('users.disable')
          }</button></form>
<form method="post" action="/users/${u.id}/reset" class="inline-form">${csrfField(c)}<button type="submit" class="danger">${t('users.reset')}</button></form>
</td>`
        : ''
    }</tr>`,
)}</tbody></table>
${
  can(auth.actor, 'user.create')
    ? html`<section class="card"><h2>${t('users.new')}</h2>
<form method="post" action="/users">${csrfField(c)}
<label for="username">${t('users.username')}</label><input type="text" id="username" name="username" required maxlength="64" dir="ltr" autocapitalize="none">
<label for="displayName">${t('users.displayName')}</label><input type="text" id="displayName" name="displayName" required maxlength="200">
<label for="orgId">${t('users.organisation')}</label><select id="orgId" name="orgId">${orgs.map((o) => html`<option value="${o.id}">${o.name}</option>`)}</select>
<label for="role">${t('users.role')}</label><select id="role" name="role">${ROLES.map((role) => html`<option value="${role}"${role === 'observer' ? ' selected' : ''}>${t(`role.${role}`)}</option>`)}</select>
<button type="submit">${t('common.create')}</button></form></section>`
    : ''
}`,
    });
  };

  const secretNotice = (text: string, secret: string): Notice[] => [{ kind: 'info', text, secret }];

  r.get('/users', 'user.read', (c) => usersPage(c));
  r.post('/users', 'user.create', async (c) => {
    const body = await c.req.parseBody();
    try {
      const { user, initialPassword } = await c.get('accounts').createUser(c.get('auth')!.actor, {
        orgId: str(body, 'orgId'),
        username: str(body, 'username'),
        displayName: str(body, 'displayName'),
        role: str(body, 'role'),
      });
      return usersPage(
        c,
        secretNotice(c.get('t')('users.createdMsg', { username: user.username }), initialPassword ?? ''),
      );
    } catch (e) {
      if (!isAccordError(e)) throw e;
      return usersPage(
        c,
        [{ kind: 'error', text: describeError(c.get('t'), e) }],
        e.code === 'conflict' ? 409 : 400,
      );
    }
  });

  const userAction = (action: 'role' | 'disable' | 'enable' | 'reset') => async (c: Context<AppEnv>) => {
    const accounts = c.get('accounts');
    const actor = c.get('auth')!.actor;
    try {
      const id = parseUserId(c.req.param('id'));
      switch (action) {
        case 'role': {
          const body = await c.req.parseBody();
          await accounts.changeRole(actor, id, str(body, 'role'));
          break;
        }
        case 'disable':
        case 'enable':
          await accounts.setDisabled(actor, id, action === 'disable');
          break;
        case 'reset': {
          const { user, password } = await accounts.resetCredentials(actor, id, { resetTotp: true });
          return usersPage(
            c,
            secretNotice(c.get('t')('users.resetMsg', { username: user.username }), password),
          );
        }
      }
      return usersPage(c, [{ kind: 'info', text: c.get('t')('users.updatedMsg') }]);
    } catch (e) {
      if (!isAccordError(e)) throw e;
      const status = e.code === 'not_found' ? 404 : e.code === 'conflict' ? 409 : 400;
      return usersPage(c, [{ kind: 'error', text: describeError(c.get('t'), e) }], status);
    }
  };
  r.post('/users/:id/role', 'user.update', userAction('role'));
  r.post('/users/:id/disable', 'user.update', userAction('disable'));
  r.post('/users/:id/enable', 'user.update', userAction('enable'));
  r.post('/users/:id/reset', 'user.reset_credentials', userAction('reset'));

  // ── audit ────────────────────────────────────────────────────────────────────
  r.get('/audit', 'audit.read', async (c) => {
    const t = c.get('t');
    const locale = c.get('locale');
    const auth = c.get('auth')!;
    const accounts = c.get('accounts');
    const before = Number(c.req.query('before'));
    const events = await accounts.listAudit(auth.actor, {
      limit: 100,
      ...(Number.isInteger(before) && before > 0 ? { beforeSeq: before } : {}),
    });
    const users = new Map((await accounts.listUsers({ operator: true })).map((u) => [u.id, u.username]));
    const who = (id: string | null) => (id ? (users.get(id as User['id']) ?? id) : '—');
    const details = (e: AuditEvent) =>
      Object.entries(e.details)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
    const last = events.at(-1);
    return page(c, {
      title: t('audit.title'),
      body: html`<p>${t('audit.intro')}</p>
<table><thead><tr><th>${t('audit.when')}</th><th>${t('audit.event')}</th><th>${t('audit.outcome')}</th><th>${t('audit.actor')}</th><th>${t('audit.subject')}</th><th>${t('audit.details')}</th></tr></thead><tbody>
${events.map(
  (e) =>
    html`<tr><td>${formatDate(locale, e.at)}</td><td><code>${e.type}</code></td><td>${
      e.outcome === 'success' ? t('audit.success') : t('audit.failure')
    }</td><td>${who(e.actorUserId)}</td><td>${who(e.subjectUserId)}</td><td><code>${details(e)}</code></td></tr>`,
)}</tbody></table>
${events.length === 100 && last ? html`<p><a href="/audit?before=${last.seq}">${t('audit.older')}</a></p>` : ''}`,
    });
  });
};
