/**
 * `session.paginate()` (issue 17 item 4): an async iterator over the pages of a listing, each page
 * a call of the session (its cookies, auth, retries, limits, cache), following `Link: rel="next"`
 * (RFC 8288; a relative link resolved against the page's final URL, after its redirects) or your
 * `next(response)`. It stops when there is no next page, at a URL it already fetched, and at
 * `maxPages`. A page on another origin than the first is asked without credentials (no `auth`, no
 * `Authorization`, `Proxy-Authorization` or `Cookie` of yours; the jar's cookies go by their own
 * domain rules).
 *
 * @module
 */
import { invalidOption } from './errors'
import { originOf } from './options'
import { own } from './own'
import type { FetchRequest, FetchResponse, PaginateOptions, RequestOptions } from './types'

/** The pages' default bound: a listing that never ends stops here. */
const DEFAULT_MAX_PAGES = 1000

/** Headers that carry credentials, dropped for a page on another origin. */
const CREDENTIAL_HEADERS = { 'authorization': null, 'proxy-authorization': null, 'cookie': null } as const

/** What `paginate()` needs of a session or `$fetch`. */
interface Pager {
  raw: (request: FetchRequest, options?: RequestOptions) => Promise<FetchResponse<any>>
}

/** The pages (or their items, with `items`) of the listing at `input`; see the module's comment. */
export function paginate(client: Pager, input: FetchRequest, options: PaginateOptions<any, any> = {}): AsyncIterableIterator<any> {
  const next = own<PaginateOptions<any, any>['next']>(options, 'next')
  const items = own<PaginateOptions<any, any>['items']>(options, 'items')
  const maxPages = own<number>(options, 'maxPages') ?? DEFAULT_MAX_PAGES
  if (next !== undefined && typeof next !== 'function') throw invalidOption('next', '`next` must be a function (response, page) => the next URL, or undefined to stop')
  if (items !== undefined && typeof items !== 'function') throw invalidOption('items', '`items` must be a function (data, response) => the page\'s items')
  if (!(Number.isInteger(maxPages) && maxPages > 0) && maxPages !== Number.POSITIVE_INFINITY) throw invalidOption('maxPages', `\`maxPages\` must be a whole number above 0, got ${String(maxPages)}`)
  const request: RequestOptions = { ...options }
  for (const key of ['next', 'items', 'maxPages']) delete (request as Record<string, unknown>)[key]
  return pages(client, input, request, { next, items, maxPages })
}

async function* pages(client: Pager, input: FetchRequest, request: RequestOptions, walk: { next: PaginateOptions<any, any>['next'], items: PaginateOptions<any, any>['items'], maxPages: number }): AsyncIterableIterator<any> {
  let target: FetchRequest = input
  let origin: string | undefined
  const seen = new Set<string>()
  for (let page = 0; page < walk.maxPages; page++) {
    const foreign = origin !== undefined && originOf(String(target)) !== origin
    const response = await client.raw(target, foreign ? withoutCredentials(request) : request)
    // The credentials belong to the origin of the first page asked for (before its redirects).
    origin ??= originOf(response.history?.[0]?.url ?? response.url)
    seen.add(response.url)
    if (typeof target === 'string') seen.add(target)
    if (walk.items) yield* walk.items(response._data, response)
    else yield response._data
    const link = walk.next ? await walk.next(response, page) : nextLink(response.headers.get('link'))
    if (link === undefined || link === null || link === false || link === '') return
    const resolved = new URL(String(link), response.url).href
    if (seen.has(resolved)) return
    target = resolved
  }
}

function withoutCredentials(request: RequestOptions): RequestOptions {
  const headers = new Headers(request.headers as HeadersInit | undefined)
  for (const name of Object.keys(CREDENTIAL_HEADERS)) headers.delete(name)
  // `null` removes the session's own too (the headers merge: a null value removes an earlier level's).
  return { ...request, auth: false, headers: { ...Object.fromEntries(headers), ...CREDENTIAL_HEADERS } }
}

/** The target of the `Link` header's `rel="next"` link (RFC 8288: several links, several relation types each), if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,=]+(?:=\s*(?:"[^"]*"|[^;,]*))?)*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]*))/i.exec(match[2] ?? '')
    const types = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/)
    if (types.includes('next')) return match[1]
  }
  return undefined
}
