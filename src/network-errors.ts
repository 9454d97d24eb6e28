/*
 * Each runtime's shape of "no response arrived", kept as data (ky `source/utils/is-network-error.ts`;
 * catalogue #58), and the one set of codes `NetworkError.code` reports on every runtime (issue 11,
 * item 5). A `TypeError` that matches none of these is a programming error (an invalid header, a
 * body with GET…): it is reported as `InvalidRequestError` and never retried.
 *
 * The shapes were captured from the real runtimes against local servers by
 * test/fixtures/network-errors/capture-all.ts (stored in captured.json next to it).
 */

/** What each code of {@link NETWORK_ERROR_CODES} means. */
export interface NetworkErrorCodes {
  /** Connection refused: nothing listens on that host and port (or the proxy's). Retried by default. */
  readonly ECONNREFUSED: 'ECONNREFUSED'
  /**
   * The connection was reset or closed before the response was complete: before the headers, or
   * while the body was being read. Retried by default (a kept-alive connection the server closed
   * is also sent once more at once, for idempotent methods).
   */
  readonly ECONNRESET: 'ECONNRESET'
  /** The host name could not be resolved (DNS: no such name, or the resolver failed). Retried by default. */
  readonly ENOTFOUND: 'ENOTFOUND'
  /**
   * The runtime's own timeout fired: connecting took too long (undici's 10 s connect timeout, the
   * OS's), or, on Node, undici's headers or body timeout. The session's deadlines are a
   * `TimeoutError`, not this. Retried by default.
   */
  readonly ETIMEDOUT: 'ETIMEDOUT'
  /**
   * TLS verification failed: the server's certificate is not trusted (unknown CA, self-signed),
   * has expired or is not yet valid, or is not for this host name. Not retried by default: it
   * cannot succeed (`tls.ca` adds a CA).
   */
  readonly ERR_TLS_CERT_INVALID: 'ERR_TLS_CERT_INVALID'
  /**
   * The TLS handshake failed for another reason: the server does not speak TLS on that port, no
   * common protocol version or cipher, the server refused the client certificate (where the
   * runtime says so). Not retried by default.
   */
  readonly ERR_TLS_HANDSHAKE: 'ERR_TLS_HANDSHAKE'
  /**
   * The proxy answered the CONNECT for an `https://` URL with `407 Proxy Authentication Required`:
   * credentials missing or wrong. Not retried by default (wrong passwords sent again can lock the
   * account). For an `http://` URL sent through a proxy, a 407 is an ordinary response (`HTTPError`).
   */
  readonly ERR_PROXY_AUTH_REQUIRED: 'ERR_PROXY_AUTH_REQUIRED'
  /**
   * The proxy answered the CONNECT with another status than 2xx: squid answers `403` for a port it
   * does not allow, `503` when it cannot reach the host. Retried by default, like a refused
   * connection (which it often is, seen through the proxy); Deno does not say which status it was.
   */
  readonly ERR_PROXY_TUNNEL: 'ERR_PROXY_TUNNEL'
  /**
   * Any other failure, or one the runtime does not describe: browsers say only "Failed to fetch"
   * for every kind (CORS included). `runtimeCode` and `cause` keep what the runtime said. Retried
   * by default.
   */
  readonly ERR_NETWORK: 'ERR_NETWORK'
}

/**
 * The codes of `NetworkError.code`, the same on every runtime; the runtime's own error stays in
 * `cause` (and its own code, if any, in `runtimeCode`).
 *
 * @example
 * ```ts
 * try { await session('https://intranet.example/') }
 * catch (error) {
 *   if (error instanceof NetworkError && error.code === NETWORK_ERROR_CODES.ERR_TLS_CERT_INVALID) {
 *     console.error('add the company CA with tls.ca')
 *   }
 * }
 * ```
 */
export const NETWORK_ERROR_CODES: NetworkErrorCodes = Object.freeze({
  ECONNREFUSED: 'ECONNREFUSED',
  ECONNRESET: 'ECONNRESET',
  ENOTFOUND: 'ENOTFOUND',
  ETIMEDOUT: 'ETIMEDOUT',
  ERR_TLS_CERT_INVALID: 'ERR_TLS_CERT_INVALID',
  ERR_TLS_HANDSHAKE: 'ERR_TLS_HANDSHAKE',
  ERR_PROXY_AUTH_REQUIRED: 'ERR_PROXY_AUTH_REQUIRED',
  ERR_PROXY_TUNNEL: 'ERR_PROXY_TUNNEL',
  ERR_NETWORK: 'ERR_NETWORK',
})

/** One of {@link NETWORK_ERROR_CODES}: why no (complete) response arrived. */
export type NetworkErrorCode = NetworkErrorCodes[keyof NetworkErrorCodes]

