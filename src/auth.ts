/**
 * The auth layer: HTTP Basic, Bearer tokens (static or from a provider) with refresh on 401,
 * and Digest (RFC 7616: MD5, SHA-256 and their -sess forms, qop=auth). It sits below the redirect
 * layer, so it sees every hop and adds credentials only to hops on the origin they were given
 * for: a redirect elsewhere never carries them, a redirect back gets them again.
 *
 * With a `fleet` (issue 15 item 3), the bearer refresh is the fleet's: one `refresh()` at a time
 * across its processes, whose result the others read from the fleet's token record
 * (`Fleet.refresh`); a process starts with the record's token when there is one.
 */
import type { CallContext, LayerSpec, Middleware, MergeContext, ReadContext } from './layer'
import { callStateOf, layerStateOf } from './layer'
import { AuthError, FleetError, invalidOption } from './errors'
import { fleetOf } from './fleet/option'
import { raceSignal } from './timeout'
import { isOneShotBody, setHeader } from './headers'
import { md5Hex } from './md5'
import { own } from './own'
import { discard } from './response-hooks'
import type { AuthOptions, BearerAuthOptions, Fetch, Fleet, RefreshedToken } from './types'
import { toBase64 } from './url'
import { inputURL } from './http'
import { debugLogOf, logRefresh } from './debug'

/** What the auth layer needs for one call. */
export interface CallAuth {
  options: AuthOptions
  /** Credentials go only to this origin. */
  origin: string
  state: AuthState
}

/** Per auth object, shared by every request that uses it: the token and the Digest challenge. */
export interface AuthState {
  /** The token from the last refresh (it replaces `bearer` from then on). */
  token?: string
  /** The refresh token the last refresh returned (given to the next one). */
  refreshToken?: string
  /** With a fleet: the fleet's token record was read once (a process starts with the fleet's token). */
  fleetRead?: boolean
  /** The refresh under way, which every concurrent 401 waits for (single flight). */
  refreshing?: Promise<string>
  /** How many refreshes ran (for tests and logs). */
  refreshes: number
  /** The server's last Digest challenge, reused with a growing nonce count. */
  digest?: { challenge: DigestChallenge, count: number }
  /** Counts bearer requests sent, to tell which were sent before a refresh failed. */
  sent: number
  /** The last failed refresh: requests sent before it share its error instead of refreshing again. */
  failure?: { before: number, error: unknown }
  /**
   * When the last refresh returned `token` (ms since the epoch), and whether the server has
   * accepted that token since: until it has, a 401 to it is an `AuthError`, not a new refresh,
   * for `REFRESH_PAUSE` ms.
   */
  fresh?: { at: number, proven: boolean }
}

/**
 * How long a refreshed token the server rejects blocks another refresh, in ms: a refresh that
 * returns a token the server still refuses (a token not yet replicated, a clock skew, the wrong
 * audience) runs at most once per this time, however many requests get a 401 (issue 12 item 9).
 */
export const REFRESH_PAUSE = 10_000

const states = new WeakMap<object, AuthState>()

/** The state of an auth object (created on first use). */
export function authStateOf(options: AuthOptions): AuthState {
  let state = states.get(options)
  if (!state) {
    state = { refreshes: 0, sent: 0 }
    states.set(options, state)
  }
  return state
}

/** An own property of `auth` (never one inherited from a polluted `Object.prototype`). */
function field(auth: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(auth, key) ? (auth as Record<string, unknown>)[key] : undefined
}

/** True for `{ bearer }` auth (an own `bearer`). */
function isBearer(auth: AuthOptions): auth is BearerAuthOptions {
  return Object.prototype.hasOwnProperty.call(auth, 'bearer')
}

/**
 * Checks an `auth` option, reading own properties only; throws an `InvalidRequestError` that says
 * what is wrong. The auth layer reads the same own properties when it uses it.
 */
export function checkAuth(auth: unknown): AuthOptions | false | undefined {
  if (auth === undefined || auth === false) return auth
  if (typeof auth !== 'object' || auth === null) throw invalidOption('auth', '`auth` must be { username, password }, { bearer }, or false')
  if (isBearer(auth as AuthOptions)) {
    const bearer = field(auth, 'bearer')
    if (typeof bearer !== 'string' && typeof bearer !== 'function') throw invalidOption('auth.bearer', '`auth.bearer` must be a string or a function that returns one')
    const refresh = field(auth, 'refresh')
    if (refresh !== undefined && typeof refresh !== 'function') throw invalidOption('auth.refresh', '`auth.refresh` must be a function that returns the new token')
    return auth as AuthOptions
  }
  if (typeof field(auth, 'username') !== 'string' || typeof field(auth, 'password') !== 'string') throw invalidOption('auth', '`auth` needs a string `username` and `password`')
  const type = field(auth, 'type')
  if (type !== undefined && type !== 'basic' && type !== 'digest') throw invalidOption('auth.type', '`auth.type` must be \'basic\' or \'digest\'')
  return auth as AuthOptions
}

