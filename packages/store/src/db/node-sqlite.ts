import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Kysely's SqliteDialect speaks the better-sqlite3 statement shape (`reader`, array parameters).
 * node:sqlite is the same engine behind a slightly different API; this adapter bridges the two so
 * that the embedded default needs no native build.
 */
class NodeSqliteStatement implements SqliteStatement {
  readonly #stmt: StatementSync;
  readonly reader: boolean;

  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    // A statement returns rows exactly when it has result columns (SELECT, RETURNING, some PRAGMAs).
    this.reader = stmt.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#stmt.all(...toInputs(parameters));
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    const r = this.#stmt.run(...toInputs(parameters));
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.#stmt.iterate(...toInputs(parameters)) as IterableIterator<unknown>;
  }
}

const toInputs = (parameters: ReadonlyArray<unknown>): SQLInputValue[] =>
  parameters.map((p) => {
    // SQLite has no boolean type; store 0/1 like better-sqlite3 does.
    if (typeof p === 'boolean') return p ? 1 : 0;
    if (p === undefined) return null;
    return p as SQLInputValue;
  });

export class NodeSqliteDatabase implements SqliteDatabase {
  readonly raw: DatabaseSync;

  constructor(path: string) {
    this.raw = new DatabaseSync(path);
    // WAL lets readers proceed while one writer commits; synchronous=FULL keeps every commit durable
    // (evidence and audit must survive power loss); foreign keys are off by default in SQLite.
    this.raw.exec('PRAGMA journal_mode = WAL');
    this.raw.exec('PRAGMA synchronous = FULL');
    this.raw.exec('PRAGMA foreign_keys = ON');
    // INSERT OR REPLACE deletes the old row; with recursive triggers on, that delete runs the
    // append-only tables' BEFORE DELETE triggers and is refused like any other delete.
    this.raw.exec('PRAGMA recursive_triggers = ON');
    this.raw.exec('PRAGMA busy_timeout = 5000');
  }

  /**
   * Prepared statements are reused: preparing costs more than running a small statement, and the
   * custody log runs the same few statements thousands of times a second. Kysely runs one statement
   * at a time on this connection, so sharing them is safe.
   */
  readonly #statements = new Map<string, NodeSqliteStatement>();

  prepare(sql: string): SqliteStatement {
    let stmt = this.#statements.get(sql);
    if (stmt) {
      // Most recently used last, so that the oldest is evicted first.
      this.#statements.delete(sql);
    } else {
      stmt = new NodeSqliteStatement(this.raw.prepare(sql));
      if (this.#statements.size >= 256)
        this.#statements.delete(this.#statements.keys().next().value as string);
    }
    this.#statements.set(sql, stmt);
    return stmt;
  }

  close(): void {
    this.#statements.clear();
    if (this.raw.isOpen) this.raw.close();
  }
}
