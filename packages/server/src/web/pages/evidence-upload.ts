import {
  type AccordError,
  type CaseRecord,
  type Compartment,
  isAccordError,
  parseCapture,
} from '@accord/core';
import type { Context } from 'hono';
import { html } from 'hono/html';
import { clientWentAway } from '../../http/content.ts';
import type { AppEnv } from '../../http/context.ts';
import { captureOf } from '../../http/evidence-api.ts';
import type { MultipartReader } from '../../http/multipart.ts';
import type { Translate } from '../i18n/index.ts';
import { csrfField, describeError, type Html, type Notice, page } from '../layout.ts';
import { CsrfRefused, drain, isFormError, openStreamedForm } from '../streamed-form.ts';
import type { PageRoutes } from './index.ts';

type Outcome =
  | { readonly file: string; readonly kind: 'created' | 'present'; readonly itemId: string }
  | { readonly file: string; readonly kind: 'error'; readonly message: string };

/** A compartment one may upload into, with the case it belongs to. */
interface CompartmentChoice {
  readonly caseTitle: string;
  readonly compartment: Compartment;
}

/**
 * Per case the reader may add evidence to, the compartments of that case the reader is named in
 * (a lead is shown every compartment's name, but may only file into those they are in).
 */
const compartmentChoices = async (
  c: Context<AppEnv>,
  list: readonly CaseRecord[],
): Promise<CompartmentChoice[]> => {
  const actor = c.get('auth')!.actor;
  const cases = c.get('cases');
  const perCase = await Promise.all(
    list.map(async (k) => {
      if (!(await cases.view(actor, k.id)).may['evidence.add']) return [];
      return (await cases.compartments(actor, k.id))
        .filter((x) => x.members.includes(actor.userId))
        .map((compartment) => ({ caseTitle: k.title, compartment }));
    }),
  );
  return perCase.flat();
};

/**
 * A refusal on the upload page in the reader's words. A compartment that is not in the chosen
 * case, or that the reader is not named in, is refused by the domain as not found ("there is no
 * compartment … in this case"); said as such rather than as a missing page.
 */
const explainUpload = (t: Translate, e: AccordError): string =>
  e.code === 'not_found' && /^there is no compartment /.test(e.message)
    ? t('case.upload.noCompartment')
    : describeError(t, e);

/** The capture fields of the upload form, in the order they are sent (before the files). */
const CAPTURE_FIELDS = ['collectedBy', 'collectedAt', 'sourceUrl', 'method', 'location', 'note'] as const;

