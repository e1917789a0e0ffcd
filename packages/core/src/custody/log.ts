import { formatCheckpointBody, type NoteSigner, type NoteVerifier, signNote } from '@accord/custody';
import type { Clock } from '../accounts/ports.ts';
import type { EvidenceRepo, LogState } from '../evidence/ports.ts';
import type { ItemOp, ItemOpResult, StoredCheckpoint } from '../evidence/types.ts';
import { AccordError } from '../shared/errors.ts';
import { TileTree } from './tiles.ts';

export interface CustodyLogOptions {
  readonly repo: EvidenceRepo;
  readonly signer: NoteSigner;
  /** The signer's public half, to check checkpoints read back from storage. */
  readonly verifier: NoteVerifier;
  /** The checkpoint origin; also the signer's key name. */
  readonly origin: string;
  readonly clock: Clock;
  /** Most units committed in one transaction (default 2,000). */
  readonly maxBatch?: number;
  /** How long to wait for more units before committing (default 0: commit as soon as idle). */
  readonly lingerMs?: number;
  /** Longest time between growth of the tree and a checkpoint that covers it (default 1,000 ms). */
  readonly checkpointIntervalMs?: number;
}

interface Pending {
  readonly ops: readonly ItemOp[];
  readonly resolve: (results: ItemOpResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The node's append-only custody log. Units of work (item changes + their events) are queued and
 * committed in batches — group commit: while one transaction runs, the next batch gathers — and a
 * unit's promise resolves only once its transaction is durable. After the tree grows, a signed
 * checkpoint follows within `checkpointIntervalMs`.
 */
export class CustodyLog {
  readonly origin: string;
  readonly verifier: NoteVerifier;
  readonly #repo: EvidenceRepo;
  readonly #signer: NoteSigner;
  readonly #clock: Clock;
  readonly #maxBatch: number;
  readonly #lingerMs: number;
  readonly #interval: number;
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #lingerTimer: NodeJS.Timeout | undefined;
  #checkpointTimer: NodeJS.Timeout | undefined;
  #signing: Promise<void> | undefined;
  #lastSignedAt = 0;
  #closed = false;

  constructor(options: CustodyLogOptions) {
    this.origin = options.origin;
    this.verifier = options.verifier;
    this.#repo = options.repo;
    this.#signer = options.signer;
    this.#clock = options.clock;
    this.#maxBatch = options.maxBatch ?? 2000;
    this.#lingerMs = options.lingerMs ?? 0;
    this.#interval = options.checkpointIntervalMs ?? 1000;
  }

  /** Queues one atomic unit; resolves with its results once durable. */
  submit(ops: readonly ItemOp[]): Promise<ItemOpResult[]> {
    if (this.#closed) return Promise.reject(new AccordError('unavailable', 'the custody log is closed'));
    if (ops.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#flushing || this.#lingerTimer) return;
    if (this.#lingerMs > 0 && this.#queue.length < this.#maxBatch) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = undefined;
        this.#startFlush();
      }, this.#lingerMs);
      return;
    }
    this.#startFlush();
  }

  #startFlush(): void {
    if (this.#flushing || this.#queue.length === 0) return;
    // Yield to the event loop before each batch: with a synchronous database driver a busy log
    // would otherwise starve timers (checkpoints) and incoming connections.
    this.#flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#flushOnce())
      .finally(() => {
        this.#flushing = undefined;
        if (this.#queue.length > 0) this.#kick();
      });
  }

  async #flushOnce(): Promise<void> {
    const batch = this.#queue.splice(0, this.#maxBatch);
    try {
      const { results } = await this.#repo.append(
        batch.map((p) => p.ops),
        this.origin,
      );
      batch.forEach((p, i) => {
        p.resolve(results[i] ?? []);
      });
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
      } else {
        // One bad unit must not sink the others: retry each on its own.
        for (const p of batch) {
          try {
            const { results } = await this.#repo.append([p.ops], this.origin);
            p.resolve(results[0] ?? []);
          } catch (e) {
            p.reject(e);
          }
        }
      }
    }
    this.#scheduleCheckpoint();
  }

  #scheduleCheckpoint(): void {
    if (this.#checkpointTimer || this.#closed) return;
    const wait = Math.max(0, this.#lastSignedAt + this.#interval - Date.now());
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = undefined;
      this.checkpoint().catch(() => {
        // Retried on the next growth; `flush` and `close` surface the error to their callers.
      });
    }, wait);
    this.#checkpointTimer.unref();
  }

  /** Signs and stores a checkpoint for the current tree if it has grown since the last one. */
  checkpoint(): Promise<void> {
    if (!this.#signing) {
      this.#signing = this.#signLatest().finally(() => {
        this.#signing = undefined;
      });
    }
    return this.#signing;
  }

  async #signLatest(): Promise<void> {
    const state = await this.#repo.logState();
    const latest = await this.#repo.latestCheckpoint();
    this.#lastSignedAt = Date.now();
    if (latest && latest.size >= state.size) return;
    const note = await signNote(
      formatCheckpointBody({ origin: this.origin, size: state.size, rootHash: state.root }),
      this.#signer,
    );
    await this.#repo.insertCheckpoint({
      size: state.size,
      root: state.root,
      note,
      createdAt: this.#clock.now().toISOString(),
    });
  }

  /** Waits until everything submitted so far is durable and covered by a checkpoint. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing || this.#lingerTimer) {
      if (this.#lingerTimer) {
        clearTimeout(this.#lingerTimer);
        this.#lingerTimer = undefined;
        this.#startFlush();
      }
      await this.#flushing;
    }
    await this.#signing;
    await this.checkpoint();
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    if (this.#checkpointTimer) clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
  }

  state(): Promise<LogState> {
    return this.#repo.logState();
  }

  /** The latest checkpoint; signs one first if none exists yet (a fresh log has size 0). */
  async latestCheckpoint(): Promise<StoredCheckpoint> {
    const latest = await this.#repo.latestCheckpoint();
    if (latest) return latest;
    await this.checkpoint();
    const signed = await this.#repo.latestCheckpoint();
    if (!signed) throw new AccordError('unavailable', 'the log has no checkpoint yet');
    return signed;
  }

  /** The tree of a given size (at most the current size) over the stored tiles. */
  async tree(size?: number): Promise<TileTree> {
    const state = await this.#repo.logState();
    const n = size ?? state.size;
    if (!Number.isSafeInteger(n) || n < 0 || n > state.size) {
      throw new AccordError(
        'invalid_input',
        `the log has ${state.size} entries; there is no tree of size ${size}`,
      );
    }
    return new TileTree(this.#repo, n);
  }
}
