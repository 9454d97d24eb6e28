/**
 * The proxy rule of every runtime (src/proxy-env.ts), as a function of the environment: which
 * variable each scheme reads, the fallback to ALL_PROXY, which case wins, and what NO_PROXY
 * bypasses. The runtimes themselves are checked against it in test/runtimes/*.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { proxyFor, routesFromEnvironment, routesFromOption } from '../../src/proxy-env'

const route = (env: Record<string, string>, url: string): string | undefined => {
  const routes = routesFromEnvironment(env)
  return routes && proxyFor(routes, new URL(url))
}

describe('which variable a URL reads (curl\'s rule)', () => {
  it('http:// reads http_proxy / HTTP_PROXY only, https:// reads https_proxy / HTTPS_PROXY only', () => {
    expect(route({ HTTP_PROXY: 'http://a:1' }, 'http://example.com/')).toBe('http://a:1')
    expect(route({ HTTP_PROXY: 'http://a:1' }, 'https://example.com/')).toBeUndefined()
    expect(route({ HTTPS_PROXY: 'http://a:1' }, 'http://example.com/')).toBeUndefined()
    expect(route({ HTTPS_PROXY: 'http://a:1' }, 'https://example.com/')).toBe('http://a:1')
  })

  it('falls back to all_proxy / ALL_PROXY for either scheme, after the scheme\'s own variable', () => {
    expect(route({ ALL_PROXY: 'http://all:1' }, 'http://example.com/')).toBe('http://all:1')
    expect(route({ all_proxy: 'http://all:1' }, 'https://example.com/')).toBe('http://all:1')
    expect(route({ ALL_PROXY: 'http://all:1', HTTP_PROXY: 'http://a:1' }, 'http://example.com/')).toBe('http://a:1')
    expect(route({ ALL_PROXY: 'http://all:1', HTTP_PROXY: 'http://a:1' }, 'https://example.com/')).toBe('http://all:1')
  })

  it('lower case wins; an empty variable counts as unset; a proxy without a scheme is http://', () => {
    expect(route({ http_proxy: 'http://low:1', HTTP_PROXY: 'http://up:1' }, 'http://example.com/')).toBe('http://low:1')
    expect(route({ https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:1' }, 'https://example.com/')).toBe('http://low:1')
    expect(route({ http_proxy: '', HTTP_PROXY: 'http://up:1' }, 'http://example.com/')).toBe('http://up:1')
    expect(route({ HTTP_PROXY: 'proxy.internal:3128' }, 'http://example.com/')).toBe('http://proxy.internal:3128')
    expect(routesFromEnvironment({ NO_PROXY: 'example.com', HTTP_PROXY: '' })).toBeUndefined()
  })

  it('says which variable a proxy came from', () => {
    expect(routesFromEnvironment({ all_proxy: 'http://all:1', HTTPS_PROXY: 'http://s:1' })!.sources).toEqual({ http: 'all_proxy', https: 'HTTPS_PROXY' })
  })
})

describe('NO_PROXY', () => {
  const bypassed = (noProxy: string, url: string): boolean => proxyFor(routesFromOption('http://proxy:1', noProxy), new URL(url)) === undefined

  it('* bypasses every host; an empty list none', () => {
    expect(bypassed('*', 'http://example.com/')).toBe(true)
    expect(bypassed('', 'http://example.com/')).toBe(false)
    expect(bypassed(' , ', 'http://example.com/')).toBe(false)
  })

  it('a name covers itself and its subdomains, with or without a leading . or *., in any case', () => {
    for (const entry of ['example.com', '.example.com', '*.example.com', 'EXAMPLE.com', 'example.com.']) {
      expect([entry, bypassed(entry, 'http://example.com/')]).toEqual([entry, true])
      expect([entry, bypassed(entry, 'https://api.Example.com/')]).toEqual([entry, true])
      expect([entry, bypassed(entry, 'http://notexample.com/')]).toEqual([entry, false])
      expect([entry, bypassed(entry, 'http://example.com.evil/')]).toEqual([entry, false])
    }
  })

  it('entries are separated by commas or spaces', () => {
    expect(bypassed('a.test, b.test c.test', 'http://c.test/')).toBe(true)
    expect(bypassed('a.test,b.test', 'http://b.test/')).toBe(true)
  })

  it('an IP address matches exactly; a CIDR range matches the addresses in it (IPv4 and IPv6)', () => {
    expect(bypassed('127.0.0.1', 'http://127.0.0.1:8080/')).toBe(true)
    expect(bypassed('127.0.0.1', 'http://127.0.0.2/')).toBe(false)
    expect(bypassed('10.0.0.0/8', 'http://10.20.30.40/')).toBe(true)
    expect(bypassed('10.0.0.0/8', 'http://11.0.0.1/')).toBe(false)
    expect(bypassed('192.168.1.0/25', 'http://192.168.1.127/')).toBe(true)
    expect(bypassed('192.168.1.0/25', 'http://192.168.1.128/')).toBe(false)
    expect(bypassed('::1', 'http://[::1]:8080/')).toBe(true)
    expect(bypassed('[::1]', 'http://[::1]/')).toBe(true)
    expect(bypassed('fd00::/8', 'http://[fd12:3456::1]/')).toBe(true)
    expect(bypassed('fd00::/8', 'http://[fe80::1]/')).toBe(false)
    // A range never matches a name, nor an address of the other family.
    expect(bypassed('127.0.0.0/8', 'http://localhost/')).toBe(false)
    expect(bypassed('::/0', 'http://127.0.0.1/')).toBe(false)
    expect(bypassed('0.0.0.0/0', 'http://127.0.0.1/')).toBe(true)
  })

  it('host:port bypasses that port only (the scheme\'s default port when the URL has none)', () => {
    expect(bypassed('example.com:8080', 'http://example.com:8080/')).toBe(true)
    expect(bypassed('example.com:8080', 'http://example.com:8081/')).toBe(false)
    expect(bypassed('example.com:443', 'https://example.com/')).toBe(true)
    expect(bypassed('example.com:443', 'http://example.com/')).toBe(false)
    expect(bypassed('[::1]:8080', 'http://[::1]:8080/')).toBe(true)
    expect(bypassed('[::1]:8080', 'http://[::1]:9090/')).toBe(false)
  })

  it('any other entry is a host name (underscores and all); a malformed range bypasses nothing', () => {
    expect(bypassed('10.0.0.0/99', 'http://10.0.0.1/')).toBe(false)
    expect(bypassed('build_box', 'http://build_box:8080/')).toBe(true)
  })
})
