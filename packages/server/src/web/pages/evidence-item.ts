import {
  type AccordError,
  type CaseView,
  can,
  DERIVED_KINDS,
  type InclusionStatus,
  type ItemRecord,
  isAccordError,
  type Jurisdiction,
  parseDerivedKind,
  parseFileName,
  ROME_STATUTE,
  SOURCE_KINDS,
  type TimelineEntry,
} from '@accord/core';
import type { ExtractedMetadata, WarcRecordSummary } from '@accord/extract';
import type { Context } from 'hono';
import { html } from 'hono/html';
import {
  clientWentAway,
  contentDisposition,
  downloadName,
  type PreviewKind,
  parseRange,
  previewKind,
  sendBytes,
  unsatisfiable,
} from '../../http/content.ts';
import type { AppEnv } from '../../http/context.ts';
import { refuseIfSealed } from '../../http/evidence-api.ts';
import type { MultipartReader } from '../../http/multipart.ts';
import type { Translate } from '../i18n/index.ts';
import { csrfField, describeError, formatDate, type Html, type Notice, page } from '../layout.ts';
import { formatCoordinates, locationView } from '../location.ts';
import { PreviewGrants } from '../preview.ts';
import { CsrfRefused, drain, isFormError, openStreamedForm } from '../streamed-form.ts';
import { formatNumber, formatSize, itemBadges, typeLabel } from './evidence-common.ts';
import type { PageRoutes } from './index.ts';
import { doneNotices, field, formAction, selected } from './matrix.ts';

/** How much of a text item the page shows. */
const TEXT_PREVIEW_BYTES = 64 * 1024;
/** WARC records listed on the page (the API has them all). */
const WARC_ROWS = 200;

const statusFor = (e: AccordError): number =>
  e.code === 'not_found' ? 404 : e.code === 'conflict' ? 409 : e.code === 'forbidden' ? 403 : 400;

type Form = Record<string, string | File | (string | File)[]>;
const str = (body: Form, name: string): string | undefined =>
  typeof body[name] === 'string' ? (body[name] as string) : undefined;

const readText = async (item: ItemRecord, c: Context<AppEnv>): Promise<{ text: string; cut: boolean }> => {
  const end = Math.min(item.size, TEXT_PREVIEW_BYTES);
  const stream = await c.get('node').blobs.get(item.sha256, { start: 0, end });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  // A multi-byte character cut at the end shows as one replacement character.
  return { text: new TextDecoder('utf-8').decode(Buffer.concat(chunks)), cut: item.size > end };
};

const logBadge = (t: Translate, s: InclusionStatus): Html => {
  switch (s.state) {
    case 'verified':
      return html`<span class="badge badge-ok" data-log="verified">${t('log.verified')}</span>`;
    case 'pending':
      return html`<span class="badge badge-pending" data-log="pending">${t('log.pending')}</span>`;
    case 'failed':
      return html`<span class="badge badge-failed" data-log="failed">${t('log.failed')}</span> <span class="muted">${s.problem}</span>`;
  }
};

const detailsText = (details: Readonly<Record<string, unknown>>): string =>
  Object.entries(details)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

// ── analysis: the item in the case's proof matrix (source, admissibility, compartment, incidents) ──

const ANALYSIS_DONE = {
  profile: 'matrix.profileSaved',
  admissibility: 'matrix.answerSaved',
  filed: 'matrix.filedMsg',
} as const;

