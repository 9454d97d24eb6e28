/**
 * The conformance suite in Deno (the npm-installed `deno` binary), against the built package
 * resolved through the `deno` export condition; then what only a Deno process of its own can
 * show: proxies from the environment, HTTP/2, and that a closed session releases its connections
 * and lets the process exit.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Report } from '../conformance/harness'
import { requireDependency } from '../helpers/dependencies'
import { startProxy } from '../helpers/proxy'
import type { TestProxy } from '../helpers/proxy'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'
import { announce, bundle, closedPort, readmeMismatches, root } from './common'
import { childEnv, expectCloseReleasesConnections, expectProxyEnvironmentRule, expectTlsOptions, probe, startHttp2Server, startSocketCounter } from './deno-and-bun'

let certificates: TestCertificates
let server: TestServer
let secure: TestServer
let proxy: TestProxy
let authProxy: TestProxy
let env: Record<string, unknown>

beforeAll(async () => {
  certificates = makeCertificates()
  ;[server, secure, proxy, authProxy] = await Promise.all([startServer(), startServer({ tls: certificates }), startProxy(), startProxy({ auth: 'user:secret' })])
  env = { runtime: 'deno', base: server.url, alt: server.altUrl, closedPort: await closedPort(), browser: false, proxy: proxy.url, authProxy: authProxy.url, https: secure.url, ca: certificates.ca }
})
afterAll(() => Promise.all([server.close(), secure.close(), proxy.close(), authProxy.close()]))

/** `deno run` with every permission, ignoring the project's deno.json and writing no lock file. */
const denoRun = (bin: string): string[] => [bin, 'run', '-A', '--no-config', '--no-lock']

describe('conformance: deno', () => {
  let report: Report | undefined
  it('passes the whole suite', async (context) => {
    const [bin, ...flags] = denoRun(requireDependency('deno', context))
    const file = await bundle('deno', 'cli', { conditions: ['deno'] })
    const { stdout } = await promisify(execFile)(bin!, [...flags, file, JSON.stringify(env)], { cwd: root, encoding: 'utf8', timeout: 50_000, env: childEnv() })
    report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Report
    announce(report)
    expect(report.results.filter(result => result.status === 'failed')).toEqual([])
    expect(report.passed).toBeGreaterThanOrEqual(24)
  }, 60_000)

  it('matches the README\'s runtime table', (context) => {
    requireDependency('deno', context)
    if (!report) throw new Error('the suite did not run')
    expect(readmeMismatches(report)).toEqual([])
  })
})