/** The `auth` of one level (or of several, merged). */
export interface AuthLevel {
  /** `false` turns off the auth of earlier levels. */
  auth: AuthOptions | false
  /**
   * The origin `auth` was given for: the `baseURL` origin of the session that gave it (an
   * `extend()` child inherits its parent's), or `undefined` for each request's own origin.
   */
  origin: string | undefined
}

function readAuth(source: object, context: ReadContext): AuthLevel | undefined {
  const auth = checkAuth(own(source, 'auth'))
  if (auth === undefined) return undefined
  return { auth, origin: auth && context.level === 'session' ? context.origin : undefined }
}

/**
 * The later level's `auth` wins. For a new session's defaults (`extend()`), the child's own auth
 * belongs to the child's base, and the parent's stays with the origin it was given for, whatever
 * the child's baseURL (issue 12 item 6); for a call, the request's or the mount's belongs to the
 * request's own origin.
 */
function mergeAuth(_base: AuthLevel | undefined, over: AuthLevel, context: MergeContext): AuthLevel {
  if (context.level !== 'session') return over
  return { auth: over.auth, origin: over.auth ? context.origin : undefined }
}

/** The credentials of a call, for the origin they belong to (the session's base, else the request's own). */
function prepareAuth(options: AuthLevel | undefined, call: CallContext): CallAuth | undefined {
  if (!options || options.auth === false) return undefined
  return { options: options.auth, origin: options.origin ?? call.url.origin, state: authStateOf(options.auth) }
}

/** The auth layer's spec: `auth`, per hop, below the redirects. */
export const authLayer: LayerSpec<AuthLevel, CallAuth> = {
  name: 'auth',
  keys: ['auth'],
  read: readAuth,
  merge: mergeAuth,
  prepare: prepareAuth,
  create: context => withAuth(fleetOf(context)),
}

/** The credentials of the call of `init`, if it has any. */
export function callAuthOf(init: RequestInit | undefined): CallAuth | undefined {
  return layerStateOf<CallAuth>(init, 'auth')
}

/** The auth layer; with a `fleet`, its refreshes are the fleet's. */
export function withAuth(fleet?: Fleet): Middleware {
  return next => (input, init = {}) => {
    const auth = callAuthOf(init)
    // Not async for a call without credentials: no promise of its own.
    if (!auth) return next(inputURL(input), init)
    return authed(next, inputURL(input), init, auth, fleet)
  }
}

/** A request of a call with credentials (`auth`), for its origin only. */
async function authed(next: Fetch, url: string, init: RequestInit, auth: CallAuth, fleet: Fleet | undefined): Promise<Response> {
  if (new URL(url).origin !== auth.origin) return next(url, init)
  const headers = new Headers(init.headers)
  // An Authorization header set by hand wins over the `auth` option.
  if (headers.has('authorization')) return next(url, init)
  const method = (init.method ?? 'GET').toUpperCase()
  const send = (authorization: string | undefined): Promise<Response> => {
    const hop = new Headers(headers)
    // A CR or LF in a token or a password: the message names the header, never the value.
    if (authorization) setHeader(hop, 'authorization', authorization)
    return next(url, { ...init, headers: hop })
  }
  // A stream body is gone after the first send: no second send to answer a challenge.
  const canReplay = !isOneShotBody(init.body)
  const { options, state } = auth

  if (isBearer(options)) {
    const refresh = field(options, 'refresh') as Refresh | undefined
    if (fleet && refresh && !state.fleetRead) await readFleetToken(fleet, state, url, method)
    const token = state.token ?? await provide(field(options, 'bearer') as BearerAuthOptions['bearer'], url, method)
    const sequence = ++state.sent
    const response = await send(`Bearer ${token}`)
    if (response.status !== 401) return accepted(state, token, response)
    if (!refresh || !canReplay) return response
    discard(response)
    const log = debugLogOf(init)
    if (log) logRefresh(log, method, url, response.status)
    const fresh = await refreshToken(refresh, state, token, sequence, url, method, fleet && { fleet, signal: callStateOf(init)?.signal ?? init.signal ?? undefined })
    const replay = await send(`Bearer ${fresh}`)
    if (replay.status !== 401) return accepted(state, fresh, replay)
    // One refresh per burst: a 401 to the token it gave is the end, whatever that token is.
    discard(replay)
    throw rejectedToken(url, method)
  }

  const username = field(options, 'username') as string
  const password = field(options, 'password') as string
  if (field(options, 'type') !== 'digest') {
    return send(`Basic ${toBase64(`${username}:${password}`)}`)
  }

  // Digest: answer a known challenge at once; otherwise (or when the server wants a new one) get one.
  const target = new URL(url)
  const uri = target.pathname + target.search
  const response = await send(state.digest ? await digestHeader(username, password, method, uri, state.digest) : undefined)
  if (response.status !== 401 || !canReplay) return response
  const challenge = parseDigestChallenge(response.headers.get('www-authenticate'))
  if (!challenge) return response
  discard(response)
  state.digest = { challenge, count: 0 }
  return send(await digestHeader(username, password, method, uri, state.digest))
}

