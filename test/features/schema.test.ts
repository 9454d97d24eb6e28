/**
 * `schema`: a Standard Schema validates and transforms the parsed body, with the real libraries
 * users pair with a client (zod 4, valibot 1); a mismatch is a `SchemaError` (paths, never values,
 * in its message), never retried. The output types are checked in test/types.test.ts.
 */
import * as v from 'valibot'
import { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { $fetch, createSession, InvalidRequestError, SchemaError } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
})

const ZodUser = z.object({ id: z.number(), name: z.string() }).transform(user => ({ ...user, label: `#${user.id} ${user.name}` }))
const ValibotUser = v.pipe(v.object({ id: v.number(), name: v.string() }), v.transform(user => ({ ...user, label: `#${user.id} ${user.name}` })))

describe('schema', () => {
  it.each([['zod', ZodUser], ['valibot', ValibotUser]] as const)('%s: the body validated and transformed; the call resolves to the schema\'s output', async (_, schema) => {
    const token = await login()
    await using session = createSession({ baseURL: server.url, auth: { bearer: token } })
    expect(await session('/api/users/7', { schema })).toEqual({ id: 7, name: 'user 7', label: '#7 user 7' })
    const raw = await session.raw('/api/users/8', { schema })
    expect(raw._data).toEqual({ id: 8, name: 'user 8', label: '#8 user 8' })
    expect(await session.get('/api/users/9', { schema })).toMatchObject({ label: '#9 user 9' })
  })

  it.each([['zod', z.object({ headers: z.object({ 'x-id': z.number(), 'x-secret': z.number() }) })], ['valibot', v.object({ headers: v.object({ 'x-id': v.number(), 'x-secret': v.number() }) })]] as const)('%s: a mismatch is a SchemaError with the paths, never retried, no value of the body in its message', async (_, schema) => {
    const key = `schema-${Math.random().toString(36).slice(2)}`
    await using session = createSession({ baseURL: server.url, retry: { limit: 3, delay: 1 } })
    // /headers echoes the request's headers: the body holds the secret, the URL does not.
    const error = await session(`/headers?key=${key}`, { headers: { 'x-id': '1', 'x-secret': 'hunter2-password' }, schema }).catch(caught => caught)
    expect(error).toBeInstanceOf(SchemaError)
    expect(error.name).toBe('SchemaError')
    expect(error.status).toBe(200)
    expect(error.issues.map((issue: { path: PropertyKey[] }) => issue.path)).toEqual([['headers', 'x-id'], ['headers', 'x-secret']])
    expect(error.message).toMatch(/: 200: the response body does not match the schema \(2 issues, at headers\.x-id, headers\.x-secret\)$/)
    expect(error.message).not.toContain('hunter2')
    expect(error.response.status).toBe(200)
    expect(server.hits(key)).toBe(1)
  })

  it('an async schema is awaited; a session\'s schema applies to its calls, a request\'s wins', async () => {
    const slow = { '~standard': { version: 1, vendor: 'test', validate: async (value: unknown) => ({ value: { wrapped: value } }) } } as const
    await using session = createSession({ baseURL: server.url, schema: slow })
    expect(await session('/get', { query: { a: '1' } })).toMatchObject({ wrapped: { args: { a: '1' } } })
    expect(await session('/get', { schema: z.object({ args: z.object({ a: z.string() }) }).transform(body => body.args.a), query: { a: '2' } })).toBe('2')
    expect(await $fetch(`${server.url}/get`, { schema: z.object({ url: z.string() }).transform(body => body.url.length > 0) })).toBe(true)
  })

  it('an error status resolved by ignoreResponseError is not validated; a stream cannot be; a schema must be one', async () => {
    await using session = createSession({ baseURL: server.url })
    const missing = await session.raw('/status/404', { schema: z.object({ id: z.number() }), ignoreResponseError: true, retry: false })
    expect(missing.status).toBe(404)
    await expect(session('/get', { schema: z.object({}), responseType: 'stream' })).rejects.toMatchObject({ name: 'InvalidRequestError', option: 'schema' })
    await expect(session('/get', { schema: { parse: () => 1 } as never })).rejects.toBeInstanceOf(InvalidRequestError)
  })
})

async function login(): Promise<string> {
  const answer = await fetch(`${server.url}/api/login`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'wonderland' }) })
  return ((await answer.json()) as { token: string }).token
}
