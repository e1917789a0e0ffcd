/**
 * Text folded for searching names in it: compatibility forms (full-width letters, ligatures) and
 * diacritics folded away, invisible format characters (zero-width space, soft hyphen) and control
 * characters dropped, apostrophes unified, letter case ignored, runs of white space as one space.
 * Not trimmed, so that text folded in pieces (a stream) keeps the spaces at its edges.
 */
export const foldForSearch = (text: string): string =>
  text
    .normalize('NFKD')
    .replace(/[\p{M}\p{Cf}]/gu, '')
    .replace(/\p{Cc}/gu, ' ')
    .replace(/[\u2018\u2019\u02bc\u0060\u00b4]/g, "'")
    .toLocaleLowerCase('und')
    .replace(/\s+/g, ' ');

/** A name or other term folded for searching, without white space at its ends. */
export const normaliseForSearch = (text: string): string => foldForSearch(text).trim();
