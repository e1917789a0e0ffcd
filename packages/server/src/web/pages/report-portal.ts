import {
  type AccordError,
  CONSENT_PURPOSES,
  type ConsentState,
  invalid,
  isAccordError,
  LOCALES,
  type Locale,
  type SurvivorView,
  type Upload,
} from '@accord/core';
import type { Context } from 'hono';
import { html, raw } from 'hono/html';
import type { AppEnv } from '../../http/context.ts';
import type { MultipartPart, MultipartReader } from '../../http/multipart.ts';
import { APP_CSS } from '../assets.ts';
import {
  directionOf,
  isLocale,
  LANGUAGE_NAMES,
  type MessageKey,
  type Translate,
  translator,
} from '../i18n/index.ts';
import { describeError, type Html, type Notice, notices } from '../layout.ts';
import { drain, openStreamedForm } from '../streamed-form.ts';
import type { PageRoutes } from './index.ts';

/**
 * The safe reporting portal (docs/reporting.md): public pages under /report/<language>/ that work
 * with scripts disabled (Tor Browser "safest"), load nothing from elsewhere, set no cookie and leave
 * nothing in the node's logs. The language is chosen first and kept in every address. The receipt
 * code travels only in form bodies (never in an address, which browsers keep in their history), and
 * every answer says `Cache-Control: no-store`.
 */

/** Largest total of files in one report or reply. */
export const REPORT_MAX_BYTES = 1024 * 1024 * 1024;

type Fields = Record<string, string | string[]>;

const portalPage = (
  c: Context<AppEnv>,
  locale: Locale,
  opts: { title: string; body: Html; notices?: readonly Notice[]; status?: number },
) => {
  const t = translator(locale);
  c.header('Cache-Control', 'no-store');
  const doc = html`<!doctype html>
<html lang="${locale}" dir="${directionOf(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${opts.title}</title>
<link rel="stylesheet" href="/report/portal.css">
<link rel="icon" href="data:,">
</head>
<body class="portal">
<header class="top"><a class="brand" href="/report/${locale}">${t('portal.title')}</a>
<nav aria-label="${t('nav.language')}" class="langs"><ul>${LOCALES.map(
    (l) =>
      html`<li><a href="/report/${l}" lang="${l}" hreflang="${l}"${raw(l === locale ? ' aria-current="true"' : '')}>${LANGUAGE_NAMES[l]}</a></li>`,
  )}</ul></nav></header>
<main id="main">
<h1>${opts.title}</h1>
${notices(opts.notices ?? [])}
${opts.body}
</main>
<footer class="foot"><p>${t('portal.noTrace')}</p></footer>
</body>
</html>`;
  return c.html(doc, (opts.status ?? 200) as 200);
};

/**
 * The portal's answer when something fails outside its handlers (an unknown address, a body over
 * the limit, an internal error): the portal's own frame, in the language of the address, with no
 * link that would set a cookie.
 */
export const portalErrorPage = (
  c: Context<AppEnv>,
  status: number,
  kind: 'notFound' | 'tooLarge' | 'badForm' | 'internal',
) => {
  const segment = new URL(c.req.url).pathname.split('/')[2];
  const locale: Locale = isLocale(segment) ? segment : 'en';
  const t = translator(locale);
  const text = {
    notFound: t('error.notFound'),
    tooLarge: t('error.tooLarge'),
    badForm: t('reason.bad_form'),
    internal: t('portal.error.internal'),
  }[kind];
  return portalPage(c, locale, {
    title: t('portal.title'),
    body: html`<p class="actions"><a href="/report/${locale}">${t('portal.title')}</a></p>`,
    notices: [{ kind: 'error', text }],
    status,
  });
};

/** A small form's fields; a body that is not a form is the reporter's error, not the node's. */
const smallForm = async (c: Context<AppEnv>): Promise<Fields> => {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch {
    throw invalid('the form could not be read', { reason: 'bad_form' });
  }
  const fields: Fields = {};
  for (const k of ['code', 'purpose', 'scope', 'state'])
    if (typeof body[k] === 'string') fields[k] = body[k] as string;
  return fields;
};

