import { getEventListeners } from 'node:events'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AbortError, createSession, FetchError, InvalidRequestError, TimeoutError } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

let unique = 0
const key = (name: string): string => `${name}-${++unique}`

const elapsed = async (run: () => Promise<unknown>): Promise<{ ms: number, error: unknown }> => {
  const started = Date.now()
  let error: unknown
  try {
    await run()
  }
  catch (caught) {
    error = caught
  }
  return { ms: Date.now() - started, error }
}

describe('timeout: number is the deadline of the whole call', () => {
  it('rejects with TimeoutError when the server never answers', async () => {
    const session = createSession({ baseURL: server.url, timeout: 150 })
    const { ms, error } = await elapsed(() => session('/hang'))
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toBeInstanceOf(FetchError)
    expect((error as TimeoutError).phase).toBe('total')
    expect((error as TimeoutError).timeout).toBe(150)
    expect((error as Error).message).toBe(`[GET] "${server.url}/hang": timed out after 150 ms (deadline of the whole call)`)
    expect(ms).toBeGreaterThanOrEqual(140)
    expect(ms).toBeLessThan(1000)
    await session.close()
  })

  it('covers reading the body (a body that trickles forever)', async () => {
    const session = createSession({ baseURL: server.url, timeout: 300 })
    const { ms, error } = await elapsed(() => session('/trickle?chunks=1000&interval=50'))
    expect(error).toBeInstanceOf(TimeoutError)
    expect(ms).toBeLessThan(1500)
    // also for an error status with a slow body
    const slowError = await elapsed(() => session('/trickle?chunks=1000&interval=50&status=500', { retry: false }))
    expect(slowError.error).toBeInstanceOf(TimeoutError)
    await session.close()
  })

  it('covers a streamed body the caller reads after the call resolved', async () => {
    // 1 s: the headers (sent with the first byte, 50 ms in) arrive well within it on a loaded CI
    // machine too (300 ms failed once there); the body would take 50 s.
    const session = createSession({ baseURL: server.url, timeout: 1000 })
    const stream = await session('/trickle?chunks=1000&interval=50', { responseType: 'stream' })
    const reader = stream.getReader()
    const started = Date.now()
    const error = await (async () => {
      for (;;) {
        const { done } = await reader.read()
        if (done) return undefined
      }
    })().catch((caught: unknown) => caught)
    expect((error as Error).name).toBe('TimeoutError')
    expect(Date.now() - started).toBeLessThan(3000)
    await session.close()
  })

  it('covers retries and the backoff waits', async () => {
    const session = createSession({ baseURL: server.url, timeout: 500, retry: { limit: 10, delay: 200, jitter: false } })
    const id = key('total-retries')
    const { ms, error } = await elapsed(() => session(`/flaky/${id}?fail=100`))
    // 503, wait 200, 503, then the 400 ms wait does not fit: the last error comes back at once.
    expect(error).toMatchObject({ name: 'HTTPError', status: 503 })
    expect(ms).toBeLessThan(700)
    expect(server.hits(id)).toBe(2)
    await session.close()
  })

  it('expires during a backoff wait', async () => {
    const session = createSession({ baseURL: server.url, timeout: 300, retry: { limit: 3, delay: 0, jitter: false } })
    const id = key('mid-wait')
    // Retry-After 0.25 s fits the first time, then the total runs out while waiting the second time.
    const { ms, error } = await elapsed(() => session(`/flaky/${id}?fail=10&retry_after=0`, { retry: { delay: 250, shouldRetry: () => true } }))
    expect(error === undefined).toBe(false)
    expect(ms).toBeLessThan(800)
    await session.close()
  })

  it('covers redirects', async () => {
    const session = createSession({ baseURL: server.url, timeout: 200 })
    const { error } = await elapsed(() => session(`/redirect-to?url=${encodeURIComponent('/delay/2000')}`))
    expect(error).toBeInstanceOf(TimeoutError)
    await session.close()
  })

  it('timeout: 0 fails at once without a request; invalid values are refused', async () => {
    const session = createSession({ baseURL: server.url })
    await expect(session('/get', { timeout: 0 })).rejects.toBeInstanceOf(TimeoutError)
    expect(server.requests).toHaveLength(0)
    for (const bad of [-1, Number.NaN, 2 ** 31]) {
      const error = await session('/get', { timeout: bad }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InvalidRequestError)
      expect((error as InvalidRequestError).option).toBe('timeout')
      expect((error as Error).message).toMatch(/`timeout` must be a number of ms between 0 and 2147483647/)
    }
    // One rule: the same bad option is an InvalidRequestError at createSession() as per request.
    expect(() => createSession({ timeout: -5 })).toThrow(expect.objectContaining({ name: 'InvalidRequestError', option: 'timeout', message: expect.stringMatching(/^fetch-session: `timeout` must be a number of ms/) }))
    expect(() => createSession({ timeout: -5 })).toThrow(InvalidRequestError)
    expect(() => createSession({ timeout: -5 })).toThrow(FetchError)
    await expect(session('/get', { timeout: Number.POSITIVE_INFINITY })).resolves.toMatchObject({ method: 'GET' })
    await session.close()
  })
})

