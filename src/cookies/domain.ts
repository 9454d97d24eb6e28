/**
 * RFC 6265's domain matching, for the cookie rules (set-cookie.ts) and the cookie layer's
 * in-memory fast path (middleware.ts), which both import it.
 *
 * @module
 */

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/

/**
 * RFC 6265 §5.1.3: `host` domain-matches `domain` when they are equal, or when `host` ends with
 * `.domain` and is not an IP address. Both canonical.
 */
export function domainMatches(host: string, domain: string): boolean {
  if (host === domain) return true
  if (!host.endsWith(`.${domain}`) || domain === '') return false
  return !IPV4.test(host) && !host.includes(':')
}

