import type { CaseView, Compartment, Incident, ItemRecord, Suspect } from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import type { MessageKey } from '../i18n/index.ts';
import { csrfField, formatDate, type Html, type Notice, page } from '../layout.ts';
import { formatCoordinates, locationView } from '../location.ts';
import type { PageRoutes } from './index.ts';
import {
  caseItems,
  caseNav,
  checked,
  doneNotices,
  type Form,
  field,
  fieldAll,
  formAction,
  formValue,
  itemOption,
  selected,
} from './matrix.ts';

/**
 * Incidents for people: "who did what to whom, where and when". A list per case with a form for a
 * new one, and a page per incident with its place on a map (from the node's own tiles, or plain
 * coordinates), its linked evidence and an edit form. Victims appear by pseudonym only. The Cases
 * service decides access: an incident in a compartment one is not in does not exist for them.
 */

const INCIDENT_DONE: Readonly<Record<string, MessageKey>> = {
  created: 'incident.createdMsg',
  saved: 'incident.savedMsg',
  linked: 'incident.linkedMsg',
  unlinked: 'incident.unlinkedMsg',
};

/** What the incident forms send, as the service reads it. */
const incidentInput = (body: Form) => ({
  title: field(body, 'title'),
  occurredFrom: field(body, 'occurredFrom'),
  occurredTo: field(body, 'occurredTo'),
  place: field(body, 'place'),
  latitude: field(body, 'latitude'),
  longitude: field(body, 'longitude'),
  acts: field(body, 'acts'),
  victims: field(body, 'victims'),
  perpetratorIds: fieldAll(body, 'perpetratorIds'),
  perpetratorsOther: field(body, 'perpetratorsOther'),
  sources: field(body, 'sources'),
  compartmentId: field(body, 'compartmentId') ?? '',
});

const when = (i: Incident): string => (i.occurredTo ? `${i.occurredFrom} – ${i.occurredTo}` : i.occurredFrom);

/** Compartments one can file something in: those one is a member of (leads see every name). */
const fileable = (c: Context<AppEnv>, all: Compartment[], current: string | null): Compartment[] => {
  const me = c.get('auth')!.actor.userId;
  return all.filter((k) => k.members.includes(me) || k.id === current);
};

