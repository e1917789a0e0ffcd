import type { Locale } from '@accord/core';
import { html } from 'hono/html';
import { directionOf, type Translate } from './i18n/index.ts';
import type { Html } from './layout.ts';

/**
 * Where an item was. This node has no map tiles configured, so the location is shown as plain
 * coordinates with hemispheres and a geo: URI (RFC 5870) to copy into a map application: nothing
 * is fetched from any other server, and the CSP would refuse it anyway.
 *
 * A map can be added later behind the `MapTiles` seam: a tile server run by the organisation and
 * served through this node (same origin, so `img-src 'self'` still holds) would render a static
 * map around the point here. Never a third-party tile server: every tile request would tell it
 * which places an investigation is looking at.
 */
export interface MapTiles {
  /** Renders a map around the point from same-origin tiles. */
  render(latitude: number, longitude: number): Html;
}

/** Decimal degrees to 7 places (about 1 cm), trailing zeros dropped, without the sign. */
const degrees = (value: number): string =>
  Math.abs(value)
    .toFixed(7)
    .replace(/\.?0+$/, '');

/**
 * "43.4674483° N, 11.8851267° E". In right-to-left text each number is isolated (UAX #9 FSI … PDI)
 * so that the degree sign and the separator do not reorder it with its neighbours.
 */
export const formatCoordinates = (
  t: Translate,
  locale: Locale,
  latitude: number,
  longitude: number,
): string => {
  const rtl = directionOf(locale) === 'rtl';
  const part = (value: number, hemisphere: string) =>
    rtl ? `\u2068${degrees(value)}°\u2069 ${hemisphere}` : `${degrees(value)}° ${hemisphere}`;
  return `${part(latitude, latitude < 0 ? t('geo.S') : t('geo.N'))}${rtl ? '، ' : ', '}${part(
    longitude,
    longitude < 0 ? t('geo.W') : t('geo.E'),
  )}`;
};

export const geoUri = (latitude: number, longitude: number): string =>
  `geo:${Number(latitude.toFixed(7))},${Number(longitude.toFixed(7))}`;

export const locationView = (
  t: Translate,
  locale: Locale,
  latitude: number,
  longitude: number,
  options: { tiles?: MapTiles; id?: string } = {},
): Html => {
  const uri = geoUri(latitude, longitude);
  const id = options.id ?? 'geo-uri';
  return html`<div class="location">
<p class="coordinates" data-coordinates>${formatCoordinates(t, locale, latitude, longitude)}</p>
${options.tiles ? options.tiles.render(latitude, longitude) : html`<p class="muted">${t('item.noMap')}</p>`}
<label for="${id}">${t('item.geoUri')}</label>
<input type="text" id="${id}" class="copyable" readonly value="${uri}" dir="ltr">
<p><a href="${uri}">${t('item.openGeo')}</a></p>
</div>`;
};
