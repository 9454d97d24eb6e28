/**
 * Which proxy a request goes through, by one rule on every runtime: curl's.
 *
 * - `http://` URLs use `http_proxy` / `HTTP_PROXY`, `https://` URLs use `https_proxy` /
 *   `HTTPS_PROXY`; either falls back to `all_proxy` / `ALL_PROXY`. So `HTTP_PROXY` alone never
 *   proxies `https://` (undici's `EnvHttpProxyAgent` falls back to it; curl, requests, Deno and
 *   Bun do not).
 * - `no_proxy` / `NO_PROXY` bypasses the proxy for the hosts it lists (comma- or space-separated):
 *   `*` for every host; a name, which also covers its subdomains (a leading `.` or `*.` is
 *   ignored); an IP address, or an IP range in CIDR notation (`10.0.0.0/8`, `fd00::/8`); any of
 *   these with `:port` to bypass that port only.
 * - Of each pair the lower-case variable wins, as in curl; an empty variable counts as unset. A
 *   proxy without a scheme (`proxy.example:3128`) is `http://`.
 *
 * Runtime-neutral: the adapters read the variables (each runtime has its own way) and hand them here.
 *
 * @module
 */

/** Where a session's requests go: a proxy per scheme, and the hosts that bypass them. */
export interface ProxyRoutes {
  /** The proxy of `http://` URLs, or `undefined` for direct. */
  http: string | undefined
  /** The proxy of `https://` URLs, or `undefined` for direct. */
  https: string | undefined
  /** The parsed bypass list (`NO_PROXY`, or `noProxy` of the `proxy` option). */
  bypass: NoProxyEntry[] | 'all'
  /** Where each proxy came from, for messages: `HTTPS_PROXY`, `the proxy option`… */
  sources: { http?: string, https?: string }
}

/** One entry of a bypass list. */
interface NoProxyEntry {
  /** A host name (lower case, no trailing dot) matched with its subdomains, or an IP address / range. */
  host?: string
  range?: { bytes: number[], bits: number }
  /** The port the entry is limited to, or 0 for every port. */
  port: number
}

/** The environment variables the rule reads, as a runtime reports them. */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>

/** The variables of the rule, lower-case name first (it wins). */
export const PROXY_VARIABLES: readonly string[] = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY']

/** The first non-empty of `name` (lower case) and its upper-case twin, with the one that was used. */
function variable(env: ProxyEnvironment, name: string): [value: string, name: string] | undefined {
  for (const candidate of [name, name.toUpperCase()]) {
    const value = env[candidate]?.trim()
    if (value) return [value, candidate]
  }
  return undefined
}

/** A proxy URL as written in the environment: `http://` when it names no scheme. */
function withScheme(value: string): string {
  return /^[a-z][a-z\d+.-]*:\/\//i.test(value) ? value : `http://${value}`
}

/** The routes the environment asks for (curl's rule); `undefined` when it names no proxy at all. */
export function routesFromEnvironment(env: ProxyEnvironment): ProxyRoutes | undefined {
  const all = variable(env, 'all_proxy')
  const http = variable(env, 'http_proxy') ?? all
  const https = variable(env, 'https_proxy') ?? all
  if (!http && !https) return undefined
  return {
    http: http && withScheme(http[0]),
    https: https && withScheme(https[0]),
    bypass: parseNoProxy(variable(env, 'no_proxy')?.[0] ?? ''),
    sources: { http: http?.[1], https: https?.[1] },
  }
}

/** The routes of an explicit `{ url, noProxy }`: that proxy for both schemes, bypassed for `noProxy`. */
export function routesFromOption(url: string, noProxy: string): ProxyRoutes {
  return { http: url, https: url, bypass: parseNoProxy(noProxy), sources: { http: 'the proxy option', https: 'the proxy option' } }
}

/** The proxy for `url`, or `undefined` to go direct. */
export function proxyFor(routes: ProxyRoutes, url: URL): string | undefined {
  const proxy = url.protocol === 'https:' ? routes.https : url.protocol === 'http:' ? routes.http : undefined
  if (proxy === undefined || routes.bypass === 'all' || bypasses(routes.bypass, url)) return undefined
  return proxy
}

/** Parses a `NO_PROXY` value. */
export function parseNoProxy(value: string): NoProxyEntry[] | 'all' {
  const entries: NoProxyEntry[] = []
  for (const raw of value.split(/[\s,]+/)) {
    let text = raw.trim().toLowerCase()
    if (text === '') continue
    if (text === '*') return 'all'
    let port = 0
    // `[::1]:8080`, `[::1]`, `host:8080`; a bare IPv6 address has more than one colon.
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
    if (bracketed) {
      text = bracketed[1]!
      port = bracketed[2] ? Number(bracketed[2]) : 0
    }
    else {
      const withPort = /^([^:]+):(\d+)$/.exec(text)
      if (withPort) {
        text = withPort[1]!
        port = Number(withPort[2])
      }
    }
    const slash = text.indexOf('/')
    if (slash !== -1) {
      const bytes = ipBytes(text.slice(0, slash))
      const bits = Number(text.slice(slash + 1))
      if (bytes && /^\d+$/.test(text.slice(slash + 1)) && bits <= bytes.length * 8) entries.push({ range: { bytes, bits }, port })
      continue
    }
    const bytes = ipBytes(text)
    if (bytes) entries.push({ range: { bytes, bits: bytes.length * 8 }, port })
    else entries.push({ host: text.replace(/^\*?\./, '').replace(/\.$/, ''), port })
  }
  return entries
}

function bypasses(entries: NoProxyEntry[], url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase()
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
  let address: number[] | undefined | null = null
  for (const entry of entries) {
    if (entry.port !== 0 && entry.port !== port) continue
    if (entry.host !== undefined) {
      if (host === entry.host || host.endsWith(`.${entry.host}`)) return true
      continue
    }
    address ??= ipBytes(host)
    if (address && inRange(address, entry.range!)) return true
  }
  return false
}

function inRange(address: number[], range: { bytes: number[], bits: number }): boolean {
  if (address.length !== range.bytes.length) return false
  for (let bit = 0; bit < range.bits; bit += 8) {
    const mask = range.bits - bit >= 8 ? 0xFF : (0xFF << (8 - (range.bits - bit))) & 0xFF
    if ((address[bit / 8]! & mask) !== (range.bytes[bit / 8]! & mask)) return false
  }
  return true
}

/** The bytes of an IPv4 (4) or IPv6 (16) address, or `undefined` when `text` is neither. */
function ipBytes(text: string): number[] | undefined {
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(text)) {
    const bytes = text.split('.').map(Number)
    return bytes.every(byte => byte <= 255) ? bytes : undefined
  }
  if (!text.includes(':') || !/^[\da-f:.]+$/.test(text)) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (half: string): number[] | undefined => {
    if (half === '') return []
    const out: number[] = []
    for (const part of half.split(':')) {
      if (part.includes('.')) {
        const v4 = ipBytes(part)
        if (!v4) return undefined
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      }
      else if (/^[\da-f]{1,4}$/.test(part)) {
        out.push(Number.parseInt(part, 16))
      }
      else {
        return undefined
      }
    }
    return out
  }
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  if (!head || !tail) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  return [...head, ...Array.from({ length: missing }, () => 0), ...tail].flatMap(group => [group >> 8, group & 0xFF])
}
