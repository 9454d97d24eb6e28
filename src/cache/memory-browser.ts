/**
 * `createMemoryCacheStore()` of the browser build, where the browser's own HTTP cache serves and
 * a session never uses a store (`cache: { store }` is accepted and unused): a store that keeps
 * nothing, so isomorphic code that makes one still bundles and runs.
 *
 * @module
 */
import type { MemoryCacheStore } from './memory'

/** A store that keeps nothing (the browser's HTTP cache serves; see the main entry's `createMemoryCacheStore`). */
export function createMemoryCacheStore(): MemoryCacheStore {
  return { get() {}, set() {}, delete() {}, clear() {}, size: 0, bytes: 0, maxEntries: 0, maxBytes: 0 } as MemoryCacheStore
}
