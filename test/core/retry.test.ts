import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession, HTTPError, NetworkError, parseRetryAfter } from '../../src/index'
import type { RetryContext } from '../../src/index'
import { backoffDelay, resolveRetry } from '../../src/retry'
import { closedPort as findClosedPort } from '../helpers/ports'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
let closedPort: number
beforeAll(async () => {
  server = await startServer()
  closedPort = await findClosedPort()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

let unique = 0
const key = (name: string): string => `${name}-${++unique}`

describe('which requests are retried', () => {
  it('retries idempotent methods on the default statuses', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 1 } })
    for (const status of [408, 429, 500, 502, 503, 504]) {
      const id = key(`s${status}`)
      const data = await session(`/flaky/${id}?fail=2&status=${status}`)
      expect(data.attempts).toBe(3)
    }
    await session.close()
  })

  it('does not retry other statuses', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 1 } })
    for (const status of [400, 401, 403, 404, 409, 422]) {
      const id = key(`n${status}`)
      await expect(session(`/flaky/${id}?fail=1&status=${status}`)).rejects.toMatchObject({ name: 'HTTPError', status })
      expect(server.hits(id)).toBe(1)
    }
    await session.close()
  })

  it('retries 413 only when it carries Retry-After', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 1 } })
    const without = key('413')
    await expect(session(`/flaky/${without}?fail=1&status=413`)).rejects.toMatchObject({ status: 413 })
    expect(server.hits(without)).toBe(1)
    const withHeader = key('413ra')
    await expect(session(`/flaky/${withHeader}?fail=1&status=413&retry_after=0`)).resolves.toMatchObject({ attempts: 2 })
    await session.close()
  })

  it('does not retry POST or PATCH by default, on statuses or network errors', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 1 } })
    for (const method of ['POST', 'PATCH']) {
      const id = key(method)
      await expect(session(`/flaky/${id}?fail=1`, { method, body: 'x' })).rejects.toMatchObject({ status: 503 })
      expect(server.hits(id)).toBe(1)
      const reset = key(`${method}-reset`)
      await expect(session(`/flaky/${reset}?fail=1&mode=reset`, { method, body: 'x' })).rejects.toBeInstanceOf(NetworkError)
      expect(server.hits(reset)).toBe(1)
    }
    // unless the caller opts in
    const opted = key('opt-in')
    await expect(session(`/flaky/${opted}?fail=1`, { method: 'POST', body: 'x', retry: { methods: ['POST'] } })).resolves.toMatchObject({ attempts: 2 })
    await session.close()
  })

  it('retries PUT and DELETE (idempotent)', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 1 } })
    await expect(session(`/flaky/${key('put')}?fail=1`, { method: 'PUT', body: 'x' })).resolves.toMatchObject({ attempts: 2 })
    await expect(session(`/flaky/${key('del')}?fail=1`, { method: 'DELETE' })).resolves.toMatchObject({ attempts: 2 })
    await session.close()
  })

  it('retries network errors separately from statuses', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 1 } })
    const reset = key('reset')
    await expect(session(`/flaky/${reset}?fail=2&mode=reset`)).resolves.toMatchObject({ attempts: 3 })
    const noNetwork = createSession({ baseURL: server.url, retry: { delay: 1, networkErrors: false } })
    const once = key('reset-off')
    await expect(noNetwork(`/flaky/${once}?fail=1&mode=reset`)).rejects.toBeInstanceOf(NetworkError)
    expect(server.hits(once)).toBe(1)
    // and statuses still retried with networkErrors: false
    await expect(noNetwork(`/flaky/${key('status-on')}?fail=1`)).resolves.toMatchObject({ attempts: 2 })
    // statusCodes: [] still retries network errors
    const noStatus = createSession({ baseURL: server.url, retry: { delay: 1, statusCodes: [] } })
    await expect(noStatus(`/flaky/${key('net-on')}?fail=1&mode=reset`)).resolves.toMatchObject({ attempts: 2 })
    await expect(noStatus(`/flaky/${key('status-off')}?fail=1`)).rejects.toBeInstanceOf(HTTPError)
    await Promise.all([session.close(), noNetwork.close(), noStatus.close()])
  })

  it('a refused connection is a retried NetworkError', async () => {
    const retries: number[] = []
    const session = createSession({ retry: { limit: 2, delay: 1 }, onRetry: context => void retries.push(context.attempt) })
    const error = await session(`http://127.0.0.1:${closedPort}/`).catch((caught: unknown) => caught) as NetworkError
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.code).toBe('ECONNREFUSED')
    expect(retries).toEqual([2, 3])
    await session.close()
  })

  it('many calls without a deadline waiting in their backoff at once add no listener to a shared signal (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => void warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const session = createSession({ retry: { limit: 1, delay: 50, jitter: false } })
      const port = await findClosedPort()
      const results = await Promise.allSettled(Array.from({ length: 30 }, () => session(`http://127.0.0.1:${port}/`)))
      expect(results.every(result => result.status === 'rejected' && result.reason instanceof NetworkError)).toBe(true)
      await new Promise(resolve => setImmediate(resolve))
      expect(warnings.map(warning => warning.name)).toEqual([])
      await session.close()
    }
    finally {
      process.off('warning', onWarning)
    }
  })

  it('retry: false and retry: 0 turn retries off; a number sets the limit', async () => {
    const session = createSession({ baseURL: server.url, retry: false })
    const off = key('off')
    await expect(session(`/flaky/${off}?fail=1`)).rejects.toBeInstanceOf(HTTPError)
    expect(server.hits(off)).toBe(1)
    const zero = key('zero')
    await expect(session(`/flaky/${zero}?fail=1`, { retry: 0 })).rejects.toBeInstanceOf(HTTPError)
    expect(server.hits(zero)).toBe(1)
    const five = key('five')
    await expect(session(`/flaky/${five}?fail=5&retry_after=0`, { retry: 5 })).resolves.toMatchObject({ attempts: 6 })
    const limited = key('limited')
    await expect(session(`/flaky/${limited}?fail=5&retry_after=0`, { retry: 2 })).rejects.toMatchObject({ status: 503 })
    expect(server.hits(limited)).toBe(3)
    await session.close()
  })

  it('does not retry a one-shot stream body', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 1, methods: ['POST'] } })
    const id = key('stream')
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('once'))
        controller.close()
      },
    })
    await expect(session(`/flaky/${id}?fail=1`, { method: 'POST', body })).rejects.toMatchObject({ status: 503 })
    expect(server.hits(id)).toBe(1)
    await session.close()
  })
})

