/**
 * The HAR recording (issue 16 item 5): `createSession({ har: true })` records each request the
 * session sends (every redirect hop, retry and auth resend is one entry), and `session.har()`
 * gives a HAR 1.2 log of them (http://www.softwareishard.com/blog/har-12-spec/), secrets redacted,
 * that DevTools' "Import HAR file" opens.
 *
 * The layer sits at the bottom of the stack: it sees what goes on the wire, every header set. An
 * entry is added when the response's headers arrive (or the request fails), and completed when
 * its body is done: the body is captured as the caller reads it, up to `maxBodySize` bytes, and
 * never read by the recording itself (a body nobody reads stays as it was, and the entry says so).
 *
 * Redaction, where the package already redacts (src/secrets.ts): the URL's credentials and the
 * values of secret query parameters (`redactURL`); the values of `Authorization` and
 * `Proxy-Authorization` (the scheme stays), of `Cookie` and `Set-Cookie` (the names and attributes
 * stay), of headers with a secret name (`X-Api-Key`, `X-Auth-Token`…) and of the call's
 * `sensitiveHeaders`; in bodies, the values of secret members of JSON and of secret fields of
 * forms, and secret query values of URLs in text (`redactText`). Every secret value so removed
 * (6 characters or more) is remembered, and replaced wherever else it appears in the log (a token
 * echoed in a body, a cookie value in an HTML page).
 *
 * @module
 */
import type { HarCall, HarSettings } from './har-settings'
import { inputURL, NULL_BODY_STATUSES } from './http'
import type { Middleware } from './layer'
import { callStateOf } from './layer'
import { bare } from './own'
import type { RedirectState } from './redirect'
import { withBody } from './body-response'
import { concatBytes } from './bytes'
import { isSecretName, REDACTED, redactText, redactURL } from './secrets'
import type { HarEntry, HarLog } from './types'


/** The recorder's memory of secret values, for replacing them elsewhere in the log: the most kept. */
const MAX_SECRETS = 10_000

/** Secret values shorter than this are redacted where they are found, but not searched for elsewhere (`1`, `true`). */
const MIN_SECRET_LENGTH = 6

/** Headers whose value is a credential after a scheme (`Bearer REDACTED`). */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization'])

/** A HAR `{ name, value }` pair (headers, query parameters). */
interface HarPair {
  name: string
  value: string
}

/** A HAR cookie. */
interface HarCookie extends HarPair {
  path?: string
  domain?: string
  expires?: string
  httpOnly?: boolean
  secure?: boolean
}

/** What the body capture knows of one body, as it is read. */
interface Capture {
  chunks: Uint8Array[]
  /** Bytes kept in `chunks` (at most `maxBodySize`). */
  kept: number
  /** Bytes read so far. */
  size: number
  /** `reading` until the body is done; `unread` for a body that is never sent (HEAD, 204, 304). */
  state: 'reading' | 'done' | 'cancelled' | 'failed' | 'none'
  error?: string
  /** The content, once the body is done (computed once). */
  content?: Record<string, unknown>
}

/** One request of the log, as it is recorded. */
interface Recording {
  /** `performance.now()` at the start, at the response's headers and at the body's end. */
  start: number
  headersAt?: number
  endAt?: number
  startedDateTime: string
  request: Record<string, unknown>
  response?: Record<string, unknown>
  mimeType: string
  capture: Capture
  /** The timings the transport measured (`response.timings`), where it did. */
  timings?: TransportTimings
  extra: Record<string, unknown>
}

/** The part of `Timings` (src/fetch-error.ts) the log reads. */
interface TransportTimings {
  phases?: { dns?: number, tcp?: number, tls?: number, request?: number, download?: number }
}


/**
 * A session's recording: its entries (the oldest dropped past `maxEntries`) and the secret values
 * it removed. Kept in the session's options, so its `extend()` children record into it too.
 */
export class HarRecorder {
  /** The most bytes of a request's or a response's body kept. */
  readonly maxBodySize: number
  /** The most entries kept. */
  readonly maxEntries: number
  readonly #entries: Recording[] = []
  readonly #secrets = new Set<string>()
  #pattern: RegExp | undefined | null = null

  constructor(settings: HarSettings) {
    this.maxBodySize = settings.maxBodySize
    this.maxEntries = settings.maxEntries
  }

