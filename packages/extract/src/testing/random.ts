// Test-only helpers (not exported by the package): a seeded PRNG, so that property tests are repeatable,
// and ways to cut a buffer into chunks.

/** mulberry32: a small, seeded 32-bit PRNG. Returns floats in [0, 1). */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export const randomBytes = (random: () => number, length: number): Uint8Array => {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
};

/** Cuts `bytes` into consecutive views whose sizes come from `size`. */
export const chunksOf = (bytes: Uint8Array, size: () => number): Uint8Array[] => {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, Math.min(size(), bytes.length - i));
    chunks.push(bytes.subarray(i, i + n));
    i += n;
  }
  return chunks;
};

/** Random chunk sizes, mostly small, sometimes large. */
export const randomChunkSizes =
  (random: () => number): (() => number) =>
  () =>
    random() < 0.8 ? 1 + Math.floor(random() * 17) : 1 + Math.floor(random() * 70000);
