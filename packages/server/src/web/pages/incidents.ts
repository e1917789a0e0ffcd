import {
  AccordError,
  type CaseView,
  type Compartment,
  type Incident,
  type ItemRecord,
  type Suspect,
} from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import type { MessageKey } from '../i18n/index.ts';
import { csrfField, formatDate, type Html, type Notice, page } from '../layout.ts';
import { formatCoordinates, locationView, type MapTiles } from '../location.ts';
import { type FolderMapTiles, project } from '../map-tiles.ts';
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
  located: 'incident.locatedMsg',
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

// ── picking the place on the map ─────────────────────────────────────────────────────────────

/**
 * The map of an incident is drawn as FolderMapTiles.render draws it: the 3 × 3 tiles of 256 pixels
 * around the tile that holds the point, of which the middle 512 × 512 pixels are shown (the SVG's
 * viewBox starts 128 pixels into the grid). These numbers must stay those of that drawing.
 */
const TILE = 256;
const MAP_SIZE = 512;
const MAP_OFFSET = 128;

/** Where the picker image sits in the world: its zoom and its top-left corner in tile units. */
export interface MapFrame {
  readonly zoom: number;
  readonly left: number;
  readonly top: number;
}

/** The frame of the map drawn around a point at a zoom level (Web Mercator, as `project`). */
export const mapFrame = (latitude: number, longitude: number, zoom: number): MapFrame => {
  const { x, y } = project(latitude, longitude, zoom);
  return {
    zoom,
    left: Math.floor(x) - 1 + MAP_OFFSET / TILE,
    top: Math.floor(y) - 1 + MAP_OFFSET / TILE,
  };
};

/** Decimal degrees to 7 places (about 1 cm), as the coordinates are shown. */
const round7 = (value: number): number => Number(value.toFixed(7));

/**
 * The point under a pixel of the map image (offsets from its top-left corner, as a browser sends
 * `pick.x` and `pick.y` for an image button): the inverse of the Web Mercator projection. Longitude
 * wraps around the antimeridian; a pixel beyond the poles of the projection (where no tile is
 * drawn) has no point, and neither has one outside the image.
 */
