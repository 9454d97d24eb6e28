/**
 * No secret reaches what an error prints (issue 12 item 8): its `message`, `stack`,
 * `util.inspect()`, `JSON.stringify()`, nor the message, stack or enumerable properties of any
 * error in its `cause` chain. Tested with every name of `SECRET_PARAMETER_NAMES`, in URLs that
 * fail each way, and with CR/LF in headers that carry credentials.
 */
import { inspect } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession, InvalidRequestError, NetworkError } from '../../src/index'
import { isSecretName, redactURL, SECRET_PARAMETER_NAMES } from '../../src/secrets'
import { closedPort } from '../helpers/ports'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
let refused: number
beforeAll(async () => {
  server = await startServer()
  refused = await closedPort()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

/** A value no message may print, one per name. */
const secretOf = (index: number): string => `S3CRET${index}x`
const PASSWORD = 'pa55-S3CRETpw'
/** Every name with its own secret value, as a query; and as a fragment (OAuth's implicit flow). */
const query = SECRET_PARAMETER_NAMES.map((name, index) => `${encodeURIComponent(name)}=${secretOf(index)}`).join('&')
const fragment = `access_token=FRAGMENT-S3CRET&state=kept`
const secrets = [...SECRET_PARAMETER_NAMES.map((_, index) => secretOf(index)), PASSWORD, 'FRAGMENT-S3CRET']

/** The errors of a cause chain, outermost first (an AggregateError's `errors` included). */
function chain(error: unknown): object[] {
  const out: object[] = []
  const walk = (value: unknown, depth: number): void => {
    if (typeof value !== 'object' || value === null || depth > 10 || out.includes(value)) return
    out.push(value)
    for (const item of (value as { errors?: unknown[] }).errors ?? []) walk(item, depth + 1)
    walk((value as { cause?: unknown }).cause, depth + 1)
  }
  walk(error, 0)
  return out
}

/** Everything an error prints, and what each error of its cause chain says. */
function printed(error: unknown): string {
  const parts = [String(error), inspect(error, { depth: 10 }), JSON.stringify(error) ?? '']
  for (const item of chain(error)) {
    const record = item as Record<string, unknown>
    parts.push(String(record.message), String(record.stack))
    for (const key of Object.keys(item)) parts.push(`${key}=${typeof record[key] === 'object' ? JSON.stringify(record[key]) : String(record[key])}`)
  }
  return parts.join('\n')
}

function expectNoSecret(error: unknown, label: string): void {
  const text = printed(error)
  for (const secret of secrets) expect(text, `${label} printed ${secret}`).not.toContain(secret)
}

const store = async (location: string): Promise<string> => {
  const response = await fetch(`${server.url}/stored-redirect`, { method: 'POST', body: location })
  return `${server.url}/stored-redirect/${(await response.json() as { id: string }).id}`
}

describe('the secret parameter names', () => {
  it('every listed name is one (the list and the matching agree)', () => {
    expect(SECRET_PARAMETER_NAMES.filter(name => !isSecretName(name))).toEqual([])
  })

  it('are matched whatever their case and separators, and by their endings', () => {
    for (const name of ['accessToken', 'ACCESS-TOKEN', 'access.token', 'Access_Token', 'access%5Ftoken', 'user[password]', 'csrf_token', 'X-GOOG-SIGNATURE', 'x_amz_security_token', 'db_password', 'upload-signature', 'PrivateToken', 'auth_token', 'private_token'])
      expect(isSecretName(name), name).toBe(true)
    for (const name of ['page', 'status_code', 'url', 'state', 'id', 'q', 'monkey', 'tokenizer', 'sort'])
      expect(isSecretName(name), name).toBe(false)
  })

  it('every name of the list is redacted in a URL, with the other parameters kept', () => {
    const redacted = redactURL(`https://user:${PASSWORD}@api.example.com/x?page=2&${query}#${fragment}`)
    expect(redacted.startsWith('https://api.example.com/x?page=2&')).toBe(true)
    expect(redacted.endsWith('#access_token=REDACTED&state=kept')).toBe(true)
    for (const name of SECRET_PARAMETER_NAMES) expect(redacted).toContain(`${encodeURIComponent(name)}=REDACTED`)
    for (const secret of secrets) expect(redacted).not.toContain(secret)
  })

  it('URLs that do not parse are redacted too: userinfo (even with a / in the password), query and fragment', () => {
    expect(redactURL(`http://user:${PASSWORD}@exa mple.com/x?token=abc&b=2`)).toBe('http://REDACTED@exa mple.com/x?token=REDACTED&b=2')
    expect(redactURL('http://user:pa/ss@127.0.0.1:99999/x')).toBe('http://REDACTED@127.0.0.1:99999/x')
    expect(redactURL('/callback?code=abc&state=1')).toBe('/callback?code=REDACTED&state=1')
    expect(redactURL('//user:pw@host/x?sig=abc==')).toBe('//REDACTED@host/x?sig=REDACTED')
    expect(redactURL('https://host/users/alice@example.com')).toBe('https://host/users/alice@example.com')
  })
})

describe('no secret in any printed form of an error', () => {
  it('for every name: an unparsable URL, a refused connection, an error status, a timeout', async () => {
    const session = createSession({ retry: false })
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['unparsable URL (bad port)', () => session(`http://user:${PASSWORD}@127.0.0.1:99999/x?${query}`), 'InvalidRequestError'],
      ['unparsable URL (space in the host)', () => session(`http://user:${PASSWORD}@exa mple.com/x?${query}`), 'InvalidRequestError'],
      ['relative URL and no baseURL', () => session(`/x?${query}#${fragment}`), 'InvalidRequestError'],
      ['refused connection', () => session(`http://user:${PASSWORD}@127.0.0.1:${refused}/x?${query}`), 'NetworkError'],
      ['error status', () => session(`http://user:${PASSWORD}@127.0.0.1:${server.port}/status/401?${query}#${fragment}`), 'HTTPError'],
      ['timeout', () => session(`${server.url}/hang?${query}`, { timeout: 50 }), 'TimeoutError'],
    ]
    for (const [label, call, name] of cases) {
      const error = await call().catch((caught: unknown) => caught)
      expect((error as Error).name, label).toBe(name)
      expectNoSecret(error, label)
    }
    const status = await session(`${server.url}/status/401?page=2&${query}#${fragment}`).catch((caught: unknown) => caught) as Error
    for (const name of SECRET_PARAMETER_NAMES) expect(status.message).toContain(`${encodeURIComponent(name)}=REDACTED`)
    expect(status.message).toMatch(`"${server.url}/status/401?page=2&`)
    await session.close()
  })

  it('for every name: a refused redirect (redirect: \'error\', an invalid Location, too many redirects, a relative Location)', async () => {
    const session = createSession({ retry: false })
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['redirect: error', async () => session(await store(`http://user:${PASSWORD}@localhost:${server.port}/cb?${query}#${fragment}`), { redirect: 'error' }), 'ERR_REDIRECT_MODE'],
      ['relative Location', async () => session(await store(`/cb?${query}`), { redirect: 'error' }), 'ERR_REDIRECT_MODE'],
      ['invalid Location', async () => session(await store(`http://user:${PASSWORD}@[bad/cb?${query}`)), 'ERR_REDIRECT_LOCATION'],
      ['too many redirects', async () => session(await store(`${server.url}/redirect/3?${query}`), { maxRedirects: 1 }), 'ERR_TOO_MANY_REDIRECTS'],
    ]
    for (const [label, call, code] of cases) {
      const error = await call().catch((caught: unknown) => caught)
      expect((error as Error).name, label).toBe('RedirectError')
      expect((error as { code: string }).code, label).toBe(code)
      expectNoSecret(error, label)
    }
    await session.close()
  })

  it('a runtime error in the cause chain keeps its kind and what it said, without the secrets', async () => {
    const session = createSession({ retry: false })
    const error = await session(`http://127.0.0.1:${refused}/x?token=S3CRET0x`).catch((caught: unknown) => caught) as NetworkError
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.code).toBe('ECONNREFUSED')
    const causes = chain(error).slice(1) as Array<Error & { code?: string }>
    expect(causes.some(cause => cause.code === 'ECONNREFUSED')).toBe(true)
    expect(causes.map(cause => cause.message).join(' ')).toMatch('ECONNREFUSED')
    expectNoSecret(error, 'NetworkError')
    await session.close()
  })
})