describe('deno: in a process of its own', () => {
  it('follows HTTP_PROXY and NO_PROXY from the environment (also with proxy: true), and refuses proxy: false', async (context) => {
    const bin = requireDependency('deno', context)
    const key = `deno-env-${Date.now()}`
    const urls = (label: string): string[] => [`${server.url}/get?key=${key}-${label}-ip`, `${server.altUrl}/get?key=${key}-${label}-name`]
    const result = await probe('deno', denoRun(bin), {
      sessions: [
        { label: 'default', options: {}, requests: urls('default') },
        { label: 'true', options: { proxy: true }, requests: urls('true') },
        { label: 'false', options: { proxy: false }, requests: urls('false') },
        // Deno applies NO_PROXY to a session's own proxy too (Node's ProxyAgent does not).
        { label: 'explicit', options: { proxy: proxy.url }, requests: urls('explicit') },
      ],
    }, { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' })
    const proxied = (label: string, host: 'ip' | 'name'): boolean => proxy.stats.forwarded.some(line => line.includes(`${key}-${label}-${host}`))
    for (const label of ['default', 'true', 'explicit']) {
      expect(result.sessions[label]!.error).toBeUndefined()
      expect(result.sessions[label]!.data!.length).toBe(2)
      expect([label, proxied(label, 'ip'), proxied(label, 'name')]).toEqual([label, true, false])
    }
    expect(result.sessions.false!.refused).toMatchObject({ name: 'UnsupportedOptionError', option: 'proxy', runtime: 'deno' })
  })

  it('follows the proxy environment by curl\'s rule, where Deno lets it (Deno applies NO_PROXY itself and ignores `*` and host:port)', async (context) => {
    await expectProxyEnvironmentRule('deno', denoRun(requireDependency('deno', context)), certificates, {
      'NO_PROXY *': { http: 'A', https: 'A' },
      'NO_PROXY host:port': { http: 'A' },
    })
  }, 60_000)

  it('Deno itself sends a proxy\'s credentials to the https origin, inside the tunnel (why fetch-session refuses them)', async (context) => {
    const bin = requireDependency('deno', context)
    const guarded = await startProxy({ auth: 'proxyuser:proxypass' })
    const dir = mkdtempSync(join(tmpdir(), 'fetch-session-deno-leak-'))
    try {
      const withCredentials = guarded.url.replace('http://', 'http://proxyuser:proxypass@')
      // Deno's own fetch, no fetch-session: a client with the proxy URL, and the process's HTTPS_PROXY.
      const script = join(dir, 'leak.mjs')
      writeFileSync(script, `
        const ca = ${JSON.stringify(certificates.ca)}
        const url = ${JSON.stringify(`${secure.url}/headers`)}
        const client = Deno.createHttpClient({ caCerts: [ca], proxy: { url: Deno.args[0] } })
        const viaClient = await (await fetch(url, { client })).json()
        const viaEnvironment = await (await fetch(url, { client: Deno.createHttpClient({ caCerts: [ca] }) })).json()
        console.log(JSON.stringify([viaClient.headers['proxy-authorization'], viaEnvironment.headers['proxy-authorization']]))
      `)
      const [, ...flags] = denoRun(bin)
      const { stdout } = await promisify(execFile)(bin, [...flags, script, withCredentials], { cwd: root, encoding: 'utf8', timeout: 20_000, env: childEnv({ HTTPS_PROXY: withCredentials }) })
      const basic = `Basic ${btoa('proxyuser:proxypass')}`
      // The proxy needed them for the CONNECT; the origin should never have seen them.
      expect(guarded.stats.connects.length).toBe(2)
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual([basic, basic])
    }
    finally {
      rmSync(dir, { recursive: true, force: true })
      await guarded.close()
    }
  })

  it('refuses proxy credentials (in the proxy URL, or in the HTTPS_PROXY / ALL_PROXY a session would use); HTTP_PROXY credentials reach the proxy only', async (context) => {
    const bin = requireDependency('deno', context)
    const guarded = await startProxy({ auth: 'proxyuser:proxypass' })
    try {
      const withCredentials = guarded.url.replace('http://', 'http://proxyuser:proxypass@')
      const refusal = { name: 'UnsupportedOptionError', option: 'proxy', runtime: 'deno', message: expect.stringContaining('inside the TLS tunnel') }
      const explicit = await probe('deno', denoRun(bin), {
        sessions: [
          { label: 'url', options: { proxy: withCredentials }, requests: [] },
          { label: 'object', options: { proxy: { url: withCredentials } }, requests: [] },
        ],
      })
      expect(explicit.sessions.url!.refused).toMatchObject({ ...refusal, message: expect.stringContaining('the proxy URL carries credentials') })
      expect(explicit.sessions.object!.refused).toMatchObject(refusal)
      for (const variable of ['HTTPS_PROXY', 'ALL_PROXY']) {
        const environment = await probe('deno', denoRun(bin), {
          sessions: [
            { label: 'default', options: {}, requests: [] },
            { label: 'true', options: { proxy: true }, requests: [] },
          ],
        }, { [variable]: withCredentials })
        expect(environment.sessions.default!.refused).toMatchObject({ ...refusal, message: expect.stringContaining(`${variable} names a proxy with credentials`) })
        expect(environment.sessions.true!.refused).toMatchObject(refusal)
      }
      const plain = await probe('deno', denoRun(bin), { sessions: [{ label: 'http', options: {}, requests: [`${server.url}/headers`] }] }, { HTTP_PROXY: withCredentials })
      expect(plain.sessions.http!.data).toMatchObject([{ headers: { host: new URL(server.url).host } }])
      expect((plain.sessions.http!.data![0] as { headers: Record<string, string> }).headers['proxy-authorization']).toBeUndefined()
      expect(guarded.stats.forwarded).toEqual([`GET ${server.url}/headers`])
      expect(guarded.stats.authorizations).toEqual([`Basic ${btoa('proxyuser:proxypass')}`])
    }
    finally {
      await guarded.close()
    }
  })

  it('offers HTTP/2 over TLS by default; http2: false keeps HTTP/1.1', async (context) => {
    const bin = requireDependency('deno', context)
    const h2 = await startHttp2Server(certificates)
    try {
      const result = await probe('deno', denoRun(bin), {
        sessions: [
          { label: 'default', options: { tls: { ca: certificates.ca } }, requests: [h2.url] },
          { label: 'true', options: { tls: { ca: certificates.ca }, http2: true }, requests: [h2.url] },
          { label: 'false', options: { tls: { ca: certificates.ca }, http2: false }, requests: [h2.url] },
        ],
      })
      expect(result.sessions.default!.data).toEqual([{ httpVersion: '2.0' }])
      expect(result.sessions.true!.data).toEqual([{ httpVersion: '2.0' }])
      expect(result.sessions.false!.data).toEqual([{ httpVersion: '1.1' }])
    }
    finally {
      await h2.close()
    }
  })

  it('pool.keepAliveTimeout closes idle connections after that many ms', async (context) => {
    const bin = requireDependency('deno', context)
    const own = await startServer()
    const counter = await startSocketCounter(own)
    try {
      const result = await probe('deno', denoRun(bin), {
        sessions: [{ label: 'short', options: { pool: { keepAliveTimeout: 200 } }, requests: [1, 2, 3].map(() => `${own.url}/conn`) }],
        sockets: counter.url,
        // Deno's pool reaps idle connections on a timer of the same period: gone within 2 × 200 ms.
        idle: 1000,
      })
      expect(result.sessions.short!.data!.length).toBe(3)
      expect(result.socketsBeforeClose).toBe(0)
    }
    finally {
      await Promise.all([counter.close(), own.close()])
    }
  })

  it('tls: ca is trusted besides the default store (DENO_CERT here); cert + key present a client certificate', async (context) => {
    await expectTlsOptions('deno', denoRun(requireDependency('deno', context)), 'DENO_CERT', certificates, secure.url)
  })
  it('close() releases the session\'s connections (its mounts\' too), and the process then exits by itself', async (context) => {
    await expectCloseReleasesConnections('deno', denoRun(requireDependency('deno', context)))
  })
})
