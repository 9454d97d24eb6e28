/**
 * The HTTP cache (RFC 9111) of a session, as a layer (issue 14): under the cookies and the auth,
 * so `Vary` is matched against the headers actually sent, above the user's layers and the limiter,
 * per redirect hop. The rules are http-cache-semantics' (`CachePolicy`: freshness, heuristics
 * where the RFC allows them, `Vary`, `no-store`, `no-cache`, `must-revalidate`, `private` and
 * `Authorization` in a shared cache, `stale-while-revalidate`, conditional requests and the 304
 * update); this module does what a policy library leaves to the cache: the request's mode, the
 * store and its keys, bodies as bytes read to their end, one fill per key, background
 * revalidation, `stale-if-error`, invalidation by unsafe methods, and `cacheStatus`.
 *
 * Keys: a URL (no fragment) for a response without `Vary`; with `Vary`, the URL keeps the header
 * names and a generation (`CacheVariants`), and each variant is under the URL, the generation and
 * the values of those headers (`Cookie`, `Authorization` and `Proxy-Authorization` as SHA-256
 * digests: a shared store never holds a credential). Invalidating the URL drops the generation,
 * so every variant is gone at once.
 *
 * @module
 */
import CachePolicy from 'http-cache-semantics'
import { withBody } from '../body-response'
import { concatBytes } from '../bytes'
import { callStateOf, kCall } from '../layer'
import type { CacheContext, StoredResponse } from '../adapter'
import type { CallState, Middleware } from '../layer'
import { inputURL, NULL_BODY_STATUSES } from '../http'
import { originOf } from '../options'
import { bare } from '../own'
import { discard } from '../response-hooks'
import { sha256Hex } from '../storage-keys'
import { raceSignal } from '../timeout'
import type { CacheMode, CacheStatus, Fetch } from '../types'
import type { CacheConfig, CacheFill } from './config'
import { createMemoryCacheStore } from './memory'
import type { CachedResponse, CacheRecord, CacheStore, CacheVariants } from './store'

/** Methods that never change anything: a cache passes them by (RFC 9110 §9.2.1); others invalidate. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** Request headers whose presence makes the request the caller's own business: the cache is bypassed. */
const BYPASS_HEADERS: readonly string[] = ['range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range']

/** Request headers that are credentials: what a variant keeps of them is a digest. */
const SECRET_HEADERS: ReadonlySet<string> = new Set(['cookie', 'authorization', 'proxy-authorization'])

/** How long a response that may be revalidated (or used by `force-cache`) is kept past its freshness. */
const KEEP_STALE = 24 * 60 * 60 * 1000

type PolicyRequest = CachePolicy.Request & { url: string, method: string, headers: Record<string, string> }
type PolicyResponse = CachePolicy.Response & { headers: Record<string, string> }

/** The request as the policy reads it, and what the cache needs of it. */
interface Lookup {
  /** The URL without its fragment: the primary key. */
  key: string
  url: string
  mode: CacheMode
  request: PolicyRequest
  /** `init` without its cache mode (the platform's fetch never sees it). */
  init: RequestInit
  state: CallState | undefined
}

/** A stored response that matches the request (its `Vary` headers included). */
interface Match {
  entry: CachedResponse
  policy: CachePolicy
  /** Where it is stored. */
  key: string
  /** The request as the stored policy compares it (credentials digested where the variant keeps digests). */
  compared: PolicyRequest
}

/** The HTTP cache of a session (`layers.cache` of the entries that have no platform cache). */
export function withCache(config: CacheConfig, context: CacheContext): Middleware {
  const cache = new HttpCache(config, context.closeSignal, context.respond ?? platformResponse)
  return next => (input, init) => cache.fetch(next, input, init)
}

class HttpCache {
  readonly #config: CacheConfig
  readonly #entries: CacheStore
  readonly #closeSignal: AbortSignal | undefined
  readonly #build: StoredResponse

  constructor(config: CacheConfig, closeSignal: AbortSignal | undefined, build: StoredResponse) {
    this.#config = config
    this.#entries = config.store ??= createMemoryCacheStore()
    this.#closeSignal = closeSignal
    this.#build = build
  }

