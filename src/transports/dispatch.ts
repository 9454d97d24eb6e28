/**
 * The Node transport: a `fetch(url, init)` that drives undici's dispatcher API (`dispatch()` with
 * a handler, the layer under both `undici.request` and fetch) and answers with a `LeanResponse`.
 * It sends what fetch would send and classifies failures as fetch does, at a third of the CPU of
 * fetch on Node 20 (bench/RESULTS.md).
 *
 * The handler speaks undici's controller API, the one undici 7 added and undici 8 keeps alone:
 * `onRequestStart(controller)` (the request's `controller.abort(reason)`, used for the caller's
 * signal, the session's close and a cancelled body), `onResponseStart(controller, status, headers,
 * statusText)` (headers as an object of lower-case names, read in place by the response's
 * `Headers`), `onResponseData(controller, chunk)` (an unread body past 64 KiB, or a decoder that
 * is behind, calls `controller.pause()`, and `controller.resume()` when read again),
 * `onResponseEnd` and `onResponseError`. It also has the legacy methods (`onConnect`,
 * `onHeaders`, `onData`, `onComplete`, `onError`), a thin adapter onto those, for dispatchers of
 * undici 6: Node 20's own global dispatcher, which `$fetch` uses when Node's fetch was loaded
 * first, or a caller's `dispatcher` from an older undici.
 *
 * What it does exactly as undici's fetch (lib/web/fetch/index.js, `httpNetworkOrCacheFetch` and
 * `httpNetworkFetch`), for the requests it takes:
 * - request headers: the caller's (sorted, lower-case, `Host` dropped), then `Content-Type` from
 *   the body, `Accept: *\/*`, `Accept-Language: *`, `Sec-Fetch-Mode: cors`, `User-Agent`,
 *   `Pragma`/`Cache-Control: no-cache` for conditional requests, `Accept-Encoding` (`identity`
 *   with `Range`), `Content-Length` for bodies of known length;
 * - bodies: string (`text/plain;charset=UTF-8`), `URLSearchParams`
 *   (`application/x-www-form-urlencoded;charset=UTF-8`), bytes (copied), `Blob` (its type);
 * - responses: 1xx skipped; no body for HEAD, 101, 204, 205, 304; gzip, x-gzip, deflate (zlib or
 *   raw), br (and zstd where Node has it) decoded, at most 5 codings;
 * - errors: `TypeError('fetch failed', { cause })` before the response, `TypeError('terminated',
 *   { cause })` while reading the body, the signal's reason on abort (the body errors too, until it
 *   has been read to the end).
 *
 * Everything else goes to `fallback` (the fetch this transport replaces), so it behaves exactly as
 * before: a `Request` as input, URLs that are not http(s), credentials in the URL, blocked ports,
 * other methods, a `redirect` mode other than `'manual'`, fetch options such as `cache`, `mode`,
 * `credentials`, `referrer`, `keepalive`, `integrity`, `priority`, and bodies that are streams,
 * async iterables, `FormData` or anything else.
 */
import type { Dispatcher } from 'undici'
import { Transform } from 'node:stream'
import * as zlib from 'node:zlib'
import { isSessionError } from '../errors'
import { NULL_BODY_STATUSES } from '../http'
import type { Fetch } from '../types'
import { BodySource } from './body-source'
import { createDecoders } from './decode'
import { leanHeaders } from './lean-headers'
import type { HeaderFields } from './lean-headers'
import { leanResponse } from './lean-response'
import { awaitSocket, stopAwaiting, watchSockets } from './socket-timings'
import type { SocketMarks, SocketWaiter } from './socket-timings'
import { timedFetch, toTimings } from '../timings'
import type { TimingSource } from '../timings'
import type { Timings } from '../fetch-error'

/** How a dispatch transport is built. */
export interface DispatchFetchOptions {
  /** The pool: a dispatcher, or a function that returns the current one (the global dispatcher). */
  dispatcher: Dispatcher | (() => Dispatcher)
  /** The fetch this transport stands in for; it sends every request the lean path does not take. */
  fallback: Fetch
  /** The `User-Agent` that fetch sends when the caller gives none (`undici` for undici's, `node` for Node's). */
  userAgent: string
}