const localeOf = (c: Context<AppEnv>): Locale | undefined => {
  const lang = c.req.param('lang');
  return isLocale(lang) ? lang : undefined;
};

/** A refusal in the reporter's language, never the English domain text, never a stack. */
const refusal = (t: Translate, e: AccordError): string => {
  if (e.code === 'not_found' && e.message.startsWith('no report has this receipt code'))
    return t('portal.codeUnknown');
  if (e.code === 'unavailable') return t('portal.closed');
  return describeError(t, e);
};

const statusOf = (e: AccordError): number =>
  e.code === 'rate_limited' ? 429 : e.code === 'not_found' ? 404 : e.code === 'unavailable' ? 503 : 400;

const value = (fields: Fields, name: string): string => {
  const v = fields[name];
  return typeof v === 'string' ? v : (v?.[0] ?? '');
};

const values = (fields: Fields, name: string): string[] => {
  const v = fields[name];
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
};

const addField = (fields: Fields, name: string, text: string): void => {
  const existing = fields[name];
  if (existing === undefined) fields[name] = text;
  else fields[name] = [...(typeof existing === 'string' ? [existing] : existing), text];
};

/** Counts the bytes of all files of one form and refuses past the limit. */
const limited = (part: MultipartPart, budget: { left: number }): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    for await (const chunk of part.body) {
      budget.left -= chunk.length;
      if (budget.left < 0) {
        throw invalid('the files are too large', { reason: 'report_too_large', max: '1 GiB' });
      }
      yield chunk;
    }
  },
});

const consentLabel = (
  t: Translate,
  c: { purpose: string; scope: string },
  orgs: readonly { id: string; name: string }[],
) => {
  switch (c.purpose) {
    case 'sharing':
      return t('portal.consent.sharing', { org: orgs.find((o) => o.id === c.scope)?.name ?? c.scope });
    case 'prosecution':
      return t('portal.consent.prosecution', { jurisdiction: c.scope });
    default:
      return t(`portal.consent.${c.purpose}` as MessageKey);
  }
};

/** Every consent the portal offers, as purpose:scope values. */
const consentOptions = async (c: Context<AppEnv>) => {
  const { organisations, jurisdictions } = await c.get('node').reports.consentChoices();
  const options: { purpose: string; scope: string }[] = [];
  for (const purpose of CONSENT_PURPOSES) {
    if (purpose === 'sharing') for (const o of organisations) options.push({ purpose, scope: o.id });
    else if (purpose === 'prosecution') for (const j of jurisdictions) options.push({ purpose, scope: j });
    else options.push({ purpose, scope: '' });
  }
  return { options, organisations };
};