  async fetch(next: Fetch, input: string | URL | Request, init: RequestInit | undefined): Promise<Response> {
    const url = inputURL(input)
    const method = (init?.method ?? 'GET').toUpperCase()
    const mode = (init?.cache ?? 'default') as CacheMode
    const sent: RequestInit = init?.cache === undefined ? (init ?? {}) : { ...init, cache: undefined }
    if (method !== 'GET') {
      if (SAFE_METHODS.has(method)) return mark(await next(url, sent), 'bypass')
      return this.#invalidating(next, url, sent)
    }
    const headers = headerRecord(init?.headers)
    if (mode === 'no-store' || BYPASS_HEADERS.some(name => name in headers)) return mark(await next(url, sent), 'bypass')
    const key = stripFragment(url)
    const lookup: Lookup = { key, url, mode, request: { url: key, method, headers }, init: sent, state: callStateOf(init) }
    if (mode === 'reload') return this.#fill(next, lookup)
    return this.#answer(next, lookup, true)
  }

  /** Answers from the store, else from the network; `wait`: a request in flight for the same key is waited for once. */
  async #answer(next: Fetch, lookup: Lookup, wait: boolean): Promise<Response> {
    const match = await this.#match(lookup)
    const { mode } = lookup
    if (match && (mode === 'force-cache' || mode === 'only-if-cached')) return this.#respond(match, match.policy.stale() ? 'stale' : 'hit')
    if (match && mode === 'default') {
      const { revalidation, response } = evaluate(match.policy, match.entry.policy, match.compared)
      // The evaluation's headers (Age updated) are the answer's: not computed twice.
      if (!revalidation) return this.#respond(match, 'hit', undefined, response?.headers)
      if (!revalidation.synchronous) {
        this.#revalidateInBackground(next, lookup, match)
        return this.#respond(match, 'stale', undefined, response?.headers)
      }
    }
    const fill = this.#config.fills.get(lookup.key)
    if (wait && fill) {
      const shared = await this.#join(fill, lookup)
      return shared ?? this.#answer(next, lookup, false)
    }
    if (mode === 'only-if-cached') return offlineMiss(lookup)
    if (match) return this.#revalidate(next, lookup, match)
    return this.#fill(next, lookup)
  }

  /** Waits for the answer of the request in flight (never for its body), as long as the call's signal lets it. */
  async #join(fill: CacheFill, lookup: Lookup): Promise<Response | undefined> {
    let waiter!: CacheFill['waiters'][number]
    const answer = new Promise<Response | undefined>(resolve => {
      waiter = { request: lookup.request, resolve, gone: false }
      fill.waiters.push(waiter)
    })
    const signal = lookup.state?.signal ?? lookup.init.signal ?? undefined
    if (!signal) return answer
    try {
      return await raceSignal(answer, signal)
    }
    catch (error) {
      waiter.gone = true
      throw error
    }
  }

  /** The stored response that matches the request, if any. */
  async #match(lookup: Lookup): Promise<Match | undefined> {
    const record = await this.#get(lookup.key)
    if (!record) return undefined
    if (record.kind === 'response') return matchOf(record, lookup.key, lookup.request)
    if (record.vary.includes('*')) return undefined
    const values = await varyValues(record.vary, lookup.request.headers)
    const key = variantKey(lookup.key, record, values)
    const entry = await this.#get(key)
    if (entry?.kind !== 'response') return undefined
    return matchOf(entry, key, { ...lookup.request, headers: { ...lookup.request.headers, ...values } })
  }

  /** A stored response as the caller's answer: its headers as the policy gives them (`Age` updated). */
  #respond(match: Match, status: CacheStatus, extra?: readonly string[], computed?: CachePolicy.Headers): Response {
    const { policy, entry } = match
    const headers = new Headers()
    for (const [name, value] of Object.entries(computed ?? policy.responseHeaders())) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
    }
    // Only a Set-Cookie that just came from the server (a 304's): stored ones are never replayed.
    if (extra) for (const cookie of extra) headers.append('set-cookie', cookie)
    // The Date of the stored response, not the time of this answer (RFC 9111 §4: Age tells that).
    const date = (entry.policy.resh as Record<string, string> | undefined)?.date
    if (date !== undefined) headers.set('date', date)
    const code = Number(entry.policy.rs ?? entry.policy.st ?? 200)
    const body = NULL_BODY_STATUSES.has(code) ? null : entry.body.slice()
    return mark(this.#build(code, statusTextOf(entry), String(entry.policy.u ?? ''), headers, body), status)
  }

  /** Sends the request with the stored response's validators: a 304 serves the stored body with the new headers. */
  async #revalidate(next: Fetch, lookup: Lookup, match: Match): Promise<Response> {
    const fill = this.#begin(lookup.key)
    let response: Response
    try {
      response = await next(lookup.url, { ...lookup.init, headers: conditional(lookup, match) })
    }
    catch (error) {
      this.#end(lookup.key, fill)
      if (this.#staleIfError(match, lookup)) return this.#respond(match, 'stale')
      throw error
    }
    if (response.status === 304) {
      try {
        const fresh = setCookiesOf(response.headers)
        discard(response)
        const updated = await this.#update(lookup, match, response)
        return this.#respond(updated, 'revalidated', fresh)
      }
      finally {
        this.#end(lookup.key, fill)
      }
    }
    if (response.status >= 500 && this.#staleIfError(match, lookup)) {
      this.#end(lookup.key, fill)
      discard(response)
      return this.#respond(match, 'stale')
    }
    return this.#store(lookup, response, fill)
  }

  /** The stored entry with the 304's headers merged in (RFC 9111 §4.3.4), stored again. */
  async #update(lookup: Lookup, match: Match, response: Response): Promise<Match> {
    const stored = match.entry.policy.resh as Record<string, string>
    const seen = policyResponse(response, stored)
    let { policy: updated, matches } = match.policy.revalidatedPolicy(lookup.request, seen)
    if (!matches) {
      // A 304 with another validator still answers the conditional request sent for this one stored
      // response (RFC 9111 §4.3.4 selects by validator among many): its headers update it, but for
      // the validator, which names the stored body.
      const headers: Record<string, string> = { ...stored }
      for (const [name, value] of Object.entries(seen.headers)) {
        if (!NOT_UPDATED_BY_304.has(name) && name !== 'etag') headers[name] = value
      }
      updated = new CachePolicy(lookup.request, { status: Number(match.entry.policy.st ?? 200), headers }, { shared: this.#config.shared, cacheHeuristic: this.#config.heuristic })
    }
    const entry: CachedResponse = { kind: 'response', policy: await serialise(updated, lookup.request, statusTextOf(match.entry), match.entry.policy.rs as number | undefined), body: match.entry.body }
    await this.#set(match.key, entry, ttlOf(updated))
    return { ...match, entry, policy: CachePolicy.fromObject(entry.policy as never) }
  }

  /** True when the stored response may answer for an error (`stale-if-error`, RFC 5861), and the call was not aborted. */
  #staleIfError(match: Match, lookup: Lookup): boolean {
    if (lookup.state?.signal?.aborted || lookup.init.signal?.aborted) return false
    const directives = match.entry.policy.rescc as Record<string, string | boolean> | undefined
    const allowed = Number(directives?.['stale-if-error'] ?? 0)
    return allowed > 0 && match.policy.maxAge() + allowed > match.policy.age()
  }

  /** One background revalidation per key (`stale-while-revalidate`): the callers meanwhile get the stale response. */
  #revalidateInBackground(next: Fetch, lookup: Lookup, match: Match): void {
    if (this.#config.fills.has(lookup.key)) return
    const signal = this.#closeSignal
    const state = lookup.state
    const init: RequestInit & { [kCall]?: CallState } = { ...lookup.init, signal }
    if (state) init[kCall] = { ...state, signal, history: [], layers: { ...state.layers } }
    const background: Lookup = { ...lookup, init, state: init[kCall] }
    this.#revalidate(next, background, match)
      .then(response => response.arrayBuffer())
      .catch(error => this.#report(error))
  }

  /** From the network, stored when it may be. */
  async #fill(next: Fetch, lookup: Lookup): Promise<Response> {
    const fill = this.#begin(lookup.key)
    let response: Response
    try {
      response = await next(lookup.url, lookup.init)
    }
    catch (error) {
      this.#end(lookup.key, fill)
      throw error
    }
    return this.#store(lookup, response, fill)
  }

  /** Marks a request for `key` in flight, unless one is (then `undefined`: this one is not waited for). */
  #begin(key: string): CacheFill | undefined {
    const fills = this.#config.fills
    if (fills.has(key)) return undefined
    const fill: CacheFill = { waiters: [] }
    fills.set(key, fill)
    return fill
  }

  /**
   * The request in flight for `key` has its answer: each waiter whose request `policy` satisfies
   * gets a copy of `response` (a branch of its body), the others nothing (they look again).
   */
  #end(key: string, fill: CacheFill | undefined, response?: Response, policy?: CachePolicy): void {
    if (!fill) return
    if (this.#config.fills.get(key) === fill) this.#config.fills.delete(key)
    for (const waiter of fill.waiters) {
      if (waiter.gone) continue
      const usable = response && policy && !evaluate(policy, policy.toObject() as never, waiter.request).revalidation
      waiter.resolve(usable ? mark(response.clone(), 'miss') : undefined)
    }
  }

  /** `response` marked a miss, stored once its body has been read to its end when the policy allows it. */
  async #store(lookup: Lookup, response: Response, fill: CacheFill | undefined): Promise<Response> {
    const seen = policyResponse(response)
    const policy = new CachePolicy(lookup.request, seen, { shared: this.#config.shared, cacheHeuristic: this.#config.heuristic })
    const length = Number(response.headers.get('content-length') ?? 0)
    if (!policy.storable() || response.status === 206 || length > this.#config.maxEntrySize) {
      this.#end(lookup.key, fill)
      return mark(response, 'miss')
    }
    const statusText = response.statusText
    const write = (body: Uint8Array): Promise<void> => this.#write(lookup, policy, body, statusText, seen.real)
    if (!response.body || NULL_BODY_STATUSES.has(response.status)) {
      await write(new Uint8Array(0))
      this.#end(lookup.key, fill)
      return mark(response, 'miss')
    }
    const recorded = mark(recording(response, this.#config.maxEntrySize, write), 'miss')
    this.#end(lookup.key, fill, recorded, policy)
    return recorded
  }

  /** Writes a response (and, when it varies, its URL's variants record) to the store. */
  async #write(lookup: Lookup, policy: CachePolicy, body: Uint8Array, statusText: string, real: number | undefined): Promise<void> {
    const ttl = ttlOf(policy)
    const entry: CachedResponse = { kind: 'response', policy: await serialise(policy, lookup.request, statusText, real), body }
    const vary = varyNames(policy)
    if (!vary) return this.#set(lookup.key, entry, ttl)
    const existing = await this.#get(lookup.key)
    const same = existing?.kind === 'variants' && existing.vary.join() === vary.join()
    const variants: CacheVariants = same ? existing : { kind: 'variants', vary, id: generation() }
    await this.#set(lookup.key, variants, ttl)
    await this.#set(variantKey(lookup.key, variants, await varyValues(vary, lookup.request.headers)), entry, ttl)
  }

  /**
   * An unsafe method (RFC 9111 §4.4): once the server answered it without an error, the URL's
   * stored responses are gone, and those of its `Location` and `Content-Location` on the same origin.
   */
  async #invalidating(next: Fetch, url: string, init: RequestInit): Promise<Response> {
    const response = await next(url, init)
    if (response.status < 400) {
      const origin = originOf(url)
      const keys = new Set([stripFragment(url)])
      for (const name of ['location', 'content-location']) {
        const value = response.headers.get(name)
        if (value === null) continue
        try {
          const target = new URL(value, url)
          if (target.origin === origin) keys.add(stripFragment(target.href))
        }
        catch {}
      }
      for (const key of keys) await this.#delete(key)
    }
    return mark(response, 'bypass')
  }

  async #get(key: string): Promise<CacheRecord | undefined> {
    try {
      return (await this.#entries.get(key)) ?? undefined
    }
    catch (error) {
      this.#report(error)
      return undefined
    }
  }

  async #set(key: string, record: CacheRecord, ttl: number): Promise<void> {
    try {
      await this.#entries.set(key, record, ttl)
    }
    catch (error) {
      this.#report(error)
    }
  }

  async #delete(key: string): Promise<void> {
    try {
      await this.#entries.delete(key)
    }
    catch (error) {
      this.#report(error)
    }
  }

  #report(error: unknown): void {
    try {
      this.#config.onError?.(error)
    }
    catch {}
  }
}