export const pixelToPoint = (
  frame: MapFrame,
  px: number,
  py: number,
): { latitude: number; longitude: number } | undefined => {
  if (!(px >= 0 && py >= 0 && px < MAP_SIZE && py < MAP_SIZE)) return undefined;
  const n = 2 ** frame.zoom;
  const x = frame.left + px / TILE;
  const y = frame.top + py / TILE;
  if (y < 0 || y > n) return undefined;
  const longitude = (((((x / n) * 360) % 360) + 360) % 360) - 180;
  const latitude = (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
  return { latitude: round7(latitude), longitude: round7(longitude) };
};

/** One offset of an image button: whole or decimal pixels, nothing else. */
const offset = (value: string | undefined): number | undefined =>
  value !== undefined && /^\d{1,5}(\.\d{1,6})?$/.test(value.trim()) ? Number(value.trim()) : undefined;

/** A refused pick, said in the reader's language on the incident page. */
class PickRefused extends Error {
  readonly key: MessageKey;
  constructor(key: MessageKey) {
    super(key);
    this.key = key;
  }
}

/** The point a posted image button chose on the incident's map, or why there is none. */
const pickedPoint = (tiles: FolderMapTiles, i: Incident, body: Form) => {
  if (i.latitude === null || i.longitude === null) throw new PickRefused('incident.pickNoMap');
  const x = offset(field(body, 'pick.x'));
  const y = offset(field(body, 'pick.y'));
  // A keyboard press on an image button sends (0, 0): no point was chosen.
  if (x === 0 && y === 0) throw new PickRefused('incident.pickNoPoint');
  const point =
    x === undefined || y === undefined
      ? undefined
      : pixelToPoint(mapFrame(i.latitude, i.longitude, tiles.zoom), x, y);
  if (!point) throw new PickRefused('incident.pickOutside');
  return point;
};

/**
 * The map as a standalone SVG image for the image button: an image loaded this way may not fetch
 * anything, so the node's own tiles are put in as data: URIs. Drawn exactly as the page's map.
 */
const mapImage = async (tiles: FolderMapTiles, latitude: number, longitude: number): Promise<string> => {
  const { x, y } = project(latitude, longitude, tiles.zoom);
  const tx = Math.floor(x);
  const ty = Math.floor(y);
  const n = 2 ** tiles.zoom;
  const images: string[] = [];
  for (let dy = -1; dy <= 1; dy += 1) {
    for (let dx = -1; dx <= 1; dx += 1) {
      const cx = (((tx + dx) % n) + n) % n;
      const cy = ty + dy;
      if (cy < 0 || cy >= n) continue;
      const png = await tiles.tile(tiles.zoom, cx, cy);
      if (!png) continue;
      images.push(
        `<image href="data:image/png;base64,${Buffer.from(png).toString('base64')}" x="${(dx + 1) * TILE}" y="${(dy + 1) * TILE}" width="${TILE}" height="${TILE}"/>`,
      );
    }
  }
  const px = (x - tx + 1) * TILE;
  const py = (y - ty + 1) * TILE;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${MAP_SIZE}" height="${MAP_SIZE}" viewBox="${MAP_OFFSET} ${MAP_OFFSET} ${MAP_SIZE} ${MAP_SIZE}"><rect x="${MAP_OFFSET}" y="${MAP_OFFSET}" width="${MAP_SIZE}" height="${MAP_SIZE}" fill="#eef"/>${images.join('')}<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="9" fill="#c0392b" stroke="#fff" stroke-width="3"/></svg>`;
};

/** In place of the drawn map, for those who may edit: the map as an image button that sets the place. */
const mapPicker = (c: Context<AppEnv>, i: Incident): MapTiles => ({
  render: () => {
    const t = c.get('t');
    return html`<form method="post" action="/incidents/${i.id}/location" class="map-pick">${csrfField(c)}<div class="table-scroll"><input type="image" name="pick" src="/incidents/${i.id}/map.svg" width="${MAP_SIZE}" height="${MAP_SIZE}" alt="${t(
      'incident.pickAlt',
    )}" aria-describedby="pick-help"></div><p class="muted" id="pick-help">${t('incident.pickHelp')}</p></form>`;
  },
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
    // The list of suspects is for naming perpetrators in the form; readers get each incident's own.
    edit ? cases.suspects(actor, caseId) : Promise.resolve([] as Suspect[]),
    cases.compartments(actor, caseId),
  ]);
  const compartmentName = new Map(compartments.map((k) => [k.id, k.name]));
  const suspectName = new Map(
    [...suspects, ...details.flatMap((d) => d.suspects)].map((s) => [s.id as string, s.name]),
  );
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
        ...(node.mapTiles ? { tiles: edit ? mapPicker(c, i) : node.mapTiles } : {}),
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

  // The map of an incident as an image of its own (for the image button that picks a new place).
  r.get('/incidents/:id/map.svg', 'case.read', async (c) => {
    const tiles = c.get('node').mapTiles;
    const { incident: i } = await c.get('cases').incident(c.get('auth')!.actor, c.req.param('id'));
    if (!tiles || i.latitude === null || i.longitude === null) return c.text('no map for this incident', 404);
    // An SVG image document: nothing to run, nothing to fetch but its own data: tiles.
    c.header('Content-Security-Policy', "default-src 'none'; img-src data:");
    return c.body(await mapImage(tiles, i.latitude, i.longitude), 200, {
      'Content-Type': 'image/svg+xml; charset=utf-8',
    });
  });

  // A click on the map: the browser sends the pixel as pick.x and pick.y; the incident moves there.
  const saveLocation = formAction(
    async (c, body) => {
      const actor = c.get('auth')!.actor;
      const cases = c.get('cases');
      const { incident: i } = await cases.incident(actor, c.req.param('id'));
      if (!(await cases.view(actor, i.caseId)).may['incident.edit'])
        throw new AccordError('forbidden', 'not allowed on this case');
      const tiles = c.get('node').mapTiles;
      if (!tiles) throw new PickRefused('incident.pickNoMap');
      const { latitude, longitude } = pickedPoint(tiles, i, body);
      await cases.saveIncident(
        actor,
        i.caseId,
        {
          title: i.title,
          occurredFrom: i.occurredFrom,
          occurredTo: i.occurredTo,
          place: i.place,
          latitude,
          longitude,
          acts: [...i.acts],
          victims: [...i.victims],
          perpetratorIds: [...i.perpetratorIds],
          perpetratorsOther: i.perpetratorsOther,
          sources: i.sources,
          compartmentId: i.compartmentId,
        },
        i.id,
      );
      return `/incidents/${i.id}?done=located#h-place`;
    },
    // A refusal shows the page again, without the pick as a draft of the edit form.
    (c, o) => incidentPage(c, { notices: o.notices, status: o.status }),
  );
  r.post('/incidents/:id/location', 'case.read', async (c) => {
    try {
      return await saveLocation(c);
    } catch (e) {
      if (!(e instanceof PickRefused)) throw e;
      return incidentPage(c, { notices: [{ kind: 'error', text: c.get('t')(e.key) }], status: 400 });
    }
  });

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
