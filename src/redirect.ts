/**
 * The redirect layer: owns `redirect`, `maxRedirects` and `sensitiveHeaders` (and runs the
 * `onRedirect` hooks), follows each hop itself so the layers below see every hop.
 */
import type { CallContext, LayerSpec, Middleware, ReadContext } from './layer'
import { callStateOf, layerStateOf } from './layer'
import { RedirectError, invalidOption, redactURL } from './errors'
import { BODY_HEADERS, CREDENTIAL_HEADERS, isOneShotBody } from './headers'
import { own } from './own'
import type { RedirectContext, RedirectHop, RedirectMode } from './types'
import { discard } from './response-hooks'
import { inputURL, REDIRECT_DEFAULTS, REDIRECT_STATUSES } from './http'

export { discard }


/** The redirect options of one level (or of several, merged). */
export interface RedirectOptions {
  redirect: RedirectMode | undefined
  maxRedirects: number | undefined
  /** Lower-case names; united across levels. */
  sensitiveHeaders: string[] | undefined
}

/** What the redirect layer needs for one call. */
export interface RedirectState {
  /** `redirect` as the caller asked for it. */
  redirect: RedirectMode
  /** Redirects allowed per attempt. */
  maxRedirects: number
  /** `onRedirect` hooks, session's first. */
  onRedirect: ReadonlyArray<(context: RedirectContext) => unknown>
  /** Lower-case names stripped when a redirect leaves the origin. */
  sensitiveHeaders: ReadonlySet<string>
}

/** Used by calls that change none of the defaults, and by `session.native()` (no call state): nothing allocated per call. */
const DEFAULT_STATE: RedirectState = Object.freeze({
  ...REDIRECT_DEFAULTS,
  onRedirect: Object.freeze([]) as readonly never[],
  sensitiveHeaders: new Set<string>(),
})

function readRedirects(source: object, _context: ReadContext): RedirectOptions | undefined {
  const redirect = own<RedirectMode>(source, 'redirect')
  if (redirect !== undefined && redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') {
    throw invalidOption('redirect', `\`redirect\` must be 'follow', 'manual' or 'error', got ${JSON.stringify(redirect)}`)
  }
  const maxRedirects = own<number>(source, 'maxRedirects')
  if (maxRedirects !== undefined && (!Number.isInteger(maxRedirects) || maxRedirects < 0)) {
    throw invalidOption('maxRedirects', `\`maxRedirects\` must be a whole number >= 0, got ${String(maxRedirects)}`)
  }
  const sensitive = own<readonly string[]>(source, 'sensitiveHeaders')
  if (redirect === undefined && maxRedirects === undefined && sensitive === undefined) return undefined
  return { redirect, maxRedirects, sensitiveHeaders: sensitive ? sensitive.map(name => String(name).toLowerCase()) : undefined }
}

function mergeRedirects(base: RedirectOptions | undefined, over: RedirectOptions): RedirectOptions {
  if (!base) return over
  return {
    redirect: over.redirect ?? base.redirect,
    maxRedirects: over.maxRedirects ?? base.maxRedirects,
    sensitiveHeaders: base.sensitiveHeaders || over.sensitiveHeaders ? [...(base.sensitiveHeaders ?? []), ...(over.sensitiveHeaders ?? [])] : undefined,
  }
}

function prepareRedirects(options: RedirectOptions | undefined, call: CallContext): RedirectState {
  const onRedirect = call.hooks.onRedirect
  if (!options && !onRedirect) return DEFAULT_STATE
  return {
    redirect: options?.redirect ?? DEFAULT_STATE.redirect,
    maxRedirects: options?.maxRedirects ?? DEFAULT_STATE.maxRedirects,
    onRedirect: onRedirect ?? DEFAULT_STATE.onRedirect,
    sensitiveHeaders: options?.sensitiveHeaders ? new Set(options.sensitiveHeaders) : DEFAULT_STATE.sensitiveHeaders,
  }
}