/** The "analysis" section: only what the viewer's role on the case lets them change or read. */
const analysisView = async (
  c: Context<AppEnv>,
  item: ItemRecord,
  view: CaseView | undefined,
): Promise<Html> => {
  const t = c.get('t');
  const actor = c.get('auth')!.actor;
  const cases = c.get('cases');
  if (!view) return '';
  const may = view.may;
  if (!may['matrix.edit'] && !may['evidence.manage']) return '';
  const [matrix, compartments, current, incidents] = await Promise.all([
    may['matrix.edit'] ? cases.matrix(actor, item.caseId) : undefined,
    may['evidence.manage'] ? cases.compartments(actor, item.caseId) : [],
    cases.access.itemCompartment(item.id),
    may['incident.read'] ? cases.incidentsOfItem(actor, item) : [],
  ]);
  const base = `/evidence/${item.id}`;
  const profile = matrix?.profiles.find((p) => p.itemId === item.id);
  const answers = matrix?.admissibility.filter((a) => a.itemId === item.id) ?? [];
  const legal = c.get('node').legal;
  const checklists = view.record.jurisdictions
    .filter((j) => j !== ROME_STATUTE)
    .map((code) => legal.jurisdiction(code))
    .filter((j): j is Jurisdiction => j !== undefined && j.admissibility.length > 0);
  const me = actor.userId;
  const classify = matrix
    ? html`<h3>${t('matrix.profile')}</h3><form method="post" action="${base}/profile">${csrfField(c)}
<div class="row"><div><label for="a-kind">${t('matrix.sourceKind')}</label><select id="a-kind" name="sourceKind">${SOURCE_KINDS.map(
        (k) =>
          html`<option value="${k}"${selected(profile?.sourceKind === k)}>${t(`matrix.sourceKindValue.${k}`)}</option>`,
      )}</select></div>
<div><label for="a-label">${t('matrix.sourceLabel')}</label><input type="text" id="a-label" name="sourceLabel" required maxlength="200" value="${profile?.sourceLabel ?? ''}"></div></div>
<p class="muted">${t('matrix.sourceLabelHelp')}</p><button type="submit">${t('common.save')}</button></form>
<h3>${t('matrix.admissibility')}</h3>${
        checklists.length === 0
          ? html`<p class="muted">${t('matrix.noChecklists')}</p>`
          : checklists.map(
              (j) =>
                html`<h4>${j.name} <span class="ltr muted">(${j.code})</span></h4><ul class="answers">${j.admissibility.map(
                  (rule) => {
                    const a = answers.find((x) => x.jurisdiction === j.code && x.ruleId === rule.id);
                    return html`<li data-rule="${j.code}:${rule.id}"><span dir="auto">${rule.requirement}</span>
<form method="post" action="${base}/admissibility" class="inline-form answer-form">${csrfField(c)}<input type="hidden" name="jurisdiction" value="${j.code}"><input type="hidden" name="ruleId" value="${rule.id}">
<label class="visually-hidden" for="a-${j.code}-${rule.id}">${t('matrix.answer')}</label><select id="a-${j.code}-${rule.id}" name="answer"><option value="">${t('matrix.unanswered')}</option><option value="met"${selected(a?.answer === 'met')}>${t('matrix.answerValue.met')}</option><option value="not_met"${selected(a?.answer === 'not_met')}>${t('matrix.answerValue.not_met')}</option></select>
<label class="visually-hidden" for="a-${j.code}-${rule.id}-note">${t('matrix.note')}</label><input type="text" id="a-${j.code}-${rule.id}-note" name="note" maxlength="2000" placeholder="${t('matrix.note')}" value="${a?.note ?? ''}">
<button type="submit" class="secondary">${t('common.save')}</button></form></li>`;
                  },
                )}</ul>`,
            )
      }`
    : '';
  const file = may['evidence.manage']
    ? html`<h3>${t('matrix.compartment')}</h3><form method="post" action="${base}/compartment">${csrfField(c)}
<label for="a-compartment">${t('matrix.fileIn')}</label><select id="a-compartment" name="compartmentId"><option value="">${t('matrix.generalArea')}</option>${compartments
        .filter((k) => k.members.includes(me) || k.id === current)
        .map((k) => html`<option value="${k.id}"${selected(k.id === current)}>${k.name}</option>`)}</select>
<button type="submit">${t('matrix.file')}</button></form>`
    : '';
  const linked = may['incident.read']
    ? html`<h3>${t('incident.listTitle')}</h3>${
        incidents.length === 0
          ? html`<p class="muted">${t('matrix.noIncidentsForItem')}</p>`
          : html`<ul class="item-incidents">${incidents.map(
              (i) =>
                html`<li><a href="/incidents/${i.id}" dir="auto">${i.title}</a> <span class="muted ltr">${i.occurredFrom}</span></li>`,
            )}</ul>`
      }`
    : '';
  return html`<section class="card analysis" id="analysis" aria-labelledby="h-analysis"><h2 id="h-analysis">${t('matrix.analysis')}</h2>
${classify}${file}${linked}</section>`;
};