/** The kind, in plain words, as `NetworkError.message` says it. */
const DESCRIPTIONS: Readonly<Record<NetworkErrorCode, string>> = Object.freeze({
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset or closed before the response was complete',
  ENOTFOUND: 'host name not found',
  ETIMEDOUT: 'timed out',
  ERR_TLS_CERT_INVALID: 'TLS certificate rejected',
  ERR_TLS_HANDSHAKE: 'TLS handshake failed',
  ERR_PROXY_AUTH_REQUIRED: 'the proxy requires authentication',
  ERR_PROXY_TUNNEL: 'the proxy refused the tunnel',
  ERR_NETWORK: 'no response',
})

/**
 * Runtime error codes (the `code` of the error or of one of its causes) and the code each one
 * reports. Node: libuv / OpenSSL / undici codes; Bun: the same names, and older Bun's own.
 */
const RUNTIME_CODES: Readonly<Record<string, NetworkErrorCode>> = Object.freeze({
  // Node (libuv), Bun
  ECONNREFUSED: 'ECONNREFUSED',
  ConnectionRefused: 'ECONNREFUSED', // Bun < 1.1
  ECONNREFUSED_PROXY: 'ECONNREFUSED', // Bun, nothing listens at the proxy's address
  ECONNRESET: 'ECONNRESET',
  EPIPE: 'ECONNRESET',
  ECONNABORTED: 'ECONNRESET',
  UND_ERR_SOCKET: 'ECONNRESET', // undici: "other side closed", before or during the body
  ConnectionClosed: 'ECONNRESET', // Bun < 1.1
  ENOTFOUND: 'ENOTFOUND',
  EAI_AGAIN: 'ENOTFOUND', // the resolver failed this time (Node reports it besides ENOTFOUND)
  EAI_NONAME: 'ENOTFOUND',
  EAI_FAIL: 'ENOTFOUND',
  ETIMEDOUT: 'ETIMEDOUT',
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_HEADERS_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_BODY_TIMEOUT: 'ETIMEDOUT',
  // Certificate verification: Node's `tls` (OpenSSL's X509_V_ERR names) and Bun's fetch (BoringSSL)
  ERR_TLS_CERT_ALTNAME_INVALID: 'ERR_TLS_CERT_INVALID',
  HOSTNAME_MISMATCH: 'ERR_TLS_CERT_INVALID',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'ERR_TLS_CERT_INVALID',
  SELF_SIGNED_CERT_IN_CHAIN: 'ERR_TLS_CERT_INVALID',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'ERR_TLS_CERT_INVALID',
  UNABLE_TO_GET_ISSUER_CERT: 'ERR_TLS_CERT_INVALID',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'ERR_TLS_CERT_INVALID',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'ERR_TLS_CERT_INVALID',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'ERR_TLS_CERT_INVALID',
  CERT_HAS_EXPIRED: 'ERR_TLS_CERT_INVALID',
  CERT_NOT_YET_VALID: 'ERR_TLS_CERT_INVALID',
  CERT_REVOKED: 'ERR_TLS_CERT_INVALID',
  CERT_UNTRUSTED: 'ERR_TLS_CERT_INVALID',
  CERT_REJECTED: 'ERR_TLS_CERT_INVALID',
  CERT_SIGNATURE_FAILURE: 'ERR_TLS_CERT_INVALID',
  CERT_CHAIN_TOO_LONG: 'ERR_TLS_CERT_INVALID',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'ERR_TLS_CERT_INVALID',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'ERR_TLS_CERT_INVALID',
  INVALID_CA: 'ERR_TLS_CERT_INVALID',
  INVALID_PURPOSE: 'ERR_TLS_CERT_INVALID',
  PATH_LENGTH_EXCEEDED: 'ERR_TLS_CERT_INVALID',
  // Other handshake failures: Node's ERR_SSL_* (see CODE_PREFIXES), Bun's EPROTO
  EPROTO: 'ERR_TLS_HANDSHAKE',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'ERR_TLS_HANDSHAKE',
  // Bun: the proxy's CONNECT answer was not 2xx (the status is in the message, see MESSAGES)
  ERR_PROXY_TUNNEL: 'ERR_PROXY_TUNNEL',
  // A network failure of no other kind: its `code` stays in `runtimeCode`.
  ENETUNREACH: 'ERR_NETWORK',
  ENETDOWN: 'ERR_NETWORK',
  EHOSTUNREACH: 'ERR_NETWORK',
  EHOSTDOWN: 'ERR_NETWORK',
  EADDRNOTAVAIL: 'ERR_NETWORK',
  FailedToOpenSocket: 'ERR_NETWORK', // Bun
  UND_ERR_CLOSED: 'ERR_NETWORK',
  UND_ERR_DESTROYED: 'ERR_NETWORK',
  UND_ERR_HEADERS_OVERFLOW: 'ERR_NETWORK',
  UND_ERR_RESPONSE_EXCEEDED_MAX_SIZE: 'ERR_NETWORK',
})

