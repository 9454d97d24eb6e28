/**
 * The conformance suite in Bun (the npm-installed `bun` binary), against the built package
 * resolved through the `bun` export condition; then what only a Bun process of its own can show:
 * proxies from the environment, HTTP/2, that a closed session releases its connections and
 * lets the process exit, and that `maxBodySize` bounds the memory a decompression bomb costs.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Report } from '../conformance/harness'
import { requireDependency } from '../helpers/dependencies'
import { startProxy } from '../helpers/proxy'
import type { TestProxy } from '../helpers/proxy'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'
import { announce, bundle, closedPort, readmeMismatches, resolvePackage, root } from './common'
import { childEnv, expectCloseReleasesConnections, expectProxyEnvironmentRule, expectTlsOptions, probe, startHttp2Server } from './deno-and-bun'

let certificates: TestCertificates
let server: TestServer
let secure: TestServer
let proxy: TestProxy
let authProxy: TestProxy
let env: Record<string, unknown>

beforeAll(async () => {
  certificates = makeCertificates()
  ;[server, secure, proxy, authProxy] = await Promise.all([startServer(), startServer({ tls: certificates }), startProxy(), startProxy({ auth: 'user:secret' })])
  env = { runtime: 'bun', base: server.url, alt: server.altUrl, closedPort: await closedPort(), browser: false, proxy: proxy.url, authProxy: authProxy.url, https: secure.url, ca: certificates.ca }
})
afterAll(() => Promise.all([server.close(), secure.close(), proxy.close(), authProxy.close()]))

describe('conformance: bun', () => {
  let report: Report | undefined
  it('passes the whole suite', async (context) => {
    const bin = requireDependency('bun', context)
    const file = await bundle('bun', 'cli', { conditions: ['bun'] })
    const { stdout } = await promisify(execFile)(bin, [file, JSON.stringify(env)], { cwd: root, encoding: 'utf8', timeout: 50_000, env: childEnv() })
    report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Report
    announce(report)
    expect(report.results.filter(result => result.status === 'failed')).toEqual([])
    expect(report.passed).toBeGreaterThanOrEqual(24)
  }, 60_000)

  it('matches the README\'s runtime table', (context) => {
    requireDependency('bun', context)
    if (!report) throw new Error('the suite did not run')
    expect(readmeMismatches(report)).toEqual([])
  })
})

describe('bun: in a process of its own', () => {
  it('follows HTTP_PROXY and NO_PROXY by default and with proxy: true; proxy: false goes direct; a proxy URL takes every request', async (context) => {
    const bin = requireDependency('bun', context)
    const key = `bun-env-${Date.now()}`
    const urls = (label: string): string[] => [`${server.url}/get?key=${key}-${label}-ip`, `${server.altUrl}/get?key=${key}-${label}-name`]
    const result = await probe('bun', [bin], {
      sessions: [
        { label: 'default', options: {}, requests: urls('default') },
        { label: 'true', options: { proxy: true }, requests: urls('true') },
        { label: 'false', options: { proxy: false }, requests: urls('false') },
        { label: 'explicit', options: { proxy: proxy.url }, requests: urls('explicit') },
      ],
    }, { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' })
    const proxied = (label: string, host: 'ip' | 'name'): boolean => proxy.stats.forwarded.some(line => line.includes(`${key}-${label}-${host}`))
    const expected: Record<string, [boolean, boolean]> = { default: [true, false], true: [true, false], false: [false, false], explicit: [true, true] }
    for (const [label, [ip, name]] of Object.entries(expected)) {
      expect(result.sessions[label]!.error).toBeUndefined()
      expect(result.sessions[label]!.data!.length).toBe(2)
      expect([label, proxied(label, 'ip'), proxied(label, 'name')]).toEqual([label, ip, name])
    }
  })

  it('follows the proxy environment by curl\'s rule (http_proxy for http://, https_proxy for https://, all_proxy, no_proxy)', async (context) => {
    await expectProxyEnvironmentRule('bun', [requireDependency('bun', context)], certificates)
  }, 60_000)

  it('http2: false pins HTTP/1.1; http2: true is refused unless Bun runs with --experimental-http2-fetch, where it offers HTTP/2', async (context) => {
    const bin = requireDependency('bun', context)
    const h2 = await startHttp2Server(certificates)
    try {
      const plan = {
        sessions: [
          { label: 'default', options: { tls: { ca: certificates.ca } }, requests: [h2.url] },
          { label: 'true', options: { tls: { ca: certificates.ca }, http2: true }, requests: [h2.url] },
          { label: 'false', options: { tls: { ca: certificates.ca }, http2: false }, requests: [h2.url] },
        ],
      }
      const [plain, flagged] = await Promise.all([probe('bun', [bin], plan), probe('bun', [bin, '--experimental-http2-fetch'], plan)])
      expect(plain.sessions.default!.data).toEqual([{ httpVersion: '1.1' }])
      expect(plain.sessions.true!.refused).toMatchObject({ name: 'UnsupportedOptionError', option: 'http2', runtime: 'bun' })
      expect(plain.sessions.false!.data).toEqual([{ httpVersion: '1.1' }])
      expect(flagged.sessions.default!.data).toEqual([{ httpVersion: '2.0' }])
      expect(flagged.sessions.true!.data).toEqual([{ httpVersion: '2.0' }])
      expect(flagged.sessions.false!.data).toEqual([{ httpVersion: '1.1' }])
    }
    finally {
      await h2.close()
    }
  })

  it('tls: ca is trusted besides the default store (NODE_EXTRA_CA_CERTS here); cert + key present a client certificate', async (context) => {
    await expectTlsOptions('bun', [requireDependency('bun', context)], 'NODE_EXTRA_CA_CERTS', certificates, secure.url)
  })
  it('close() releases the session\'s connections (its mounts\' too), and the process then exits by itself', async (context) => {
    await expectCloseReleasesConnections('bun', [requireDependency('bun', context)])
  })

  it('maxBodySize bounds the memory of a 384 MB gzip bomb and a 384 MB br bomb: RSS rises by less than 64 MB (issue 12 item 13)', async (context) => {
    const bin = requireDependency('bun', context)
    const MiB = 1024 * 1024
    // The server makes (and keeps) each bomb before the probe measures anything; undici.request does not decode.
    for (const coding of ['gzip', 'br']) await (await request(`${server.url}/bomb/${coding}?size=${384 * MiB}`)).body.dump()
    const { stdout } = await promisify(execFile)(bin, [join(root, 'test/faults/bun-bomb-probe.ts'), resolvePackage(['bun']), server.url], { cwd: root, encoding: 'utf8', timeout: 30_000, env: childEnv() })
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, { error: string, growth: number }>
    for (const coding of ['gzip', 'br']) {
      expect([coding, result[coding]!.error]).toEqual([coding, 'BodyTooLargeError'])
      expect([coding, result[coding]!.growth]).toEqual([coding, expect.any(Number)])
      expect(result[coding]!.growth).toBeLessThan(64 * MiB)
    }
  }, 60_000)
})
