/**
 * The conformance suite in Deno (the npm-installed `deno` binary), against the built package
 * resolved through the `deno` export condition; then what only a Deno process of its own can
 * show: proxies from the environment, HTTP/2, and that a closed session releases its connections
 * and lets the process exit.
 */
import { execFile } from 'node:child_process'
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
import { childEnv, expectCloseReleasesConnections, expectTlsOptions, probe, startHttp2Server, startSocketCounter } from './deno-and-bun'

let certificates: TestCertificates
let server: TestServer
let secure: TestServer
let proxy: TestProxy
let env: Record<string, unknown>

beforeAll(async () => {
  certificates = makeCertificates()
  ;[server, secure, proxy] = await Promise.all([startServer(), startServer({ tls: certificates }), startProxy()])
  env = { runtime: 'deno', base: server.url, alt: server.altUrl, closedPort: await closedPort(), browser: false, proxy: proxy.url, https: secure.url, ca: certificates.ca }
})
afterAll(() => Promise.all([server.close(), secure.close(), proxy.close()]))

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