/** `response`, once the server accepted `token`: a refreshed token that worked may be refreshed again. */
function accepted(state: AuthState, token: string, response: Response): Response {
  if (state.fresh && token === state.token) state.fresh.proven = true
  return response
}

/** The server answered 401 to the token of the last refresh. */
function rejectedToken(url: string, method: string): AuthError {
  return new AuthError(`the server answered 401 to the token the refresh returned (no new refresh until a request with a token succeeds, or ${REFRESH_PAUSE / 1000} s have passed)`, { request: url, method })
}

async function provide(bearer: string | (() => unknown), url: string, method: string): Promise<string> {
  if (typeof bearer === 'string') return bearer
  let token: unknown
  try {
    token = await bearer()
  }
  catch (cause) {
    throw new AuthError('the bearer token provider failed', { request: url, method, cause })
  }
  if (typeof token !== 'string' || token === '') throw new AuthError('the bearer token provider did not return a token', { request: url, method })
  return token
}

/** `auth.refresh`, as the layer calls it. */
type Refresh = (context: { refreshToken: string | undefined }) => unknown

/** The fleet of a refresh, and the signal of the call that waits for it. */
interface FleetRefresh {
  fleet: Fleet
  signal: AbortSignal | undefined
}

/** A process's first bearer request on a fleet: the fleet's token, if a refresh made one. */
async function readFleetToken(fleet: Fleet, state: AuthState, url: string, method: string): Promise<void> {
  let record
  try {
    record = await fleet.token()
  }
  catch (error) {
    throw error instanceof FleetError ? error.forRequest(url, method) : error
  }
  state.fleetRead = true
  if (record && state.token === undefined) {
    state.token = record.token
    state.refreshToken = record.refreshToken
  }
}

/** Calls `refresh` with the refresh token of the last refresh; its token (and the next refresh token). */
async function runRefresh(refresh: Refresh, refreshToken: string | undefined): Promise<RefreshedToken> {
  const result = await refresh({ refreshToken })
  if (typeof result === 'string' && result !== '') return { token: result }
  const token = typeof result === 'object' && result !== null ? (result as RefreshedToken).token : undefined
  if (typeof token !== 'string' || token === '') throw new TypeError('the refresh function did not return a token')
  const next = (result as RefreshedToken).refreshToken
  return next === undefined ? { token } : { token, refreshToken: String(next) }
}

/**
 * One refresh for many 401s: a request that failed with the token that is being (or was just)
 * replaced waits for that refresh instead of starting another; one that failed with the token a
 * refresh just gave, which the server has not accepted yet, starts none (`REFRESH_PAUSE`). With
 * a fleet, this process's one refresh is the fleet's (`Fleet.refresh`), which each call waits for
 * within its own deadline.
 */
