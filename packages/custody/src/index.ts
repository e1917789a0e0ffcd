// The custody package's only public door: protocol code that a court, a partner or a browser
// verifier can rely on without Accord's server.
export * from './bytes.ts';
export * from './errors.ts';
export * from './jcs/canonical.ts';
export * from './merkle/hash.ts';
export * from './merkle/proof.ts';
export * from './merkle/tree.ts';
export * from './note/checkpoint.ts';
export * from './note/note.ts';
export * from './note/rfc6962.ts';
