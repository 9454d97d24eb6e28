/**
 * What every entry point that keeps its own cookie jar and HTTP cache exports besides
 * `createSession` and `$fetch` (Node, Deno, Bun, workerd and the generic entry): the shared
 * exports, the `fromNetscape()` that fills a tough-cookie jar (the browser entry has its own: the
 * browser keeps the cookies), and `createMemoryCacheStore()` (the browser entry has none: the
 * browser's HTTP cache serves there).
 *
 * @module
 */
export { fromNetscape } from './cookies/from-netscape'
export { createMemoryCacheStore } from './cache/memory'
export type { MemoryCacheStore, MemoryCacheStoreOptions } from './cache/memory'
export * from './exports'
