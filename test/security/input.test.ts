/**
 * Bad input from the caller: header injection, URL escapes from `baseURL`, prototype pollution.
 * Each case names its entry in ../shared/research/reliability-catalogue.md (#n).
 */
import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession, InvalidRequestError } from '../../src/index'
import { startProxy } from '../helpers/proxy'
import type { TestProxy } from '../helpers/proxy'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'
import { childEnv } from '../runtimes/deno-and-bun'
import { requireDependency } from '../helpers/dependencies'
import type { DependencyContext } from '../helpers/dependencies'

const root = resolve(import.meta.dirname, '../..')
let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

describe('CR, LF and NUL in headers (#73; CRLF injection)', () => {
  // Inside a value they are refused; at its ends they are HTTP whitespace, which the fetch spec
  // strips ("normalize"), so nothing can be injected either way.
  const bad = ['bar\r\nInjected: yes', 'a\nb', 'a\rb', 'x\0y']

  it('in per-request headers: InvalidRequestError, nothing sent', async () => {
    const session = createSession({ baseURL: server.url })
    for (const value of bad) {
      const error = await session('/headers', { headers: { 'x-test': value } }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InvalidRequestError)
    }
    const badName = await session('/headers', { headers: { 'fo\ro': '1' } }).catch((caught: unknown) => caught)
    expect(badName).toBeInstanceOf(InvalidRequestError)
    expect(server.requests).toHaveLength(0)
    const trimmed = await session('/headers', { headers: { 'x-test': 'bar\r\n', 'x-other': '\r\n' } })
    expect(trimmed.headers['x-test']).toBe('bar')
    expect(trimmed.headers['x-other']).toBe('')
    await session.close()
  })

  it('in default headers: a TypeError from createSession() and from session.headers.set()', () => {
    for (const value of bad) {
      expect(() => createSession({ headers: { 'x-test': value } })).toThrow(TypeError)
    }
    const session = createSession()
    expect(() => session.headers.set('x-test', 'a\r\nb: c')).toThrow(TypeError)
    expect([...session.headers]).toEqual([])
  })

  it('in an auth token: the call fails before any byte is sent', async () => {
    const session = createSession({ baseURL: server.url, auth: { bearer: 'token\r\nX-Injected: 1' }, retry: false })
    const error = await session('/headers').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect(server.requests).toHaveLength(0)
    await session.close()
  })

  it('in a cookie set through the API: the value ends at the CR, nothing is injected', async () => {
    const session = createSession({ baseURL: server.url })
    await session.cookies!.setCookie('a=b\r\nX-Injected: 1', server.url, { ignoreError: true })
    const echoed = await session('/headers')
    expect(echoed.headers['x-injected']).toBeUndefined()
    await session.close()
  })
})

describe('escaping baseURL (#77; CVE-2025-27152)', () => {
  it('only an input with a scheme leaves the base; protocol-relative and prefix-sharing inputs stay under it', async () => {
    const session = createSession({ baseURL: `${server.url}/anything/api`, headers: { Authorization: 'Bearer secret' } })
    expect((await session('users')).path).toBe('/anything/api/users')
    expect((await session('/users')).path).toBe('/anything/api/users')
    expect((await session(`//localhost:${server.port}/evil`)).path).toBe(`/anything/api/localhost:${server.port}/evil`)
    expect((await session('.evil.example/x')).path).toBe('/anything/api/.evil.example/x')
    expect(server.requests.every(request => request.host === `127.0.0.1:${server.port}`)).toBe(true)
    // an absolute URL is the caller's explicit choice
    expect((await session(`${server.altUrl}/anything/elsewhere`)).path).toBe('/anything/elsewhere')
    await session.close()
  })
})

describe('prototype pollution, write side (#82)', () => {
  it('__proto__ and constructor keys in headers, query, retry and options pollute nothing', async () => {
    const payload = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "x-fine": "1"}')
    const session = createSession({ baseURL: server.url, query: payload, retry: JSON.parse('{"__proto__": {"limit": 99}, "limit": 0}') })
    const echoed = await session('/get', { ...JSON.parse('{"__proto__": {"baseURL": "http://evil.invalid"}}'), headers: payload, query: payload })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((Object.prototype as Record<string, unknown>).baseURL).toBeUndefined()
    expect(echoed.headers['x-fine']).toBe('1')
    expect(echoed.args['x-fine']).toBe('1')
    expect(echoed.args.polluted).toBeUndefined()
    await expect(session('/status/503')).rejects.toMatchObject({ status: 503 })
    expect(server.requests.filter(request => request.path === '/status/503')).toHaveLength(1) // limit 0 was read, not 99
    await session.close()
  })
})

describe('option objects that are not objects (issue 12 item 7)', () => {
  it('a `limit` that is not an object is refused: its members would be read from the prototype', () => {
    for (const limit of [5, 'fast', [1]]) {
      expect(() => createSession({ limit: limit as never })).toThrow(InvalidRequestError)
      expect(() => createSession({ limit: limit as never })).toThrow('`limit` must be { concurrency, perHost, rps }')
    }
  })
})

