// Collects human-readable problems. A hostile file could otherwise produce one per record or IFD entry, so
// the list is capped and the overflow counted.

const MAX_PROBLEMS = 200;

export class Problems {
  private readonly items: string[] = [];
  private dropped = 0;

  add(message: string): void {
    if (this.items.length < MAX_PROBLEMS) this.items.push(message);
    else this.dropped++;
  }

  list(): string[] {
    return this.dropped > 0
      ? [...this.items, `… and ${this.dropped} more problems not listed`]
      : [...this.items];
  }
}
