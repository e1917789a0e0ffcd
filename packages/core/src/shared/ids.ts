import { randomUUID } from 'node:crypto';
import { invalid } from './errors.ts';

/**
 * Identifiers are branded strings with one parser each, so that a user id can never be passed
 * where an organisation id is expected. All are UUIDs (random, version 4) printed in lowercase.
 */
declare const brand: unique symbol;
type Branded<T, B extends string> = T & { readonly [brand]: B };

export type OrgId = Branded<string, 'OrgId'>;
export type UserId = Branded<string, 'UserId'>;
export type TokenId = Branded<string, 'TokenId'>;
export type CaseId = Branded<string, 'CaseId'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const parser =
  <T extends string>(what: string) =>
  (value: unknown): T => {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw invalid(`${what} must be a lowercase UUID such as 0b0e8c52-6d1e-4f53-9a2e-3f4a1c9d7e10`);
    }
    return value as T;
  };

export const parseOrgId = parser<OrgId>('an organisation id');
export const parseUserId = parser<UserId>('a user id');
export const parseTokenId = parser<TokenId>('a token id');
export const parseCaseId = parser<CaseId>('a case id');

export const newId = <T extends string>(): T => randomUUID() as T;
