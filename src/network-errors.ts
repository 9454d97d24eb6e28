/**
 * Each runtime's shape of "no response arrived", kept as data (ky `source/utils/is-network-error.ts`;
 * catalogue #58). A `TypeError` that matches none of these is a programming error (an invalid
 * header, a body with GET…): it is reported as `InvalidRequestError` and never retried.
 */

/** Messages runtimes use for network failures, exact or as a prefix. */
export const NETWORK_ERROR_MESSAGES: ReadonlyArray<readonly [runtime: string, message: string | RegExp]> = Object.freeze([
  ['undici (Node)', 'fetch failed'],
  ['undici (Node), body interrupted', 'terminated'],
  ['Chromium', 'Failed to fetch'],
  ['Firefox', 'NetworkError when attempting to fetch resource.'],
  ['Safari', 'Load failed'],
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
  // Not a TypeError: runtimes reject with their own errors for I/O failures (Bun, Deno's Http errors).
  if (!(error instanceof TypeError)) {
    const name = (error as Error).name
    return name !== 'SyntaxError' && name !== 'RangeError' && name !== 'ReferenceError'
  }
  return cause !== undefined && typeof cause === 'object' && isNetworkError(cause)
}
