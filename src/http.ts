/**
 * HTTP facts the layers share, each written once: which statuses redirect and which have no
 * body, which methods are idempotent, the redirect defaults, and the URL of a fetch input. Imports
 * nothing, so any module can use it.
 *
 * @module
 */

/** Statuses that are followed. 300, 304 and 305 are not (got `test/redirects.ts`; catalogue #17). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])

/** Statuses whose response has no body (fetch spec "null body status"). */
export const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304])

/** Methods RFC 9110 §9.2.2 calls idempotent: safe to send twice when a connection died under them. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

/** What a call does about redirects when no level of its options says (fetch's and requests' defaults). */
export const REDIRECT_DEFAULTS: Readonly<{ redirect: 'follow', maxRedirects: number }> = Object.freeze({ redirect: 'follow', maxRedirects: 20 })

/** The URL of a fetch input, as a string: a string as it is, a `URL`'s `href`, a `Request`'s `url`. */
export function inputURL(input: string | URL | Request): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
}
