/**
 * The Bun adapter: each session owns a `Bun.FetchSession` (its keep-alive pool, closed by
 * `session.close()`; connections are never shared with another session or with plain `fetch`).
 * A Bun without `Bun.FetchSession` gets the same options on each request instead, and the
 * platform's pool.
 *
 * - `proxy`: a URL or `{ url }` → that proxy for every request (`respectNoProxy: false`, as on
 *   Node); `true` → Bun's default: `http_proxy` / `https_proxy` / `all_proxy` and `no_proxy`
 *   (either case), which Bun reads by curl's rule as fetch-session does on Node and Deno
 *   (src/proxy-env.ts; test/runtimes/bun.test.ts checks it); `false` → direct, even when those are set.
 * - `tls`: `rejectUnauthorized`, `cert`, `key` as they are; `ca` is trusted in addition to Bun's
 *   default CAs (Bun's own `ca` replaces them).
 * - `pool.keepAliveTimeout` → `keepAlive.idleTimeout`, which Bun counts in whole seconds (rounded
 *   up) on a coarse timer.
 * - `http2: false` → `protocol: 'http1.1'` on every request. `http2: true` is what Bun does when
 *   the process runs with `--experimental-http2-fetch` (or `BUN_FEATURE_FLAG_EXPERIMENTAL_HTTP2_CLIENT=1`):
 *   HTTP/2 offered over TLS, HTTP/1.1 otherwise.
 *
 * - `maxBodySize`: the call is sent with `decompress: false` and its body decoded by the adapter,
 *   as far as it is read (Bun's own decoding runs ahead of the reader: see `decodingItself`).
 *
 * Refused at `createSession()` with an `UnsupportedOptionError`: `dispatcher` (undici's; a
 * request's is an `InvalidRequestError`), `http2: true` without that flag
 * (per request Bun can only force HTTP/2, `protocol: 'http2'`, which fails on servers without
 * it), `proxy.noProxy` (no bypass list besides `NO_PROXY`), and `pool.connections` (Bun caps the
 * idle sockets of a whole session, `keepAlive.maxIdleSockets`, never the connections per origin).
 *
 * @module
 */
import { withBody } from '../body-response'
import type { TransportFetch } from '../adapter'
import { createCookieJar } from '../cookies/jar'
import { createSessionFactory } from '../session'
import { SESSION_LAYERS } from '../session-layers'
import type { Adapter, Transport } from '../adapter'
import { validateTlsOptions } from '../tls-options'
import { createDecoders, decodeStream } from '../transports/decode'
import type { DecoderModules, Decoders } from '../transports/decode'
import type { $Fetch, Fetch, Session, SessionOptions, TransportOptions } from '../types'
import { fetchTransport, NO_DISPATCHER_HINT, refusingDispatcher, UnsupportedOptionError } from './fetch'
import { bare } from '../own'
import { timedFetch } from '../timings'

/** The part of `Bun.FetchSession` the adapter uses. */
interface FetchSessionLike {
  fetch: Fetch
  close: () => void
}

/** The part of the `Bun` namespace the adapter uses (structural: no `@types/bun` needed). */
interface BunLike {
  FetchSession?: new (options: Record<string, unknown>) => FetchSessionLike
}

/** The part of `process` the adapter reads (Bun implements it; no Node types needed). */
interface ProcessLike {
  env?: Record<string, string | undefined>
  execArgv?: string[]
  getBuiltinModule?: (id: string) => unknown
}

/** Bun's connection settings for a session: for a `Bun.FetchSession`, and for each request. */
interface BunTransportOptions {
  /** `new Bun.FetchSession(init)`, or per request where there is none: `proxy`, `tls`, `keepAlive`. */
  session: Record<string, unknown>
  /** Added to every request: `protocol`. */
  request: Record<string, unknown>
}

function processLike(): ProcessLike | undefined {
  return (globalThis as { process?: ProcessLike }).process
}