  /** Adds an entry (its response's headers arrived, or it failed). */
  add(recording: Recording): void {
    this.#entries.push(recording)
    if (this.#entries.length > this.maxEntries) this.#entries.shift()
  }

  /** Remembers a secret value (and its percent-encoded form) to replace wherever else it appears. */
  learn(value: string): void {
    for (const form of [value, safeEncode(value)]) {
      if (form.length < MIN_SECRET_LENGTH || form === REDACTED || this.#secrets.has(form)) continue
      this.#secrets.add(form)
      this.#pattern = null
      if (this.#secrets.size > MAX_SECRETS) this.#secrets.delete(this.#secrets.values().next().value!)
    }
  }

  /** A fresh HAR log of the entries so far, in the order they were sent (JSON-serialisable). */
  snapshot(): HarLog {
    const pattern = this.#scrubPattern()
    const entries = [...this.#entries].sort((a, b) => a.start - b.start).map(recording => entryOf(recording, this))
    return logOf(pattern ? entries.map(entry => scrub(entry, pattern) as HarEntry) : entries)
  }

  /** One expression for every remembered secret, longest first (`undefined`: none). */
  #scrubPattern(): RegExp | undefined {
    if (this.#pattern !== null) return this.#pattern
    const secrets = [...this.#secrets].sort((a, b) => b.length - a.length).map(escapeRegExp)
    this.#pattern = secrets.length === 0 ? undefined : new RegExp(secrets.join('|'), 'g')
    return this.#pattern
  }
}

function logOf(entries: HarEntry[]): HarLog {
  return { log: { version: '1.2', creator: { name: 'fetch-session', version: '0.1.0' }, entries } }
}

/**
 * The layer that records each request `next` sends into the session's recorder (made once, in
 * `settings`, which the session's `extend()` children share). Given to the engine by the entries
 * that record (session-layers.ts), so the browser build carries none of it.
 */
export function withHar(settings: HarSettings): Middleware {
  const recorder = (settings.recorder ??= new HarRecorder(settings)) as HarRecorder
  return next => async (input, init) => {
    const state = callStateOf(init)
    const call = state?.layers.har as HarCall | undefined
    const recording = startRecording(recorder, input, init)
    if (call) recording.extra._resendCount = call.sent++
    if (state) recording.extra._fetchSessionHop = state.history.length
    let response: Response
    try {
      response = await next(input, init)
    }
    catch (error) {
      recordFailure(recorder, recording, error)
      throw error
    }
    recording.headersAt = performance.now()
    recording.response = responsePart(recorder, response, String(recording.request.url), recording)
    recorder.add(recording)
    return watchBody(recorder, recording, response, String(recording.request.method))
  }
}

/** The entry's request part (redacted), and its timestamps. */
function startRecording(recorder: HarRecorder, input: string | URL | Request, init: RequestInit | undefined): Recording {
  const href = inputURL(input)
  const request = typeof input === 'object' && !(input instanceof URL) ? input : undefined
  const headers = new Headers(init?.headers ?? request?.headers)
  const sensitive = (callStateOf(init)?.layers.redirects as RedirectState | undefined)?.sensitiveHeaders
  const part: Record<string, unknown> = {
    method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
    url: redactURL(href),
    httpVersion: httpVersionOf(href),
    cookies: requestCookies(recorder, headers.get('cookie')),
    headers: redactHeaders(recorder, headers, sensitive),
    queryString: queryOf(recorder, href),
    headersSize: -1,
    bodySize: 0,
  }
  learnURLCredentials(recorder, href)
  if (init?.body != null) Object.assign(part, postDataOf(recorder, init.body, headers.get('content-type')))
  else if (request?.body) part.bodySize = -1
  return { start: performance.now(), startedDateTime: new Date().toISOString(), request: part, mimeType: '', capture: { chunks: [], kept: 0, size: 0, state: 'none' }, extra: {} }
}

/**
 * What the transport tells of the version: nothing, so `HTTP/1.1` for `http:` (no runtime's fetch
 * speaks HTTP/2 in clear text) and unknown (`''`) for `https:`, where ALPN may have chosen h2.
 */
function httpVersionOf(href: string): string {
  return href.startsWith('http:') ? 'HTTP/1.1' : ''
}

/** The URL's password, remembered as a secret (`redactURL` drops it from the URL itself). */
function learnURLCredentials(recorder: HarRecorder, href: string): void {
  try {
    const url = new URL(href)
    if (url.password) recorder.learn(decodeURIComponentSafe(url.password))
  }
  catch {}
}

/** The headers as HAR pairs, credentials and the call's `sensitiveHeaders` redacted. */
function redactHeaders(recorder: HarRecorder, headers: Headers, sensitive: ReadonlySet<string> | undefined): HarPair[] {
  const pairs: HarPair[] = []
  headers.forEach((value, name) => {
    pairs.push({ name, value: redactHeader(recorder, name, value, sensitive) })
  })
  // `forEach` joins repeated `Set-Cookie` headers; each one is its own header on the wire.
  const setCookies = typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : []
  if (setCookies.length < 2) return pairs
  return [...pairs.filter(pair => pair.name !== 'set-cookie'), ...setCookies.map(value => ({ name: 'set-cookie', value: redactHeader(recorder, 'set-cookie', value, sensitive) }))]
}

/** One header's value as the log shows it (see the module's comment). */
function redactHeader(recorder: HarRecorder, name: string, value: string, sensitive: ReadonlySet<string> | undefined): string {
  if (CREDENTIAL_HEADERS.has(name)) return redactCredential(recorder, value)
  if (name === 'cookie') return requestCookies(recorder, value).map(cookie => `${cookie.name}=${cookie.value}`).join('; ')
  if (name === 'set-cookie') return redactSetCookie(recorder, value)
  if (sensitive?.has(name) || isSecretName(name)) {
    recorder.learn(value)
    return REDACTED
  }
  if (name === 'location' || name === 'content-location' || name === 'referer') return redactURL(value)
  return value
}

/** `Bearer REDACTED`: the scheme stays, the credentials go (and are remembered, Basic's password too). */
function redactCredential(recorder: HarRecorder, value: string): string {
  const space = value.indexOf(' ')
  const credentials = space === -1 ? value : value.slice(space + 1).trim()
  recorder.learn(credentials)
  if (/^basic$/i.test(value.slice(0, space))) {
    try {
      const decoded = atob(credentials)
      recorder.learn(decoded.slice(decoded.indexOf(':') + 1))
    }
    catch {}
  }
  return space === -1 ? REDACTED : `${value.slice(0, space)} ${REDACTED}`
}

/** The cookies of a `Cookie` header: names kept, values redacted (and remembered). */
function requestCookies(recorder: HarRecorder, header: string | null): HarCookie[] {
  if (!header) return []
  const cookies: HarCookie[] = []
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=')
    const name = (equals === -1 ? pair : pair.slice(0, equals)).trim()
    if (name === '' && equals === -1) continue
    recorder.learn(equals === -1 ? '' : pair.slice(equals + 1).trim())
    cookies.push({ name, value: REDACTED })
  }
  return cookies
}

/** A `Set-Cookie` value with its cookie's value redacted (and remembered); the attributes stay. */
function redactSetCookie(recorder: HarRecorder, value: string): string {
  const semicolon = value.indexOf(';')
  const pair = semicolon === -1 ? value : value.slice(0, semicolon)
  const equals = pair.indexOf('=')
  if (equals === -1) return value
  recorder.learn(pair.slice(equals + 1).trim())
  return `${pair.slice(0, equals)}=${REDACTED}${semicolon === -1 ? '' : value.slice(semicolon)}`
}

/** A response's cookies (from its `Set-Cookie` headers), values redacted. */
function responseCookies(headers: Headers): HarCookie[] {
  const values = typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : []
  return values.map(cookieOf).filter((cookie): cookie is HarCookie => cookie !== undefined)
}

function cookieOf(header: string): HarCookie | undefined {
  const [pair = '', ...attributes] = header.split(';')
  const equals = pair.indexOf('=')
  if (equals === -1) return undefined
  const cookie: HarCookie = { name: pair.slice(0, equals).trim(), value: REDACTED }
  for (const attribute of attributes) {
    const [key = '', ...rest] = attribute.split('=')
    const name = key.trim().toLowerCase()
    const value = rest.join('=').trim()
    if (name === 'path') cookie.path = value
    else if (name === 'domain') cookie.domain = value
    else if (name === 'httponly') cookie.httpOnly = true
    else if (name === 'secure') cookie.secure = true
    else if (name === 'expires' && !Number.isNaN(Date.parse(value))) cookie.expires = new Date(Date.parse(value)).toISOString()
  }
  return cookie
}

/** The URL's query as HAR pairs, secret values redacted (and remembered). */
function queryOf(recorder: HarRecorder, href: string): HarPair[] {
  let params: URLSearchParams
  try {
    params = new URL(href).searchParams
  }
  catch {
    return []
  }
  const pairs: HarPair[] = []
  params.forEach((value, name) => {
    if (!isSecretName(name)) return pairs.push({ name, value })
    recorder.learn(value)
    pairs.push({ name, value: REDACTED })
  })
  return pairs
}

/**
 * `bodySize` and `postData` of a request body: the text (up to `maxBodySize` bytes, redacted) of a
 * string, `URLSearchParams` or bytes; the size alone of a `Blob`; neither of a `FormData` or a stream.
 */
function postDataOf(recorder: HarRecorder, body: BodyInit, contentType: string | null): { bodySize: number, postData?: Record<string, unknown> } {
  const form = body instanceof URLSearchParams
  const bytes = typeof body === 'string' || form ? new TextEncoder().encode(String(body)) : bytesOf(body)
  const mimeType = contentType ?? (form ? 'application/x-www-form-urlencoded;charset=UTF-8' : typeof body === 'string' ? 'text/plain;charset=UTF-8' : '')
  if (!bytes) {
    const size = typeof Blob === 'function' && body instanceof Blob ? body.size : -1
    return { bodySize: size, postData: { mimeType: mimeType || (body as Blob).type || '', text: '', comment: `a ${kindOf(body)} body: not recorded` } }
  }
  const kept = bytes.subarray(0, recorder.maxBodySize)
  const text = redactBody(recorder, decodeText(kept, mimeType), mimeType, kept.length < bytes.length)
  const postData: Record<string, unknown> = { mimeType, text }
  if (kept.length < bytes.length) postData.comment = truncatedComment(recorder, bytes.length)
  return { bodySize: bytes.length, postData }
}

/** The bytes of an `ArrayBuffer` or a view, else `undefined`. */
function bytesOf(body: BodyInit): Uint8Array | undefined {
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  return undefined
}

function kindOf(body: BodyInit): string {
  if (typeof FormData === 'function' && body instanceof FormData) return 'FormData'
  if (typeof Blob === 'function' && body instanceof Blob) return 'Blob'
  return 'stream'
}

function truncatedComment(recorder: HarRecorder, size: number): string {
  return `truncated to maxBodySize: ${recorder.maxBodySize} of ${size} bytes`
}

/** The entry's response part at its headers (the content is filled in as the body is read). */
function responsePart(recorder: HarRecorder, response: Response, href: string, recording: Recording): Record<string, unknown> {
  const headers = response.headers
  recording.mimeType = headers.get('content-type') ?? ''
  const timings = (response as { timings?: TransportTimings }).timings
  if (typeof timings === 'object' && timings !== null) recording.timings = timings
  const location = headers.get('location')
  return {
    status: response.status,
    statusText: response.statusText,
    httpVersion: httpVersionOf(href),
    cookies: responseCookies(headers),
    headers: redactHeaders(recorder, headers, undefined),
    redirectURL: location === null ? '' : redactURL(resolve(location, href)),
    headersSize: -1,
  }
}

function resolve(location: string, base: string): string {
  try {
    return new URL(location, base).href
  }
  catch {
    return location
  }
}

/** The entry of a request that got no response: status 0, and the error (redacted) in `_error`. */
function recordFailure(recorder: HarRecorder, recording: Recording, error: unknown): void {
  recording.headersAt = recording.endAt = performance.now()
  // `response._error`, where Chromium's export puts it (and its import reads it).
  const message = redactText(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
  recording.response = { status: 0, statusText: '', httpVersion: '', cookies: [], headers: [], redirectURL: '', headersSize: -1, _error: message }
  recording.capture.state = 'failed'
  recorder.add(recording)
}

/** `response`, whose body is captured as the caller reads it (see the module's comment). */
function watchBody(recorder: HarRecorder, recording: Recording, response: Response, method: string): Response {
  const body = response.body
  const capture = recording.capture
  if (!body || method === 'HEAD' || NULL_BODY_STATUSES.has(response.status)) {
    recording.endAt = performance.now()
    return response
  }
  capture.state = 'reading'
  const finish = (state: Capture['state'], error?: unknown): void => {
    if (capture.state !== 'reading') return
    capture.state = state
    if (error !== undefined) capture.error = redactText(error instanceof Error ? error.message : String(error))
    recording.endAt = performance.now()
    capture.content = contentOf(recorder, recording)
    capture.chunks = []
  }
  const reader = body.getReader()
  return withBody(response, new ReadableStream<Uint8Array>(bare({
    async pull(controller: ReadableStreamDefaultController<Uint8Array>) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      }
      catch (error) {
        finish('failed', error)
        controller.error(error)
        return
      }
      if (chunk.done) {
        finish('done')
        controller.close()
        return
      }
      keep(recorder, capture, chunk.value)
      controller.enqueue(chunk.value)
    },
    cancel(reason: unknown) {
      finish('cancelled')
      return reader.cancel(reason)
    },
  }), { highWaterMark: 0 }))
}

/** Keeps what fits of `chunk` under `maxBodySize` (a copy: a transport may reuse its buffers). */
function keep(recorder: HarRecorder, capture: Capture, chunk: Uint8Array): void {
  capture.size += chunk.byteLength
  const room = recorder.maxBodySize - capture.kept
  if (room <= 0) return
  const part = chunk.slice(0, room)
  capture.chunks.push(part)
  capture.kept += part.byteLength
}

/** The HAR `content` of what was read of the body so far: text (redacted) or base64, and why it is short. */
function contentOf(recorder: HarRecorder, recording: Recording): Record<string, unknown> {
  const capture = recording.capture
  const mimeType = recording.mimeType || 'x-unknown'
  const content: Record<string, unknown> = { size: capture.size, mimeType }
  if (capture.state === 'failed' && !recording.response?.status) return content
  const bytes = concatBytes(capture.chunks, capture.kept)
  const truncated = capture.kept < capture.size
  if (bytes.length > 0) {
    if (isText(recording.mimeType, bytes)) content.text = redactBody(recorder, decodeText(bytes, recording.mimeType), recording.mimeType, truncated || capture.state !== 'done')
    else Object.assign(content, { text: toBase64(bytes), encoding: 'base64' })
  }
  const notes: string[] = []
  if (truncated) notes.push(truncatedComment(recorder, capture.size))
  if (capture.state === 'reading') notes.push(`the body was not read to its end (${capture.size} bytes read)`)
  if (capture.state === 'cancelled') notes.push(`the body was cancelled after ${capture.size} bytes`)
  if (capture.state === 'failed') notes.push(`the body failed after ${capture.size} bytes: ${capture.error}`)
  if (notes.length > 0) content.comment = notes.join('; ')
  return content
}


/** Media types whose bodies are text (others are kept as base64). */
const TEXT_TYPE = /^text\/|[/+](?:json|xml)\b|javascript|ecmascript|x-www-form-urlencoded|graphql|yaml|csv/i

/** Text by its type; without one, when it is valid UTF-8. */
function isText(mimeType: string, bytes: Uint8Array): boolean {
  if (mimeType !== '') return TEXT_TYPE.test(mimeType)
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true })
    return true
  }
  catch {
    return false
  }
}

