/**
 * Node's transport control, through the built package's Node adapter (undici underneath):
 * proxies (option, environment, NO_PROXY, credentials), TLS verification and client
 * certificates, pool size, HTTP/2, and closing: sockets released and the process free to exit.
 */
import { execFile } from 'node:child_process'
import { createSecureServer } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession, NetworkError, UnsupportedOptionError } from '../../src/adapters/node'
import { createSession as createGenericSession } from '../../src/index'
import { startProxy } from '../helpers/proxy'
import type { TestProxy } from '../helpers/proxy'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'

const root = join(import.meta.dirname, '../..')
let server: TestServer
let secure: TestServer
let mutual: TestServer
let proxy: TestProxy
let authProxy: TestProxy
let certificates: TestCertificates

beforeAll(async () => {
  certificates = makeCertificates()
  ;[server, secure, mutual, proxy, authProxy] = await Promise.all([
    startServer(),
    startServer({ tls: certificates }),
    startServer({ tls: { cert: certificates.cert, key: certificates.key, ca: certificates.ca, requestCert: true, rejectUnauthorized: true } }),
    startProxy(),
    startProxy({ auth: 'proxyuser:proxypass' }),
  ])
})
afterAll(() => Promise.all([server.close(), secure.close(), mutual.close(), proxy.close(), authProxy.close()]))
beforeEach(() => {
  proxy.reset()
  authProxy.reset()
  server.reset()
})

/** Runs a script in a child Node process (async: the servers live in this process). */
async function runChild(script: string, env: Record<string, string | undefined> = {}): Promise<{ stdout: string, ms: number }> {
  const started = Date.now()
  const childEnv = { ...process.env }
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) delete childEnv[name]
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...childEnv, ...env },
  })
  return { stdout, ms: Date.now() - started }
}

describe('proxy', () => {
  it('sends plain http requests through `proxy` (the proxy counts them)', async () => {
    const session = createSession({ proxy: proxy.url })
    await session(`${server.url}/get?key=via-proxy`)
    expect(proxy.stats.forwarded.length + proxy.stats.connects.length).toBe(1)
    expect(server.hits('via-proxy')).toBe(1)
    await session.close()
  })

  it('tunnels https through the proxy with CONNECT, verifying the target with tls.ca', async () => {
    const session = createSession({ proxy: proxy.url, tls: { ca: certificates.ca } })
    expect((await session(`${secure.url}/get`)).method).toBe('GET')
    expect(proxy.stats.connects).toEqual([`127.0.0.1:${secure.port}`])
    await session.close()
  })

  it('sends the proxy URL\'s credentials as Proxy-Authorization to the proxy only', async () => {
    const url = new URL(authProxy.url)
    url.username = 'proxyuser'
    url.password = 'proxypass'
    const session = createSession({ proxy: url.href })
    const echoed = await session(`${server.url}/headers`)
    expect(authProxy.stats.authorizations[0]).toBe(`Basic ${btoa('proxyuser:proxypass')}`)
    expect(echoed.headers['proxy-authorization']).toBeUndefined()
    await session.close()
    const wrong = createSession({ proxy: authProxy.url, retry: false })
    // A proxy's 407 to an http:// URL is a response, as curl and requests give it.
    await expect(wrong(`${server.url}/get`)).rejects.toMatchObject({ name: 'HTTPError', status: 407 })
    expect(authProxy.stats.refused).toBe(1)
    await wrong.close()
  })

  it('{ url, noProxy } bypasses the proxy for the hosts listed', async () => {
    const session = createSession({ proxy: { url: proxy.url, noProxy: 'localhost' } })
    await session(`${server.altUrl}/get?key=bypassed`)
    expect(proxy.stats.forwarded.length + proxy.stats.connects.length).toBe(0)
    await session(`${server.url}/get?key=proxied`)
    expect(proxy.stats.forwarded.length + proxy.stats.connects.length).toBe(1)
    await session.close()
  })

  it('honours HTTP_PROXY and NO_PROXY from the environment; `proxy: false` ignores them', async () => {
    const script = (options: string): string => `
      import { createSession } from './src/adapters/node.ts'
      const session = createSession(${options})
      const a = await session('${server.url}/get')
      const b = await session('${server.altUrl}/get')
      await session.close()
      console.log('ok')
    `
    await runChild(script('{}'), { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' })
    const viaEnv = proxy.stats.forwarded.length + proxy.stats.connects.length
    expect(viaEnv).toBe(1) // 127.0.0.1 through the proxy, localhost bypassed by NO_PROXY
    proxy.reset()
    await runChild(script('{ proxy: false }'), { HTTP_PROXY: proxy.url })
    expect(proxy.stats.forwarded.length + proxy.stats.connects.length).toBe(0)
    proxy.reset()
    await runChild(script('{}'))
    expect(proxy.stats.forwarded.length + proxy.stats.connects.length).toBe(0)
  })
})

describe('tls', () => {
  it('refuses a self-signed (unknown CA) server by default, accepts it with `ca` or `rejectUnauthorized: false`', async () => {
    const strict = createSession({ retry: false })
    const error = await strict(`${secure.url}/get`).catch((caught: unknown) => caught) as NetworkError
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/)
    await strict.close()
    const trusting = createSession({ tls: { ca: certificates.ca } })
    expect((await trusting(`${secure.url}/get`)).method).toBe('GET')
    await trusting.close()
    const insecure = createSession({ tls: { rejectUnauthorized: false } })
    expect((await insecure(`${secure.url}/get`)).method).toBe('GET')
    await insecure.close()
  })

  it('presents a client certificate (mutual TLS) with `cert` and `key`', async () => {
    const without = createSession({ tls: { ca: certificates.ca }, retry: false })
    await expect(without(`${mutual.url}/get`)).rejects.toBeInstanceOf(NetworkError)
    await without.close()
    const withCert = createSession({ tls: { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey } })
    expect((await withCert(`${mutual.url}/get`)).method).toBe('GET')
    await withCert.close()
  })

  it('TLS settings belong to the session: another session on the same host does not inherit them', async () => {
    const insecure = createSession({ tls: { rejectUnauthorized: false } })
    await insecure(`${secure.url}/get`)
    const strict = createSession({ retry: false })
    await expect(strict(`${secure.url}/get`)).rejects.toBeInstanceOf(NetworkError)
    await Promise.all([insecure.close(), strict.close()])
  })
})

describe('pool and http2', () => {
  it('`pool.connections: 1` sends parallel requests over one connection', async () => {
    const session = createSession({ baseURL: server.url, pool: { connections: 1 } })
    const before = server.totalSockets()
    const results = await Promise.all(Array.from({ length: 6 }, () => session<{ connection: number }>('/conn')))
    expect(new Set(results.map(result => result.connection)).size).toBe(1)
    expect(server.totalSockets() - before).toBe(1)
    await session.close()
  })

  it('`http2: true` negotiates HTTP/2 with a server that offers it', async () => {
    const h2 = createSecureServer({ cert: certificates.cert, key: certificates.key, allowHTTP1: true }, (req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ httpVersion: req.httpVersion }))
    })
    await new Promise<void>(resolve => h2.listen(0, '127.0.0.1', resolve))
    const url = `https://127.0.0.1:${(h2.address() as AddressInfo).port}/`
    const h1 = createSession({ tls: { ca: certificates.ca } })
    const withH2 = createSession({ tls: { ca: certificates.ca }, http2: true })
    expect(await h1(url)).toEqual({ httpVersion: '1.1' })
    expect(await withH2(url)).toEqual({ httpVersion: '2.0' })
    await Promise.all([h1.close(), withH2.close()])
    await new Promise(resolve => h2.close(resolve))
  })
})