const reportForm = async (
  c: Context<AppEnv>,
  locale: Locale,
  fields: Fields,
  shown: readonly Notice[] = [],
  status = 200,
) => {
  const t = translator(locale);
  const { options, organisations } = await consentOptions(c);
  const chosen = new Set(values(fields, 'consent'));
  const anonymous = value(fields, 'anonymous') !== 'no';
  const support = new Set(values(fields, 'support'));
  return portalPage(c, locale, {
    title: t('portal.formTitle'),
    notices: shown,
    status,
    body: html`<form method="post" action="/report/${locale}/new" enctype="multipart/form-data" class="card stack">
<p>${t('portal.whoReads')}</p>
<label for="account">${t('portal.account')} <span class="hint">(${t('portal.required')})</span></label>
<p class="hint" id="account-help">${t('portal.accountHelp')}</p>
<textarea id="account" name="account" rows="8" required aria-describedby="account-help">${value(fields, 'account')}</textarea>
<label for="when">${t('portal.when')}</label>
<input id="when" name="when" value="${value(fields, 'when')}" maxlength="300">
<label for="where">${t('portal.where')}</label>
<p class="hint" id="where-help">${t('portal.whereHelp')}</p>
<input id="where" name="where" value="${value(fields, 'where')}" maxlength="300" aria-describedby="where-help">
<fieldset><legend>${t('portal.aboutYou')}</legend>
<p class="hint">${t('portal.anonymousNote')}</p>
<label><input type="radio" name="anonymous" value="yes"${raw(anonymous ? ' checked' : '')}> ${t('portal.anonymousYes')}</label>
<label><input type="radio" name="anonymous" value="no"${raw(anonymous ? '' : ' checked')}> ${t('portal.anonymousNo')}</label>
<label for="name">${t('portal.name')}</label>
<input id="name" name="name" value="${value(fields, 'name')}" maxlength="200" autocomplete="off">
<label for="contact">${t('portal.contact')}</label>
<input id="contact" name="contact" value="${value(fields, 'contact')}" maxlength="300" autocomplete="off">
<label><input type="checkbox" name="contactWanted" value="yes"${raw(value(fields, 'contactWanted') === 'yes' ? ' checked' : '')}> ${t('portal.contactWanted')}</label>
<p class="hint">${t('portal.contactHelp')}</p>
</fieldset>
<fieldset><legend>${t('portal.support')}</legend>
<label><input type="checkbox" name="support" value="support"${raw(support.has('support') ? ' checked' : '')}> ${t('portal.supportHelp')}</label>
<label><input type="checkbox" name="support" value="legal_aid"${raw(support.has('legal_aid') ? ' checked' : '')}> ${t('portal.legalAid')}</label>
</fieldset>
<fieldset><legend>${t('portal.consent')}</legend>
<p class="hint">${t('portal.consentHelp')}</p>
${options.map((o) => {
  const v = o.scope ? `${o.purpose}:${o.scope}` : o.purpose;
  return html`<label><input type="checkbox" name="consent" value="${v}"${raw(chosen.has(v) ? ' checked' : '')}> ${consentLabel(t, o, organisations)}</label>`;
})}
</fieldset>
<label for="files">${t('portal.files')}</label>
<p class="hint" id="files-help">${t('portal.filesHelp')}</p>
<input id="files" type="file" name="files" multiple aria-describedby="files-help">
<p class="hint">${t('portal.sending')}</p>
<button type="submit">${t('portal.send')}</button>
</form>`,
  });
};

const codeField = (code: string): Html => html`<input type="hidden" name="code" value="${code}">`;