async function refreshToken(refresh: Refresh, state: AuthState, used: string, sequence: number, url: string, method: string, shared?: FleetRefresh): Promise<string> {
  if (state.token !== undefined && state.token !== used) return state.token
  // Sent before a refresh failed: that refresh was this request's too; do not start another.
  if (state.failure && sequence <= state.failure.before) {
    throw new AuthError('the token refresh after a 401 failed', { request: url, method, cause: state.failure.error })
  }
  if (!state.refreshing && state.fresh && !state.fresh.proven && used === state.token && Date.now() - state.fresh.at < REFRESH_PAUSE) {
    throw rejectedToken(url, method)
  }
  if (!state.refreshing) {
    state.refreshes++
    state.refreshing = (async () => {
      try {
        const result = shared
          ? await shared.fleet.refresh(used, record => runRefresh(refresh, record?.refreshToken))
          : await runRefresh(refresh, state.refreshToken)
        state.token = result.token
        state.refreshToken = result.refreshToken
        state.fresh = { at: Date.now(), proven: false }
        state.failure = undefined
        return result.token
      }
      catch (error) {
        // The fleet's store failed, not the refresh: the next 401 tries again.
        if (!(error instanceof FleetError)) state.failure = { before: state.sent, error }
        throw error
      }
      finally {
        state.refreshing = undefined
      }
    })()
  }
  const signal = shared?.signal
  try {
    return await (signal ? raceSignal(state.refreshing, signal) : state.refreshing)
  }
  catch (cause) {
    if (signal?.aborted && cause === signal.reason) throw cause
    if (cause instanceof FleetError) throw cause.forRequest(url, method)
    throw new AuthError('the token refresh after a 401 failed', { request: url, method, cause })
  }
}

/** A parsed `WWW-Authenticate: Digest …` challenge. */
export interface DigestChallenge {
  realm: string
  nonce: string
  qop: string | undefined
  algorithm: string
  opaque: string | undefined
}

/** Reads the Digest challenge of a `WWW-Authenticate` header (ignoring other schemes in it). */
export function parseDigestChallenge(header: string | null): DigestChallenge | undefined {
  if (!header) return undefined
  const start = header.search(/\bDigest\s/i)
  if (start === -1) return undefined
  const fields: Record<string, string> = {}
  for (const match of header.slice(start + 7).matchAll(/([a-z0-9-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi)) {
    const name = match[1]!.toLowerCase()
    if (!(name in fields)) fields[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!
  }
  if (!fields.nonce || fields.realm === undefined) return undefined
  const qops = (fields.qop ?? '').split(',').map(item => item.trim().toLowerCase())
  return {
    realm: fields.realm,
    nonce: fields.nonce,
    // Only qop=auth is supported (auth-int would need the body hashed); none means RFC 2069.
    qop: qops.includes('auth') ? 'auth' : undefined,
    algorithm: fields.algorithm ?? 'MD5',
    opaque: fields.opaque,
  }
}

async function digestHash(algorithm: string, text: string): Promise<string> {
  if (/^SHA-256/i.test(algorithm)) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
    return [...new Uint8Array(digest)].map(byte => byte.toString(16).padStart(2, '0')).join('')
  }
  return md5Hex(text)
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`
}

/** The `Authorization: Digest …` value for one request (RFC 7616 §3.4). */
export async function digestHeader(username: string, password: string, method: string, uri: string, digest: NonNullable<AuthState['digest']>, cnonce?: string): Promise<string> {
  const { challenge } = digest
  const algorithm = challenge.algorithm
  if (!/^(?:MD5|SHA-256)(?:-sess)?$/i.test(algorithm)) throw new AuthError(`unsupported Digest algorithm ${JSON.stringify(algorithm)} (MD5 and SHA-256 are)`, { request: uri, method })
  digest.count++
  const nc = digest.count.toString(16).padStart(8, '0')
  const clientNonce = cnonce ?? [...crypto.getRandomValues(new Uint8Array(16))].map(byte => byte.toString(16).padStart(2, '0')).join('')
  let ha1 = await digestHash(algorithm, `${username}:${challenge.realm}:${password}`)
  if (/-sess$/i.test(algorithm)) ha1 = await digestHash(algorithm, `${ha1}:${challenge.nonce}:${clientNonce}`)
  const ha2 = await digestHash(algorithm, `${method}:${uri}`)
  const response = challenge.qop
    ? await digestHash(algorithm, `${ha1}:${challenge.nonce}:${nc}:${clientNonce}:${challenge.qop}:${ha2}`)
    : await digestHash(algorithm, `${ha1}:${challenge.nonce}:${ha2}`)
  const parts = [
    `username=${quote(username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(uri)}`,
    `algorithm=${algorithm}`,
    `response=${quote(response)}`,
  ]
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`)
  if (challenge.qop) parts.push(`qop=${challenge.qop}`, `nc=${nc}`, `cnonce=${quote(clientNonce)}`)
  return `Digest ${parts.join(', ')}`
}