/** The redirect layer's spec. Off where the platform follows redirects itself (`owns.redirects`). */
export const redirectsLayer: LayerSpec<RedirectOptions, RedirectState> = {
  name: 'redirects',
  keys: ['redirect', 'maxRedirects', 'sensitiveHeaders'],
  read: readRedirects,
  merge: mergeRedirects,
  prepare: prepareRedirects,
  create: context => context.adapter.owns?.redirects ? undefined : withRedirects(),
}

/** The `redirect` mode of merged options (what the platform is told where it follows redirects itself). */
export function redirectModeOf(options: Readonly<Record<string, unknown>>): RedirectMode {
  return (options.redirects as RedirectOptions | undefined)?.redirect ?? DEFAULT_STATE.redirect
}

/** The `sensitiveHeaders` of one level's options (lower case), if it names any. */
export function sensitiveHeadersOf(options: Readonly<Record<string, unknown>> | undefined): readonly string[] | undefined {
  return (options?.redirects as RedirectOptions | undefined)?.sensitiveHeaders
}

/** The redirect state of the call of `init`. */
export function redirectStateOf(init: RequestInit | undefined): RedirectState | undefined {
  return layerStateOf<RedirectState>(init, 'redirects')
}

/**
 * Follows redirects hop by hop (`redirect: 'manual'` underneath), so that the cookie layer below
 * sees every hop: its Set-Cookie is stored against that hop's URL and the Cookie header is rebuilt
 * from the jar for the next one. Applies the fetch spec's method rewriting, strips credentials
 * when the origin changes, refuses non-HTTP(S) targets and cancels every redirect body.
 *
 * Long because the fetch spec's "HTTP-redirect fetch" steps are kept in its order, one hop per
 * turn of the loop, so each rule can be checked against the spec where it is applied.
 */
export function withRedirects(): Middleware {
  return next => async (input, init = {}) => {
    const state = callStateOf(init)
    const options = (state?.layers.redirects as RedirectState | undefined) ?? DEFAULT_STATE
    const mode = options.redirect
    const url = inputURL(input)
    const method = (init.method ?? 'GET').toUpperCase()
    const details = { request: url, method: state?.method ?? method }

    if (mode === 'manual') return next(url, { ...init, redirect: 'manual' })

    const { maxRedirects, onRedirect, sensitiveHeaders: sensitive } = options
    const history: RedirectHop[] = state ? state.history : []
    history.length = 0

    let currentURL = url
    let currentMethod = method
    let headers = new Headers(init.headers)
    let body = init.body
    const chain = [url]

    for (let hop = 1; ; hop++) {
      const response = await next(currentURL, { ...init, method: currentMethod, headers, body, redirect: 'manual' })
      if (!REDIRECT_STATUSES.has(response.status)) return finish(response, history, currentURL)
      const rawLocation = response.headers.get('location')
      // A 3xx without Location is an ordinary response (node-fetch "broken redirect").
      if (rawLocation === null) return finish(response, history, currentURL)
      const location = decodeLocation(rawLocation)

      const fail = (code: ConstructorParameters<typeof RedirectError>[0], reason: string): never => {
        discard(response)
        throw new RedirectError(code, reason, chain, response, details)
      }

      if (mode === 'error') fail('ERR_REDIRECT_MODE', `redirect to ${JSON.stringify(redactURL(location))} refused (redirect: 'error')`)

      let target: URL
      try {
        target = new URL(location, currentURL)
      }
      catch (cause) {
        fail('ERR_REDIRECT_LOCATION', `invalid redirect location ${JSON.stringify(redactURL(location))}`)
        throw cause
      }
      // Fetch spec redirect step 6: only HTTP(S) (CVE-2022-33987: got followed unix: sockets).
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        fail('ERR_REDIRECT_SCHEME', `redirect to unsupported scheme ${JSON.stringify(target.protocol)} refused`)
      }
      if (hop > maxRedirects) {
        fail('ERR_TOO_MANY_REDIRECTS', `too many redirects: more than ${maxRedirects} (maxRedirects)`)
      }

      const from = new URL(currentURL)
      // Fetch spec: the fragment of the request survives a Location without one. It never goes on the wire.
      if (!target.hash && from.hash) target.hash = from.hash
      // Userinfo in a Location never becomes credentials (got "strips credentials embedded in cross-origin redirect Location URL").
      target.username = ''
      target.password = ''

      const status = response.status
      let nextMethod = currentMethod
      let nextBody = body
      const nextHeaders = new Headers(headers)
      if ((status === 303 && currentMethod !== 'GET' && currentMethod !== 'HEAD')
        || ((status === 301 || status === 302) && currentMethod === 'POST')) {
        nextMethod = 'GET'
        if (isOneShotBody(nextBody)) cancelBody(nextBody)
        nextBody = undefined
        for (const name of BODY_HEADERS) nextHeaders.delete(name)
      }
      else if (nextBody !== null && nextBody !== undefined && isOneShotBody(nextBody)) {
        fail('ERR_REDIRECT_BODY', `cannot follow a ${status} redirect: the request body is a stream and cannot be sent again (pass a string, bytes, Blob, FormData or URLSearchParams)`)
      }

      if (target.origin !== from.origin) {
        for (const name of CREDENTIAL_HEADERS) nextHeaders.delete(name)
        for (const name of sensitive) nextHeaders.delete(name)
      }

      const hopRecord: RedirectHop = {
        url: currentURL,
        method: currentMethod,
        status,
        statusText: response.statusText,
        location: target.href,
      }
      for (const hook of onRedirect) {
        await hook({
          request: currentURL,
          response,
          status,
          location: target.href,
          method: nextMethod,
          headers: nextHeaders,
          hop,
        })
      }
      discard(response)
      history.push(hopRecord)
      chain.push(target.href)
      currentURL = target.href
      currentMethod = nextMethod
      body = nextBody
      headers = nextHeaders
    }
  }
}