const incidentForm = (
  c: Context<AppEnv>,
  opts: {
    action: string;
    incident?: Incident;
    draft?: Form;
    suspects: Suspect[];
    compartments: Compartment[];
    submit: string;
    prefix: string;
  },
): Html => {
  const t = c.get('t');
  const i = opts.incident;
  const d = opts.draft;
  const p = opts.prefix;
  const v = (name: string, stored: string) => formValue(d, name, stored);
  const perpetrators = d ? fieldAll(d, 'perpetratorIds') : (i?.perpetratorIds ?? []);
  const compartment = v('compartmentId', i?.compartmentId ?? '');
  return html`<form method="post" action="${opts.action}" class="incident-form">${csrfField(c)}
<label for="${p}-title">${t('incident.title')}</label><input type="text" id="${p}-title" name="title" required maxlength="300" value="${v('title', i?.title ?? '')}">
<div class="row">
<div><label for="${p}-from">${t('incident.from')}</label><input type="text" id="${p}-from" name="occurredFrom" required maxlength="40" dir="ltr" placeholder="2022-03-09" value="${v(
    'occurredFrom',
    i?.occurredFrom ?? '',
  )}" aria-describedby="${p}-when-help"></div>
<div><label for="${p}-to">${t('incident.to')}</label><input type="text" id="${p}-to" name="occurredTo" maxlength="40" dir="ltr" placeholder="2022-03-09T18:00:00+02:00" value="${v(
    'occurredTo',
    i?.occurredTo ?? '',
  )}" aria-describedby="${p}-when-help"></div>
</div>
<p id="${p}-when-help" class="muted">${t('incident.whenHelp')}</p>
<label for="${p}-place">${t('incident.place')}</label><input type="text" id="${p}-place" name="place" maxlength="300" value="${v('place', i?.place ?? '')}">
<div class="row">
<div><label for="${p}-lat">${t('incident.latitude')}</label><input type="text" id="${p}-lat" name="latitude" inputmode="decimal" maxlength="20" dir="ltr" placeholder="50.4501" value="${v(
    'latitude',
    i?.latitude === null || i?.latitude === undefined ? '' : String(i.latitude),
  )}"></div>
<div><label for="${p}-lon">${t('incident.longitude')}</label><input type="text" id="${p}-lon" name="longitude" inputmode="decimal" maxlength="20" dir="ltr" placeholder="30.5234" value="${v(
    'longitude',
    i?.longitude === null || i?.longitude === undefined ? '' : String(i.longitude),
  )}"></div>
</div>
<label for="${p}-acts">${t('incident.acts')}</label><textarea dir="auto" id="${p}-acts" name="acts" maxlength="50000" aria-describedby="${p}-acts-help">${v(
    'acts',
    (i?.acts ?? []).join('\n'),
  )}</textarea><p id="${p}-acts-help" class="muted">${t('incident.actsHelp')}</p>
<label for="${p}-victims">${t('incident.victims')}</label><textarea id="${p}-victims" name="victims" maxlength="20000" dir="ltr" aria-describedby="${p}-victims-help">${v(
    'victims',
    (i?.victims ?? []).join('\n'),
  )}</textarea><p id="${p}-victims-help" class="muted">${t('incident.victimsHelp')}</p>
<fieldset><legend>${t('incident.perpetrators')}</legend>${
    opts.suspects.length === 0
      ? html`<p class="muted">${t('incident.noSuspects')}</p>`
      : opts.suspects.map(
          (s) =>
            html`<div><input type="checkbox" id="${p}-perp-${s.id}" name="perpetratorIds" value="${s.id}"${checked(perpetrators.includes(s.id))}> <label for="${p}-perp-${s.id}" dir="auto">${s.name}</label></div>`,
        )
  }
<label for="${p}-others" class="block-label">${t('incident.perpetratorsOther')}</label><textarea dir="auto" id="${p}-others" name="perpetratorsOther" maxlength="2000">${v(
    'perpetratorsOther',
    i?.perpetratorsOther ?? '',
  )}</textarea></fieldset>
<label for="${p}-sources">${t('incident.sources')}</label><textarea dir="auto" id="${p}-sources" name="sources" maxlength="4000">${v('sources', i?.sources ?? '')}</textarea>
<label for="${p}-compartment">${t('matrix.compartment')}</label><select id="${p}-compartment" name="compartmentId"><option value="">${t('matrix.generalArea')}</option>${opts.compartments.map(
    (k) => html`<option value="${k.id}"${selected(compartment === k.id)}>${k.name}</option>`,
  )}</select>
<button type="submit">${opts.submit}</button></form>`;
};

// ── /cases/:id/incidents ─────────────────────────────────────────────────────────────────────

const listPage = async (
  c: Context<AppEnv>,
  opts: { notices?: Notice[]; status?: number; draft?: Form } = {},
) => {
  const t = c.get('t');
  const actor = c.get('auth')!.actor;
  const cases = c.get('cases');
  const view = await cases.view(actor, c.req.param('id'));
  const caseId = view.record.id;
  const incidents = await cases.listIncidents(actor, caseId);
  const edit = view.may['incident.edit'];
  const [details, suspects, compartments] = await Promise.all([
    Promise.all(incidents.map((i) => cases.incident(actor, i.id))),
    cases.suspects(actor, caseId),
    cases.compartments(actor, caseId),
  ]);
  const compartmentName = new Map(compartments.map((k) => [k.id, k.name]));
  const suspectName = new Map(suspects.map((s) => [s.id, s.name]));
  const table = html`<div class="table-scroll"><table class="incidents"><thead><tr><th scope="col">${t('incident.when')}</th><th scope="col">${t(
    'incident.place',
  )}</th><th scope="col">${t('incident.title')}</th><th scope="col">${t('incident.acts')}</th><th scope="col">${t(
    'incident.victims',
  )}</th><th scope="col">${t('incident.perpetrators')}</th><th scope="col">${t('incident.items')}</th></tr></thead><tbody>
${details.map(
  ({ incident: i, items }) =>
    html`<tr data-incident="${i.id}"><td class="ltr">${when(i)}</td><td dir="auto">${i.place}${
      i.latitude !== null && i.longitude !== null
        ? html`<br><span class="muted">${formatCoordinates(t, c.get('locale'), i.latitude, i.longitude)}</span>`
        : ''
    }</td><td><a href="/incidents/${i.id}" dir="auto">${i.title}</a>${
      i.compartmentId
        ? html` <span class="badge">${compartmentName.get(i.compartmentId) ?? t('matrix.compartment')}</span>`
        : ''
    }</td><td><ul class="plain">${i.acts.map((a) => html`<li><span dir="auto">${a}</span></li>`)}</ul></td><td class="ltr">${i.victims.join(', ')}</td><td dir="auto">${[
      ...i.perpetratorIds.map((id) => suspectName.get(id) ?? id),
      ...(i.perpetratorsOther ? [i.perpetratorsOther] : []),
    ].join('; ')}</td><td data-items="${items.length}">${items.length}</td></tr>`,
)}</tbody></table></div>`;
  return page(c, {
    title: t('incident.listTitleOf', { case: view.record.title }),
    notices: [...doneNotices(c, INCIDENT_DONE), ...(opts.notices ?? [])],
    status: opts.status ?? 200,
    body: html`${caseNav(c, view)}
<p class="intro">${t('incident.intro')}</p>
${incidents.length === 0 ? html`<p class="muted">${t('incident.none')}</p>` : table}
${
  edit
    ? html`<details class="card"${opts.draft ? ' open' : ''} id="new-incident"><summary>${t('incident.new')}</summary>
${incidentForm(c, {
  action: `/cases/${caseId}/incidents`,
  ...(opts.draft ? { draft: opts.draft } : {}),
  suspects,
  compartments: fileable(c, compartments, null),
  submit: t('incident.create'),
  prefix: 'n',
})}</details>`
    : ''
}`,
  });
};