const statusPage = async (
  c: Context<AppEnv>,
  locale: Locale,
  code: string,
  view: SurvivorView,
  shown: readonly Notice[] = [],
  status = 200,
) => {
  const t = translator(locale);
  const { options, organisations } = await consentOptions(c);
  const current = new Map<string, ConsentState>(view.consent.map((s) => [`${s.purpose}:${s.scope}`, s]));
  const day = (d: string) =>
    new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(
      new Date(`${d}T00:00:00Z`),
    );
  const entry = (e: SurvivorView['entries'][number]) => {
    let text: string = e.body.text;
    if (e.kind === 'status' && e.body.status) text = t(`portal.status.${e.body.status}` as MessageKey);
    if (e.kind === 'consent' && e.body.consent) {
      const label = consentLabel(t, e.body.consent, organisations);
      text = t(e.body.consent.state === 'given' ? 'portal.consentGiven' : 'portal.consentWithdrawn', {
        purpose: label,
      });
    }
    const files = (e.body.attachmentIds ?? []).length;
    return html`<li class="entry entry-${e.kind}"><p class="meta"><strong>${t(`portal.from.${e.kind}` as MessageKey)}</strong> · ${day(e.onDay)}</p>
<p class="text">${text}</p>${files > 0 ? html`<p class="hint">${t('portal.filesSent', { files: String(files) })}</p>` : ''}</li>`;
  };
  return portalPage(c, locale, {
    title: t('portal.statusTitle'),
    notices: shown,
    status,
    body: html`<section class="card"><p>${t('portal.receivedOn', { day: day(view.receivedOn) })}</p>
<p><strong>${t('portal.status')}:</strong> <span data-status="${view.status}">${t(`portal.status.${view.status}` as MessageKey)}</span></p></section>
<section class="card"><h2>${t('portal.thread')}</h2>
${view.entries.length === 0 ? html`<p>${t('portal.threadEmpty')}</p>` : html`<ol class="thread">${view.entries.map(entry)}</ol>`}</section>
<section class="card"><h2>${t('portal.reply')}</h2>
<form method="post" action="/report/${locale}/reply" enctype="multipart/form-data" class="stack">${codeField(code)}
<label for="message">${t('portal.message')}</label>
<textarea id="message" name="message" rows="5"></textarea>
<label for="reply-files">${t('portal.files')}</label>
<input id="reply-files" type="file" name="files" multiple>
<button type="submit">${t('portal.sendReply')}</button></form></section>
<section class="card"><h2>${t('portal.yourConsent')}</h2><p class="hint">${t('portal.consentHelp')}</p>
<table><tbody>${options.map((o) => {
      const state = current.get(`${o.purpose}:${o.scope}`)?.state;
      const given = state === 'given';
      return html`<tr><td>${consentLabel(t, o, organisations)}</td><td>${given ? t('portal.allowed') : t('portal.notAllowed')}</td>
<td><form method="post" action="/report/${locale}/consent">${codeField(code)}<input type="hidden" name="purpose" value="${o.purpose}"><input type="hidden" name="scope" value="${o.scope}"><input type="hidden" name="state" value="${given ? 'withdrawn' : 'given'}">
<button type="submit" class="${given ? 'danger' : ''}">${given ? t('portal.withdraw') : t('portal.give')}</button></form></td></tr>`;
    })}</tbody></table></section>
<section class="card"><h2>${t('portal.yourReport')}</h2><p class="text">${view.content.account}</p>
${view.attachments.length > 0 ? html`<p class="hint">${t('portal.filesSent', { files: view.attachments.map((a) => a.fileName).join(', ') })}</p>` : ''}</section>
<p class="hint">${t('portal.leave')}</p>`,
  });
};

const returnForm = (c: Context<AppEnv>, locale: Locale, shown: readonly Notice[] = [], status = 200) => {
  const t = translator(locale);
  return portalPage(c, locale, {
    title: t('portal.returnTitle'),
    notices: shown,
    status,
    body: html`<form method="post" action="/report/${locale}/status" class="card stack">
<label for="code">${t('portal.code')}</label>
<p class="hint" id="code-help">${t('portal.codeHelp')}</p>
<input id="code" name="code" required autocomplete="off" autocapitalize="characters" spellcheck="false" dir="ltr" aria-describedby="code-help">
<button type="submit">${t('portal.open')}</button></form>`,
  });
};

/** Reads a streamed portal form: text fields into `fields`, each file handed to `onFile` in turn. */
const readForm = async (
  parts: MultipartReader,
  fields: Fields,
  onFile: (part: MultipartPart) => Promise<void>,
): Promise<void> => {
  // Text is small: at most 256 KiB in all, and only choices (consent, support) may repeat.
  let textLeft = 256 * 1024;
  let count = 0;
  for await (const part of parts) {
    if (++count > 200) throw invalid('the form has too many fields', { reason: 'bad_form' });
    if (part.fileName === undefined) {
      const text = await part.text(Math.min(64 * 1024, Math.max(textLeft, 1)));
      textLeft -= Buffer.byteLength(text);
      if (textLeft < 0) throw invalid('the form has too much text', { reason: 'bad_form' });
      if (fields[part.name] !== undefined && part.name !== 'consent' && part.name !== 'support') {
        throw invalid(`the field ${part.name} was sent twice`, { reason: 'bad_form' });
      }
      addField(fields, part.name, text);
      continue;
    }
    if (part.name !== 'files' || part.fileName === '') continue;
    await onFile(part);
  }
};

