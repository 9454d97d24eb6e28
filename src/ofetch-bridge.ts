/**
 * Everything that knows ofetch (issue 13 item 2): the `$fetch` ofetch makes over the session's
 * layers, the cheap body probe it is handed, the strict JSON parsing it is made to use, and the
 * options object it is given for one call (its own retry, timeout and URL handling switched off:
 * the session does those), with the first `onRequestError` hook that shows the caller's hooks the
 * classified error.
 *
 * @module
 */
import { createFetch } from 'ofetch'
import { ParseError } from './errors'
import { callStateOf, kCall } from './layer'
import type { CallState } from './layer'
import { PROBE } from './response-hooks'
import type { Fetch } from './types'

/** ofetch's `$fetch` for one client. */
export type OfetchClient = ReturnType<typeof createFetch>

/** The ofetch of a client whose layers are `native`. */
export function createOfetch(native: Fetch): OfetchClient {
  return createFetch({ fetch: forOfetch(native) as typeof globalThis.fetch })
}

/**
 * The fetch ofetch calls: the session's, and for responses that can (the Node transport's), it
 * arms the cheap answer to ofetch's check for a body. ofetch reads `response.body` once for that
 * check, and again only to hand the stream to the caller (`responseType: 'stream'`), which then
 * gets the real stream.
 */
function forOfetch(native: Fetch): Fetch {
  return (input, init) => native(input, init && fastCopy(init)).then((response) => {
    const probe = (response as unknown as Record<symbol, unknown>)[PROBE]
    if (typeof probe === 'function') probe.call(response)
    const state = callStateOf(init)
    if (state && init) useStrictJSON(init as OfetchOptions, response, state, String(input))
    return response
  })
}

/**
 * ofetch's options object as a fresh one with the same members: ofetch deletes `query` and
 * `params` from it, which leaves V8 a dictionary-mode object, and each `{ ...init }` of one costs
 * about 4 µs (a plain copy, under 1 µs; a spread of the copy, 0.04 µs). The layers get the copy;
 * what ofetch reads back after the fetch (`parseResponse`, `useStrictJSON`) is set on its own.
 */
function fastCopy(init: RequestInit): RequestInit {
  const copy: Record<string | symbol, unknown> = {}
  const keys = Object.keys(init)
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!
    if (key !== '__proto__') copy[key] = (init as Record<string, unknown>)[key]
  }
  const state = (init as Record<symbol, unknown>)[kCall]
  if (state !== undefined) copy[kCall] = state
  return copy as RequestInit
}

/** The members of ofetch's own options object (`init` of the fetch it calls) read after the response. */
interface OfetchOptions {
  responseType?: string
  parseResponse?: (text: string) => unknown
}

/** ofetch's test for a JSON `Content-Type`: `application/json`, `application/*+json`. */
const JSON_TYPE = /^application\/(?:[\w!#$%&*.^`~-]*\+)?json\s*(?:;|$)/i

/**
 * Makes ofetch parse this response's body strictly when it is to be JSON (a JSON `Content-Type`,
 * `responseType: 'json'`, or the caller's `parseResponse`): ofetch's own parser (destr) returns
 * the text when it is not JSON, which then resolves typed as the caller's JSON. `init` is ofetch's
 * options object for this call, which it reads after this fetch resolves (ofetch 1.x). Issue 11 item 15.
 */
function useStrictJSON(init: OfetchOptions, response: Response, state: CallState, request: string): void {
  // A parseResponse an onRequest hook put on ofetch's options counts as the caller's too.
  const parse = init.parseResponse ?? state.parseResponse
  const type = init.responseType
  if (parse === undefined && type !== 'json' && (type !== undefined || !JSON_TYPE.test(response.headers.get('content-type') ?? ''))) return
  init.parseResponse = (text) => {
    // An error status rejects with HTTPError carrying the text (the error page), not ParseError.
    const settle = (cause: unknown, byParseResponse: boolean): unknown => {
      if (response.status >= 400) return text
      throw new ParseError(text, response, { request: response.url || request, method: state.method, cause }, byParseResponse)
    }
    if (parse) {
      try {
        return parse(text)
      }
      catch (error) {
        return settle(error, true)
      }
    }
    // An empty body is no error (ofetch resolves it as the text).
    if (text.trim() === '') return text
    try {
      return parseJSON(text)
    }
    catch (error) {
      return settle(error, false)
    }
  }
}

/**
 * `JSON.parse`, dropping the keys that could pollute a prototype once the result is merged
 * somewhere (`__proto__`, and `constructor` holding a `prototype`), as ofetch's destr did.
 */
function parseJSON(text: string): unknown {
  if (!/__proto__|constructor|\\u/.test(text)) return JSON.parse(text)
  return JSON.parse(text, (key, value: unknown) => {
    if (key === '__proto__') return undefined
    if (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value) return undefined
    return value
  })
}

/** What the options object ofetch is given for one call is made of (`Call` in `call.ts`). */
export interface BridgeCall {
  rest: Record<string, unknown>
  method: string
  headers: Headers
  body: unknown
  redirect: string
  oneShotBody: boolean
  hooks: Readonly<Record<string, ReadonlyArray<(context: any) => unknown> | undefined>>
  state: CallState
  /** Turns the error ofetch's `onRequestError` hooks see into the call's (`classify()`). */
  requestError: (error: unknown) => unknown
}

/**
 * The options ofetch is given for one call. Every key ofetch reads is set here, so nothing is read
 * from a polluted `Object.prototype`; its retry, timeout, `baseURL` and query handling are off
 * (the session did or does them).
 */
export function ofetchOptions(call: BridgeCall): Record<string | symbol, unknown> {
  const { rest, hooks } = call
  return {
    ...rest,
    method: call.method,
    headers: call.headers,
    body: call.body,
    baseURL: undefined,
    query: undefined,
    params: undefined,
    retry: false,
    retryDelay: undefined,
    retryStatusCodes: undefined,
    timeout: undefined,
    redirect: call.redirect,
    responseType: rest.responseType,
    // The caller's parseResponse runs in the session's strict JSON parsing (callState), once the response is there.
    parseResponse: undefined,
    ignoreResponseError: rest.ignoreResponseError,
    // Streams need `duplex: 'half'` (fetch spec); ofetch only adds it when the key is absent.
    duplex: rest.duplex ?? (call.oneShotBody ? 'half' : undefined),
    onRequest: hooks.onRequest,
    onRequestError: [
      // First, so the caller's onRequestError hooks see the classified error (NetworkError, TimeoutError…).
      (context: { error: unknown }) => {
        context.error = call.requestError(context.error)
      },
      ...(hooks.onRequestError ?? []),
    ],
    onResponse: hooks.onResponse,
    onResponseError: hooks.onResponseError,
    [kCall]: call.state,
  }
}
