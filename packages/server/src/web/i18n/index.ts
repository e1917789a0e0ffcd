import { LOCALES, type Locale } from '@accord/core';
import { ar } from './ar.ts';
import { type Catalogue, en, type MessageKey } from './en.ts';
import { es } from './es.ts';
import { fr } from './fr.ts';
import { uk } from './uk.ts';

export type { MessageKey };

export const CATALOGUES: Readonly<Record<Locale, Catalogue>> = { en, fr, es, ar, uk };

/** Each language's own name, for language pickers. */
export const LANGUAGE_NAMES: Readonly<Record<Locale, string>> = {
  en: 'English',
  fr: 'Français',
  es: 'Español',
  ar: 'العربية',
  uk: 'Українська',
};

export const directionOf = (locale: Locale): 'ltr' | 'rtl' => (locale === 'ar' ? 'rtl' : 'ltr');

export type Translate = (key: MessageKey, params?: Readonly<Record<string, string | number>>) => string;

/**
 * Plain-text translation; the HTML layer escapes the result and every parameter. In right-to-left
 * languages each parameter is wrapped in Unicode isolates (FSI … PDI, UAX #9) so that a Latin name
 * or a number inside Arabic text keeps its own direction without reordering the sentence.
 */
export const translator = (locale: Locale): Translate => {
  const isolate = directionOf(locale) === 'rtl';
  return (key, params) => {
    const template = CATALOGUES[locale][key] ?? en[key];
    if (!params) return template;
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
      if (!(name in params)) return whole;
      const value = String(params[name]);
      return isolate ? `\u2068${value}\u2069` : value;
    });
  };
};

export const isLocale = (value: unknown): value is Locale =>
  typeof value === 'string' && (LOCALES as readonly string[]).includes(value);

/**
 * RFC 9110 §12.5.4 Accept-Language: picks the supported language with the highest q-value,
 * matching on the primary subtag (fr-CA → fr). Falls back to English.
 */
export const negotiateLocale = (header: string | undefined): Locale => {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .slice(0, 30)
    .map((part, index) => {
      const [tag = '', ...attrs] = part.trim().split(';');
      const q = attrs.map((a) => a.trim()).find((a) => a.startsWith('q='));
      const weight = q ? Number(q.slice(2)) : 1;
      return { tag: tag.toLowerCase(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranked) {
    const primary = tag.split('-')[0];
    if (isLocale(primary)) return primary;
  }
  return 'en';
};