/** Methods sent by the lean path (spelled as fetch normalises them); any other goes to the fallback. */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])

/** `RequestInit` members the lean path honours (`dispatcher` replaces the transport's pool; `duplex` only matters for streams). */
const LEAN_INIT_KEYS: ReadonlySet<string> = new Set(['method', 'headers', 'body', 'redirect', 'signal', 'duplex', 'dispatcher'])

/** Ports fetch refuses (fetch spec "bad port"); such requests go to the fallback, which refuses them. */
const BAD_PORTS: ReadonlySet<string> = new Set([
  '1', '7', '9', '11', '13', '15', '17', '19', '20', '21', '22', '23', '25', '37', '42', '43', '53', '69', '77', '79',
  '87', '95', '101', '102', '103', '104', '109', '110', '111', '113', '115', '117', '119', '123', '135', '137',
  '139', '143', '161', '179', '389', '427', '465', '512', '513', '514', '515', '526', '530', '531', '532',
  '540', '548', '554', '556', '563', '587', '601', '636', '989', '990', '993', '995', '1719', '1720', '1723',
  '2049', '3659', '4045', '4190', '5060', '5061', '6000', '6566', '6665', '6666', '6667', '6668', '6669', '6679',
  '6697', '10080',
])

/** Request headers whose presence makes fetch add `Pragma` and `Cache-Control: no-cache` (cache mode "default" → "no-store"). */
const CONDITIONAL = 1
const HAS_ACCEPT = 2
const HAS_ACCEPT_LANGUAGE = 4
const HAS_USER_AGENT = 8
const HAS_ACCEPT_ENCODING = 16
const HAS_RANGE = 32
const HAS_CONTENT_TYPE = 64
const HAS_CONTENT_LENGTH = 128
const HAS_PRAGMA = 256
const HAS_CACHE_CONTROL = 512
const HAS_SEC_FETCH_MODE = 1024

const HEADER_FLAGS: ReadonlyMap<string, number> = new Map([
  ['accept', HAS_ACCEPT],
  ['accept-language', HAS_ACCEPT_LANGUAGE],
  ['user-agent', HAS_USER_AGENT],
  ['accept-encoding', HAS_ACCEPT_ENCODING],
  ['range', HAS_RANGE],
  ['content-type', HAS_CONTENT_TYPE],
  ['content-length', HAS_CONTENT_LENGTH],
  ['pragma', HAS_PRAGMA],
  ['cache-control', HAS_CACHE_CONTROL],
  ['if-modified-since', CONDITIONAL],
  ['if-none-match', CONDITIONAL],
  ['if-unmodified-since', CONDITIONAL],
  ['if-match', CONDITIONAL],
  ['if-range', CONDITIONAL],
])

/** A request body as the dispatcher takes it. */
interface Payload {
  body: Buffer | Blob | null
  type: string | undefined
  length: number | null
}

const NO_PAYLOAD: Payload = Object.freeze({ body: null, type: undefined, length: null }) as Payload

