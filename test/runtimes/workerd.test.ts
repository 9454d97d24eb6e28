/**
 * The conformance suite in workerd (the npm `workerd` package: the Cloudflare Workers runtime),
 * against the built package resolved through the `workerd` export condition. The suite runs inside
 * one request to an ES module worker (test/conformance/entries/worker.ts); the worker's outbound
 * network allows loopback so its fetch reaches the local test server.
 *
 * Skipped locally when the binary is missing (the npm package or its platform package); on CI that
 * is a failure.
 */
import { writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Report } from '../conformance/harness'
import { dependencySkip, requireDependency } from '../helpers/dependencies'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { announce, bundle, closedPort, readmeMismatches, root } from './common'
import { startWorkerd, stopChild, workerdConfig } from './workerd-process'
import type { WorkerdProcess } from './workerd-process'

const noWorkerd = dependencySkip('workerd', 'conformance: workerd', import.meta.filename)

describe.skipIf(noWorkerd !== undefined)('conformance: workerd', () => {
  let server: TestServer
  let worker: WorkerdProcess | undefined
  let report: Report

  beforeAll(async () => {
    const workerd = requireDependency('workerd')
    server = await startServer()
    const file = await bundle('workerd', 'worker', { platform: 'neutral', conditions: ['workerd', 'worker'] })
    // The config sits next to the bundle: `embed` paths are relative to the config file.
    const configFile = join(dirname(file), 'workerd-config.capnp')
    writeFileSync(configFile, workerdConfig(basename(file)))
    worker = await startWorkerd(workerd, configFile, root)
  })
  afterAll(async () => {
    await stopChild(worker?.child)
    await server?.close()
  })

  it('passes the whole suite', async () => {
    const env = { runtime: 'workerd', base: server.url, alt: server.altUrl, closedPort: await closedPort(), browser: false }
    const response = await fetch(`http://127.0.0.1:${worker!.port}/`, { method: 'POST', body: JSON.stringify(env), signal: AbortSignal.timeout(50_000) })
    const text = await response.text()
    if (!response.ok) throw new Error(`the worker answered ${response.status}: ${text}\n${worker!.logs()}`)
    report = JSON.parse(text) as Report
    announce(report)
    expect(report.results.filter(result => result.status === 'failed')).toEqual([])
    expect(report.passed).toBeGreaterThanOrEqual(19)
  }, 55_000)

  it('matches the README\'s runtime table', () => {
    expect(report, 'the suite did not run').toBeDefined()
    expect(readmeMismatches(report)).toEqual([])
  })
})