describe('close()', () => {
  it('closes the session\'s sockets (the server sees them go)', async () => {
    const session = createSession({ baseURL: server.url })
    const before = server.openSockets()
    await Promise.all([session('/get'), session('/get'), session('/get')])
    expect(server.openSockets()).toBeGreaterThan(before)
    await session.close()
    await expect.poll(() => server.openSockets(), { timeout: 2000 }).toBe(before)
  })

  it('lets the process exit promptly: no socket is left open after close()', async () => {
    const script = `
      import { createSession } from './src/adapters/node.ts'
      const sockets = () => process.getActiveResourcesInfo().filter(name => name === 'TCPSocketWrap').length
      const session = createSession({ baseURL: '${server.url}', pool: { keepAliveTimeout: 10_000 } })
      await Promise.all([session('/get'), session('/get'), session('/get')])
      const open = sockets()
      await session.close()
      console.log(JSON.stringify({ open, afterClose: sockets(), at: Date.now() }))
    `
    const { stdout } = await runChild(script)
    const result = JSON.parse(stdout.trim()) as { open: number, afterClose: number, at: number }
    expect(result.open).toBeGreaterThan(0) // kept-alive sockets before close()
    expect(result.afterClose).toBe(0)
    expect(Date.now() - result.at).toBeLessThan(1000) // the process ended right after
  })
})

describe('options a runtime cannot honour', () => {
  it('the generic adapter refuses transport options at createSession(), naming the option and the runtime', () => {
    for (const option of [{ proxy: 'http://127.0.0.1:9' }, { tls: { rejectUnauthorized: false } }, { pool: { connections: 1 } }, { http2: true }]) {
      let error: UnsupportedOptionError | undefined
      try {
        createGenericSession(option)
      }
      catch (caught) {
        error = caught as UnsupportedOptionError
      }
      expect(error).toBeInstanceOf(UnsupportedOptionError)
      expect(error!.option).toBe(Object.keys(option)[0])
      expect(error!.runtime).toBe('fetch')
      expect(error!.message).toMatch(/is not supported on the generic fetch adapter/)
    }
    expect(() => createGenericSession({ proxy: false })).not.toThrow()
  })

  it('a custom `fetch` cannot be combined with transport options', () => {
    expect(() => createSession({ fetch: globalThis.fetch, proxy: proxy.url })).toThrow(/`proxy` option is not supported on node: it configures the session's own pool/)
  })
})
