/**
 * Leaks under a long run (#68, #69, #70, #100; undici #3157/#5285, node #55351): 50,000 requests
 * through one session with deadlines, aborts, retries, errors, redirects and one long-lived signal,
 * in a child process with --expose-gc. The heap (after GC) stays flat, no listener is left on the
 * long-lived signal, no timer is left pending, and no warning fires.
 */
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

const root = resolve(import.meta.dirname, '../..')
let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

/** Least-squares slope of heap bytes per request. */
function slope(samples: Array<[number, number]>): number {
  const n = samples.length
  const meanX = samples.reduce((sum, [x]) => sum + x, 0) / n
  const meanY = samples.reduce((sum, [, y]) => sum + y, 0) / n
  const num = samples.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0)
  const den = samples.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0)
  return num / den
}

describe('no leaks over 50,000 requests', () => {
  it('flat heap, no listeners, no timers, no warnings', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/fixtures/leak.ts', server.url, '50000'], { cwd: root, encoding: 'utf8', timeout: 120_000, maxBuffer: 10_000_000 })
    const result = JSON.parse(stdout.trim()) as { samples: Array<[number, number]>, outcomes: Record<string, number>, listeners: number, timers: number, warnings: string[] }
    expect(result.outcomes).toEqual({ ok: 47_000, TimeoutError: 1000, AbortError: 1000, HTTPError: 1000 })
    expect(result.listeners).toBe(0)
    expect(result.timers).toBe(0)
    expect(result.warnings).toEqual([])
    // After warm-up (the first sample), a leak of one small object per request (a listener, a
    // timer, a closure: 100+ bytes) would show as a slope above 64 bytes per request.
    const perRequest = slope(result.samples.slice(1))
    console.log(`[leak] heap slope ${perRequest.toFixed(1)} bytes/request over ${result.samples.at(-1)![0]} requests`)
    expect(perRequest).toBeLessThan(64)
  }, 150_000)
})
