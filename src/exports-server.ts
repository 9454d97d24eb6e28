/**
 * What every entry point that keeps its own cookie jar exports besides `createSession` and
 * `$fetch` (Node, Deno, Bun, workerd and the generic entry): the shared exports, and the
 * `fromNetscape()` that fills a tough-cookie jar. The browser entry has its own (the browser keeps
 * the cookies).
 *
 * @module
 */
export { fromNetscape } from './cookies/from-netscape'
export * from './exports'