describe('timeout: { attempt, total }', () => {
  it('gives each attempt a fresh deadline and retries an attempt that timed out', async () => {
    const retries: string[] = []
    const session = createSession({
      baseURL: server.url,
      timeout: { attempt: 200, total: 3000 },
      retry: { delay: 1 },
      onRetry: context => void retries.push(`${context.attempt}:${context.error.name}`),
    })
    const id = key('attempt')
    const { ms, error } = await elapsed(() => session(`/flaky/${id}?fail=1&mode=hang`))
    expect(error).toBeUndefined()
    expect(retries).toEqual(['2:TimeoutError'])
    expect(server.hits(id)).toBe(2)
    expect(ms).toBeGreaterThanOrEqual(190)
    expect(ms).toBeLessThan(1500)
    await session.close()
  })

  it('the total caps the attempts', async () => {
    const session = createSession({ baseURL: server.url, timeout: { attempt: 200, total: 500 }, retry: { limit: 10, delay: 1 } })
    const id = key('capped')
    const { ms, error } = await elapsed(() => session(`/flaky/${id}?fail=100&mode=hang`))
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).phase).toBe('total')
    expect(ms).toBeGreaterThanOrEqual(480)
    expect(ms).toBeLessThan(1200)
    expect(server.hits(id)).toBeGreaterThanOrEqual(2)
    expect(server.hits(id)).toBeLessThanOrEqual(3)
    await session.close()
  })

  it('does not retry a timed-out POST', async () => {
    const session = createSession({ baseURL: server.url, timeout: { attempt: 150 } })
    const id = key('post')
    const { error } = await elapsed(() => session(`/flaky/${id}?fail=1&mode=hang`, { method: 'POST', body: 'x' }))
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).phase).toBe('attempt')
    expect((error as Error).message).toMatch(/timed out after 150 ms \(deadline of one attempt\)/)
    expect(server.hits(id)).toBe(1)
    await session.close()
  })

  it('request timeouts override the session\'s', async () => {
    const session = createSession({ baseURL: server.url, timeout: 100 })
    await expect(session('/delay/300', { timeout: 2000 })).resolves.toMatchObject({ delayed: 300 })
    await expect(session('/delay/300', { timeout: false })).resolves.toMatchObject({ delayed: 300 })
    await expect(session('/delay/300')).rejects.toBeInstanceOf(TimeoutError)
    await session.close()
  })
})

