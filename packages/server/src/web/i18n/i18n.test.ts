import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AccordError, LOCALES } from '@accord/core';
import { describeError } from '../layout.ts';
import { en } from './en.ts';
import { CATALOGUES, directionOf, negotiateLocale, translator } from './index.ts';

const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(',');

describe('catalogues', () => {
  const keys = Object.keys(en).sort();
  for (const locale of LOCALES) {
    it(`${locale} has exactly the English keys, each non-empty with the same placeholders`, () => {
      const catalogue = CATALOGUES[locale] as Record<string, string>;
      const missing = keys.filter((k) => !(k in catalogue));
      const extra = Object.keys(catalogue).filter((k) => !(k in en));
      assert.deepEqual(missing, [], `${locale} misses keys`);
      assert.deepEqual(extra, [], `${locale} has keys English does not`);
      for (const k of keys) {
        const text = catalogue[k];
        assert.equal(typeof text, 'string', `${locale}.${k}`);
        assert.ok(text!.trim().length > 0, `${locale}.${k} is empty`);
        assert.equal(
          placeholders(text!),
          placeholders(en[k as keyof typeof en]),
          `${locale}.${k} placeholders`,
        );
      }
    });
  }

  it('translations are translations: most strings differ from English', () => {
    for (const locale of LOCALES.filter((l) => l !== 'en')) {
      const catalogue = CATALOGUES[locale] as Record<string, string>;
      const same = keys.filter((k) => catalogue[k] === en[k as keyof typeof en]);
      // A handful of words are the same in French or Spanish (Organisations, Code, Police, No…).
      assert.ok(
        same.length <= 10,
        `${locale}: ${same.length} strings identical to English: ${same.join(', ')}`,
      );
    }
  });

  it('Arabic text is in Arabic script', () => {
    assert.match(CATALOGUES.ar['signIn.title'], /\p{Script=Arabic}/u);
    assert.match(CATALOGUES.uk['signIn.title'], /\p{Script=Cyrillic}/u);
  });
});

describe('translator', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    const t = translator('en');
    assert.equal(t('home.welcome', { name: 'Amal' }), 'Welcome, Amal.');
    assert.equal(t('home.welcome'), 'Welcome, {name}.');
  });
  it('isolates parameters in right-to-left text (UAX #9 FSI/PDI), not in left-to-right text', () => {
    assert.equal(translator('ar')('home.welcome', { name: 'Olena' }).includes('\u2068Olena\u2069'), true);
    assert.equal(translator('fr')('home.welcome', { name: 'Olena' }).includes('\u2068'), false);
  });
  it('direction is rtl only for Arabic', () => {
    assert.deepEqual(
      LOCALES.map((l) => directionOf(l)),
      LOCALES.map((l) => (l === 'ar' ? 'rtl' : 'ltr')),
    );
  });
});

describe('negotiateLocale (RFC 9110 §12.5.4)', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'en'],
    ['', 'en'],
    ['ar', 'ar'],
    ['fr-CA,fr;q=0.9,en;q=0.8', 'fr'],
    ['de-DE,de;q=0.9,uk;q=0.8,en;q=0.7', 'uk'],
    ['en;q=0.5,es;q=0.9', 'es'],
    ['ar;q=0,fr;q=0.1', 'fr'],
    ['zz, *;q=0.1', 'en'],
    ['garbage;;;q=abc', 'en'],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${expected}`, () => assert.equal(negotiateLocale(header), expected));
  }
});

describe("domain errors in the reader's language", () => {
  it('every reason the domain can give has a message in the catalogue', () => {
    const root = join(import.meta.dirname, '..', '..', '..', '..', 'core', 'src');
    const reasons = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          // Audit details also carry a `reason` (e.g. unknown_user); those are records, not messages.
          for (const line of readFileSync(path, 'utf8').split('\n')) {
            if (line.includes('details')) continue;
            for (const m of line.matchAll(/reason: '([a-z_]+)'/g)) reasons.add(m[1]!);
          }
        }
      }
    };
    walk(root);
    assert.ok(reasons.size >= 15, `found only ${reasons.size} reasons`);
    const missing = [...reasons].filter((r) => !(`reason.${r}` in en));
    assert.deepEqual(missing, []);
  });
  it('uses the reason and its parameters, in the chosen language', () => {
    const e = new AccordError('invalid_input', 'the password must be at least 12 characters long', {
      context: { field: 'password', reason: 'password_too_short', min: 12 },
    });
    assert.equal(
      describeError(translator('fr'), e),
      'Le mot de passe doit comporter au moins 12 caractères.',
    );
    assert.match(describeError(translator('ar'), e), /\p{Script=Arabic}/u);
  });
  it('falls back to a translated message for the code, never the English domain text', () => {
    const e = new AccordError('conflict', 'some English detail');
    assert.equal(describeError(translator('es'), e), CATALOGUES.es['error.conflict']);
  });
});
