/**
 * Following redirects hop by hop: the redirect layer's middleware (its options and call state are
 * redirect.ts's). Given to the engine by the entries where the session follows redirects itself
 * (src/session-layers.ts), so the browser build, where the browser follows them, carries none of it.
 *
 * @module
 */
import type { Middleware } from './layer'
import { callStateOf } from './layer'
import { RedirectError, redactURL } from './errors'
import { BODY_HEADERS, CREDENTIAL_HEADERS, isOneShotBody } from './headers'
import type { RedirectHop } from './types'
import { discard } from './response-hooks'
import { inputURL, REDIRECT_STATUSES } from './http'
import { DEFAULT_REDIRECT_STATE, withFragment } from './redirect'
import type { RedirectState } from './redirect'

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
    const options = (state?.layers.redirects as RedirectState | undefined) ?? DEFAULT_REDIRECT_STATE
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
    // The caller's headers as they are for the first request: every layer below copies before it changes them.
    let headers: HeadersInit | undefined = init.headers
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