/** A stored response as the platform's `Response` (its `url` an own property: the constructor cannot set it). */
function platformResponse(status: number, statusText: string, url: string, headers: Headers, body: Uint8Array | null): Response {
  const response = new Response(body as BodyInit | null, { status, statusText, headers })
  Object.defineProperty(response, 'url', { value: url, configurable: true, writable: true })
  return response
}

/** `response` with its `cacheStatus`. */
function mark(response: Response, status: CacheStatus): Response {
  Object.defineProperty(response, 'cacheStatus', { value: status, enumerable: true, configurable: true, writable: true })
  return response
}

/** The `504` of an `only-if-cached` request nothing stored answers (RFC 9111 §5.2.1.7): no request is sent, and no retry. */
function offlineMiss(lookup: Lookup): Response {
  if (lookup.state) lookup.state.final = true
  const response = new Response(null, { status: 504, statusText: 'Gateway Timeout (not in the cache: only-if-cached)', headers: { 'cache-status': 'fetch-session; fwd=miss; detail="only-if-cached"' } })
  Object.defineProperty(response, 'url', { value: lookup.url, configurable: true, writable: true })
  return mark(response, 'miss')
}

function stripFragment(url: string): string {
  const hash = url.indexOf('#')
  return hash === -1 ? url : url.slice(0, hash)
}

