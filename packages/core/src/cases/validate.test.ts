import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAccordError } from '../shared/errors.ts';
import { parseDate, parseLatitudeLongitude, parsePart, parsePseudonyms, parseWhen } from './validate.ts';

const refuses = (f: () => unknown, message: RegExp, reason?: string) =>
  assert.throws(f, (e: unknown) => {
    assert.ok(isAccordError(e) && e.code === 'invalid_input', String(e));
    assert.match(e.message, message);
    if (reason) assert.equal(e.context.reason, reason);
    return true;
  });

describe('case input validation', () => {
  it('parts of an item: whole, pages, time ranges, regions — in one canonical spelling', () => {
    assert.deepEqual(parsePart(undefined, ''), { partKind: 'whole', part: '' });
    assert.deepEqual(parsePart('page', ' 12 '), { partKind: 'page', part: '12' });
    assert.deepEqual(parsePart('page', '12-14'), { partKind: 'page', part: '12-14' });
    assert.deepEqual(parsePart('page', '7-7'), { partKind: 'page', part: '7' });
    assert.deepEqual(parsePart('time', '00:01:30 - 00:02:10.5'), {
      partKind: 'time',
      part: '00:01:30-00:02:10.5',
    });
    assert.deepEqual(parsePart('region', '10, 20, 300, 40'), { partKind: 'region', part: '10,20,300,40' });
    refuses(() => parsePart('whole', '3'), /takes no part/, 'bad_part');
    refuses(() => parsePart('page', '0'), /page number or a range/, 'bad_part');
    refuses(() => parsePart('page', '14-12'), /last page comes before the first/);
    refuses(() => parsePart('time', '00:02:00-00:01:00'), /end of the time range must come after its start/);
    refuses(() => parsePart('time', '1:2:3'), /hours:minutes:seconds/);
    refuses(() => parsePart('region', '1,2,3'), /four whole numbers/);
    refuses(() => parsePart('region', '1,2,0,4'), /width and a height/);
    refuses(
      () => parsePart('chapter', '1'),
      /the part of the item must be one of: whole, page, time, region/,
    );
  });

  it('when an incident happened: a month, a day or a time with its offset', () => {
    assert.equal(parseWhen('2022-03', 'f', 'when'), '2022-03');
    assert.equal(parseWhen('2022-03-09', 'f', 'when'), '2022-03-09');
    assert.equal(parseWhen('2022-03-09T10:15:00+02:00', 'f', 'when'), '2022-03-09T10:15:00+02:00');
    refuses(() => parseWhen('2022-02-30', 'f', 'when'), /a date such as/, 'bad_date');
    refuses(() => parseWhen('2022-03-09T10:15', 'f', 'when'), /with its offset/, 'bad_time');
    refuses(() => parseWhen('2022-13', 'f', 'when'), /a month \(2022-03\)/);
    refuses(() => parseWhen('2022-03-09T10:15:00+99:99', 'f', 'when'), /with its offset/);
    assert.equal(parseWhen('2022-03-09T10:15:00-12:00', 'f', 'when'), '2022-03-09T10:15:00-12:00');
    refuses(() => parseDate('1 March 2024', 'f', 'the date'), /the date must be a date such as 2024-03-01/);
  });

  it('victims by pseudonym only: anything with a space is refused as a probable name', () => {
    assert.deepEqual(parsePseudonyms('V-0012, W-0421\nV-0012'), ['V-0012', 'W-0421']);
    assert.deepEqual(parsePseudonyms(['В-12', 'ض-٣']), ['В-12', 'ض-٣']);
    refuses(() => parsePseudonyms('Olena Kovalenko'), /by pseudonym/, 'not_a_pseudonym');
    refuses(() => parsePseudonyms(['<script>']), /by pseudonym/);
  });

  it('a location needs both coordinates or neither; a blank one is not zero', () => {
    assert.deepEqual(parseLatitudeLongitude('', ' '), { latitude: null, longitude: null });
    assert.deepEqual(parseLatitudeLongitude('50.45', '30.52'), { latitude: 50.45, longitude: 30.52 });
    refuses(() => parseLatitudeLongitude('50', ''), /both the latitude and the longitude/, 'half_location');
    refuses(() => parseLatitudeLongitude('', '30'), /both the latitude and the longitude/, 'half_location');
    refuses(() => parseLatitudeLongitude('91', '0'), /latitude must be a number from -90 to 90/);
    refuses(() => parseLatitudeLongitude('0', 'east'), /longitude must be a number from -180 to 180/);
  });
});
