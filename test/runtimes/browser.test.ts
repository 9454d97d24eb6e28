/**
 * The conformance suite in a real browser: headless Chromium (Debian's `chromium` package at
 * /usr/bin/chromium, or $CHROMIUM_PATH) driven by playwright-core, against the built package
 * resolved through the `browser` export condition. The test server serves the page and the bundle
 * under /__static/, so the page's origin is the server's: same-origin calls, plus cross-origin ones
 * to `http://localhost:PORT` (CORS with credentials).
 *
 * Skipped locally when Chromium is missing; on CI that is a failure.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Report } from '../conformance/harness'
import { dependencySkip, requireDependency } from '../helpers/dependencies'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { announce, bundle, closedPort, readmeMismatches, root } from './common'

const noChromium = dependencySkip('chromium', 'conformance: browser', import.meta.filename)

/** Flags for a quiet, offline headless Chromium in a container. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

interface SuitePage {
  conformanceReady?: boolean
  runConformance: (env: Record<string, unknown>) => Promise<Report>
}

describe.skipIf(noChromium !== undefined)('conformance: browser', () => {
  let server: TestServer
  let browser: Browser | undefined
  let report: Report
  let executablePath: string

  beforeAll(async () => {
    executablePath = requireDependency('chromium')
    const staticDir = join(root, '.tmp', 'browser-page')
    mkdirSync(staticDir, { recursive: true })
    const file = await bundle('browser', 'browser', { platform: 'browser', format: 'esm', conditions: ['browser'] })
    copyFileSync(file, join(staticDir, 'conformance.mjs'))
    copyFileSync(join(root, 'test/runtimes/browser.html'), join(staticDir, 'index.html'))
    server = await startServer({ staticDir })
  })
  afterAll(async () => {
    // Normally closed by the test itself; this covers a failure between launch and its `finally`.
    await browser?.close().catch(() => {})
    await server?.close()
  })

  it('passes the whole suite', async () => {
    const env = { runtime: 'browser', base: server.url, alt: server.altUrl, closedPort: await closedPort(), browser: true }
    const pageErrors: string[] = []
    browser = await chromium.launch({ executablePath, args: ARGS, timeout: 20_000 })
    try {
      const page = await browser.newPage()
      page.on('pageerror', error => pageErrors.push(String(error)))
      await page.goto(`${server.url}/__static/index.html`, { timeout: 20_000 })
      await page.waitForFunction(() => (globalThis as unknown as SuitePage).conformanceReady === true, undefined, { timeout: 20_000 })
        .catch((error: Error) => {
          throw new Error(`the suite did not load in the page: ${pageErrors.join('; ') || error.message}`)
        })
      report = await page.evaluate(pageEnv => (globalThis as unknown as SuitePage).runConformance(pageEnv), env)
    }
    finally {
      await browser.close()
      browser = undefined
    }
    announce(report)
    expect(pageErrors).toEqual([])
    expect(report.results.filter(result => result.status === 'failed')).toEqual([])
    expect(report.passed).toBeGreaterThanOrEqual(13)
  }, 55_000)

  it('matches the README\'s runtime table', () => {
    expect(report, 'the suite did not run').toBeDefined()
    expect(readmeMismatches(report)).toEqual([])
  })
})