export const registerEvidenceItem = (r: PageRoutes) => {
  const grants = new PreviewGrants();

  // ── the page ─────────────────────────────────────────────────────────────────
  const itemPage = async (
    c: Context<AppEnv>,
    item: ItemRecord,
    opts: { notices?: Notice[]; status?: number } = {},
  ) => {
    const t = c.get('t');
    const locale = c.get('locale');
    const auth = c.get('auth')!;
    const actor = auth.actor;
    const node = c.get('node');
    const evidence = node.evidence;
    const mapTiles = node.mapTiles;
    const accounts = c.get('accounts');
    const [collections, derived, timeline, cases, orgs, users, original] = await Promise.all([
      evidence.collections(actor, item.id),
      evidence.derived(actor, item.id),
      evidence.timeline(actor, item.id),
      c.get('cases').list(actor),
      accounts.listOrganisations(actor),
      accounts.listUsers({ operator: true }),
      item.derivedFrom
        ? evidence.get(actor, item.derivedFrom).catch(() => undefined)
        : Promise.resolve(undefined),
    ]);
    const caseTitle = new Map(cases.map((k) => [k.id as string, k.title]));
    const orgName = new Map(orgs.map((o) => [o.id as string, o.name]));
    const userName = new Map(users.map((u) => [u.id as string, u.displayName]));
    const who = (userId: string | null, orgId: string | null) =>
      userId === null && orgId === null
        ? t('item.operator')
        : [userId ? (userName.get(userId) ?? userId) : '', orgId ? (orgName.get(orgId) ?? orgId) : '']
            .filter(Boolean)
            .join(', ');
    const meta = item.metadata as Partial<ExtractedMetadata>;
    const kind = previewKind(item.mediaType);
    const grant = auth.session ? grants.issue(auth.session.id, item.id, node.clock.now().getTime()) : '';
    const src = `/evidence/${item.id}/content?preview=${grant}`;
    const text = kind === 'text' ? await readText(item, c) : undefined;

    const preview = previewOf(t, item, kind, src, text);
    const notices: Notice[] = [...(opts.notices ?? [])];
    if (item.sealedAt) {
      notices.push({
        kind: 'info',
        text: t('item.sealedBanner', {
          date: formatDate(locale, item.sealedAt),
          reason: item.sealReason ?? '',
        }),
      });
    }

    const fact = (label: string, value: Html | string) => html`<dt>${label}</dt><dd>${value}</dd>`;
    const otherCases = cases.filter((k) => k.id !== item.caseId);
    // The node role and the role on this case must both allow an action for the page to offer it.
    const view = await c
      .get('cases')
      .view(actor, item.caseId)
      .catch((e: unknown) => {
        if (isAccordError(e)) return undefined;
        throw e;
      });
    const manage = can(actor, 'evidence.manage') && view?.may['evidence.manage'] === true;
    const add = can(actor, 'evidence.add') && view?.may['evidence.add'] === true;
    const listUsers = can(actor, 'user.read') ? users.filter((u) => !u.disabled) : [];
    const analysis = await analysisView(c, item, view);

    return page(c, {
      title: item.title,
      notices,
      status: opts.status ?? 200,
      body: html`<p>${itemBadges(t, item)}</p>
${
  item.problems.length > 0
    ? html`<div class="notice notice-error problems" role="alert" data-problems><p>${t('item.problems')}</p><ul>${item.problems.map(
        (p) => html`<li>${p}</li>`,
      )}</ul></div>`
    : ''
}
<section class="card" aria-labelledby="h-preview"><h2 id="h-preview">${t('item.preview')}</h2>
${preview}
<p><a class="button" href="/evidence/${item.id}/content?download=1" download>${t('item.download')}</a></p>
<p class="muted">${t('item.downloadRecorded')}</p>
</section>

<section class="card" aria-labelledby="h-details"><h2 id="h-details">${t('item.details')}</h2>
<dl class="facts">
${fact(t('evidence.case'), caseTitle.get(item.caseId) ?? item.caseId)}
${fact(t('item.kind'), t(`itemKind.${item.kind}`))}
${fact(t('evidence.mediaType'), html`${typeLabel(t, item.mediaType)} <code>${item.mediaType}</code>`)}
${fact(t('evidence.size'), html`${formatSize(locale, item.size)} <span class="muted">(${t('item.bytes', { count: formatNumber(locale, item.size) })})</span>`)}
${fact(t('item.sha256'), html`<span class="hash" data-sha256>${item.sha256}</span>`)}
${item.description ? fact(t('item.description'), item.description) : ''}
${fact(t('item.capturedAt'), formatDate(locale, item.capturedAt))}
${fact(t('item.createdAt'), formatDate(locale, item.createdAt))}
${fact(t('item.createdBy'), who(item.createdBy, null))}
${fact(t('item.holder'), who(item.holderUserId, item.holderOrgId))}
${fact(t('evidence.sensitive'), item.sensitive ? t('common.yes') : t('common.no'))}
</dl>
${original ? html`<p>${t('item.original')}: <a href="/evidence/${original.id}">${original.title}</a></p>` : ''}
</section>

<section class="card" aria-labelledby="h-meta"><h2 id="h-meta">${t('item.metadata')}</h2>
${metadataView(t, locale, meta)}
</section>

<section class="card" aria-labelledby="h-location"><h2 id="h-location">${t('item.location')}</h2>
${
  item.latitude !== null && item.longitude !== null
    ? locationView(t, locale, item.latitude, item.longitude, mapTiles ? { tiles: mapTiles } : {})
    : html`<p class="muted">${t('item.noLocation')}</p>`
}
</section>

<section class="card" aria-labelledby="h-capture"><h2 id="h-capture">${t('item.capture')}</h2>
${
  collections.length === 0
    ? html`<p class="muted">${t('item.noCapture')}</p>`
    : collections.map(
        (k) => html`<dl class="facts capture">
${fact(t('item.fileName'), k.fileName ?? '—')}
${fact(t('upload.collectedBy'), k.collectedBy ?? '—')}
${fact(t('item.collectedAt'), formatDate(locale, k.collectedAt))}
${fact(t('upload.sourceUrl'), k.sourceUrl ? html`<code>${k.sourceUrl}</code>` : '—')}
${fact(t('upload.method'), k.method ?? '—')}
${fact(
  t('item.location'),
  k.latitude !== null && k.longitude !== null ? formatCoordinates(t, locale, k.latitude, k.longitude) : '—',
)}
${fact(t('upload.note'), k.note ?? '—')}
${fact(t('item.recordedAt'), formatDate(locale, k.createdAt))}
</dl>`,
      )
}
</section>

<section class="card" aria-labelledby="h-derived"><h2 id="h-derived">${t('item.derived')}</h2>
${
  derived.length === 0
    ? html`<p class="muted">${t('item.noDerived')}</p>`
    : html`<ul>${derived.map(
        (d) =>
          html`<li><a href="/evidence/${d.id}">${d.title}</a> <span class="muted">(${t(`itemKind.${d.kind}`)})</span></li>`,
      )}</ul>`
}
</section>

<section class="card" aria-labelledby="h-timeline"><h2 id="h-timeline">${t('item.timeline')}</h2>
<p>${t('item.timelineIntro')}</p>
<div class="table-scroll"><table class="timeline"><thead><tr><th>${t('item.action')}</th><th>${t('item.when')}</th><th>${t('item.actor')}</th><th>${t('item.eventDetails')}</th><th>${t('item.logStatus')}</th></tr></thead><tbody>
${timeline.map((e: TimelineEntry) => {
  return html`<tr data-event="${e.event.id}" data-action="${e.action}"><td>${t(`custody.${e.action}`)}</td><td>${formatDate(locale, e.at)}</td><td>${who(
    e.actorUserId,
    e.actorOrgId,
  )}</td><td><code>${detailsText(e.details)}</code></td><td>${logBadge(t, e.inLog)}</td></tr>`;
})}
</tbody></table></div>
</section>

${analysis}

${actionsView(c, item, { manage, add, otherCases, orgs, users: listUsers })}`,
    });
  };

  const previewOf = (
    t: Translate,
    item: ItemRecord,
    kind: PreviewKind,
    src: string,
    text: { text: string; cut: boolean } | undefined,
  ): Html => {
    let media: Html;
    switch (kind) {
      case 'image':
        media = html`<img src="${src}" alt="${t('item.previewAlt', { title: item.title })}" class="preview-media">`;
        break;
      case 'video':
        media = html`<video src="${src}" controls preload="metadata" class="preview-media">${t('item.noPreview')}</video>`;
        break;
      case 'audio':
        media = html`<audio src="${src}" controls preload="metadata" class="preview-media">${t('item.noPreview')}</audio>`;
        break;
      case 'text':
        media = html`<p class="muted">${t(text?.cut ? 'item.textPreviewCut' : 'item.textPreview')}</p><pre class="text-preview" data-text-preview>${text?.text ?? ''}</pre>`;
        break;
      case 'pdf':
        // Not embedded: see docs/api.md ("Previews and downloads").
        return html`<p>${t('item.pdfPreview')}</p><p><a href="${src}" target="_blank" rel="noopener noreferrer">${t('item.openPdf')}</a></p>`;
      case 'none':
        return html`<p class="muted">${t('item.noPreview')}</p>`;
    }
    if (!item.sensitive) return html`<div class="preview">${media}</div>`;
    // Blurred until the reader chooses to see it; a checkbox and its label, so no script is needed.
    return html`<div class="preview sensitive" data-sensitive>
<input type="checkbox" id="reveal-${item.id}" class="reveal visually-hidden">
<div class="veiled">${media}</div>
<label for="reveal-${item.id}" class="cover">${t('item.sensitiveCover')}</label>
</div>`;
  };

  const metadataView = (
    t: Translate,
    locale: Parameters<typeof formatDate>[0],
    meta: Partial<ExtractedMetadata>,
  ): Html => {
    const exif = meta.exif;
    const warc = meta.warc;
    const rows: Html[] = [];
    const fact = (label: string, value: Html | string) => html`<dt>${label}</dt><dd>${value}</dd>`;
    if (meta.image) rows.push(fact(t('item.imageSize'), `${meta.image.width} × ${meta.image.height}`));
    if (exif?.make || exif?.model)
      rows.push(fact(t('item.camera'), [exif.make, exif.model].filter(Boolean).join(' ')));
    if (exif?.dateTimeOriginal || exif?.dateTime) {
      rows.push(
        fact(
          t('item.exifTime'),
          html`<span class="ltr">${exif.dateTimeOriginal ?? exif.dateTime}</span> <span class="muted">${t('item.exifTimeNote')}</span>`,
        ),
      );
    }
    if (exif?.orientationText) rows.push(fact(t('item.orientation'), exif.orientationText));
    if (exif?.gps) {
      const g = exif.gps;
      rows.push(
        fact(
          t('item.gps'),
          html`<span data-gps>${formatCoordinates(t, locale, g.latitude, g.longitude)}</span>`,
        ),
      );
      if (g.altitude !== undefined)
        rows.push(fact(t('item.altitude'), `${formatNumber(locale, g.altitude)} m`));
      if (g.datum) rows.push(fact(t('item.datum'), g.datum));
    }
    if (meta.xmp) rows.push(fact(t('item.xmp'), t('common.yes')));
    const warcView: Html = warc
      ? html`<h3>${t('item.warc')}</h3>
<p>${t('item.warcSummary', {
          count: formatNumber(locale, warc.recordCount),
          checked: formatNumber(locale, warc.digestsChecked),
          failed: formatNumber(locale, warc.digestFailures),
        })}</p>
${warc.truncated ? html`<p class="notice notice-error" role="alert">${t('item.warcTruncated')}</p>` : ''}
<div class="table-scroll"><table class="warc"><thead><tr><th>${t('item.warcType')}</th><th>${t('item.warcTarget')}</th><th>${t('item.warcDate')}</th><th>${t('item.warcLength')}</th><th>${t('item.warcBlock')}</th><th>${t('item.warcPayload')}</th></tr></thead><tbody>
${warc.records
  .slice(0, WARC_ROWS)
  .map(
    (w: WarcRecordSummary) =>
      html`<tr><td>${w.type}</td><td><code>${w.targetUri ?? ''}</code></td><td class="ltr">${w.date ?? ''}</td><td>${formatNumber(
        locale,
        w.contentLength,
      )}</td><td>${digestView(t, w.blockDigest)}</td><td>${digestView(t, w.payloadDigest)}</td></tr>`,
  )}</tbody></table></div>
${warc.records.length > WARC_ROWS ? html`<p class="muted">${t('item.warcMore', { count: formatNumber(locale, WARC_ROWS) })}</p>` : ''}`
      : '';
    if (rows.length === 0 && !warc) return html`<p class="muted">${t('item.noMetadata')}</p>`;
    return html`${rows.length > 0 ? html`<dl class="facts">${rows}</dl>` : ''}${warcView}`;
  };

  const digestView = (t: Translate, d: WarcRecordSummary['blockDigest']): Html => {
    if (!d) return html`<span class="muted">—</span>`;
    const cls = d.status === 'ok' ? 'badge-ok' : d.status === 'failed' ? 'badge-failed' : '';
    return html`<span class="badge ${cls}">${t(`digest.${d.status}`)}</span>${d.note ? html` <span class="muted">${d.note}</span>` : ''}`;
  };

  const actionsView = (
    c: Context<AppEnv>,
    item: ItemRecord,
    opts: {
      manage: boolean;
      add: boolean;
      otherCases: { id: string; title: string }[];
      orgs: { id: string; name: string }[];
      users: { id: string; displayName: string; orgId: string }[];
    },
  ): Html => {
    const t = c.get('t');
    const base = `/evidence/${item.id}`;
    const sealed = item.sealedAt !== null;
    return html`<h2>${t('item.actions')}</h2>
<section class="card"><form method="post" action="${base}/verify">${csrfField(c)}<p>${t('item.verifyHelp')}</p><button type="submit" class="secondary">${t('item.verify')}</button></form></section>
${
  opts.manage
    ? html`<details class="card"><summary>${t('item.edit')}</summary>
<form method="post" action="${base}/metadata">${csrfField(c)}
<label for="m-title">${t('evidence.itemTitle')}</label><input type="text" id="m-title" name="title" required maxlength="300" value="${item.title}">
<label for="m-description">${t('item.description')}</label><textarea id="m-description" name="description" maxlength="4000">${item.description}</textarea>
<p><input type="checkbox" id="m-sensitive" name="sensitive" value="on"${item.sensitive ? ' checked' : ''}> <label for="m-sensitive">${t('upload.sensitive')}</label></p>
<button type="submit">${t('common.save')}</button></form></details>`
    : ''
}
${
  opts.add && !sealed
    ? html`<details class="card"><summary>${t('item.derive')}</summary>
<p>${t('item.deriveHelp')}</p>
<form method="post" action="${base}/derive" enctype="multipart/form-data">${csrfField(c)}
<label for="d-kind">${t('item.deriveKind')}</label><select id="d-kind" name="kind">${DERIVED_KINDS.map(
        (k) => html`<option value="${k}">${t(`itemKind.${k}`)}</option>`,
      )}</select>
<label for="d-title">${t('evidence.itemTitle')}</label><input type="text" id="d-title" name="title" maxlength="300">
<label for="d-note">${t('upload.note')}</label><textarea id="d-note" name="note" maxlength="4000"></textarea>
<label for="d-file">${t('item.file')}</label><input type="file" id="d-file" name="file" required>
<button type="submit">${t('item.deriveSubmit')}</button></form></details>`
    : ''
}
${
  opts.manage && !sealed
    ? html`<details class="card"><summary>${t('item.transfer')}</summary>
<form method="post" action="${base}/transfer">${csrfField(c)}
<label for="t-org">${t('item.toOrg')}</label><select id="t-org" name="toOrgId">${opts.orgs.map(
        (o) =>
          html`<option value="${o.id}"${o.id === item.holderOrgId ? ' selected' : ''}>${o.name}</option>`,
      )}</select>
${
  opts.users.length > 0
    ? html`<label for="t-user">${t('item.toUser')}</label><select id="t-user" name="toUserId"><option value="">${t('item.anyone')}</option>${opts.users.map(
        (u) => html`<option value="${u.id}">${u.displayName}</option>`,
      )}</select>`
    : ''
}
<label for="t-note">${t('upload.note')}</label><textarea id="t-note" name="note" maxlength="4000"></textarea>
<button type="submit">${t('item.transferSubmit')}</button></form></details>
${
  opts.otherCases.length > 0
    ? html`<details class="card"><summary>${t('item.link')}</summary>
<form method="post" action="${base}/link">${csrfField(c)}
<label for="l-case">${t('evidence.case')}</label><select id="l-case" name="caseId">${opts.otherCases.map(
        (k) => html`<option value="${k.id}">${k.title}</option>`,
      )}</select>
<button type="submit">${t('item.linkSubmit')}</button></form></details>`
    : ''
}
<details class="card"><summary>${t('item.seal')}</summary>
<p>${t('item.sealHelp')}</p>
<form method="post" action="${base}/seal">${csrfField(c)}
<label for="s-reason">${t('item.sealReason')}</label><textarea id="s-reason" name="reason" required maxlength="2000"></textarea>
<button type="submit" class="danger">${t('item.sealSubmit')}</button></form></details>`
    : ''
}`;
  };

  /** Runs a form action and shows the item page with its outcome (no extra "viewed" event). */
  const act =
    (
      run: (c: Context<AppEnv>, id: string) => Promise<{ item: ItemRecord; notice: Notice; status?: number }>,
    ) =>
    async (c: Context<AppEnv>): Promise<Response> => {
      const t = c.get('t');
      const id = c.req.param('id') ?? '';
      try {
        const { item, notice, status } = await run(c, id);
        return itemPage(c, item, { notices: [notice], ...(status ? { status } : {}) });
      } catch (e) {
        const gone = clientWentAway(c);
        if (gone) return gone;
        if (e instanceof CsrfRefused) {
          return page(c, {
            title: t('common.error'),
            body: '',
            notices: [{ kind: 'error', text: t('signIn.csrf') }],
            status: 403,
          });
        }
        if (!isAccordError(e)) throw e;
        // Unknown or malformed item: the error page. Otherwise the item with what went wrong.
        const item = await c
          .get('node')
          .evidence.get(c.get('auth')!.actor, id)
          .catch(() => undefined);
        if (!item) throw e;
        const text = e.code === 'conflict' && item.sealedAt ? t('item.sealedRefused') : describeError(t, e);
        return itemPage(c, item, { notices: [{ kind: 'error', text }], status: statusFor(e) });
      }
    };

  // ── routes ───────────────────────────────────────────────────────────────────
  r.get('/evidence/:id', 'evidence.read', async (c) => {
    const item = await c.get('node').evidence.view(c.get('auth')!.actor, c.req.param('id'), 'web');
    return itemPage(c, item, { notices: doneNotices(c, ANALYSIS_DONE) });
  });

  // The analysis section's forms: redirect on success, the item page with the message otherwise.
  const analysisAction = (
    run: (c: Context<AppEnv>, id: string, body: Form) => Promise<keyof typeof ANALYSIS_DONE>,
  ) =>
    formAction(
      async (c, body) => {
        const id = c.req.param('id') ?? '';
        const done = await run(c, id, body);
        return `/evidence/${id}?done=${done}#analysis`;
      },
      async (c, o) => {
        const item = await c.get('node').evidence.get(c.get('auth')!.actor, c.req.param('id'));
        return itemPage(c, item, { notices: o.notices, status: o.status });
      },
    );
  r.post(
    '/evidence/:id/profile',
    'case.read',
    analysisAction(async (c, id, body) => {
      await c.get('cases').setProfile(c.get('auth')!.actor, id, {
        sourceKind: field(body, 'sourceKind'),
        sourceLabel: field(body, 'sourceLabel'),
      });
      return 'profile';
    }),
  );
  r.post(
    '/evidence/:id/admissibility',
    'case.read',
    analysisAction(async (c, id, body) => {
      await c.get('cases').setAdmissibility(c.get('auth')!.actor, id, {
        jurisdiction: field(body, 'jurisdiction'),
        ruleId: field(body, 'ruleId'),
        answer: field(body, 'answer'),
        note: field(body, 'note'),
      });
      return 'admissibility';
    }),
  );
  r.post(
    '/evidence/:id/compartment',
    'case.read',
    analysisAction(async (c, id, body) => {
      await c.get('cases').fileItem(c.get('auth')!.actor, id, field(body, 'compartmentId') ?? '');
      return 'filed';
    }),
  );

  // Map tiles from the node's own tile folder (ACCORD_MAP_TILES), for the location maps.
  r.get('/map/tiles/:z/:x/:y', 'self', async (c) => {
    const tiles = c.get('node').mapTiles;
    const m = /^(\d+)\.png$/.exec(c.req.param('y') ?? '');
    const tile =
      tiles && m
        ? await tiles.tile(Number(c.req.param('z')), Number(c.req.param('x')), Number(m[1]))
        : undefined;
    if (!tile) return c.text('no such map tile', 404);
    c.header('Cache-Control', 'private, max-age=86400');
    return c.body(tile as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/png' });
  });

  r.get('/evidence/:id/content', 'evidence.read', async (c) => {
    const t = c.get('t');
    const auth = c.get('auth')!;
    const node = c.get('node');
    const evidence = node.evidence;
    const item = await evidence.get(auth.actor, c.req.param('id'));
    const range = parseRange(c.req.header('Range'), item.size);
    const collections = await evidence.collections(auth.actor, item.id);
    const name = downloadName(item, collections[0]?.fileName);
    if (c.req.query('download') === '1') {
      if (range.kind === 'unsatisfiable') return unsatisfiable(c, item.size, false);
      const opened = await evidence.download(
        auth.actor,
        item.id,
        range.kind === 'range' ? { start: range.start, end: range.end } : undefined,
        'web',
      );
      return sendBytes(c, {
        stream: opened.stream,
        item: opened.item,
        start: opened.start,
        end: opened.end,
        partial: range.kind === 'range',
        disposition: contentDisposition('attachment', name),
        sandbox: true,
      });
    }
    // A preview: covered by the "viewed" event of the page that issued the grant.
    const kind = previewKind(item.mediaType);
    if (
      kind === 'none' ||
      !grants.check(c.req.query('preview'), auth.session?.id, item.id, node.clock.now().getTime())
    ) {
      return page(c, {
        title: t('common.error'),
        body: '',
        notices: [{ kind: 'error', text: t('item.previewExpired') }],
        status: 403,
      });
    }
    if (range.kind === 'unsatisfiable') return unsatisfiable(c, item.size, false);
    const start = range.kind === 'range' ? range.start : 0;
    const end = range.kind === 'range' ? range.end : item.size;
    const stream = await node.blobs.get(item.sha256, { start, end });
    return sendBytes(c, {
      stream,
      item,
      start,
      end,
      partial: range.kind === 'range',
      disposition: contentDisposition('inline', name),
      // The browser's PDF viewer is a plugin, which a sandboxed document may not load.
      sandbox: kind !== 'pdf',
    });
  });

  r.post(
    '/evidence/:id/verify',
    'evidence.read',
    act(async (c, id) => {
      const t = c.get('t');
      const evidence = c.get('node').evidence;
      const actor = c.get('auth')!.actor;
      const outcome = await evidence.verifyItem(actor, id, 'web');
      const item = await evidence.get(actor, id);
      return {
        item,
        notice: outcome.ok
          ? { kind: 'info', text: t('item.verifyOk') }
          : { kind: 'error', text: t('item.verifyFailed', { problems: outcome.problems.join('; ') }) },
      };
    }),
  );

  r.post(
    '/evidence/:id/seal',
    'evidence.manage',
    act(async (c, id) => {
      const body = await c.req.parseBody();
      const item = await c.get('node').evidence.seal(c.get('auth')!.actor, id, str(body, 'reason'), 'web');
      return { item, notice: { kind: 'info', text: c.get('t')('item.sealedMsg') } };
    }),
  );

  r.post(
    '/evidence/:id/metadata',
    'evidence.manage',
    act(async (c, id) => {
      const t = c.get('t');
      const evidence = c.get('node').evidence;
      const actor = c.get('auth')!.actor;
      const body = await c.req.parseBody();
      const current = await evidence.get(actor, id);
      const change: { title?: string; description?: string; sensitive?: boolean } = {};
      const title = str(body, 'title');
      const description = str(body, 'description') ?? '';
      const sensitive = str(body, 'sensitive') === 'on';
      if (title !== undefined && title !== current.title) change.title = title;
      if (description !== current.description) change.description = description;
      if (sensitive !== current.sensitive) change.sensitive = sensitive;
      if (Object.keys(change).length === 0)
        return { item: current, notice: { kind: 'info', text: t('item.nothingChanged') } };
      const item = await evidence.editMetadata(actor, id, change, 'web');
      return { item, notice: { kind: 'info', text: t('item.editedMsg') } };
    }),
  );

  r.post(
    '/evidence/:id/transfer',
    'evidence.manage',
    act(async (c, id) => {
      const body = await c.req.parseBody();
      const toUserId = str(body, 'toUserId');
      const item = await c
        .get('node')
        .evidence.transfer(
          c.get('auth')!.actor,
          id,
          { toOrgId: str(body, 'toOrgId'), ...(toUserId ? { toUserId } : {}), note: str(body, 'note') },
          'web',
        );
      return { item, notice: { kind: 'info', text: c.get('t')('item.transferredMsg') } };
    }),
  );

  r.post(
    '/evidence/:id/link',
    'evidence.manage',
    act(async (c, id) => {
      const evidence = c.get('node').evidence;
      const actor = c.get('auth')!.actor;
      const body = await c.req.parseBody();
      const linked = await evidence.linkToCase(actor, id, str(body, 'caseId'), 'web');
      const item = await evidence.get(actor, id);
      return { item, notice: { kind: 'info', text: c.get('t')('item.linkedMsg', { title: linked.title }) } };
    }),
  );

  // A derived file streams like an upload: fields first (kind, title, note), then the file.
  r.post(
    '/evidence/:id/derive',
    'evidence.add',
    act(async (c, id) => {
      const evidence = c.get('node').evidence;
      const actor = c.get('auth')!.actor;
      const parts: MultipartReader = await openStreamedForm(c);
      const fields: Record<string, string> = {};
      try {
        const original = await evidence.get(actor, id);
        for await (const part of parts) {
          if (part.fileName === undefined) {
            fields[part.name] = await part.text(8 * 1024);
            continue;
          }
          if (part.name !== 'file' || part.fileName === '') continue;
          parseDerivedKind(fields.kind);
          parseFileName(part.fileName);
          refuseIfSealed(original);
          const result = await evidence.derive(
            actor,
            original.id,
            {
              source: part.body,
              kind: fields.kind,
              fileName: part.fileName,
              title: fields.title || undefined,
              note: fields.note,
            },
            'web',
          );
          await drain(parts);
          return {
            item: await evidence.get(actor, id),
            notice: { kind: 'info', text: c.get('t')('item.derivedMsg', { title: result.item.title }) },
          };
        }
        return { item: original, notice: { kind: 'error', text: c.get('t')('upload.noFiles') }, status: 400 };
      } catch (e) {
        if (!isFormError(e)) await drain(parts);
        throw e;
      }
    }),
    { streamsBody: true },
  );
};
