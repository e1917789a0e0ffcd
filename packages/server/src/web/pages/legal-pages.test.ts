import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { legalFixture } from '../../http/legal-fixture.ts';
import { DEMO_PASSWORD, seedDemo } from '../../node/demo.ts';
import { TestClient } from '../../testing/client.ts';
import { createTestNode, describeEachDatabase, type TestNode } from '../../testing/harness.ts';

/**
 * The legal catalogue pages, on a node serving the fixture catalogue (legal-fixture.ts): the
 * crimes by category, a national profile, and the comparison of one crime across the profiles.
 */
describeEachDatabase('legal pages', (create, name) => {
  let n: TestNode;
  let observer: TestClient;

  before(async () => {
    n = await createTestNode(create, name, { legal: legalFixture() });
    await seedDemo(n.node);
    // The least privileged role: the catalogue is reference material for everyone.
    observer = new TestClient(n.app.app, { 'Accept-Language': 'en' });
    await observer.signIn('demo-observer', DEMO_PASSWORD, () => n.clock.now());
  });
  after(() => n?.close());

  const html = async (res: Response, status = 200): Promise<string> => {
    const text = await res.text();
    assert.equal(res.status, status, text.slice(0, 2000));
    assert.match(res.headers.get('Content-Type') ?? '', /^text\/html/);
    return text;
  };

  /** No script of any kind, and every URL the page could load or open is the node's own. */
  const selfContained = (page: string) => {
    assert.doesNotMatch(page, /<script/i, 'no script');
    assert.doesNotMatch(page, /<(iframe|object|embed|img|video|audio)\b/i);
    assert.doesNotMatch(page, /\son[a-z]+=/i, 'no inline event handlers');
    assert.doesNotMatch(page, /\sstyle=/i, 'no inline style');
    for (const [, attr, url] of page.matchAll(/\s(href|src|action)="([^"]*)"/g)) {
      assert.ok(
        url!.startsWith('/') || url!.startsWith('#') || url === 'data:,',
        `${attr}="${url}" is not the node's own`,
      );
      assert.ok(!url!.startsWith('//'), `${attr}="${url}" is protocol-relative`);
    }
    const links = [...page.matchAll(/<link [^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(links, [
      '<link rel="stylesheet" href="/assets/app.css">',
      '<link rel="icon" href="data:,">',
    ]);
  };

  /** The HTML of one table row, by its id. */
  const row = (page: string, id: string): string => {
    const start = page.indexOf(`<tr id="${id}">`);
    assert.ok(start >= 0, `row ${id}`);
    return page.slice(start, page.indexOf('</tr>', start));
  };
  /** A comparison cell: its status and its HTML. */
  const cell = (tr: string, code: string): { status: string; html: string } => {
    const m = new RegExp(
      `<td class="cell cell-(\\w+)" data-status="\\w+" data-jurisdiction="${code}">(.*?)</td>`,
      's',
    ).exec(tr);
    assert.ok(m, `cell ${code}`);
    return { status: m[1]!, html: m[2]! };
  };

  it('every role finds the catalogue in the navigation', async () => {
    const home = await html(await observer.get('/'));
    assert.match(home, /<a href="\/legal">Law<\/a>/);
    const page = await html(await observer.get('/legal'));
    assert.match(page, /<a href="\/legal" aria-current="page">Law<\/a>/);
  });

  it('/legal shows the crimes by category, each folded with its elements and citations', async () => {
    const res = await observer.get('/legal');
    const page = await html(res);
    selfContained(page);
    assert.match(res.headers.get('Content-Security-Policy') ?? '', /script-src 'self'/);
    const headings = [
      ...page.matchAll(/<section class="crime-group" id="group-(\w+)"><h2>([^<]+)<\/h2>/g),
    ].map((m) => [m[1], m[2]]);
    assert.deepEqual(headings, [
      ['genocide', 'Genocide'],
      ['crimes_against_humanity', 'Crimes against humanity'],
      ['war_crimes_international', 'War crimes in international armed conflict'],
      ['war_crimes_non_international', 'War crimes in non-international armed conflict'],
      ['mode_of_liability', 'Modes of liability'],
    ]);
    // Folded by default; each crime with its article, name and number of elements.
    assert.match(
      page,
      /<details class="crime" id="crime-rs-6a">\s*<summary><span class="article">Art\. 6\(a\)<\/span> <span class="crime-name" dir="auto">Genocide by killing<\/span> <span class="muted">Elements: 4<\/span><\/summary>/,
    );
    assert.doesNotMatch(page, /<details[^>]* open>/);
    // Elements: kind, text and citation; a note where the data has one.
    assert.match(
      page,
      /<li id="element-rs-6a\.3"><span class="element-head"><span class="badge badge-kind">Mental element<\/span> <code>rs-6a\.3<\/code><\/span>\s*<span class="element-text" dir="auto">The perpetrator intended to destroy that group, in whole or in part, as such\.<\/span> <cite class="citation">ICC Elements of Crimes, art\. 6\(a\), 3<\/cite><\/li>/,
    );
    assert.match(page, /Fixture note on the contextual element\./);
    assert.match(page, /<cite class="citation">Rome Statute, art\. 8, \(2\)\(c\)\(i\)<\/cite>/);
    // A comparison for every crime, and the profiles with their counts.
    for (const id of ['rs-6a', 'rs-7-1-a', 'rs-8-2-a-i', 'rs-8-2-c-i', 'rs-25-3-a'])
      assert.match(page, new RegExp(`<a href="/legal/compare/${id}">Compare across jurisdictions</a>`));
    assert.match(
      page,
      /<a href="\/legal\/jurisdictions\/FR"><span dir="auto">Fixture France<\/span> <span class="ltr">\(FR\)<\/span><\/a> <span class="muted">Offences: 2; crimes covered: 2<\/span>/,
    );
  });

  it('?open=all unfolds every crime for printing; ?open=<id> unfolds one', async () => {
    const all = await html(await observer.get('/legal?open=all'));
    assert.equal([...all.matchAll(/<details class="crime" id="crime-[^"]+" open>/g)].length, 5);
    assert.match(all, /<a href="\/legal">Collapse the crimes<\/a>/);
    const one = await html(await observer.get('/legal?open=rs-7-1-a'));
    assert.deepEqual(
      [...one.matchAll(/<details class="crime" id="crime-([^"]+)" open>/g)].map((m) => m[1]),
      ['rs-7-1-a'],
    );
    const css = await (await observer.get('/assets/app.css')).text();
    assert.match(css, /@media print \{/);
    assert.match(css, /\.top, \.skip, \.foot, \.no-print, form \{ display: none !important; \}/);
  });

  it('a national profile: offences and their mappings, universal jurisdiction, limitation, admissibility', async () => {
    const page = await html(await observer.get('/legal/jurisdictions/FR'));
    selfContained(page);
    assert.match(page, /<h1>National profile: Fixture France<\/h1>/);
    assert.match(page, /<span dir="auto">Code pénal<\/span> <span class="muted ltr">\(cp\)<\/span>/);
    const offence = row(page, 'offence-fr-cp-211-1');
    assert.match(
      offence,
      /<th scope="row"><span dir="auto">Génocide<\/span><br><cite class="citation">Code pénal, art\. 211-1<\/cite><\/th>/,
    );
    assert.match(
      offence,
      /<li class="mapping match-full"><span class="badge badge-match-full">Full match<\/span> <a href="\/legal\/compare\/rs-6a">Art\. 6\(a\) <span dir="auto">Genocide by killing<\/span><\/a>\s*<span class="mapped-elements">Elements: <code>rs-6a\.1<\/code>, <code>rs-6a\.2<\/code><\/span><\/li>/,
    );
    assert.match(
      offence,
      /<li class="mapping match-partial"><span class="badge badge-match-partial">Partial match<\/span>.*?<code>rs-6a\.3<\/code><\/span><p class="legal-note"><span class="label">Note:<\/span> <span dir="auto">Fixture partial note — a concerted plan is required\.<\/span><\/p><\/li>/s,
    );
    assert.match(row(page, 'offence-fr-cp-212-1'), /<span class="mapped-elements">The whole crime<\/span>/);
    assert.match(page, /<strong>Universal jurisdiction does not apply\.<\/strong>/);
    assert.match(
      page,
      /Only the extraterritorial jurisdiction the conventions listed in the code provide for\.<\/span> <cite class="citation">Code de procédure pénale, art\. 689-11<\/cite>/,
    );
    assert.match(
      page,
      /<h2>Limitation periods<\/h2><ul class="cited"><li><span dir="auto">Not subject to limitation for genocide\.<\/span>/,
    );
    assert.match(
      page,
      /<ul class="checklist"><li id="rule-sworn-translation"><span dir="auto">Documents in another language come with a sworn translation\.<\/span> <cite class="citation">Code de procédure pénale, art\. 102<\/cite><\/li><\/ul>/,
    );
    // Without a citation, the note says where a statement comes from; a declared non-match is shown.
    const ua = await html(await observer.get('/legal/jurisdictions/ua'));
    assert.match(ua, /<strong>Universal jurisdiction applies, under these conditions:<\/strong>/);
    assert.match(
      ua,
      /The suspect is found on the territory\.<\/span><p class="legal-note"><span class="label">Source:<\/span> <span dir="auto">Fixture source note\.<\/span>/,
    );
    assert.match(row(ua, 'offence-ua-kk-115'), /<span class="badge badge-match-none">No match<\/span>/);
    const de = await html(await observer.get('/legal/jurisdictions/DE'));
    assert.match(
      de,
      /<li id="rule-chain-of-custody">.*?<span class="label">Source:<\/span> <span dir="auto">established practice<\/span>/s,
    );
  });

  it('the comparison: one row per element, one column per profile, covered, partial with its note, gaps', async () => {
    const page = await html(await observer.get('/legal/compare/rs-6a'));
    selfContained(page);
    assert.match(page, /<h1>Comparison: Genocide by killing<\/h1>/);
    assert.match(
      page,
      /<a href="\/legal\?open=rs-6a#crime-rs-6a" class="no-print">Back to the legal catalogue<\/a>/,
    );
    const headers = [...page.matchAll(/<th scope="col"><a href="\/legal\/jurisdictions\/(\w+)"/g)].map(
      (m) => m[1],
    );
    assert.deepEqual(headers, ['DE', 'FR', 'UA']);
    const rows = [...page.matchAll(/<tr id="element-([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(rows, ['rs-6a.1', 'rs-6a.2', 'rs-6a.3', 'rs-6a.4']);

    // Covered: the offence that covers it, with its citation; the whole crime when the mapping lists no elements.
    const first = row(page, 'element-rs-6a.1');
    assert.match(
      first,
      /<span class="element-text" dir="auto">The perpetrator killed one or more persons\.<\/span>/,
    );
    const fr1 = cell(first, 'FR');
    assert.equal(fr1.status, 'covered');
    assert.match(
      fr1.html,
      /<span class="badge badge-status-covered">Covered<\/span><div class="covering match-full"><a href="\/legal\/jurisdictions\/FR#offence-fr-cp-211-1" dir="auto">Génocide<\/a> <cite class="citation">Code pénal, art\. 211-1<\/cite><\/div>/,
    );
    assert.match(
      cell(first, 'DE').html,
      /Völkermord<\/a> <cite class="citation">VStGB, art\. 6, \(1\)<\/cite> <span class="muted">\(The whole crime\)<\/span>/,
    );

    // Partial: the note says what differs.
    const third = row(page, 'element-rs-6a.3');
    const fr3 = cell(third, 'FR');
    assert.equal(fr3.status, 'partial');
    assert.match(fr3.html, /<span class="badge badge-status-partial">Partly covered<\/span>/);
    assert.match(fr3.html, /<span class="badge badge-match-partial">Partial match<\/span>/);
    assert.match(fr3.html, /Fixture partial note — a concerted plan is required\./);

    // Gap: highlighted, in words as well as in colour.
    const fourth = row(page, 'element-rs-6a.4');
    for (const code of ['FR', 'UA']) {
      const gap = cell(fourth, code);
      assert.equal(gap.status, 'gap');
      assert.equal(
        gap.html,
        '<span class="badge badge-status-gap">Gap</span><p class="gap-text">No national offence covers this element.</p>',
      );
    }
    // A declared non-match is a gap that names the offence and says why.
    const ua2 = cell(row(page, 'element-rs-6a.2'), 'UA');
    assert.equal(ua2.status, 'gap');
    assert.match(ua2.html, /Умисне вбивство<\/a>.*No match.*ordinary murder knows no protected group/s);
    assert.doesNotMatch(ua2.html, /gap-text/);

    assert.match(
      page,
      /<tfoot><tr><th scope="row">Summary<\/th><td>Covered: 4; partly: 0; gaps: 0<\/td><td>Covered: 2; partly: 1; gaps: 1<\/td><td>Covered: 0; partly: 1; gaps: 3<\/td><\/tr><\/tfoot>/,
    );
  });

  it('unknown crimes and profiles are 404 with a clear message', async () => {
    const crime = await html(await observer.get('/legal/compare/rs-99'), 404);
    assert.match(crime, /The legal catalogue has no crime rs-99\./);
    assert.match(crime, /<a href="\/legal">Back to the legal catalogue<\/a>/);
    const profile = await html(await observer.get('/legal/jurisdictions/XX'), 404);
    assert.match(profile, /The legal catalogue has no national profile with the code XX\./);
    const escaped = await html(await observer.get('/legal/jurisdictions/%3Cb%3E'), 404);
    assert.match(escaped, /with the code &lt;b&gt;\./);
  });

  it('in Arabic the frame is right-to-left and translated; the legal texts stay as written', async () => {
    const arabic = new TestClient(n.app.app, { 'Accept-Language': 'ar' });
    await arabic.signIn('demo-auditor', DEMO_PASSWORD, () => n.clock.now());
    const page = await html(await arabic.get('/legal/compare/rs-6a'));
    assert.match(page, /<html lang="ar" dir="rtl">/);
    assert.match(page, /<a href="\/legal">القانون<\/a>/);
    assert.match(page, /<span class="badge badge-status-gap">ثغرة<\/span>/);
    assert.match(
      page,
      /<span class="element-text" dir="auto">The perpetrator killed one or more persons\.<\/span>/,
    );
    assert.match(page, /Fixture partial note — a concerted plan is required\./);
    // Citations: the words around them translated, the instrument and article isolated (UAX #9).
    assert.match(page, /<cite class="citation">\u2068Code pénal\u2069، المادة \u2068211-1\u2069<\/cite>/);
    const list = await html(await arabic.get('/legal'));
    assert.match(list, /<h2>الإبادة الجماعية<\/h2>/);
  });
});