/** The text of `bytes` in the type's charset (UTF-8 by default); a character cut at the end is left out. */
function decodeText(bytes: Uint8Array, mimeType: string): string {
  const charset = /;\s*charset="?([^";\s]+)/i.exec(mimeType)?.[1] ?? 'utf-8'
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(charset)
  }
  catch {
    decoder = new TextDecoder()
  }
  return decoder.decode(bytes, { stream: true })
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000))
  return btoa(binary)
}

/** A JSON member whose value is a string or a number: `"name": value`. */
const JSON_MEMBER = /"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*)/g

/** A JSON member whose string value the cut at `maxBodySize` left open. */
const JSON_OPEN_MEMBER = /"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)$/

/**
 * A body's text with its secrets redacted (see the module's comment): secret members of JSON,
 * secret fields of a form, and the secret query values of the URLs in it.
 */
function redactBody(recorder: HarRecorder, text: string, mimeType: string, cut: boolean): string {
  if (/x-www-form-urlencoded/i.test(mimeType)) return redactForm(recorder, text)
  let out = redactText(text)
  if (/json/i.test(mimeType)) {
    out = out.replace(JSON_MEMBER, (member, name: string, colon: string, value: string) => {
      if (!isSecretName(unquote(`"${name}"`))) return member
      recorder.learn(value.startsWith('"') ? unquote(value) : value)
      return `"${name}"${colon}"${REDACTED}"`
    })
    if (cut) {
      out = out.replace(JSON_OPEN_MEMBER, (member, name: string, colon: string) => isSecretName(unquote(`"${name}"`)) ? `"${name}"${colon}"${REDACTED}` : member)
    }
  }
  return out
}