describe('Retry-After', () => {
  it('parses delay-seconds and HTTP-dates, and rejects garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(' 3 ', now)).toBe(3000)
    expect(parseRetryAfter('0', now)).toBe(0)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Thursday, 01-Jan-26 00:00:07 GMT', now)).toBe(7000)
    expect(parseRetryAfter('Thu Jan  1 00:00:09 2026', now)).toBe(9000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0)
    for (const bad of ['-1', '0x10', '', 'soon', '1.5', null, undefined]) expect(parseRetryAfter(bad, now)).toBeUndefined()
  })

  it('honours Retry-After in seconds', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 10_000 } })
    const started = Date.now()
    await expect(session(`/flaky/${key('ra1')}?fail=1&status=429&retry_after=1`)).resolves.toMatchObject({ attempts: 2 })
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(950)
    expect(elapsed).toBeLessThan(3000)
    await session.close()
  })

  it('honours Retry-After as an HTTP-date', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 10_000 } })
    const delays: number[] = []
    session.mount(server.url, { onRetry: context => void delays.push(context.delay) })
    const date = new Date(Date.now() + 2000).toUTCString()
    await expect(session(`/flaky/${key('radate')}?fail=1&status=503&retry_after=${encodeURIComponent(date)}`)).resolves.toMatchObject({ attempts: 2 })
    expect(delays).toHaveLength(1)
    expect(delays[0]).toBeGreaterThan(500)
    expect(delays[0]).toBeLessThanOrEqual(2000)
    await session.close()
  })

  it('returns the error at once when Retry-After exceeds maxRetryAfter (years, too)', async () => {
    const session = createSession({ baseURL: server.url, retry: { maxRetryAfter: 5000 } })
    for (const retryAfter of ['10', '99999999', new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString()]) {
      const id = key('ramax')
      const started = Date.now()
      const error = await session(`/flaky/${id}?fail=1&status=503&retry_after=${encodeURIComponent(retryAfter)}`).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(HTTPError)
      expect((error as HTTPError).status).toBe(503)
      expect(Date.now() - started).toBeLessThan(500)
      expect(server.hits(id)).toBe(1)
    }
    await session.close()
  })

  it('does not wait for a Retry-After that the total deadline cannot cover', async () => {
    const session = createSession({ baseURL: server.url, timeout: 1000 })
    const id = key('ratotal')
    const started = Date.now()
    await expect(session(`/flaky/${id}?fail=1&status=503&retry_after=5`)).rejects.toMatchObject({ name: 'HTTPError', status: 503 })
    expect(Date.now() - started).toBeLessThan(500)
    await session.close()
  })

  it('falls back to the backoff for an invalid Retry-After', async () => {
    const delays: number[] = []
    const session = createSession({ baseURL: server.url, retry: { delay: 20, jitter: false }, onRetry: context => void delays.push(context.delay) })
    await session(`/flaky/${key('rabad')}?fail=1&status=503&retry_after=0x10`)
    expect(delays).toEqual([20])
    await session.close()
  })
})