/** The body as fetch would extract it, or `undefined` when the lean path does not take it. */
function toPayload(body: unknown): Payload | undefined {
  if (body === undefined || body === null) return NO_PAYLOAD
  if (typeof body === 'string') {
    const bytes = Buffer.from(body, 'utf8')
    return { body: bytes, type: 'text/plain;charset=UTF-8', length: bytes.length }
  }
  if (typeof body !== 'object') return undefined
  if (body instanceof URLSearchParams) {
    const bytes = Buffer.from(body.toString(), 'utf8')
    return { body: bytes, type: 'application/x-www-form-urlencoded;charset=UTF-8', length: bytes.length }
  }
  // fetch copies the bytes when the request is made, so later changes by the caller are not sent.
  if (body instanceof ArrayBuffer) {
    const bytes = Buffer.from(new Uint8Array(body))
    return { body: bytes, type: undefined, length: bytes.length }
  }
  if (ArrayBuffer.isView(body) && body.buffer instanceof ArrayBuffer) {
    const bytes = Buffer.from(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
    return { body: bytes, type: undefined, length: bytes.length }
  }
  if (body instanceof Blob) return { body, type: body.type === '' ? undefined : body.type, length: body.size }
  return undefined
}

/** The caller's headers, then fetch's own, as a flat `[name, value…]` list for `dispatch()`. */
function toHeaderList(headers: Headers | undefined, payload: Payload, method: string, https: boolean, userAgent: string): string[] {
  const list: string[] = []
  let flags = 0
  let acceptEncoding = -1
  if (headers) {
    // Iterating `Headers` yields lower-case names in sorted order, as fetch copies them.
    for (const [name, value] of headers) {
      if (name === 'host') continue
      if (name === 'sec-fetch-mode') {
        flags |= HAS_SEC_FETCH_MODE
        list.push(name, 'cors')
        continue
      }
      const flag = HEADER_FLAGS.get(name)
      if (flag !== undefined) {
        flags |= flag
        if (flag === HAS_ACCEPT_ENCODING) acceptEncoding = list.length + 1
      }
      list.push(name, value)
    }
  }
  if (payload.type !== undefined && !(flags & HAS_CONTENT_TYPE)) list.push('content-type', payload.type)
  if (!(flags & HAS_ACCEPT)) list.push('accept', '*/*')
  if (!(flags & HAS_ACCEPT_LANGUAGE)) list.push('accept-language', '*')
  if (!(flags & HAS_SEC_FETCH_MODE)) list.push('sec-fetch-mode', 'cors')
  if (!(flags & HAS_USER_AGENT)) list.push('user-agent', userAgent)
  if (flags & CONDITIONAL) {
    if (!(flags & HAS_PRAGMA)) list.push('pragma', 'no-cache')
    if (!(flags & HAS_CACHE_CONTROL)) list.push('cache-control', 'no-cache')
  }
  if (flags & HAS_RANGE) {
    if (acceptEncoding === -1) {
      list.push('accept-encoding', 'identity')
      flags |= HAS_ACCEPT_ENCODING
    }
    else {
      list[acceptEncoding] += ', identity'
    }
  }
  if (!(flags & HAS_ACCEPT_ENCODING)) list.push('accept-encoding', https ? 'br, gzip, deflate' : 'gzip, deflate')
  if (!(flags & HAS_CONTENT_LENGTH)) {
    const length = payload.length ?? (payload.body === null && (method === 'POST' || method === 'PUT') ? 0 : null)
    if (length !== null) list.push('content-length', String(length))
  }
  return list
}

/** Why a request's `dispatcher` was refused (a `TypeError`, reported as `InvalidRequestError`). */
export const NOT_A_DISPATCHER = 'fetch-session: `dispatcher` must be an undici Dispatcher (an object with a dispatch() method)'

/** True for an undici `Dispatcher` as the `dispatcher` option takes it (anything with a `dispatch()` method). */
export function isDispatcher(value: unknown): value is Dispatcher {
  return typeof value === 'object' && value !== null && typeof (value as { dispatch?: unknown }).dispatch === 'function'
}

/**
 * The fallback with `timings` as over any fetch (start and headers: src/timings.ts); and undici's
 * channels watched (once per process) for the timings of the lean path (socket-timings.ts).
 */
function timedFallback(fallback: Fetch): Fetch {
  watchSockets()
  return timedFetch(fallback)
}

/**
 * Creates the transport's fetch. A request's own `dispatcher` (`session(url, { dispatcher })`)
 * takes the place of the transport's, on the lean path and on the fallback alike.
 */
export function createDispatchFetch(options: DispatchFetchOptions): Fetch {
  const { userAgent } = options
  const fallback = timedFallback(options.fallback)
  const current = typeof options.dispatcher === 'function' ? options.dispatcher : undefined
  const fixed = typeof options.dispatcher === 'function' ? undefined : options.dispatcher
  return function dispatchFetch(input, init) {
    const requested = (init as { dispatcher?: unknown } | undefined)?.dispatcher
    if (requested !== undefined && !isDispatcher(requested)) {
      return Promise.reject(new TypeError(NOT_A_DISPATCHER))
    }
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined
    if (href === undefined) return fallback(input, init)
    let method = 'GET'
    let headers: Headers | undefined
    let signal: AbortSignal | undefined
    let payload = NO_PAYLOAD
    if (init !== undefined && init !== null) {
      for (const key of Object.keys(init)) {
        if (!LEAN_INIT_KEYS.has(key) && (init as Record<string, unknown>)[key] !== undefined) return fallback(input, init)
      }
      // The session's redirect layer always asks for 'manual'; any other mode is fetch's to follow.
      if (init.redirect !== 'manual') return fallback(input, init)
      if (init.method !== undefined) {
        if (!METHODS.has(init.method)) return fallback(input, init)
        method = init.method
      }
      if (init.headers !== undefined && init.headers !== null) {
        if (!(init.headers instanceof Headers)) return fallback(input, init)
        headers = init.headers
      }
      if (init.signal !== undefined && init.signal !== null) {
        if (!(init.signal instanceof AbortSignal)) return fallback(input, init)
        signal = init.signal
      }
      if (init.body !== undefined && init.body !== null) {
        if (method === 'GET' || method === 'HEAD') return fallback(input, init)
        const extracted = toPayload(init.body)
        if (extracted === undefined) return fallback(input, init)
        payload = extracted
      }
    }
    else {
      return fallback(input, init)
    }

    let url: URL
    try {
      url = new URL(href)
    }
    catch {
      return fallback(input, init)
    }
    const protocol = url.protocol
    if ((protocol !== 'http:' && protocol !== 'https:') || url.username !== '' || url.password !== '' || BAD_PORTS.has(url.port)) {
      return fallback(input, init)
    }
    if (signal?.aborted) return Promise.reject(signal.reason)

    const serialized = url.href
    const hash = serialized.indexOf('#')
    const responseURL = hash === -1 ? serialized : serialized.slice(0, hash)
    // fetch keeps a trailing `?` that the URL parser reports as an empty search (same test as undici's).
    const search = url.search
    const path = url.pathname + (search === '' && serialized[serialized.length - url.hash.length - 1] === '?' ? '?' : search)
    const list = toHeaderList(headers, payload, method, protocol === 'https:', userAgent)
    const dispatcher = (requested as Dispatcher | undefined) ?? fixed ?? current!()
    const handler = new DispatchHandler(responseURL, method, path, signal)
    return new Promise<Response>((resolve, reject) => {
      handler.resolve = resolve
      handler.reject = reject
      if (signal) signal.addEventListener('abort', handler)
      try {
        dispatcher.dispatch({ origin: url.origin, path, method: method as Dispatcher.HttpMethod, headers: list, body: payload.body as never }, handler)
      }
      catch (error) {
        handler.onResponseError(undefined, error as Error)
      }
    })
  }
}

const { createDecoder } = createDecoders({ zlib, Transform })

/** What the handler uses of undici's `DispatchController` (undici 7 and 8, and the legacy adapter's). */
interface Controller {
  abort(reason: Error): void
  pause(): void
  resume(): void
}

/**
 * The controller of a request from a dispatcher that speaks only undici's legacy handler API:
 * undici 6 (the one inside Node 20, whose global dispatcher `$fetch` uses when Node's fetch was
 * loaded first) and dispatchers that call a handler's methods themselves (undici 7's `MockPool`).
 * It does what undici's own does: pausing is answered by returning false from `onData`.
 */
class LegacyController implements Controller {
  paused = false
  /** The `resume` undici passed to `onHeaders`. */
  resumeReading: (() => void) | undefined = undefined
  readonly #abort: ((reason?: Error) => void) | undefined

  constructor(abort: ((reason?: Error) => void) | undefined) {
    this.#abort = abort
  }

  abort(reason: Error): void {
    this.#abort?.(reason)
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (this.paused) {
      this.paused = false
      this.resumeReading?.()
    }
  }
}

/**
 * One request: undici's dispatch handler (the controller API, with a thin adapter for the legacy
 * one), the abort listener, the body source of the response and its timings, in one object.
 */
class DispatchHandler extends BodySource implements SocketWaiter, TimingSource {
  resolve!: (response: Response) => void
  reject!: (error: unknown) => void
  readonly url: string
  readonly method: string
  readonly path: string
  readonly signal: AbortSignal | undefined
  /** `performance.now()` marks of `timings()`: sent to the dispatcher, headers, end of the body (0: not yet). */
  readonly start: number = performance.now()
  headersAt = 0
  endAt = 0
  /** How the request's connection was opened (a new connection's marks only). */
  connection: SocketMarks | undefined = undefined
  reused: boolean | undefined = undefined
  #timings: Timings | undefined = undefined
  /** The response was resolved, or the call rejected. */
  answered = false
  /** The exchange with the server is over (complete or failed). */
  finished = false
  aborted = false
  listening: boolean
  /** The body's reader is behind: undici was asked to pause. */
  paused = false
  #controller: Controller | undefined = undefined
  #legacy: LegacyController | undefined = undefined
  #decoder: { head: Transform, tail: Transform, waiting: boolean } | undefined = undefined

  constructor(url: string, method: string, path: string, signal: AbortSignal | undefined) {
    super()
    this.url = url
    this.method = method
    this.path = path
    this.signal = signal
    this.listening = signal !== undefined
  }

  onRequestStart(controller: Controller, _context?: unknown): void {
    if (this.aborted) {
      controller.abort(this.signal!.reason)
      return
    }
    this.#controller = controller
    awaitSocket(this)
  }

  /** The socket this request was written on (socket-timings.ts); each attempt of an interceptor's replaces the last. */
  sentOn(marks: SocketMarks | undefined): void {
    if (marks === undefined) {
      this.reused = undefined
      this.connection = undefined
      return
    }
    this.reused = marks.uses > 1
    // Its phases are this request's only when the connection was opened after the request began.
    this.connection = !this.reused && (marks.begin || marks.connect || marks.secureConnect) >= this.start ? marks : undefined
  }

  /** The request's `Timings`, made when first read, kept once the body has ended. */
  timings(): Timings {
    if (this.#timings) return this.#timings
    const timings = toTimings(this.start, this.connection, this.headersAt, this.endAt, this.reused)
    if (this.endAt > 0) this.#timings = timings
    return timings
  }

  onResponseStart(controller: Controller, status: number, headers: HeaderFields, statusText?: string): void {
    // Informational responses are skipped, as fetch does.
    if (status < 200) return
    this.#respond(controller, status, leanHeaders(headers), statusText)
  }

  #respond(controller: Controller, status: number, headers: Headers, statusText: string | undefined): void {
    if (this.answered) return
    this.headersAt = performance.now()
    stopAwaiting(this)
    // undici's interceptors (retry) may give each attempt a controller of its own.
    this.#controller = controller
    let source: BodySource | null = this
    if (this.method === 'HEAD' || NULL_BODY_STATUSES.has(status)) {
      source = null
    }
    else {
      const encoding = headers.get('content-encoding')
      if (encoding !== null && !this.#decode(encoding)) return
    }
    this.answered = true
    this.resolve(leanResponse(status, statusText ?? '', this.url, headers, source, this))
    if (source === null) this.delivered = true
  }

  /** Sets up the decoders of `Content-Encoding`; false when the response was refused. */
  #decode(header: string): boolean {
    const codings = header.toLowerCase().split(',')
    if (codings.length > 5) {
      this.#controller?.abort(new Error(`too many content-encodings in response: ${codings.length}, maximum allowed is 5`))
      return false
    }
    const decoders: Transform[] = []
    for (let index = codings.length - 1; index >= 0; index--) {
      const decoder = createDecoder(codings[index]!.trim())
      // An unknown coding: the body is given as it came, not decoded at all (as fetch does).
      if (!decoder) return true
      decoders.push(decoder)
    }
    if (decoders.length === 0) return true
    for (let index = 0; index < decoders.length; index++) {
      const decoder = decoders[index]!
      decoder.on('error', error => this.#decodeFailed(error))
      if (index > 0) decoders[index - 1]!.pipe(decoder)
    }
    const head = decoders[0]!
    const tail = decoders.at(-1)!
    const state = { head, tail, waiting: false }
    tail.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) tail.pause()
    })
    tail.on('end', () => this.end())
    head.on('drain', () => {
      if (state.waiting) {
        state.waiting = false
        this.#controller?.resume()
      }
    })
    this.#decoder = state
    return true
  }

  #decodeFailed(error: Error): void {
    if (!this.finished) this.#controller?.abort(error)
    this.#stopListening()
    this.fail(new TypeError('terminated', { cause: error }))
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    const decoder = this.#decoder
    if (decoder) {
      if (decoder.head.write(chunk)) return
      decoder.waiting = true
    }
    else {
      if (this.push(chunk)) return
      this.paused = true
    }
    this.#controller = controller
    controller.pause()
  }

  onResponseEnd(_controller?: Controller, _trailers?: unknown): void {
    this.endAt = performance.now()
    this.finished = true
    if (this.delivered) this.#stopListening()
    if (this.#decoder) this.#decoder.head.end()
    else this.end()
  }

  /** The controller may be missing: undici calls this for a request refused before it started. */
  onResponseError(_controller: Controller | null | undefined, error: Error): void {
    this.finished = true
    stopAwaiting(this)
    // The session's close() destroyed the pool with its SessionClosedError: given as it is, as an
    // abort's reason is (issue 12 item 10).
    const closed = isSessionError(error)
    if (!this.answered) {
      this.answered = true
      this.#stopListening()
      this.reject(this.aborted ? this.signal!.reason : closed ? error : new TypeError('fetch failed', { cause: error }))
      return
    }
    if (this.aborted) return
    this.#decoder?.head.destroy()
    this.#stopListening()
    this.fail(closed ? error : new TypeError('terminated', { cause: error }))
  }

  // undici's legacy handler API, for dispatchers that speak only that (see LegacyController): each
  // method hands over to its counterpart above. undici 7 and 8 call the controller API only.

  onConnect(abort: (reason?: Error) => void): void {
    this.onRequestStart(this.#legacy = new LegacyController(abort))
  }

  onHeaders(status: number, rawHeaders: Array<Buffer | string | Array<Buffer | string>>, resume: () => void, statusText: string): boolean {
    if (status < 200) return false
    if (this.answered) return true
    const legacy = this.#legacy ??= new LegacyController(undefined)
    legacy.resumeReading = resume
    this.#respond(legacy, status, leanHeaders(rawHeaders), statusText)
    return true
  }

  onData(chunk: Buffer): boolean {
    const legacy = this.#legacy ??= new LegacyController(undefined)
    this.onResponseData(legacy, chunk)
    return !legacy.paused
  }

  onComplete(): void {
    this.onResponseEnd()
  }

  onError(error: Error): void {
    this.onResponseError(this.#legacy, error)
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    if (this.aborted) return
    this.aborted = true
    const reason = this.signal!.reason
    this.#stopListening()
    if (!this.answered) {
      this.answered = true
      this.reject(reason)
    }
    else {
      this.#decoder?.head.destroy()
      this.fail(reason)
    }
    if (!this.finished) this.#controller?.abort(reason)
  }

  override resumeInput(): void {
    const decoder = this.#decoder
    if (decoder) {
      if (decoder.tail.isPaused()) decoder.tail.resume()
      return
    }
    if (this.paused) {
      this.paused = false
      this.#controller?.resume()
    }
  }

  override cancelInput(reason: unknown): void {
    this.#decoder?.head.destroy()
    if (!this.finished) this.#controller?.abort(reason as Error)
  }

  override settled(): void {
    this.#stopListening()
  }

  #stopListening(): void {
    if (this.listening) {
      this.listening = false
      this.signal!.removeEventListener('abort', this)
    }
  }
}
