/**
 * Each runtime's shape of "no response arrived", kept as data (ky `source/utils/is-network-error.ts`;
 * catalogue #58). A `TypeError` that matches none of these is a programming error (an invalid
 * header, a body with GET…): it is reported as `InvalidRequestError` and never retried.
 */

/** Messages runtimes use for network failures, exact or as a prefix. */
export const NETWORK_ERROR_MESSAGES: ReadonlyArray<readonly [runtime: string, message: string | RegExp]> = Object.freeze([
  ['undici (Node); Deno 2 (the cause reads "error sending request…")', 'fetch failed'],
  ['undici (Node), body interrupted', 'terminated'],
  // Chromium and Safari may name the host: "Failed to fetch (example.com)" (ky / is-network-error).
  ['Chromium', /^Failed to fetch(?: \(.+\))?$/],
  ['Firefox', 'NetworkError when attempting to fetch resource.'],
  ['Safari', /^Load failed(?: \(.+\))?$/],
  ['React Native, whatwg-fetch, happy-dom', 'Network request failed'],
  ['Deno', /^error sending request/i],
  ['Deno, body interrupted', /^error reading a body from connection/i],
  ['Bun', /^(?:A network error occurred|Unable to connect|The socket connection was closed|ConnectionRefused|ConnectionClosed)/i],
  ['Cloudflare Workers', /^Network connection lost/i],
])

/** Error codes (on the error or its cause) that mean the network failed. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH',
  'ENETDOWN', 'EHOSTUNREACH', 'EHOSTDOWN', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED', 'ConnectionRefused', 'ConnectionClosed', 'ECONNREFUSED_PROXY', 'FailedToOpenSocket',
  // TLS: a failed handshake, and OpenSSL's certificate-verification names, as Node's `tls` and
  // Bun's fetch set them on the error itself (Bun: a TypeError whose message is the reason).
  'EPROTO', 'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'CERT_CHAIN_TOO_LONG', 'INVALID_CA',
  'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED',
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

/** True when `error` means that no (complete) response arrived, on any runtime. */
export function isNetworkError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { message, code, cause } = error as { message?: unknown, code?: unknown, cause?: unknown }
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true
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
