/**
 * The conformance suite in Node 20 (the system Node), against the built package resolved through
 * the `node` export condition; then what only a Node process of its own can show: the proxy
 * environment rule, and `tls.ca` with NODE_EXTRA_CA_CERTS.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Report } from '../conformance/harness'
import { startProxy } from '../helpers/proxy'
import type { TestProxy } from '../helpers/proxy'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'
import { announce, bundle, closedPort, readmeMismatches, root } from './common'
import { expectProxyEnvironmentRule, expectTlsOptions } from './deno-and-bun'

let certificates: TestCertificates
let server: TestServer
let secure: TestServer
let proxy: TestProxy
let authProxy: TestProxy
let env: Record<string, unknown>

beforeAll(async () => {
  certificates = makeCertificates()
  ;[server, secure, proxy, authProxy] = await Promise.all([startServer(), startServer({ tls: certificates }), startProxy(), startProxy({ auth: 'user:secret' })])
  env = { runtime: 'node', base: server.url, alt: server.altUrl, closedPort: await closedPort(), browser: false, proxy: proxy.url, authProxy: authProxy.url, https: secure.url, ca: certificates.ca }
})
afterAll(() => Promise.all([server.close(), secure.close(), proxy.close(), authProxy.close()]))

describe('conformance: node', () => {
  let report: Report
  it('passes the whole suite', async () => {
    const file = await bundle('node', 'cli', { platform: 'node', conditions: ['node'] })
    const { stdout } = await promisify(execFile)(process.execPath, [file, JSON.stringify(env)], { cwd: root, encoding: 'utf8', timeout: 120_000 })
    report = JSON.parse(stdout.trim().split('\n').at(-1)!)
    announce(report)
    expect(report.results.filter(result => result.status === 'failed')).toEqual([])
    expect(report.passed).toBeGreaterThanOrEqual(20)
  }, 180_000)

  it('matches the README\'s runtime table', () => {
    expect(readmeMismatches(report)).toEqual([])
  })
})

describe('node: in a process of its own', () => {
  it('follows the proxy environment by curl\'s rule (http_proxy for http://, https_proxy for https://, all_proxy, no_proxy)', async () => {
    await expectProxyEnvironmentRule('node', [process.execPath], certificates)
  }, 60_000)

  it('tls: ca is trusted besides the default store, NODE_EXTRA_CA_CERTS included (Node 20 cannot list it); cert + key present a client certificate', async () => {
    await expectTlsOptions('node', [process.execPath], 'NODE_EXTRA_CA_CERTS', certificates, secure.url)
  })
})