describe('the caller\'s signal', () => {
  it('aborts with AbortError, cause = the signal\'s reason', async () => {
    const session = createSession({ baseURL: server.url, timeout: 5000 })
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('user pressed stop')), 100)
    const { ms, error } = await elapsed(() => session('/hang', { signal: controller.signal }))
    expect(error).toBeInstanceOf(AbortError)
    expect((error as AbortError).name).toBe('AbortError')
    expect((error as AbortError).cause).toBe(controller.signal.reason)
    expect((error as Error).message).toBe(`[GET] "${server.url}/hang": aborted by the caller: user pressed stop`)
    expect(ms).toBeLessThan(1000)
    await session.close()
  })

  it('a caller\'s AbortSignal.timeout() is a TimeoutError (phase "signal")', async () => {
    const session = createSession({ baseURL: server.url })
    const error = await session('/hang', { signal: AbortSignal.timeout(100) }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).phase).toBe('signal')
    await session.close()
  })

  it('merges with the timeout: whichever comes first wins', async () => {
    const session = createSession({ baseURL: server.url })
    const controller = new AbortController()
    const error = await session('/hang', { signal: controller.signal, timeout: 100 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(controller.signal.aborted).toBe(false)
    await session.close()
  })

  it('an already-aborted signal rejects at once without a request', async () => {
    const session = createSession({ baseURL: server.url })
    await expect(session('/get', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError)
    expect(server.requests).toHaveLength(0)
    await session.close()
  })

  it('no retry after the caller aborts, including during the backoff sleep', async () => {
    const session = createSession({ baseURL: server.url, retry: { limit: 5, delay: 500, jitter: false } })
    const id = key('abort-sleep')
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    const { ms, error } = await elapsed(() => session(`/flaky/${id}?fail=10`, { signal: controller.signal }))
    expect(error).toBeInstanceOf(AbortError)
    expect(ms).toBeLessThan(450)
    await new Promise(resolve => setTimeout(resolve, 600))
    expect(server.hits(id)).toBe(1)
    await session.close()
  })

  it('a session-wide signal aborts every call', async () => {
    const controller = new AbortController()
    const session = createSession({ baseURL: server.url, signal: controller.signal })
    await expect(session('/get')).resolves.toMatchObject({ method: 'GET' })
    controller.abort()
    await expect(session('/get')).rejects.toBeInstanceOf(AbortError)
    await session.close()
  })
})

describe('timers and listeners are always released', () => {
  it('leaves no listener on a long-lived signal over 2000 requests, and no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => void warnings.push(warning)
    process.on('warning', onWarning)
    const controller = new AbortController()
    const session = createSession({ baseURL: server.url, signal: controller.signal, timeout: { total: 5000, attempt: 2000 }, retry: { delay: 0 } })
    const before = getEventListeners(controller.signal, 'abort').length
    const outcomes = { ok: 0, failed: 0 }
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(Array.from({ length: 20 }, (_, index) => {
        const path = index % 5 === 0 ? `/status/404` : index % 7 === 0 ? `/redirect/1` : '/get'
        return session(path, { signal: controller.signal }).then(() => outcomes.ok++, () => outcomes.failed++)
      }))
    }
    expect(outcomes.ok + outcomes.failed).toBe(2000)
    expect(outcomes.failed).toBe(400)
    expect(getEventListeners(controller.signal, 'abort').length).toBe(before)
    await new Promise(resolve => setImmediate(resolve))
    process.off('warning', onWarning)
    expect(warnings.filter(warning => warning.name === 'MaxListenersExceededWarning')).toEqual([])
    await session.close()
  })

  it('leaves no pending timer after success, failure, timeout, abort and retries', async () => {
    const session = createSession({ baseURL: server.url, timeout: { total: 60_000, attempt: 30_000 }, retry: { delay: 1 } })
    const timers = (): number => process.getActiveResourcesInfo().filter(name => name === 'Timeout').length
    const baseline = timers()
    await session('/get')
    await session('/status/404').catch(() => {})
    await session(`/flaky/${key('timers')}?fail=1`)
    await session('/hang', { timeout: 50 }).catch(() => {})
    await session('/hang', { signal: AbortSignal.abort() }).catch(() => {})
    const controller = new AbortController()
    const pending = session('/hang', { signal: controller.signal }).catch(() => {})
    setTimeout(() => controller.abort(), 20)
    await pending
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(timers()).toBeLessThanOrEqual(baseline)
    await session.close()
  })
})