describe('CR or LF in a header that carries credentials: the message names the header, never its value (issue 12 item 8)', () => {
  const value = 'Bearer HDR-S3CRET\r\nX-Injected: 1'
  const names = ['Authorization', 'Cookie', 'Proxy-Authorization', 'X-Api-Key']

  it('per request and as session defaults: InvalidRequestError / TypeError naming the header, nothing sent', async () => {
    const session = createSession({ baseURL: server.url, sensitiveHeaders: ['X-Api-Key'], retry: false })
    for (const name of names) {
      for (const headers of [{ [name]: value }, new Map([[name, value]]), [[name, value]]] as unknown[]) {
        const error = await session('/headers', { headers: (headers instanceof Map ? [...headers] : headers) as never }).catch((caught: unknown) => caught)
        expect(error).toBeInstanceOf(InvalidRequestError)
        expect((error as Error).message).toMatch(`the value of the header ${JSON.stringify(name)} is not a valid header value: it contains CR, LF or NUL`)
        expect(printed(error)).not.toContain('HDR-S3CRET')
      }
      let thrown: unknown
      try {
        createSession({ headers: { [name]: value } })
      }
      catch (caught) {
        thrown = caught
      }
      expect(thrown).toBeInstanceOf(TypeError)
      expect((thrown as Error).message).toMatch(JSON.stringify(name))
      expect(printed(thrown)).not.toContain('HDR-S3CRET')
    }
    expect(server.requests).toHaveLength(0)
    await session.close()
  })

  it('in a bearer token: the call fails before anything is sent, without the value', async () => {
    const session = createSession({ baseURL: server.url, retry: false })
    for (const auth of [{ bearer: 'AUTH-S3CRET\r\nX-Injected: 1' }, { bearer: async () => 'AUTH-S3CRET\nx' }]) {
      const error = await session('/headers', { auth }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InvalidRequestError)
      expect((error as Error).message).toMatch('the header "authorization"')
      expect(printed(error)).not.toContain('AUTH-S3CRET')
    }
    expect(server.requests).toHaveLength(0)
    await session.close()
  })
})
