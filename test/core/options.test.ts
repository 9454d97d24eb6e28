import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import { mergeTimeouts, toLayer } from '../../src/options'
import { resolveRetry } from '../../src/retry'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

describe('merge rules', () => {
  it('retry: false turns it off, a number sets limit, objects override the keys they name', () => {
    expect(resolveRetry([undefined]).limit).toBe(2)
    expect(resolveRetry([false]).limit).toBe(0)
    expect(resolveRetry([false, 3]).limit).toBe(3)
    expect(resolveRetry([{ limit: 4, delay: 1 }, { maxDelay: 5 }])).toMatchObject({ limit: 4, maxDelay: 5 })
    expect(resolveRetry([{ limit: 4 }, false]).limit).toBe(0)
    expect([...resolveRetry([{ methods: ['post'] }]).methods]).toEqual(['POST'])
  })

  it('timeout: a number sets total, objects override the keys they name, false clears', () => {
    const layers = [toLayer({ timeout: { total: 1000, attempt: 100 } }).timeout, toLayer({ timeout: 500 }).timeout]
    expect(mergeTimeouts(layers)).toEqual({ total: 500, attempt: 100 })
    expect(mergeTimeouts([...layers, toLayer({ timeout: false }).timeout])).toEqual({ total: undefined, attempt: undefined })
  })

  it('query merges key by key, request over session', async () => {
    const session = createSession({ baseURL: server.url, query: { a: 'session', b: 'session' } })
    const data = await session('/get', { query: { b: 'request', c: ['x', 'y'], skipped: undefined } })
    expect(data.url).toBe(`${server.url}/get?a=session&b=request&c=x&c=y`)
    await session.close()
  })
})