/** True when Bun offers HTTP/2 in fetch's TLS ALPN (`--experimental-http2-fetch` or its environment flag). */
function offersHttp2(): boolean {
  const process = processLike()
  const flag = process?.env?.BUN_FEATURE_FLAG_EXPERIMENTAL_HTTP2_CLIENT
  return Boolean(process?.execArgv?.includes('--experimental-http2-fetch') || (flag && flag !== '0' && flag !== 'false'))
}

/** Bun's default trusted CAs (the bundled ones, plus `NODE_EXTRA_CA_CERTS`), so that `tls.ca` adds to them. */
function defaultCertificates(): string[] {
  const tls = processLike()?.getBuiltinModule?.('node:tls') as { getCACertificates?: (kind: string) => string[], rootCertificates?: readonly string[] } | undefined
  if (typeof tls?.getCACertificates === 'function') return tls.getCACertificates('default')
  return tls?.rootCertificates ? [...tls.rootCertificates] : []
}

/** Bun's options for a session's transport options. */
function bunTransportOptions(options: TransportOptions): BunTransportOptions {
  const { proxy, tls, pool, http2 } = options
  // No prototype: Bun reads these (and the request's init) as dictionaries, where a polluted
  // Object.prototype would add `tls`, `proxy` or `rejectUnauthorized` (issue 12 item 7).
  const session: Record<string, unknown> = Object.create(null)
  const request: Record<string, unknown> = Object.create(null)
  if (options.dispatcher !== undefined) throw new UnsupportedOptionError('dispatcher', 'bun', `${NO_DISPATCHER_HINT} (Bun.FetchSession: use \`proxy\`, \`tls\`, \`pool\`, \`http2\`)`)
  validateTlsOptions(tls)
  if (http2 === true && !offersHttp2()) {
    throw new UnsupportedOptionError('http2', 'bun', 'Bun\'s fetch offers HTTP/2 only when the process runs with --experimental-http2-fetch (or BUN_FEATURE_FLAG_EXPERIMENTAL_HTTP2_CLIENT=1); per request it can only force HTTP/2, which fails on servers without it')
  }
  if (http2 === false) request.protocol = 'http1.1'
  // `proxy: true` asks for the environment's proxies: Bun's default.
  if (proxy === false) {
    session.proxy = false
  }
  else if (proxy !== undefined && proxy !== true) {
    let url: string | URL = proxy as string | URL
    if (typeof proxy === 'object' && !(proxy instanceof URL)) {
      if (proxy.noProxy !== undefined && proxy.noProxy !== '') {
        throw new UnsupportedOptionError('proxy', 'bun', '`noProxy` has no counterpart in Bun\'s fetch; use `proxy: true` with HTTP_PROXY / HTTPS_PROXY and NO_PROXY in the environment')
      }
      url = proxy.url
    }
    session.proxy = bare({ url: String(url), respectNoProxy: false })
  }
  if (tls) {
    const bunTls: Record<string, unknown> = Object.create(null)
    if (tls.rejectUnauthorized !== undefined) bunTls.rejectUnauthorized = tls.rejectUnauthorized
    if (tls.ca !== undefined) bunTls.ca = [...defaultCertificates(), ...(Array.isArray(tls.ca) ? tls.ca : [tls.ca])]
    if (tls.cert !== undefined) bunTls.cert = tls.cert
    if (tls.key !== undefined) bunTls.key = tls.key
    session.tls = bunTls
  }
  if (pool?.connections !== undefined) {
    throw new UnsupportedOptionError('pool.connections', 'bun', 'Bun cannot cap the connections per origin (keepAlive.maxIdleSockets only caps the idle sockets of the whole session); set `pool.keepAliveTimeout` alone')
  }
  if (pool?.keepAliveTimeout !== undefined) {
    // Bun takes whole seconds, and at least one.
    session.keepAlive = bare({ idleTimeout: Math.max(1, Math.ceil(pool.keepAliveTimeout / 1000)) })
  }
  return { session, request }
}

let codecs: Decoders | undefined