/** Request headers as the policy reads them: lower-case names, one string each. */
function headerRecord(init: HeadersInit | undefined): Record<string, string> {
  const record: Record<string, string> = Object.create(null)
  if (!init) return record
  const headers = init instanceof Headers ? init : new Headers(init)
  for (const [name, value] of headers) record[name] = value
  return record
}

/** A response as the policy reads it; its `Set-Cookie` is left out: a cache never stores it. */
/**
 * A response as the policy reads it, with what RFC 9111 asks and http-cache-semantics does not do:
 * - its `Set-Cookie` is left out: a cache never stores it;
 * - `Cache-Control` directives are case-insensitive (§5.2): lower-cased;
 * - an `Age` that is not one non-negative integer makes the response stale (§5.1);
 * - a final status the library does not know (299, 400, 500, 599…) is stored when the response
 *   has explicit freshness and no `must-understand` (§3): the policy is given 200, `real` keeps it
 *   (never 401 and 407: the challenges the auth layer answers);
 * - a 304 without the validator the stored response has refers to the one it was asked about
 *   (our conditional request named only it): the stored validator is added, so the 304 updates it.
 */
function policyResponse(response: Response, stored?: Record<string, string>): PolicyResponse & { real?: number } {
  const headers: Record<string, string> = Object.create(null)
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') headers[name] = value
  }
  const cc = headers['cache-control']
  if (cc !== undefined) headers['cache-control'] = cc.toLowerCase()
  if (headers.age !== undefined && !/^\s*\d+\s*$/.test(headers.age)) headers.age = '2147483648'
  if (stored && response.status === 304 && headers.etag === undefined) {
    if (stored.etag !== undefined) headers.etag = stored.etag
    else if (stored['last-modified'] !== undefined && headers['last-modified'] === undefined) headers['last-modified'] = stored['last-modified']
  }
  const status = response.status
  // 401 and 407 are challenges the auth layer answers with credentials: a stored one would answer them.
  if (UNDERSTOOD_STATUSES.has(status) || status < 200 || status > 599 || status === 206 || status === 304 || status === 401 || status === 407) return { status, headers }
  const explicit = headers.expires !== undefined || /(?:^|,)\s*(?:(?:max-age|s-maxage)\s*=|public\s*(?:,|$))/.test(headers["cache-control"] ?? "")
  if (!explicit || /must-understand/.test(headers['cache-control'] ?? '')) return { status, headers }
  return { status: 200, headers, real: status }
}