describe('prototype pollution, read side (#83; defu CVE-2026-35209, the axios 2026 gadget CVEs; issue 12 item 7)', () => {
  // A process of its own per runtime (pollution is global), the fixture bundled from the sources
  // with `fetch-session` resolved to that runtime's adapter.
  const bundled: Partial<Record<string, Promise<string>>> = {}
  const bundleFixture = (runtime: 'node' | 'deno' | 'bun'): Promise<string> => (bundled[runtime] ??= (async () => {
    const outfile = join(root, '.tmp', 'security', `polluted-prototype-${runtime}.mjs`)
    await build({
      entryPoints: [join(root, 'test/fixtures/polluted-prototype.ts')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: runtime === 'node' ? 'node' : 'neutral',
      target: 'es2022',
      conditions: [runtime],
      mainFields: runtime === 'node' ? ['module', 'main'] : ['module', 'browser', 'main'],
      alias: { 'fetch-session': join(root, 'src/adapters', `${runtime}.ts`) },
      logLevel: 'error',
      banner: runtime === 'node' ? { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' } : undefined,
    })
    return outfile
  })())

  let secure: TestServer
  let proxy: TestProxy
  let certificates: TestCertificates
  beforeAll(async () => {
    certificates = makeCertificates()
    ;[secure, proxy] = await Promise.all([startServer({ tls: certificates }), startProxy()])
  })
  afterAll(() => Promise.all([secure.close(), proxy.close()]))

  const commands: Record<'node' | 'deno' | 'bun', (context: DependencyContext) => string[]> = {
    node: () => [process.execPath],
    deno: context => [requireDependency('deno', context), 'run', '-A', '--no-config', '--no-lock'],
    bun: context => [requireDependency('bun', context)],
  }

  it.for(['node', 'deno', 'bun'] as const)('%s: no polluted option, nested option or runtime option has any effect', { timeout: 60_000 }, async (runtime, context) => {
    const [bin, ...flags] = commands[runtime](context)
    const file = await bundleFixture(runtime)
    proxy.reset()
    const plan = { base: server.url, https: secure.url, proxy: proxy.url, ca: certificates.ca }
    const { stdout } = await promisify(execFile)(bin!, [...flags, file, JSON.stringify(plan)], { cwd: root, encoding: 'utf8', timeout: 30_000, env: childEnv() })
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!)
    const { key } = result
    expect(result.crashed).toBeUndefined()
    expect(result.ran).toEqual([]) // no polluted hook, fetch, refresh or shouldRetry ran
    // baseURL, redirect: 'error', maxRedirects: 0, responseType: 'text' and auth were not read
    expect(result.followed).toEqual({ method: 'GET', url: `${server.url}/get`, type: 'object', authorization: null })
    // ignoreResponseError, retry: 50, limit: 40, statusCodes, methods, delay were not read: the default 2 retries, at once
    expect(result.status).toEqual({ error: 'HTTPError', status: 500 })
    expect(server.hits(`${key}-500`)).toBe(3)
    expect(result.notFound).toEqual({ error: 'HTTPError', status: 404 })
    expect(server.hits(`${key}-404`)).toBe(1)
    expect(result.post).toEqual({ error: 'HTTPError', status: 503 })
    expect(server.hits(`${key}-post`)).toBe(1)
    expect(result.cookies).toEqual({ cookies: { a: '1' } }) // cookies: false was not read
    expect(result.timeout.data).toBeDefined() // timeout: 1, total: 1, attempt: 1 were not read
    expect(result.bytes).toEqual({ data: 100 }) // maxBodySize: 1 was not read
    // TLS: a polluted rejectUnauthorized, ca, caCerts, tls, connect, requestTls turn nothing off
    expect(result.refusedTls).toEqual({
      none: { error: 'NetworkError', code: 'ERR_TLS_CERT_INVALID' },
      empty: { error: 'NetworkError', code: 'ERR_TLS_CERT_INVALID' },
      pool: { error: 'NetworkError', code: 'ERR_TLS_CERT_INVALID' },
      proxied: { error: 'NetworkError', code: 'ERR_TLS_CERT_INVALID' },
    })
    // proxy: a polluted `proxy` is not used; a polluted noProxy: '*' does not bypass { url }
    expect(proxy.stats.forwarded.some(line => line.includes(`${key}-direct`))).toBe(false)
    expect(result.proxyRefusal).toBeUndefined()
    expect(proxy.stats.forwarded.some(line => line.includes(`${key}-proxied`))).toBe(true)
    // pool: a polluted connections: 1 and keepAliveTimeout: 1 were not read (nor refused on Deno and Bun)
    expect(result.poolRefusal).toBeUndefined()
    expect(result.pooled).toEqual({ data: 3 })
    expect(server.keyStats(`${key}-pool`).max).toBe(3)
    expect(result.reused).toBe(true)
    // limit: a polluted concurrency, perHost, rps were not read
    expect(server.keyStats(`${key}-limit`).max).toBe(6)
    expect(result.limitElapsed).toBeLessThan(1000)
    // auth: a polluted bearer, type: 'digest' and refresh were not read
    expect(result.basic).toBe(`Basic ${btoa('alice:pw')}`)
    expect(result.bearer).toEqual({ error: 'HTTPError', status: 401 })
  })
})