export const registerEvidenceUpload = (r: PageRoutes) => {
  const uploadPage = async (
    c: Context<AppEnv>,
    opts: { notices?: Notice[]; status?: number; outcomes?: Outcome[]; values?: Record<string, string> } = {},
  ) => {
    const t = c.get('t');
    const auth = c.get('auth')!;
    const cases = await c.get('cases').list(auth.actor);
    const compartments = await compartmentChoices(c, cases);
    const values = opts.values ?? {};
    const chosenCase = values.caseId ?? c.req.query('caseId') ?? '';
    const chosenCompartment = values.compartmentId ?? '';
    const input = (name: (typeof CAPTURE_FIELDS)[number], type: string, extra: Html = '') =>
      html`<label for="u-${name}">${t(`upload.${name}`)}</label><input type="${type}" id="u-${name}" name="${name}" value="${values[name] ?? ''}"${extra}>`;
    const outcomes = opts.outcomes ?? [];
    const outcomeText = (o: Outcome): string =>
      o.kind === 'error'
        ? t('upload.failed', { message: o.message })
        : t(o.kind === 'created' ? 'upload.created' : 'upload.present');
    return page(c, {
      title: t('upload.title'),
      notices: opts.notices ?? [],
      status: opts.status ?? 200,
      body: html`<section id="upload-results" class="card" aria-live="polite"${outcomes.length === 0 ? html` hidden` : ''}${
        outcomes.length > 0 ? html` data-done="true"` : ''
      }>
<h2>${t('upload.results')}</h2>
<ul class="upload-status">${outcomes.map(
        (o) =>
          html`<li data-outcome="${o.kind}"><span class="file-name">${o.file}</span> <span class="upload-outcome outcome-${o.kind}">${
            o.kind === 'error' ? outcomeText(o) : html`<a href="/evidence/${o.itemId}">${outcomeText(o)}</a>`
          }</span></li>`,
      )}</ul>
</section>
${
  cases.length === 0
    ? html`<p class="notice notice-info">${t('upload.noCases')} <a href="/cases">${t('nav.cases')}</a></p>`
    : html`<p>${t('upload.intro')}</p>
<form id="upload-form" class="card" method="post" action="/evidence/upload" enctype="multipart/form-data"
 data-msg-waiting="${t('upload.waiting')}" data-msg-uploading="${t('upload.uploading')}" data-msg-created="${t('upload.created')}"
 data-msg-present="${t('upload.present')}" data-msg-failed="${t('upload.failed')}" data-msg-network="${t('upload.network')}">
${csrfField(c)}
<label for="u-case">${t('upload.case')}</label><select id="u-case" name="caseId" required>${cases.map(
        (k) => html`<option value="${k.id}"${k.id === chosenCase ? ' selected' : ''}>${k.title}</option>`,
      )}</select>
${
  compartments.length === 0
    ? ''
    : html`<label for="u-compartment">${t('case.upload.compartment')}</label><select id="u-compartment" name="compartmentId" aria-describedby="u-compartment-help"><option value="">${t(
        'case.upload.generalArea',
      )}</option>${compartments.map(
        (x) =>
          html`<option value="${x.compartment.id}"${x.compartment.id === chosenCompartment ? ' selected' : ''}>${x.caseTitle} — ${x.compartment.name}</option>`,
      )}</select>
<p class="muted" id="u-compartment-help">${t('case.upload.compartmentHelp')}</p>`
}
<fieldset><legend>${t('upload.capture')}</legend>
${input('collectedBy', 'text', html` maxlength="200"`)}
${input('collectedAt', 'text', html` placeholder="2024-03-01T14:30:00Z" dir="ltr"`)}
${input('sourceUrl', 'url', html` maxlength="2048" dir="ltr"`)}
${input('method', 'text', html` maxlength="300"`)}
${input('location', 'text', html` placeholder="50.4501,30.5234" dir="ltr"`)}
<label for="u-note">${t('upload.note')}</label><textarea id="u-note" name="note" maxlength="4000">${values.note ?? ''}</textarea>
</fieldset>
<p><input type="checkbox" id="u-sensitive" name="sensitive" value="on"${values.sensitive === 'on' ? ' checked' : ''}> <label for="u-sensitive">${t('upload.sensitive')}</label></p>
<label for="u-files">${t('upload.files')}</label><input type="file" id="u-files" name="files" multiple required>
<button type="submit">${t('upload.submit')}</button>
</form>
<script src="/assets/upload.js" defer></script>`
}`,
    });
  };

  r.get('/evidence/upload', 'evidence.add', (c) => uploadPage(c));

  // Without JavaScript the form arrives as multipart/form-data: its fields first, then each file,
  // which streams straight into the vault (never held in memory or written whole anywhere else).
  r.post(
    '/evidence/upload',
    'evidence.add',
    async (c) => {
      const t = c.get('t');
      const actor = c.get('auth')!.actor;
      const evidence = c.get('node').evidence;
      const fields: Record<string, string> = {};
      const outcomes: Outcome[] = [];
      let parts: MultipartReader;
      try {
        parts = await openStreamedForm(c);
      } catch (e) {
        if (e instanceof CsrfRefused)
          return page(c, {
            title: t('common.error'),
            body: '',
            notices: [{ kind: 'error', text: t('signIn.csrf') }],
            status: 403,
          });
        if (!isAccordError(e)) throw e;
        return uploadPage(c, { notices: [{ kind: 'error', text: describeError(t, e) }], status: 400 });
      }
      let prepared = false;
      try {
        for await (const part of parts) {
          if (part.fileName === undefined) {
            fields[part.name] = await part.text(8 * 1024);
            continue;
          }
          if (part.name !== 'files' || part.fileName === '') continue; // an empty file input sends an empty part
          if (!prepared) {
            // The case and the capture record are checked once, before the first byte of a file is stored.
            await evidence.requireCase(actor, fields.caseId, fields.compartmentId);
            parseCapture(captureOf(fields));
            prepared = true;
          }
          try {
            const result = await evidence.ingest(
              actor,
              {
                caseId: fields.caseId,
                compartmentId: fields.compartmentId,
                source: part.body,
                fileName: part.fileName,
                sensitive: fields.sensitive === 'on',
                capture: captureOf(fields),
              },
              'web',
            );
            outcomes.push({
              file: part.fileName,
              kind: result.created ? 'created' : 'present',
              itemId: result.item.id,
            });
          } catch (e) {
            if (!isAccordError(e) || isFormError(e) || (e.code !== 'invalid_input' && e.code !== 'conflict'))
              throw e;
            outcomes.push({ file: part.fileName, kind: 'error', message: describeError(t, e) });
          }
        }
      } catch (e) {
        const gone = clientWentAway(c);
        if (gone) return gone;
        if (!isAccordError(e)) throw e;
        await drain(parts);
        const status = e.code === 'not_found' ? 404 : 400;
        return uploadPage(c, {
          notices: [{ kind: 'error', text: explainUpload(t, e as AccordError) }],
          status,
          outcomes,
          values: fields,
        });
      }
      if (outcomes.length === 0) {
        return uploadPage(c, {
          notices: [{ kind: 'error', text: t('upload.noFiles') }],
          status: 400,
          values: fields,
        });
      }
      const stored = outcomes.some((o) => o.kind !== 'error');
      return uploadPage(c, {
        outcomes,
        status: stored ? 200 : 400,
        // The next files go where these went, compartment included.
        values: stored ? { caseId: fields.caseId ?? '', compartmentId: fields.compartmentId ?? '' } : fields,
      });
    },
    { streamsBody: true },
  );
};