// ── /incidents/:id ───────────────────────────────────────────────────────────────────────────

const linkedItems = (
  c: Context<AppEnv>,
  incident: Incident,
  items: ItemRecord[],
  choices: ItemRecord[],
  edit: boolean,
): Html => {
  const t = c.get('t');
  const base = `/incidents/${incident.id}`;
  const linked = new Set(items.map((i) => i.id as string));
  const unlinked = choices.filter((i) => !linked.has(i.id));
  return html`<section class="card" aria-labelledby="h-items"><h2 id="h-items">${t('incident.items')}</h2>
${
  items.length === 0
    ? html`<p class="muted">${t('incident.noItems')}</p>`
    : html`<ul class="linked-items">${items.map(
        (i) =>
          html`<li data-item="${i.id}"><a href="/evidence/${i.id}" dir="auto">${i.title}</a> <span class="muted">(${t(`itemKind.${i.kind}`)})</span>${
            edit
              ? html` <form method="post" action="${base}/items/${i.id}/unlink" class="inline-form">${csrfField(c)}<button type="submit" class="link">${t(
                  'incident.unlink',
                )}</button></form>`
              : ''
          }</li>`,
      )}</ul>`
}
${
  edit
    ? html`<form method="post" action="${base}/items" class="link-item">${csrfField(c)}
<h3>${t('incident.linkItem')}</h3>
${
  unlinked.length > 0
    ? html`<label for="li-choice">${t('incident.chooseItem')}</label><select id="li-choice" name="itemId"><option value="">${t('matrix.choose')}</option>${unlinked.map(
        (i) => itemOption(t, i, false),
      )}</select>`
    : ''
}
<label for="li-id">${t('incident.itemIdLabel')}</label><input type="text" id="li-id" name="itemIdText" maxlength="36" dir="ltr" placeholder="00000000-0000-0000-0000-000000000000">
<button type="submit">${t('incident.link')}</button></form>`
    : ''
}</section>`;
};

