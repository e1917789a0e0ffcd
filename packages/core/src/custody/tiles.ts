import { AccordError } from '../shared/errors.ts';
import { HASH_SIZE, hashChildren, largestPowerOfTwoBelow, subtreeRoot } from './merkle.ts';

/**
 * The log's tree is stored as C2SP tlog-tiles: a tile at level L and index N holds up to 256
 * consecutive hashes of the tree level 8·L (level 0: the leaf hashes; level 1: roots of 256-leaf
 * subtrees; …). A tile with fewer than 256 hashes is partial and grows as the log grows. Every
 * other node hash is recomputed from at most 128 hashes of one tile.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

/** Most node hashes and upper tiles one tree view remembers. */
const MEMO_LIMIT = 65_536;

export interface TileSource {
  /** The stored hashes of tile (level, index), concatenated; undefined when there is none. */
  readTile(level: number, index: number): Promise<Uint8Array | undefined>;
}

export interface TileWrite {
  readonly level: number;
  readonly index: number;
  /** The tile's whole content after the append (partial or full). */
  readonly hashes: Uint8Array;
}

const missing = (level: number, index: number, needed: number): AccordError =>
  new AccordError('integrity', `log tile ${level}/${index} is missing or holds fewer than ${needed} hashes`, {
    context: { level, index },
  });

/** Read-only view of the tree of a given size over stored tiles. */
export class TileTree {
  readonly #source: TileSource;
  readonly size: number;

  constructor(source: TileSource, size: number) {
    if (!Number.isSafeInteger(size) || size < 0)
      throw new AccordError('invalid_input', `bad tree size ${size}`);
    this.#source = source;
    this.size = size;
  }

  /** Hash of the perfect subtree of 2^height leaves with the given index at that height. */
  async nodeHash(height: number, index: number): Promise<Uint8Array> {
    const key = height * 2 ** 45 + index;
    const known = height >= TILE_HEIGHT ? this.#memo.get(key) : undefined;
    if (known) return known;
    const level = Math.floor(height / TILE_HEIGHT);
    const count = 2 ** (height - level * TILE_HEIGHT);
    const first = index * count;
    const tileIndex = Math.floor(first / TILE_WIDTH);
    const offset = first % TILE_WIDTH;
    const tile = await this.#readTile(level, tileIndex);
    if (!tile || tile.byteLength < (offset + count) * HASH_SIZE) {
      throw missing(level, tileIndex, offset + count);
    }
    const hash = subtreeRoot(tile, offset, count);
    if (height >= TILE_HEIGHT) {
      if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
      this.#memo.set(key, hash);
    }
    return hash;
  }

  /**
   * Node hashes above the leaf tiles, and the upper tiles they come from, are remembered: in a tree
   * of a fixed size they never change, and proofs against one checkpoint share most of them.
   */
  readonly #memo = new Map<number, Uint8Array>();
  readonly #upperTiles = new Map<number, Uint8Array | undefined>();

  async #readTile(level: number, index: number): Promise<Uint8Array | undefined> {
    if (level === 0) return this.#source.readTile(level, index);
    const key = level * 2 ** 45 + index;
    if (this.#upperTiles.has(key)) return this.#upperTiles.get(key);
    const tile = await this.#source.readTile(level, index);
    if (this.#upperTiles.size >= MEMO_LIMIT) this.#upperTiles.clear();
    this.#upperTiles.set(key, tile);
    return tile;
  }

  /** Merkle Tree Hash of leaves [start, end), per RFC 9162 §2.1.1. */
  async rangeHash(start: number, end: number): Promise<Uint8Array> {
    const n = end - start;
    if ((n & (n - 1)) === 0 && start % n === 0) return this.nodeHash(Math.log2(n), start / n);
    const k = largestPowerOfTwoBelow(n);
    return hashChildren(await this.rangeHash(start, start + k), await this.rangeHash(start + k, end));
  }

  async root(): Promise<Uint8Array> {
    if (this.size === 0)
      return new Uint8Array(
        Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex'),
      );
    return this.rangeHash(0, this.size);
  }

  /** RFC 9162 §2.1.3.1 inclusion proof of leaf `index`, nearest sibling first. */
  async inclusionProof(index: number): Promise<Uint8Array[]> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw new AccordError('invalid_input', `leaf ${index} is not in a tree of size ${this.size}`);
    }
    const path: Uint8Array[] = [];
    const walk = async (m: number, start: number, end: number): Promise<void> => {
      if (end - start === 1) return;
      const k = largestPowerOfTwoBelow(end - start);
      if (m < start + k) {
        await walk(m, start, start + k);
        path.push(await this.rangeHash(start + k, end));
      } else {
        await walk(m, start + k, end);
        path.push(await this.rangeHash(start, start + k));
      }
    };
    await walk(index, 0, this.size);
    return path;
  }

  /** RFC 9162 §2.1.4.1 consistency proof from the tree of `oldSize` leaves to this one. */
  async consistencyProof(oldSize: number): Promise<Uint8Array[]> {
    if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > this.size) {
      throw new AccordError(
        'invalid_input',
        `a consistency proof needs 1 ≤ old size ≤ ${this.size} (the current size); got ${oldSize}`,
      );
    }
    const proof: Uint8Array[] = [];
    const sub = async (m: number, start: number, end: number, complete: boolean): Promise<void> => {
      const n = end - start;
      if (m === n) {
        if (!complete) proof.push(await this.rangeHash(start, end));
        return;
      }
      const k = largestPowerOfTwoBelow(n);
      if (m <= k) {
        await sub(m, start, start + k, complete);
        proof.push(await this.rangeHash(start + k, end));
      } else {
        await sub(m - k, start + k, end, false);
        proof.push(await this.rangeHash(start, start + k));
      }
    };
    await sub(oldSize, 0, this.size, true);
    return proof;
  }
}