/** What a 304 does not change in the stored response: they describe the stored body (http-cache-semantics' list). */
const NOT_UPDATED_BY_304: ReadonlySet<string> = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'content-range'])

/** The statuses http-cache-semantics stores (it does not understand 206). */
const UNDERSTOOD_STATUSES: ReadonlySet<number> = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501])

/**
 * `policy.evaluateRequest()`, but a fresh response with `must-revalidate` is used as fresh: the
 * directive is about stale responses (RFC 9111 §5.2.2.2), and the library revalidates it always.
 */
function evaluate(policy: CachePolicy, object: Record<string, unknown>, request: PolicyRequest): ReturnType<CachePolicy['evaluateRequest']> {
  const directives = object.rescc as Record<string, unknown> | undefined
  if (directives?.['must-revalidate'] && !policy.stale()) {
    // `public` keeps what must-revalidate allowed besides: storing a response to an authorized request (§3.5).
    return CachePolicy.fromObject({ ...object, rescc: { ...directives, 'must-revalidate': false, 'public': true } } as never).evaluateRequest(request)
  }
  return policy.evaluateRequest(request)
}

function setCookiesOf(headers: Headers): string[] {
  return typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : []
}

function matchOf(entry: CachedResponse, key: string, compared: PolicyRequest): Match | undefined {
  let policy: CachePolicy
  try {
    policy = CachePolicy.fromObject(entry.policy as never)
  }
  catch {
    // Another version's record, or garbage: a miss.
    return undefined
  }
  // A response for another URL under this key (a digest collision, a store shared by mistake) never serves.
  if ((entry.policy as { u?: string }).u !== compared.url) return undefined
  if (!varyMatches(entry, compared)) return undefined
  return { entry, policy, key, compared }
}