/**
 * Receives a streamed portal form: text fields into `fields`, then each file into the upload that
 * `start` opens (at the first file, or at the end when there is none). With `codeFirst` the receipt
 * code must be the first field, so that no byte of a file is read before the code opened a report.
 * On any failure the upload is aborted (nothing of it stays) and the rest of the body is drained.
 */
const receiveForm = async <S extends { readonly upload: Upload }>(
  c: Context<AppEnv>,
  fields: Fields,
  start: () => Promise<S>,
  options: { codeFirst?: boolean } = {},
): Promise<S> => {
  let parts: MultipartReader | undefined;
  let started: S | undefined;
  try {
    parts = await openStreamedForm(c);
    if (options.codeFirst) {
      const first = await parts.next();
      if (first.done || first.value.name !== 'code' || first.value.fileName !== undefined) {
        throw invalid('the receipt code must come first', { reason: 'receipt_code_format' });
      }
      fields.code = await first.value.text(256);
    }
    const budget = { left: REPORT_MAX_BYTES };
    await readForm(parts, fields, async (part) => {
      started ??= await start();
      await started.upload.attach(part.fileName, limited(part, budget));
    });
    return started ?? (await start());
  } catch (e) {
    await started?.upload.abort();
    if (parts) await drain(parts);
    throw e;
  }
};