/** A source that sees pending writes before the stored tiles. */
export class OverlaySource implements TileSource {
  readonly #base: TileSource;
  readonly #writes = new Map<string, Uint8Array>();

  constructor(base: TileSource) {
    this.#base = base;
  }

  set(write: TileWrite): void {
    this.#writes.set(`${write.level}/${write.index}`, write.hashes);
  }

  async readTile(level: number, index: number): Promise<Uint8Array | undefined> {
    return this.#writes.get(`${level}/${index}`) ?? this.#base.readTile(level, index);
  }
}

/**
 * Appends leaf hashes to a tree of `size` leaves and returns every tile that changed (in the
 * order they were completed, each with its full new content), the new size and the new root.
 */
export const appendLeaves = async (
  source: TileSource,
  size: number,
  leafHashes: readonly Uint8Array[],
): Promise<{ writes: TileWrite[]; size: number; root: Uint8Array }> => {
  const overlay = new OverlaySource(source);
  const writes = new Map<string, TileWrite>();
  const put = (write: TileWrite): void => {
    writes.set(`${write.level}/${write.index}`, write);
    overlay.set(write);
  };
  let incoming: readonly Uint8Array[] = leafHashes;
  let level = 0;
  let perHash = 1; // leaves under one hash of this level
  while (incoming.length > 0) {
    const stored = Math.floor(size / perHash);
    let index = Math.floor(stored / TILE_WIDTH);
    const offset = stored % TILE_WIDTH;
    let buffer = Buffer.alloc(TILE_WIDTH * HASH_SIZE);
    let filled = 0;
    if (offset > 0) {
      const tile = await source.readTile(level, index);
      if (!tile || tile.byteLength < offset * HASH_SIZE) throw missing(level, index, offset);
      buffer.set(tile.subarray(0, offset * HASH_SIZE));
      filled = offset;
    }
    const completed: Uint8Array[] = [];
    for (const h of incoming) {
      if (h.byteLength !== HASH_SIZE) throw new AccordError('invalid_input', 'a leaf hash must be 32 bytes');
      buffer.set(h, filled * HASH_SIZE);
      filled += 1;
      if (filled === TILE_WIDTH) {
        put({ level, index, hashes: buffer });
        completed.push(subtreeRoot(buffer, 0, TILE_WIDTH));
        index += 1;
        buffer = Buffer.alloc(TILE_WIDTH * HASH_SIZE);
        filled = 0;
      }
    }
    if (filled > 0) put({ level, index, hashes: buffer.subarray(0, filled * HASH_SIZE) });
    incoming = completed;
    level += 1;
    perHash *= TILE_WIDTH;
  }
  const newSize = size + leafHashes.length;
  const root = await new TileTree(overlay, newSize).root();
  return { writes: [...writes.values()], size: newSize, root };
};

/** Width of tile (level, index) in a tree of `size` leaves: 0 (absent) to 256. */
export const tileWidth = (size: number, level: number, index: number): number => {
  const stored = Math.floor(size / TILE_WIDTH ** level);
  return Math.max(0, Math.min(TILE_WIDTH, stored - index * TILE_WIDTH));
};

/** Formats a tile index as C2SP tlog-tiles path elements: 1234067 → "x001/x234/067". */
export const formatTileIndex = (index: number): string => {
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
};

export type TilePath =
  | { readonly kind: 'hashes'; readonly level: number; readonly index: number; readonly width: number }
  | { readonly kind: 'entries'; readonly index: number; readonly width: number };

/**
 * Parses the part of a tile URL after "tile/": "<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]".
 * Only the canonical spelling is accepted; returns undefined for anything else.
 */
export const parseTilePath = (path: string): TilePath | undefined => {
  const parts = path.split('/');
  let width = TILE_WIDTH;
  if (parts.length >= 2 && parts.at(-2)?.endsWith('.p')) {
    const w = parts.at(-1) ?? '';
    if (!/^[1-9][0-9]{0,2}$/.test(w) || Number(w) >= TILE_WIDTH) return undefined;
    width = Number(w);
    parts.splice(-2, 2, (parts.at(-2) ?? '').slice(0, -2));
  }
  const [head, ...rest] = parts;
  if (head === undefined || rest.length === 0) return undefined;
  const index = parseIndex(rest);
  if (index === undefined) return undefined;
  if (head === 'entries') return { kind: 'entries', index, width };
  if (!/^(0|[1-9][0-9]?)$/.test(head)) return undefined;
  const level = Number(head);
  if (level > 7) return undefined;
  return { kind: 'hashes', level, index, width };
};

const parseIndex = (groups: readonly string[]): number | undefined => {
  let n = 0;
  for (const [i, group] of groups.entries()) {
    const last = i === groups.length - 1;
    const m = last ? /^([0-9]{3})$/.exec(group) : /^x([0-9]{3})$/.exec(group);
    if (!m) return undefined;
    n = n * 1000 + Number(m[1]);
  }
  if (!Number.isSafeInteger(n) || formatTileIndex(n) !== groups.join('/')) return undefined;
  return n;
};
