/** Names are compared case-insensitively, in Unicode NFC, with runs of white space as one space. */
export const normaliseForSearch = (text: string): string =>
  text.normalize('NFC').toLocaleLowerCase('und').replace(/\s+/g, ' ').trim();