/** Families of runtime codes, by prefix. */
const CODE_PREFIXES: ReadonlyArray<readonly [prefix: string, code: NetworkErrorCode]> = Object.freeze([
  ['ERR_SSL_', 'ERR_TLS_HANDSHAKE'], // Node: OpenSSL reasons, e.g. ERR_SSL_WRONG_VERSION_NUMBER (https to a plain-http port)
])

/**
 * Messages, for runtimes that give no code (Deno, workerd, browsers) or whose code says too little
 * (undici reports a proxy's CONNECT refusal as `UND_ERR_ABORTED`). `status` reads the proxy's
 * answer where the message has it: 407 is `ERR_PROXY_AUTH_REQUIRED`, anything else `ERR_PROXY_TUNNEL`.
 */
const MESSAGES: ReadonlyArray<readonly [runtime: string, pattern: RegExp, code: NetworkErrorCode | 'status']> = Object.freeze([
  ['undici (Node)', /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/, 'status'],
  ['Bun', /^Proxy refused to open a tunnel: (\d{3})/, 'status'],
  ['Deno', /proxy authentication required/i, 'ERR_PROXY_AUTH_REQUIRED'],
  ['Deno', /unsuccessful tunnel/i, 'ERR_PROXY_TUNNEL'],
  // Deno (hyper, rustls): "…client error (Connect): tcp connect error: Connection refused (os error 111)"
  ['Deno', /Connection refused \(os error \d+\)/i, 'ECONNREFUSED'],
  ['Deno', /dns error/i, 'ENOTFOUND'],
  ['Deno', /(?:Connection|Operation) timed out \(os error \d+\)/i, 'ETIMEDOUT'],
  ['Deno', /invalid peer certificate/i, 'ERR_TLS_CERT_INVALID'],
  ['Deno', /received fatal alert|received corrupt message|peer is incompatible|peer misbehaved|tls handshake eof/i, 'ERR_TLS_HANDSHAKE'],
  ['Deno', /connection closed before message completed|error reading a body from connection|Connection reset by peer|Broken pipe \(os error \d+\)|connection error/i, 'ECONNRESET'],
  ['undici (Node)', /other side closed|socket hang up/i, 'ECONNRESET'],
  ['Bun < 1.1', /^Unable to connect/i, 'ECONNREFUSED'],
  ['Bun < 1.1', /socket connection was closed unexpectedly/i, 'ECONNRESET'],
  // workerd says this for a reset and for a refused connection alike; other failures there are
  // "internal error; reference = …" (ERR_NETWORK).
  ['workerd', /^Network connection lost/i, 'ECONNRESET'],
])

/** Messages runtimes use for network failures (of any kind), exact or as a pattern. */
export const NETWORK_ERROR_MESSAGES: ReadonlyArray<readonly [runtime: string, message: string | RegExp]> = Object.freeze([
  ['undici (Node); Deno 2 (the cause reads "error sending request…")', 'fetch failed'],
  ['undici (Node), body interrupted', 'terminated'],
  // Chromium and Safari may name the host: "Failed to fetch (example.com)" (ky / is-network-error).
  ['Chromium', /^Failed to fetch(?: \(.+\))?$/],
  ['Chromium, body interrupted', 'network error'],
  ['Firefox', 'NetworkError when attempting to fetch resource.'],
  ['Safari', /^Load failed(?: \(.+\))?$/],
  ['React Native, whatwg-fetch, happy-dom', 'Network request failed'],
  ['Deno', /^error sending request/i],
  ['Deno, body interrupted', /^error reading a body from connection/i],
  ['Bun', /^(?:A network error occurred|Unable to connect|The socket connection was closed|ConnectionRefused|ConnectionClosed|Proxy refused to open a tunnel)/i],
  ['Cloudflare Workers', /^Network connection lost/i],
])

/**
 * Error names that are never a network failure: programming errors, aborts, and permission
 * refusals (Deno's `PermissionDenied` / `NotCapable` for a missing `--allow-net`).
 */
const NOT_NETWORK_ERROR_NAMES: ReadonlySet<string> = new Set([
  'SyntaxError', 'RangeError', 'ReferenceError', 'EvalError', 'URIError',
  'AbortError', 'NotSupportedError', 'InvalidStateError', 'DataCloneError', 'NotAllowedError', 'SecurityError',
  'PermissionDenied', 'NotCapable',
])

function knownCode(code: string): NetworkErrorCode | undefined {
  const known = RUNTIME_CODES[code]
  if (known !== undefined && Object.hasOwn(RUNTIME_CODES, code)) return known
  return CODE_PREFIXES.find(([prefix]) => code.startsWith(prefix))?.[1]
}