/** The decoders, made of Bun's `node:zlib` and `node:stream` on first use. */
function bunDecoders(): Decoders {
  if (codecs) return codecs
  const load = processLike()?.getBuiltinModule
  const zlib = load?.('node:zlib') as DecoderModules['zlib'] | undefined
  const stream = load?.('node:stream') as { Transform: DecoderModules['Transform'] } | undefined
  if (!zlib || !stream) throw new TypeError('fetch-session: this Bun has no process.getBuiltinModule() to load node:zlib, which maxBodySize needs; upgrade Bun')
  codecs = createDecoders({ zlib, Transform: stream.Transform })
  return codecs
}

/**
 * `send`, decoding the body itself for a call with a `maxBodySize`: Bun's fetch inflates a body
 * ahead of its reader, so a br bomb of 300 bytes grew the process by 330-540 MB before the limit
 * could stop it (issue 12 item 13). Such a call is sent with `decompress: false` and its body
 * decoded by `node:zlib` streams as it is read (src/transports/decode.ts), so the limit, counted
 * on the decoded bytes above, bounds the memory too. Status, headers (`Content-Encoding` and
 * `Content-Length` included, as Bun leaves them) and `url` are Bun's.
 */
function decodingItself(send: Fetch): TransportFetch {
  return async (input, init, hints) => {
    if (hints?.maxBodySize === undefined) return send(input, init)
    const response = await send(input, { ...init, decompress: false } as RequestInit)
    const header = response.headers.get('content-encoding')
    if (header === null || !response.body) return response
    const decoders = bunDecoders().decodersFor(header)
    if (decoders === undefined) return response
    if (decoders instanceof Error) {
      response.body.cancel().catch(() => {})
      throw new TypeError('fetch failed', { cause: decoders })
    }
    return withBody(response, decodeStream(response.body, decoders))
  }
}

/** The Bun adapter. */
const bunAdapter: Adapter = {
  layers: SESSION_LAYERS,
  name: 'bun',
  createTransport(options, fetch): Transport {
    if (fetch) {
      const named = Object.keys(options)[0]
      if (named) throw new UnsupportedOptionError(named, 'bun', 'it configures the session\'s own pool, so it cannot be combined with a custom `fetch`')
      return fetchTransport(fetch)
    }
    const { session: settings, request } = bunTransportOptions(options)
    const perRequest = Object.keys(request).length > 0
    const FetchSession = (globalThis as { Bun?: BunLike }).Bun?.FetchSession
    if (typeof FetchSession === 'function') {
      const pool = new FetchSession(settings)
      return {
        fetch: decodingItself(refusingDispatcher(timedFetch(perRequest ? (input, init) => pool.fetch(input, bare({ ...init, ...request }) as RequestInit) : (input, init) => pool.fetch(input, init)), 'Bun')),
        // Bun's fetch settles a request and fails its body as soon as the signal aborts, with its reason.
        honoursSignal: true,
        // Closes the idle connections now. Bun's close() lets a response being read complete: the
        // session's close signal has aborted those already (issue 12 item 10).
        close: async () => pool.close(),
      }
    }
    if (settings.keepAlive) throw new UnsupportedOptionError('pool', 'bun', 'this Bun has no Bun.FetchSession, so a session has no pool of its own; upgrade Bun')
    // Per request, older Bun versions take the proxy as a URL string only.
    const proxy = settings.proxy as { url: string } | false | undefined
    const extra = bare({ ...settings, ...(proxy ? { proxy: proxy.url } : {}), ...request })
    const send: Fetch = (input, init) => globalThis.fetch(input, bare({ ...init, ...extra }) as RequestInit)
    return { fetch: decodingItself(refusingDispatcher(timedFetch(send), 'Bun')), honoursSignal: true, close: async () => {} }
  },
  sharedTransport: fetch => fetchTransport(fetch, 'Bun'),
  createCookieJar,
}

const factory = createSessionFactory(bunAdapter)

/** Creates a session with its own `Bun.FetchSession` (see the package's main entry for the API). */
export const createSession: (options?: SessionOptions) => Session = factory.createSession

/** The stateless mode, over Bun's `fetch` and its shared pool. */
export const $fetch: $Fetch = factory.$fetch

export * from '../exports-server'
