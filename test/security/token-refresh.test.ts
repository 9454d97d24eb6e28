/**
 * One token refresh per burst of 401s (issue 12 item 9): a refresh that returns a token the
 * server still rejects is not run again for every request that gets a 401, and the caller sees
 * `AuthError`, whatever the token.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { REFRESH_PAUSE } from '../../src/auth'
import { AuthError, createSession } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())
afterEach(() => {
  vi.useRealTimers()
})

const login = async (): Promise<string> => {
  const response = await fetch(`${server.url}/api/login`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'wonderland' }), headers: { 'content-type': 'application/json' } })
  return (await response.json() as { token: string }).token
}
const apiCalls = (): number => server.requests.filter(request => request.path.startsWith('/api/users/')).length

describe('a refresh that returns a token the server still rejects', () => {
  it('20 concurrent 401s: exactly one refresh, 20 AuthErrors; a later call gets AuthError without another refresh', async () => {
    let refreshes = 0
    const session = createSession({ baseURL: server.url, auth: { bearer: 'stale', refresh: async () => `rejected-${++refreshes}` } })
    // In flight together, started 3 ms apart: the first 401s are answered with the old
    // token, and the later calls are sent with the token the refresh gave.
    const errors = await Promise.all(Array.from({ length: 20 }, (_, index) => new Promise(resolve => setTimeout(resolve, 3 * index))
      .then(() => session(`/api/users/${index}`))
      .catch((error: unknown) => error)))
    expect(refreshes).toBe(1)
    for (const error of errors) {
      expect(error).toBeInstanceOf(AuthError)
      expect((error as Error).message).toMatch('the server answered 401 to the token the refresh returned')
    }
    // Each request: one send with the old token, at most one replay with the fresh one.
    expect(apiCalls()).toBeLessThanOrEqual(40)
    const before = apiCalls()
    const later = await session('/api/users/21').catch((error: unknown) => error)
    expect(later).toBeInstanceOf(AuthError)
    expect(refreshes).toBe(1)
    expect(apiCalls()).toBe(before + 1) // sent once with the fresh token, no replay
    await session.close()
  })

  it(`after ${REFRESH_PAUSE / 1000} s a later call may refresh again (the clock is faked: Date only, the network is real)`, async () => {
    let refreshes = 0
    let good = false
    const session = createSession({ baseURL: server.url, auth: { bearer: 'stale', refresh: async () => (refreshes++, good ? login() : 'rejected') } })
    await Promise.all([1, 2, 3].map(id => session(`/api/users/${id}`).catch(() => {})))
    expect(refreshes).toBe(1)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + REFRESH_PAUSE - 1000)
    await expect(session('/api/users/4')).rejects.toBeInstanceOf(AuthError)
    expect(refreshes).toBe(1)
    vi.setSystemTime(Date.now() + 2000)
    good = true
    expect(await session('/api/users/5')).toEqual({ id: 5, name: 'user 5' })
    expect(refreshes).toBe(2)
    await session.close()
  })
})

describe('a refresh whose token works', () => {
  it('20 concurrent 401s share one refresh and all succeed; once the new token worked, the next burst may refresh again', async () => {
    let refreshes = 0
    const session = createSession({ baseURL: server.url, auth: { bearer: 'stale', refresh: async () => (refreshes++, login()) } })
    const burst = (from: number): Promise<unknown[]> => Promise.all(Array.from({ length: 20 }, (_, index) => session(`/api/users/${from + index}`)))
    expect((await burst(0)).length).toBe(20)
    expect(refreshes).toBe(1)
    // A later call after the successful refresh uses the token it gave: no refresh.
    expect(await session('/api/users/99')).toEqual({ id: 99, name: 'user 99' })
    expect(refreshes).toBe(1)
    server.expireTokens()
    expect((await burst(100)).length).toBe(20)
    expect(refreshes).toBe(2)
    await session.close()
  })

  it('a refresh elsewhere (another session with the same auth object) serves this one\'s 401s too', async () => {
    let refreshes = 0
    const auth = { bearer: 'stale', refresh: async () => (refreshes++, login()) }
    const first = createSession({ baseURL: server.url, auth })
    const second = first.extend({ headers: { 'x-child': '1' } })
    expect(await first('/api/users/1')).toEqual({ id: 1, name: 'user 1' })
    expect(await second('/api/users/2')).toEqual({ id: 2, name: 'user 2' })
    expect(refreshes).toBe(1)
    await first.close()
  })
})