function cancelBody(body: unknown): void {
  const stream = body as { cancel?: () => Promise<void>, destroy?: () => void, locked?: boolean }
  try {
    if (typeof stream.cancel === 'function' && !stream.locked) stream.cancel().catch(() => {})
    else if (typeof stream.destroy === 'function') stream.destroy()
  }
  catch {}
}

function finish(response: Response, history: RedirectHop[], url: string): Response {
  if (history.length > 0) {
    try {
      Object.defineProperty(response, 'redirected', { value: true, configurable: true })
    }
    catch {}
  }
  const hash = url.indexOf('#')
  if (hash !== -1) withFragment(response, url.slice(hash))
  return response
}

/**
 * Puts `fragment` (`#…`) on `response.url` when it has none. Fetch leaves fragments out of
 * `response.url`, but a session call keeps the request's (inherited by every hop whose Location
 * has none, fetch spec "location URL"), as requests does (issue 11 item 13). Never on the wire.
 */
export function withFragment(response: Response, fragment: string): void {
  if (fragment === '' || fragment === '#' || !response.url || response.url.includes('#')) return
  try {
    Object.defineProperty(response, 'url', { value: response.url + fragment, configurable: true, enumerable: true })
  }
  catch {}
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * A `Location` as the server meant it. Header values arrive as byte strings (one char per byte),
 * so a UTF-8 `/ü` reads as `/Ã¼`; decode the bytes as UTF-8 when they are valid UTF-8, as
 * browsers, undici's fetch and requests do, and keep them as they are otherwise (issue 11 item 12).
 */
export function decodeLocation(value: string): string {
  let high = false
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    // Above 0xFF it is no byte string: the runtime decoded it already.
    if (code > 0xFF) return value
    if (code > 0x7F) high = true
  }
  if (!high) return value
  const bytes = new Uint8Array(value.length)
  for (let index = 0; index < value.length; index++) bytes[index] = value.charCodeAt(index)
  try {
    return utf8.decode(bytes)
  }
  catch {
    return value
  }
}