/** True when `error` means that no (complete) response arrived, on any runtime. */
export function isNetworkError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { message, code, cause } = error as { message?: unknown, code?: unknown, cause?: unknown }
  if (typeof code === 'string' && knownCode(code) !== undefined) return true
  if (typeof message === 'string') {
    for (const [, pattern] of NETWORK_ERROR_MESSAGES) {
      if (typeof pattern === 'string' ? message === pattern : pattern.test(message)) return true
    }
  }
  // Not a TypeError: runtimes reject with their own errors for I/O failures (Bun, Deno's Http
  // errors), so those count, except the kinds that say the call itself was wrong or not allowed.
  if (!(error instanceof TypeError)) return !NOT_NETWORK_ERROR_NAMES.has((error as Error).name)
  return cause !== undefined && typeof cause === 'object' && isNetworkError(cause)
}

/** What a runtime's network error means, in the terms of `NetworkError`. */
export interface NetworkErrorKind {
  /** The code, the same on every runtime. */
  code: NetworkErrorCode
  /** The runtime's own code (the first `code` string of the error or its causes), if it gave one. */
  runtimeCode: string | undefined
  /** The kind in plain words, and the runtime's own words after it in parentheses. */
  description: string
}

/** Wrapper messages that say nothing about the kind (the reason is in their `cause`). */
const WRAPPERS: ReadonlySet<string> = new Set(['fetch failed', 'terminated'])

/**
 * Classifies a runtime's network error (the `cause` of a `NetworkError`): walks the error and its
 * causes, outermost first, and takes the first message or code of the tables above. Anything else
 * is `ERR_NETWORK`.
 */
export function classifyNetworkError(error: unknown): NetworkErrorKind {
  let code: NetworkErrorCode | undefined
  let runtimeCode: string | undefined
  let detail = ''
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    if (typeof current !== 'object') {
      detail = String(current)
      break
    }
    const record = current as { message?: unknown, code?: unknown, cause?: unknown }
    const message = typeof record.message === 'string' ? record.message : ''
    if (message && !WRAPPERS.has(message)) detail = message
    if (typeof record.code === 'string' && runtimeCode === undefined) runtimeCode = record.code
    if (code === undefined && message) code = fromMessage(message)
    if (code === undefined && typeof record.code === 'string') code = knownCode(record.code)
    current = record.cause
  }
  const kind = code ?? 'ERR_NETWORK'
  const said = conciseDetail(detail)
  return { code: kind, runtimeCode, description: said ? `${DESCRIPTIONS[kind]} (${said})` : DESCRIPTIONS[kind] }
}

function fromMessage(message: string): NetworkErrorCode | undefined {
  for (const [, pattern, code] of MESSAGES) {
    const match = pattern.exec(message)
    if (!match) continue
    if (code !== 'status') return code
    return match[1] === '407' ? 'ERR_PROXY_AUTH_REQUIRED' : 'ERR_PROXY_TUNNEL'
  }
  return undefined
}

/**
 * The runtime's words, short: Deno's "error sending request for url (…): client error (Connect): "
 * prefix dropped (the message names the request already), Bun's advice about `verbose`, and of an
 * OpenSSL error string only its reason ("wrong version number"). `NetworkError` removes
 * credentials from any URL left in them.
 */
function conciseDetail(detail: string): string {
  const openssl = /:SSL routines:[^:]*:([^:]+):/.exec(detail)
  if (openssl) return openssl[1]!
  return detail
    .replace(/^error sending request (?:from \S+ )?for (?:url \()?\S+?\)?(?: \([^)]*\))?: (?:client error \(\w+\): )?/i, '')
    .replace(/\s*For more information, pass `verbose: true` in the second argument to fetch\(\)/, '')
    .trim()
}

/**
 * Codes and messages of a connection that died before the response began: typically a kept-alive
 * connection the server closed while the request was on its way (catalogue #95). aiohttp and
 * urllib3 send an idempotent request once more in that case, whatever the retry policy.
 */
const STALE_CONNECTION_CODES: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ConnectionClosed'])
const STALE_CONNECTION_MESSAGES: readonly RegExp[] = Object.freeze([
  /other side closed/i, // undici
  /connection closed before message completed/i, // Deno (hyper)
  /socket connection was closed unexpectedly/i, // Bun
  /socket hang up/i,
])

/** True when `error` (a `NetworkError`'s cause chain) says the connection closed under the request. */
export function isStaleConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, message, cause } = current as { code?: unknown, message?: unknown, cause?: unknown }
    if (typeof code === 'string' && STALE_CONNECTION_CODES.has(code)) return true
    if (typeof message === 'string' && STALE_CONNECTION_MESSAGES.some(pattern => pattern.test(message))) return true
    current = cause
  }
  return false
}
