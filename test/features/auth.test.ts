import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AuthError, createSession } from '../../src/index'
import { digestHeader, parseDigestChallenge } from '../../src/auth'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
let other: TestServer
beforeAll(async () => {
  ;[server, other] = await Promise.all([startServer(), startServer()])
})
afterAll(() => Promise.all([server.close(), other.close()]))
beforeEach(() => {
  server.reset()
  other.reset()
})

const login = async (): Promise<string> => {
  const response = await fetch(`${server.url}/api/login`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'wonderland' }), headers: { 'content-type': 'application/json' } })
  return (await response.json() as { token: string }).token
}
const statuses = (path: string): number[] => server.requests.filter(request => request.path.startsWith(path)).map(request => request.headers.authorization ? 1 : 0)

describe('Basic', () => {
  it('sends { username, password } as HTTP Basic', async () => {
    const session = createSession({ baseURL: server.url, auth: { username: 'alice', password: 's3cret' } })
    expect(await session('/basic-auth/alice/s3cret')).toEqual({ authenticated: true, user: 'alice' })
    expect(server.requests[0]!.headers.authorization).toBe(`Basic ${btoa('alice:s3cret')}`)
    await expect(session('/basic-auth/alice/other')).rejects.toMatchObject({ status: 401 })
    await session.close()
  })

  it('per request, and `auth: false` turns the session\'s off', async () => {
    const session = createSession({ baseURL: server.url, auth: { username: 'alice', password: 's3cret' } })
    await session('/headers', { auth: false })
    expect(server.requests[0]!.headers.authorization).toBeUndefined()
    const plain = createSession({ baseURL: server.url })
    expect(await plain('/basic-auth/bob/pw', { auth: { username: 'bob', password: 'pw' } })).toEqual({ authenticated: true, user: 'bob' })
    await Promise.all([session.close(), plain.close()])
  })

  it('an Authorization header set by hand wins', async () => {
    const session = createSession({ baseURL: server.url, auth: { username: 'alice', password: 's3cret' } })
    await session('/headers', { headers: { Authorization: 'Custom xyz' } })
    expect(server.requests[0]!.headers.authorization).toBe('Custom xyz')
    await session.close()
  })
})

describe('credentials stay on their origin', () => {
  it('session auth with a baseURL goes only to the base\'s origin, not to absolute URLs elsewhere', async () => {
    const session = createSession({ baseURL: server.url, auth: { bearer: 'secret-token' } })
    await session('/headers')
    await session(`${other.url}/headers`)
    await session(`${server.altUrl}/headers`)
    expect(server.requests[0]!.headers.authorization).toBe('Bearer secret-token')
    expect(other.requests[0]!.headers.authorization).toBeUndefined()
    expect(server.requests[1]!.headers.authorization).toBeUndefined()
    await session.close()
  })

  it('never follows a redirect to another origin, and comes back with the credentials on return', async () => {
    const session = createSession({ baseURL: server.url, auth: { username: 'alice', password: 's3cret' } })
    const back = `${server.url}/headers`
    const viaOther = `${other.url}/redirect-to?url=${encodeURIComponent(back)}`
    const echoed = await session(`/redirect-to?url=${encodeURIComponent(viaOther)}`)
    expect(server.requests[0]!.headers.authorization).toBe(`Basic ${btoa('alice:s3cret')}`)
    expect(other.requests[0]!.headers.authorization).toBeUndefined()
    expect(echoed.headers.authorization).toBe(`Basic ${btoa('alice:s3cret')}`)
    await session.close()
  })

  it('protocol-relative and prefix-sharing paths stay under the base (and keep the credentials there)', async () => {
    const session = createSession({ baseURL: `${server.url}/anything`, auth: { bearer: 't' } })
    const viaProtocolRelative = await session(`//localhost:${server.port}/x`)
    const viaPrefix = await session('.localhost/x')
    for (const echoed of [viaProtocolRelative, viaPrefix]) expect(echoed.headers.authorization).toBe('Bearer t')
    expect(server.requests.map(request => request.host)).toEqual([`127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`])
    expect(viaProtocolRelative.path).toBe(`/anything/localhost:${server.port}/x`)
    await session.close()
  })
})