describe('backoff', () => {
  it('is exponential, capped by maxDelay, with jitter within [half, full]', () => {
    const plain = resolveRetry([{ delay: 100, maxDelay: 1000, jitter: false }])
    expect([0, 1, 2, 3, 4, 5].map(count => backoffDelay(plain, count))).toEqual([100, 200, 400, 800, 1000, 1000])
    const jittered = resolveRetry([{ delay: 100, maxDelay: 1000 }])
    for (let count = 0; count < 6; count++) {
      const full = Math.min(100 * 2 ** count, 1000)
      for (let sample = 0; sample < 50; sample++) {
        const delay = backoffDelay(jittered, count)
        expect(delay).toBeGreaterThanOrEqual(full / 2)
        expect(delay).toBeLessThanOrEqual(full)
      }
    }
    const custom = resolveRetry([{ delay: count => (count + 1) * 7, jitter: delay => delay + 1 }])
    expect(backoffDelay(custom, 2)).toBe(22)
  })

  it('spreads out retries with jitter (not all the same delay)', () => {
    const policy = resolveRetry([{ delay: 1000 }])
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(policy, 0)))
    expect(delays.size).toBeGreaterThan(10)
  })

  it('never applies jitter to Retry-After', async () => {
    const delays: number[] = []
    const session = createSession({ baseURL: server.url, retry: { jitter: delay => delay * 100 }, onRetry: context => void delays.push(context.delay) })
    await session(`/flaky/${key('nojitter')}?fail=1&status=429&retry_after=0`)
    expect(delays).toEqual([0])
    await session.close()
  })

  it('rejects impossible policies with a clear error', () => {
    expect(() => createSession({ retry: { limit: -1 } })).toThrow(/`retry.limit` must be a whole number >= 0/)
    expect(() => createSession({ retry: { delay: Number.NaN } })).toThrow(/`retry.delay` must be a number of ms/)
    expect(() => createSession({ retry: { maxRetryAfter: 2 ** 40 } })).toThrow(/`retry.maxRetryAfter`/)
    expect(() => createSession({ retry: 'yes' as never })).toThrow(/`retry` must be false, a number or an options object/)
  })
})

describe('shouldRetry and onRetry', () => {
  it('shouldRetry can force a retry the policy would not make, and stop one it would', async () => {
    const seen: Array<{ retry: boolean, attempt: number, status?: number }> = []
    const session = createSession({
      baseURL: server.url,
      retry: {
        delay: 1,
        shouldRetry: (context) => {
          seen.push({ retry: context.retry, attempt: context.attempt, status: (context.error as HTTPError).status })
          if ((context.error as HTTPError).status === 404) return true
          if ((context.error as HTTPError).status === 503) return false
          return undefined
        },
      },
    })
    await expect(session(`/flaky/${key('force')}?fail=1&status=404`)).resolves.toMatchObject({ attempts: 2 })
    const stopped = key('stop')
    await expect(session(`/flaky/${stopped}?fail=1&status=503`)).rejects.toMatchObject({ status: 503 })
    expect(server.hits(stopped)).toBe(1)
    await expect(session(`/flaky/${key('default')}?fail=1&status=502`)).resolves.toMatchObject({ attempts: 2 })
    expect(seen).toEqual([
      { retry: false, attempt: 2, status: 404 },
      { retry: true, attempt: 2, status: 503 },
      { retry: true, attempt: 2, status: 502 },
    ])
    await session.close()
  })

  it('onRetry receives the attempt number, the delay and the error, session and request hooks both', async () => {
    const calls: Array<[string, RetryContext]> = []
    const session = createSession({ baseURL: server.url, retry: { delay: 5, jitter: false }, onRetry: context => void calls.push(['session', context]) })
    await session(`/flaky/${key('hooks')}?fail=2`, { onRetry: context => void calls.push(['request', context]) })
    expect(calls.map(([who, context]) => [who, context.attempt, context.retryCount, context.delay, context.method, (context.error as HTTPError).status])).toEqual([
      ['session', 2, 0, 5, 'GET', 503],
      ['request', 2, 0, 5, 'GET', 503],
      ['session', 3, 1, 10, 'GET', 503],
      ['request', 3, 1, 10, 'GET', 503],
    ])
    expect(calls[0]![1].response!.status).toBe(503)
    await session.close()
  })
})
