import { invalid } from '../shared/errors.ts';
import {
  LOCALES,
  type Locale,
  ORG_KINDS,
  type OrgKind,
  ROLES,
  type Role,
  TOKEN_SCOPES,
  type TokenScope,
} from './types.ts';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$/;

/** Usernames are case-insensitive: stored lower case, 3–64 of a-z 0-9 . _ - */
export const parseUsername = (value: unknown): string => {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid('a username is required', { field: 'username', reason: 'username_invalid' });
  const name = value.trim().toLowerCase();
  if (!USERNAME.test(name)) {
    throw invalid(
      'a username is 3 to 64 characters: letters a–z, digits, dot, underscore or hyphen, starting and ending with a letter or digit',
      { field: 'username', reason: 'username_invalid' },
    );
  }
  return name;
};

export const parseText = (value: unknown, field: string, label: string, max = 200): string => {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(`${label} is required`, { field, reason: 'required' });
  const text = value.trim().normalize('NFC');
  if ([...text].length > max)
    throw invalid(`${label} must be at most ${max} characters`, { field, reason: 'too_long', max });
  // Control characters have no place in names and would corrupt logs and exports.
  if (/\p{Cc}/u.test(text))
    throw invalid(`${label} must not contain control characters`, { field, reason: 'control_chars' });
  return text;
};

/** Like parseText, for notes and reasons: line breaks are kept (CRLF becomes LF), other controls refused. */
export const parseMultilineText = (value: unknown, field: string, label: string, max = 4000): string => {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(`${label} is required`, { field, reason: 'required' });
  const text = value.replace(/\r\n?/g, '\n').trim().normalize('NFC');
  if ([...text].length > max)
    throw invalid(`${label} must be at most ${max} characters`, { field, reason: 'too_long', max });
  if (/[^\P{Cc}\n\t]/u.test(text))
    throw invalid(`${label} must not contain control characters other than line breaks and tabs`, {
      field,
      reason: 'control_chars',
    });
  return text;
};

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** ISO 3166-1 alpha-2, as known to the runtime's CLDR data. */
export const parseCountry = (value: unknown): string => {
  const code = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (!/^[A-Z]{2}$/.test(code) || regionNames.of(code) === undefined) {
    throw invalid('the country must be an ISO 3166-1 two-letter code such as UA, DE or AR', {
      field: 'country',
      reason: 'country_invalid',
    });
  }
  return code;
};

const oneOf =
  <T extends string>(values: readonly T[], field: string, label: string) =>
  (value: unknown): T => {
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    throw invalid(`${label} must be one of: ${values.join(', ')}`, { field, reason: 'choice_invalid' });
  };

export const parseRole: (value: unknown) => Role = oneOf(ROLES, 'role', 'the role');
export const parseOrgKind: (value: unknown) => OrgKind = oneOf(ORG_KINDS, 'kind', 'the organisation kind');
export const parseLocale: (value: unknown) => Locale = oneOf(LOCALES, 'locale', 'the language');
export const parseScope: (value: unknown) => TokenScope = oneOf(TOKEN_SCOPES, 'scopes', 'a token scope');