/** The policy's own `Vary` check (it compares the request headers it stored with these). */
function varyMatches(entry: CachedResponse, compared: PolicyRequest): boolean {
  const vary = varyNamesOf((entry.policy.resh as Record<string, string> | undefined)?.vary)
  if (!vary) return true
  const stored = (entry.policy.reqh ?? {}) as Record<string, string>
  return vary.every(name => name !== '*' && (stored[name] ?? null) === (compared.headers[name] ?? null))
}

function varyNames(policy: CachePolicy): string[] | undefined {
  return varyNamesOf((policy.toObject() as { resh?: Record<string, string> }).resh?.vary)
}

function varyNamesOf(vary: string | undefined): string[] | undefined {
  if (vary === undefined || vary.trim() === '') return undefined
  return [...new Set(vary.toLowerCase().split(',').map(name => name.trim()).filter(Boolean))].sort()
}

/** The values of the `Vary` headers in a request (credentials digested), by name; absent ones left out. */
async function varyValues(names: readonly string[], headers: Record<string, string>): Promise<Record<string, string>> {
  const values: Record<string, string> = Object.create(null)
  for (const name of names) {
    const value = headers[name]
    if (value === undefined) continue
    values[name] = SECRET_HEADERS.has(name) ? await digest(value) : value
  }
  return values
}

function variantKey(key: string, variants: CacheVariants, values: Record<string, string>): string {
  return `${key}\nvary ${variants.id} ${JSON.stringify(variants.vary.map(name => values[name] ?? null))}`
}

async function digest(value: string): Promise<string> {
  return `sha256:${await sha256Hex(value)}`
}

function generation(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`
}

/**
 * The policy as stored: what http-cache-semantics serialises, with the request headers reduced to
 * those `Vary` names (credentials digested), the status text, and the real status when the
 * policy was given 200 for it (`rs`, see `policyResponse`).
 */
async function serialise(policy: CachePolicy, request: PolicyRequest, statusText: string, real: number | undefined): Promise<Record<string, unknown>> {
  const object = policy.toObject() as unknown as Record<string, unknown>
  const vary = varyNames(policy)
  object.reqh = vary ? await varyValues(vary, request.headers) : null
  if (statusText) object.stx = statusText
  if (real !== undefined) object.rs = real
  return object
}

function statusTextOf(entry: CachedResponse): string {
  const text = entry.policy.stx
  return typeof text === 'string' ? text : ''
}

/** How long the store keeps an entry: its freshness and stale allowances, and a day more when it can be revalidated. */
function ttlOf(policy: CachePolicy): number {
  return Math.max(1, policy.timeToLive(), KEEP_STALE)
}

/** The request's headers with the stored response's validators (`If-None-Match`, `If-Modified-Since`). */
function conditional(lookup: Lookup, match: Match): Headers {
  const headers = new Headers(lookup.init.headers)
  const validators = match.policy.revalidationHeaders(match.compared)
  for (const name of ['if-none-match', 'if-modified-since']) {
    const value = validators[name]
    if (typeof value === 'string') headers.set(name, value)
  }
  return headers
}

/**
 * `response` whose body is copied as the caller reads it; read to its end (and no longer than
 * `limit`), it is given to `write` before the reader hears of the end. A cancelled or failed read
 * stores nothing.
 */
function recording(response: Response, limit: number, write: (body: Uint8Array) => Promise<void>): Response {
  const reader = response.body!.getReader()
  let chunks: Uint8Array[] | undefined = []
  let size = 0
  const body = new ReadableStream<Uint8Array>(bare({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      }
      catch (error) {
        chunks = undefined
        controller.error(error)
        return
      }
      if (chunk.done) {
        if (chunks) await write(concatBytes(chunks, size))
        controller.close()
        return
      }
      if (chunks) {
        size += chunk.value.byteLength
        if (size > limit) chunks = undefined
        else {
          chunks.push(chunk.value.slice())
        }
      }
      controller.enqueue(chunk.value)
    },
    cancel(reason) {
      chunks = undefined
      return reader.cancel(reason)
    },
  }))
  return withBody(response, body)
}