describe('Bearer', () => {
  it('sends a static token or one from an async provider', async () => {
    const token = await login()
    const session = createSession({ baseURL: server.url, auth: { bearer: token } })
    expect(await session('/api/users/7')).toEqual({ id: 7, name: 'user 7' })
    let calls = 0
    const provided = createSession({ baseURL: server.url, auth: { bearer: async () => (calls++, token) } })
    await provided('/api/users/1')
    await provided('/api/users/2')
    expect(calls).toBe(2)
    await Promise.all([session.close(), provided.close()])
  })

  it('refreshes once on 401 and replays the request once', async () => {
    let refreshes = 0
    const session = createSession({
      baseURL: server.url,
      auth: { bearer: 'expired-token', refresh: async () => (refreshes++, login()) },
    })
    expect(await session('/api/users/3')).toEqual({ id: 3, name: 'user 3' })
    expect(refreshes).toBe(1)
    const calls = server.requests.filter(request => request.path === '/api/users/3')
    expect(calls.map(request => request.headers.authorization?.slice(0, 10))).toEqual(['Bearer exp', 'Bearer tok'])
    // the refreshed token is kept for later requests
    await session('/api/users/4')
    expect(refreshes).toBe(1)
    await session.close()
  })

  it('concurrent 401s share exactly one refresh (single flight), then all succeed', async () => {
    let refreshes = 0
    const session = createSession({
      baseURL: server.url,
      auth: { bearer: await login(), refresh: async () => {
        refreshes++
        await new Promise(resolve => setTimeout(resolve, 50))
        return login()
      } },
    })
    await session('/api/users/0')
    server.expireTokens()
    server.reset()
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => session(`/api/users/${index}`)))
    expect(results.map(result => result.id)).toEqual(Array.from({ length: 20 }, (_, index) => index))
    expect(refreshes).toBe(1)
    const apiCalls = server.requests.filter(request => request.path.startsWith('/api/users/'))
    expect(apiCalls).toHaveLength(40) // 20 rejected with the old token, 20 replays
    await session.close()
  })

  it('a refresh that fails gives a clear AuthError to every waiting request, and no loop', async () => {
    let refreshes = 0
    const session = createSession({ baseURL: server.url, auth: { bearer: 'stale', refresh: async () => {
      refreshes++
      throw new Error('refresh endpoint down')
    } } })
    const errors = await Promise.all(Array.from({ length: 5 }, () => session('/api/users/1').catch((error: unknown) => error)))
    for (const error of errors) {
      expect(error).toBeInstanceOf(AuthError)
      expect((error as AuthError).message).toBe(`[GET] "${server.url}/api/users/1": the token refresh after a 401 failed`)
      expect(((error as AuthError).cause as Error).message).toBe('refresh endpoint down')
    }
    expect(refreshes).toBe(1)
    expect(server.requests).toHaveLength(5)
    await session.close()
  })

  it('a second 401 after the refresh is an AuthError, not refreshed again (issue 12 item 9)', async () => {
    let refreshes = 0
    const session = createSession({ baseURL: server.url, auth: { bearer: 'stale', refresh: async () => (refreshes++, 'still-bad') } })
    const error = await session('/api/users/1').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).message).toMatch('the server answered 401 to the token the refresh returned')
    expect(refreshes).toBe(1)
    expect(server.requests).toHaveLength(2)
    await session.close()
  })
})

describe('Digest (RFC 7616)', () => {
  it.each(['MD5', 'SHA-256'])('answers a %s challenge with qop=auth', async (algorithm) => {
    const session = createSession({ baseURL: server.url, auth: { username: 'user', password: 'passwd', type: 'digest' } })
    expect(await session(`/digest-auth/auth/user/passwd/${algorithm}?x=1`)).toEqual({ authenticated: true, user: 'user' })
    // the first request gets the challenge, the second answers it
    expect(statuses('/digest-auth')).toEqual([0, 1])
    // the challenge is reused for the next request (nonce count 2): no second round trip
    server.reset()
    expect(await session(`/digest-auth/auth/user/passwd/${algorithm}?x=2`)).toEqual({ authenticated: true, user: 'user' })
    expect(statuses('/digest-auth')).toEqual([1])
    expect(server.requests[0]!.headers.authorization).toMatch(/nc=00000002/)
    await session.close()
  })

  it('a wrong password ends in a 401 HTTPError after one answer', async () => {
    const session = createSession({ baseURL: server.url, auth: { username: 'user', password: 'wrong', type: 'digest' } })
    await expect(session('/digest-auth/auth/user/passwd/MD5')).rejects.toMatchObject({ status: 401 })
    expect(server.requests).toHaveLength(2)
    await session.close()
  })

  it('computes the RFC 7616 §3.9.1 example response', async () => {
    const challenge = parseDigestChallenge('Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')!
    const header = await digestHeader('Mufasa', 'Circle of Life', 'GET', '/dir/index.html', { challenge, count: 0 }, 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ')
    expect(header).toContain('response="8ca523f5e9506fed4657c9700eebdbec"')
    const sha = parseDigestChallenge('Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')!
    const shaHeader = await digestHeader('Mufasa', 'Circle of Life', 'GET', '/dir/index.html', { challenge: sha, count: 0 }, 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ')
    expect(shaHeader).toContain('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"')
  })
})

describe('bad auth options', () => {
  it('are refused with a clear error', () => {
    expect(() => createSession({ auth: { username: 'a' } as never })).toThrow(/`auth` needs a string `username` and `password`/)
    expect(() => createSession({ auth: { bearer: 42 } as never })).toThrow(/`auth.bearer` must be a string or a function/)
    expect(() => createSession({ auth: { username: 'a', password: 'b', type: 'ntlm' } as never })).toThrow(/`auth.type` must be 'basic' or 'digest'/)
  })
})
