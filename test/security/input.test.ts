/**
 * Bad input from the caller: header injection, URL escapes from `baseURL`, prototype pollution.
 * Each case names its entry in ../shared/research/reliability-catalogue.md (#n).
 */
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession, InvalidRequestError } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

const root = resolve(import.meta.dirname, '../..')
let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

describe('CR, LF and NUL in headers (#73; CRLF injection)', () => {
  // Inside a value they are refused; at its ends they are HTTP whitespace, which the fetch spec
  // strips ("normalize"), so nothing can be injected either way.
  const bad = ['bar\r\nInjected: yes', 'a\nb', 'a\rb', 'x\0y']

  it('in per-request headers: InvalidRequestError, nothing sent', async () => {
    const session = createSession({ baseURL: server.url })
    for (const value of bad) {
      const error = await session('/headers', { headers: { 'x-test': value } }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InvalidRequestError)
    }
    const badName = await session('/headers', { headers: { 'fo\ro': '1' } }).catch((caught: unknown) => caught)
    expect(badName).toBeInstanceOf(InvalidRequestError)
    expect(server.requests).toHaveLength(0)
    const trimmed = await session('/headers', { headers: { 'x-test': 'bar\r\n', 'x-other': '\r\n' } })
    expect(trimmed.headers['x-test']).toBe('bar')
    expect(trimmed.headers['x-other']).toBe('')
    await session.close()
  })

  it('in default headers: a TypeError from createSession() and from session.headers.set()', () => {
    for (const value of bad) {
      expect(() => createSession({ headers: { 'x-test': value } })).toThrow(TypeError)
    }
    const session = createSession()
    expect(() => session.headers.set('x-test', 'a\r\nb: c')).toThrow(TypeError)
    expect([...session.headers]).toEqual([])
  })

  it('in an auth token: the call fails before any byte is sent', async () => {
    const session = createSession({ baseURL: server.url, auth: { bearer: 'token\r\nX-Injected: 1' }, retry: false })
    const error = await session('/headers').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect(server.requests).toHaveLength(0)
    await session.close()
  })

  it('in a cookie set through the API: the value ends at the CR, nothing is injected', async () => {
    const session = createSession({ baseURL: server.url })
    await session.cookies!.setCookie('a=b\r\nX-Injected: 1', server.url, { ignoreError: true })
    const echoed = await session('/headers')
    expect(echoed.headers['x-injected']).toBeUndefined()
    await session.close()
  })
})

describe('escaping baseURL (#77; CVE-2025-27152)', () => {
  it('only an input with a scheme leaves the base; protocol-relative and prefix-sharing inputs stay under it', async () => {
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

describe('prototype pollution, write side (#82)', () => {
  it('__proto__ and constructor keys in headers, query, retry and options pollute nothing', async () => {
    const payload = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "x-fine": "1"}')
    const session = createSession({ baseURL: server.url, query: payload, retry: JSON.parse('{"__proto__": {"limit": 99}, "limit": 0}') })
    const echoed = await session('/get', { ...JSON.parse('{"__proto__": {"baseURL": "http://evil.invalid"}}'), headers: payload, query: payload })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((Object.prototype as Record<string, unknown>).baseURL).toBeUndefined()
    expect(echoed.headers['x-fine']).toBe('1')
    expect(echoed.args['x-fine']).toBe('1')
    expect(echoed.args.polluted).toBeUndefined()
    await expect(session('/status/503')).rejects.toMatchObject({ status: 503 })
    expect(server.requests.filter(request => request.path === '/status/503')).toHaveLength(1) // limit 0 was read, not 99
    await session.close()
  })
})

describe('prototype pollution, read side (#83; defu CVE-2026-35209, the axios 2026 gadget CVEs)', () => {
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
