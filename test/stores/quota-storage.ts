/**
 * A Web Storage with a browser's quota, for the store tests in Node and Bun (neither has
 * `localStorage`; happy-dom's has no quota; Deno's real one is used in Deno). Like Firefox and
 * Safari, it holds at most 5 MiB, counted as the UTF-16 code units of every key and value, and
 * a `setItem` past that throws a `DOMException` named `QuotaExceededError` (code 22), leaving
 * the entry as it was. It also counts what was written, to show writes proportional to a change.
 * It imports nothing, so the runtime fixture can bundle it.
 */

/** The usual quota: 5 MiB of characters. */
export const FIVE_MB = 5 * 1024 * 1024

export class QuotaStorage {
  readonly map: Map<string, string> = new Map()
  /** Characters held now (keys and values). */
  used = 0
  /** `setItem` and `removeItem` calls. */
  writes = 0
  /** Characters passed to `setItem` (keys and values). */
  written = 0

  constructor(readonly quota: number = FIVE_MB) {}

  get length(): number {
    return this.map.size
  }

  key(index: number): string | null {
    return [...this.map.keys()][index] ?? null
  }

  getItem(key: string): string | null {
    return this.map.get(key) ?? null
  }

  setItem(key: string, value: string): void {
    const text = String(value)
    const before = this.map.get(key)
    const next = this.used - (before === undefined ? 0 : key.length + before.length) + key.length + text.length
    if (next > this.quota) throw new DOMException(`Failed to set '${key}': the quota (${this.quota} characters) has been exceeded.`, 'QuotaExceededError')
    this.writes++
    this.written += key.length + text.length
    this.map.set(key, text)
    this.used = next
  }

  removeItem(key: string): void {
    const before = this.map.get(key)
    this.writes++
    if (before === undefined) return
    this.map.delete(key)
    this.used -= key.length + before.length
  }

  clear(): void {
    this.map.clear()
    this.used = 0
  }
}