/** A form (`a=1&password=…`) with the values of its secret fields redacted (and remembered). */
function redactForm(recorder: HarRecorder, text: string): string {
  return text.split('&').map((pair) => {
    const equals = pair.indexOf('=')
    if (equals === -1 || !isSecretName(pair.slice(0, equals))) return pair
    recorder.learn(decodeURIComponentSafe(pair.slice(equals + 1).replace(/\+/g, ' ')))
    recorder.learn(pair.slice(equals + 1))
    return `${pair.slice(0, equals)}=${REDACTED}`
  }).join('&')
}

function unquote(literal: string): string {
  try {
    return String(JSON.parse(literal))
  }
  catch {
    return literal.slice(1, -1)
  }
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text)
  }
  catch {
    return text
  }
}

function safeEncode(text: string): string {
  try {
    return encodeURIComponent(text)
  }
  catch {
    return text
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** A copy of `value` with every remembered secret in its strings replaced by `REDACTED`. */
function scrub(value: unknown, pattern: RegExp): unknown {
  if (typeof value === 'string') return value.replace(pattern, REDACTED)
  if (Array.isArray(value)) return value.map(item => scrub(item, pattern))
  if (typeof value !== 'object' || value === null) return value
  const copy: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) copy[key] = scrub(item, pattern)
  return copy
}

/** The HAR entry of a recording, as it stands (a fresh object). */
function entryOf(recording: Recording, recorder: HarRecorder): HarEntry {
  const capture = recording.capture
  const content = capture.content ?? contentOf(recorder, recording)
  const encoded = /\S/.test(headerOf(recording.response, 'content-encoding'))
  const length = Number(headerOf(recording.response, 'content-length') || Number.NaN)
  const bodySize = capture.state === 'none' ? 0 : encoded || capture.state !== 'done' ? (Number.isInteger(length) ? length : -1) : capture.size
  const timings = timingsOf(recording)
  const time = round(Object.values(timings).reduce((sum, phase) => sum + Math.max(phase, 0), 0))
  return {
    startedDateTime: recording.startedDateTime,
    time,
    request: { ...recording.request },
    // `_transferSize`: what DevTools shows as transferred (it adds `headersSize`, unknown here, otherwise).
    response: { ...recording.response, content: { ...content }, bodySize, ...(bodySize >= 0 ? { _transferSize: bodySize } : {}) },
    cache: {},
    timings,
    ...recording.extra,
  }
}

function headerOf(response: Record<string, unknown> | undefined, name: string): string {
  return (response?.headers as HarPair[] | undefined)?.find(pair => pair.name === name)?.value ?? ''
}

/**
 * The entry's timings: the transport's phases where it measured them (`response.timings`), else
 * the layer's own clock: `wait` from the start to the response's headers, `receive` from there to
 * the body's end (so far, for a body still being read). Unknown phases are -1.
 */
function timingsOf(recording: Recording): Record<string, number> {
  const phases = recording.timings?.phases ?? {}
  const headersAt = recording.headersAt ?? recording.start
  const endAt = recording.endAt ?? (recording.capture.state === 'reading' ? performance.now() : headersAt)
  const known = (phase: number | undefined): number => (typeof phase === 'number' && phase >= 0 ? round(phase) : -1)
  const ssl = known(phases.tls)
  return {
    blocked: -1,
    dns: known(phases.dns),
    connect: known(phases.tcp) === -1 ? -1 : round(known(phases.tcp) + Math.max(ssl, 0)),
    ssl,
    send: 0,
    wait: known(phases.request) === -1 ? round(headersAt - recording.start) : known(phases.request),
    receive: known(phases.download) === -1 ? round(endAt - headersAt) : known(phases.download),
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