const incidentPage = async (
  c: Context<AppEnv>,
  opts: { notices?: Notice[]; status?: number; draft?: Form } = {},
) => {
  const t = c.get('t');
  const locale = c.get('locale');
  const actor = c.get('auth')!.actor;
  const cases = c.get('cases');
  const node = c.get('node');
  const { incident: i, items, suspects: named } = await cases.incident(actor, c.req.param('id'));
  const view: CaseView = await cases.view(actor, i.caseId);
  const edit = view.may['incident.edit'];
  const [suspects, compartments, choices] = await Promise.all([
    edit ? cases.suspects(actor, i.caseId) : Promise.resolve([] as Suspect[]),
    cases.compartments(actor, i.caseId),
    edit ? caseItems(c, i.caseId) : Promise.resolve([] as ItemRecord[]),
  ]);
  const compartment = compartments.find((k) => k.id === i.compartmentId);
  const fact = (label: string, value: Html | string) => html`<dt>${label}</dt><dd>${value}</dd>`;
  const perpetrators = [...named.map((s) => s.name), ...(i.perpetratorsOther ? [i.perpetratorsOther] : [])];
  return page(c, {
    title: i.title,
    notices: [...doneNotices(c, INCIDENT_DONE), ...(opts.notices ?? [])],
    status: opts.status ?? 200,
    body: html`${caseNav(c, view)}
<section class="card" aria-labelledby="h-incident"><h2 id="h-incident">${t('incident.details')}</h2>
<dl class="facts incident-facts">
${fact(t('incident.when'), html`<span class="ltr">${when(i)}</span>`)}
${fact(t('incident.place'), html`<span dir="auto">${i.place || '—'}</span>`)}
${fact(
  t('incident.acts'),
  i.acts.length === 0
    ? '—'
    : html`<ul class="plain">${i.acts.map((a) => html`<li><span dir="auto">${a}</span></li>`)}</ul>`,
)}
${fact(t('incident.victims'), i.victims.length === 0 ? '—' : html`<span class="ltr">${i.victims.join(', ')}</span>`)}
${fact(t('incident.perpetrators'), perpetrators.length === 0 ? '—' : html`<span dir="auto">${perpetrators.join('; ')}</span>`)}
${fact(t('incident.sources'), i.sources ? html`<span dir="auto" class="pre">${i.sources}</span>` : '—')}
${fact(t('matrix.compartment'), compartment ? compartment.name : t('matrix.generalArea'))}
${fact(t('incident.updated'), formatDate(locale, i.updatedAt))}
</dl></section>
<section class="card" aria-labelledby="h-place"><h2 id="h-place">${t('incident.map')}</h2>
${
  i.latitude !== null && i.longitude !== null
    ? locationView(t, locale, i.latitude, i.longitude, {
        ...(node.mapTiles ? { tiles: node.mapTiles } : {}),
        id: 'incident-geo',
      })
    : html`<p class="muted">${t('incident.noCoordinates')}</p>`
}</section>
${linkedItems(c, i, items, choices, edit)}
${
  edit
    ? html`<details class="card" id="edit"${opts.draft ? ' open' : ''}><summary>${t('incident.edit')}</summary>
${incidentForm(c, {
  action: `/incidents/${i.id}`,
  incident: i,
  ...(opts.draft ? { draft: opts.draft } : {}),
  suspects,
  compartments: fileable(c, compartments, i.compartmentId),
  submit: t('common.save'),
  prefix: 'e',
})}</details>`
    : ''
}`,
  });
};

// ── routes ───────────────────────────────────────────────────────────────────────────────────

export const registerIncidents = (r: PageRoutes) => {
  r.get('/cases/:id/incidents', 'case.read', (c) => listPage(c));

  r.post(
    '/cases/:id/incidents',
    'case.read',
    formAction(async (c, body) => {
      const created = await c
        .get('cases')
        .saveIncident(c.get('auth')!.actor, c.req.param('id'), incidentInput(body));
      return `/incidents/${created.id}?done=created`;
    }, listPage),
  );

  r.get('/incidents/:id', 'case.read', (c) => incidentPage(c));

  r.post(
    '/incidents/:id',
    'case.read',
    formAction(async (c, body) => {
      const actor = c.get('auth')!.actor;
      const cases = c.get('cases');
      const { incident } = await cases.incident(actor, c.req.param('id'));
      await cases.saveIncident(actor, incident.caseId, incidentInput(body), incident.id);
      return `/incidents/${incident.id}?done=saved`;
    }, incidentPage),
  );

  r.post(
    '/incidents/:id/items',
    'case.read',
    formAction(
      async (c, body) => {
        const id = c.req.param('id');
        const itemId = field(body, 'itemIdText')?.trim() || field(body, 'itemId') || '';
        await c.get('cases').linkIncidentItem(c.get('auth')!.actor, id, itemId, true);
        return `/incidents/${id}?done=linked#h-items`;
      },
      (c, o) => incidentPage(c, { notices: o.notices, status: o.status }),
    ),
  );

  r.post(
    '/incidents/:id/items/:itemId/unlink',
    'case.read',
    formAction(
      async (c) => {
        const id = c.req.param('id');
        await c.get('cases').linkIncidentItem(c.get('auth')!.actor, id, c.req.param('itemId'), false);
        return `/incidents/${id}?done=unlinked#h-items`;
      },
      (c, o) => incidentPage(c, { notices: o.notices, status: o.status }),
    ),
  );
};