export const registerReportPortal = (r: PageRoutes) => {
  const open = { noCsrf: true } as const;

  // The stylesheet under /report too: like every portal request, fetching it is neither logged nor
  // given a cookie (a stylesheet fetched alone is a portal visit).
  r.get(
    '/report/portal.css',
    'public',
    (c) => {
      c.header('Cache-Control', 'public, max-age=3600');
      return c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
    },
    open,
  );

  r.get(
    '/report',
    'public',
    (c) =>
      portalPage(c, 'en', {
        title: `${translator('en')('portal.chooseLanguage')}`,
        body: html`<ul class="choices">${LOCALES.map(
          (l) =>
            html`<li lang="${l}" dir="${directionOf(l)}"><a href="/report/${l}" hreflang="${l}">${LANGUAGE_NAMES[l]}</a> — ${translator(l)('portal.title')}</li>`,
        )}</ul>`,
      }),
    open,
  );

  r.get(
    '/report/:lang',
    'public',
    async (c) => {
      const locale = localeOf(c);
      if (!locale) return c.redirect('/report', 303);
      const t = translator(locale);
      const accepting = await c.get('node').reports.accepting();
      return portalPage(c, locale, {
        title: t('portal.title'),
        body: html`<section class="card"><p>${t('portal.intro')}</p><p>${t('portal.whoReads')}</p><p>${t('portal.whatNext')}</p><p>${t('portal.anonymousNote')}</p></section>
${accepting ? html`<p class="actions"><a class="button" href="/report/${locale}/new">${t('portal.start')}</a></p>` : html`<p class="notice notice-info">${t('portal.closed')}</p>`}
<p class="actions"><a href="/report/${locale}/return">${t('portal.return')}</a></p>`,
      });
    },
    open,
  );

  r.get(
    '/report/:lang/new',
    'public',
    async (c) => {
      const locale = localeOf(c);
      if (!locale) return c.redirect('/report', 303);
      if (!(await c.get('node').reports.accepting())) {
        const t = translator(locale);
        return portalPage(c, locale, {
          title: t('portal.title'),
          body: '',
          notices: [{ kind: 'info', text: t('portal.closed') }],
          status: 503,
        });
      }
      return reportForm(c, locale, {});
    },
    open,
  );

  r.post(
    '/report/:lang/new',
    'public',
    async (c) => {
      const locale = localeOf(c);
      if (!locale) return c.redirect('/report', 303);
      const t = translator(locale);
      const reports = c.get('node').reports;
      const fields: Fields = {};
      try {
        const started = await receiveForm(c, fields, () => reports.startReport(locale, fields));
        const receipt = await started.commit();
        return portalPage(c, locale, {
          title: t('portal.receiptTitle'),
          body: html`<section class="card receipt"><h2>${t('portal.receiptCode')}</h2>
<p class="code" dir="ltr"><output id="receipt-code">${receipt.code}</output></p>
<p>${t('portal.receiptKeep')}</p><p>${t('portal.receiptNext')}</p>
<p class="actions"><a href="/report/${locale}/return">${t('portal.return')}</a></p></section>`,
        });
      } catch (e) {
        if (!isAccordError(e)) throw e;
        return reportForm(c, locale, fields, [{ kind: 'error', text: refusal(t, e) }], statusOf(e));
      }
    },
    { ...open, streamsBody: true },
  );

  r.get(
    '/report/:lang/return',
    'public',
    (c) => {
      const locale = localeOf(c);
      return locale ? returnForm(c, locale) : c.redirect('/report', 303);
    },
    open,
  );

  r.post(
    '/report/:lang/status',
    'public',
    async (c) => {
      const locale = localeOf(c);
      if (!locale) return c.redirect('/report', 303);
      try {
        const code = value(await smallForm(c), 'code');
        return await statusPage(c, locale, code, await c.get('node').reports.survivorView(code));
      } catch (e) {
        if (!isAccordError(e)) throw e;
        return returnForm(c, locale, [{ kind: 'error', text: refusal(translator(locale), e) }], statusOf(e));
      }
    },
    open,
  );

  r.post(
    '/report/:lang/reply',
    'public',
    async (c) => {
      const locale = localeOf(c);
      if (!locale) return c.redirect('/report', 303);
      const t = translator(locale);
      const reports = c.get('node').reports;
      const fields: Fields = {};
      let opened = false;
      try {
        const started = await receiveForm(
          c,
          fields,
          async () => {
            const s = await reports.startReply(value(fields, 'code'));
            opened = true;
            return s;
          },
          { codeFirst: true },
        );
        const view = await started.commit(fields);
        return statusPage(c, locale, value(fields, 'code'), view, [
          { kind: 'info', text: t('portal.replySent') },
        ]);
      } catch (e) {
        if (!isAccordError(e)) throw e;
        const shown: Notice[] = [{ kind: 'error', text: refusal(t, e) }];
        if (!opened) return returnForm(c, locale, shown, statusOf(e));
        const view = await reports.survivorView(value(fields, 'code'));
        return statusPage(c, locale, value(fields, 'code'), view, shown, statusOf(e));
      }
    },
    { ...open, streamsBody: true },
  );

  r.post(
    '/report/:lang/consent',
    'public',
    async (c) => {
      const locale = localeOf(c);
      if (!locale) return c.redirect('/report', 303);
      const t = translator(locale);
      const reports = c.get('node').reports;
      let fields: Fields = {};
      try {
        fields = await smallForm(c);
        const view = await reports.survivorConsent(fields.code, fields);
        return statusPage(c, locale, value(fields, 'code'), view, [
          { kind: 'info', text: t('portal.consentChanged') },
        ]);
      } catch (e) {
        if (!isAccordError(e)) throw e;
        const shown: Notice[] = [{ kind: 'error', text: refusal(t, e) }];
        // The code opened the report and the choice was refused: the report again, with the reason.
        const aboutCode = e.code === 'not_found' || e.code === 'rate_limited' || e.context.field === 'code';
        if (!aboutCode && e.context.reason !== 'bad_form') {
          const view = await reports.survivorView(value(fields, 'code'));
          return statusPage(c, locale, value(fields, 'code'), view, shown, statusOf(e));
        }
        return returnForm(c, locale, shown, statusOf(e));
      }
    },
    open,
  );
};
