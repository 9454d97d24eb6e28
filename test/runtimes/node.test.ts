/**
 * The conformance suite in Node 20 (the system Node), against the built package resolved through
 * the `node` export condition.
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
import { announce, bundle, closedPort, readmeMismatches, root } from './common'

let server: TestServer
let secure: TestServer
let proxy: TestProxy
let authProxy: TestProxy
let env: Record<string, unknown>

beforeAll(async () => {
  const certificates = makeCertificates()
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
