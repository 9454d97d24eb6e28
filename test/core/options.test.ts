import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import { mergeTimeouts, toLayer } from '../../src/options'
import { resolveRetry } from '../../src/retry'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

const root = resolve(import.meta.dirname, '../..')
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

  it('baseURL: only an input with a scheme leaves the base; protocol-relative and prefix-sharing inputs stay under it', async () => {
    const session = createSession({ baseURL: `${server.url}/anything/api`, headers: { Authorization: 'Bearer secret' } })
    expect((await session('users')).path).toBe('/anything/api/users')
    expect((await session('/users')).path).toBe('/anything/api/users')
    expect((await session(`//localhost:${server.port}/evil`)).path).toBe(`/anything/api/localhost:${server.port}/evil`)
    expect((await session('.evil.example/x')).path).toBe('/anything/api/.evil.example/x')
    expect(server.requests.every(request => request.host === `127.0.0.1:${server.port}`)).toBe(true)
    // an absolute URL is the caller's explicit choice
    expect((await session(`${server.altUrl}/anything/elsewhere`)).path).toBe('/anything/elsewhere')
    await session.close()
  })
})

describe('options are read from own properties only', () => {
  it('a polluted Object.prototype is never taken for an option', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/fixtures/polluted-prototype.ts', server.url], { cwd: root, encoding: 'utf8', timeout: 30_000 })
    expect(JSON.parse(stdout)).toEqual({
      method: 'GET', // redirect: 'error' and maxRedirects: 0 were not read
      url: `${server.url}/get`,
      type: 'object', // responseType: 'text' was not read
      status: 500, // ignoreResponseError was not read
      cookies: { cookies: { a: '1' } }, // cookies: false was not read
      pollutedHookRan: false,
    })
    // retry: 50 and limit: 40 were not read: the default 2 retries
    expect(server.requests.filter(request => request.path === '/status/500')).toHaveLength(3)
  })
})
