import type { ItemRecord, Locale } from '@accord/core';
import { html } from 'hono/html';
import { categoryOf } from '../../http/content.ts';
import type { Translate } from '../i18n/index.ts';
import type { Html } from '../layout.ts';

/** Sizes for people: 1.5 MB, 640 kB (decimal units), in the reader's number format. */
export const formatSize = (locale: Locale, bytes: number): string => {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: units[unit],
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
};

export const formatNumber = (locale: Locale, n: number): string => new Intl.NumberFormat(locale).format(n);

/** The broad kind of an item's media type, in words. */
export const typeLabel = (t: Translate, mediaType: string): string => t(`type.${categoryOf(mediaType)}`);

/** Small markers shown next to an item's title. */
export const itemBadges = (t: Translate, item: ItemRecord): Html =>
  html`${item.sensitive ? html` <span class="badge badge-pending">${t('evidence.sensitive')}</span>` : ''}${
    item.sealedAt ? html` <span class="badge">${t('evidence.sealed')}</span>` : ''
  }${item.problems.length > 0 ? html` <span class="badge badge-danger">${t('evidence.flagged')}</span>` : ''}`;
