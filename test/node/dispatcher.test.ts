/**
 * A caller's undici dispatcher on Node (issue 11, item 8): per request
 * (`session(url, { dispatcher })`, `$fetch` too) and session-wide (`createSession({ dispatcher })`,
 * `mount()`), requests go through it on the lean dispatch path and on the undici-fetch fallback;
 * the session never closes it; combining it with the options that configure a pool is refused.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Agent, MockAgent } from 'undici'
import type { Dispatcher } from 'undici'
import { $fetch, createSession, InvalidRequestError, UnsupportedOptionError } from '../../src/adapters/node'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer

beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

/** A real undici Agent that notes every request dispatched through it. */
class CountingAgent extends Agent {
  readonly seen: string[] = []
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.seen.push(`${options.method} ${String(options.origin)}${options.path}`)
    return super.dispatch(options, handler)
  }
}

const streamOf = (text: string): ReadableStream<Uint8Array> => new ReadableStream({
  start(controller) {
    controller.enqueue(new TextEncoder().encode(text))
    controller.close()
  },
})

describe('a request\'s dispatcher', () => {
  it('sends that request, on the lean path and on the fallback (stream body), in a session and in $fetch', async () => {
    const agent = new CountingAgent()
    const session = createSession({ baseURL: server.url })
    try {
      expect((await session('/get?key=lean', { dispatcher: agent } as never)).args).toEqual({ key: 'lean' })
      expect(await session('/anything?key=stream', { method: 'POST', body: streamOf('streamed'), dispatcher: agent } as never)).toMatchObject({ body: 'streamed' })
      expect((await $fetch(`${server.url}/get?key=stateless`, { dispatcher: agent } as never)).args).toEqual({ key: 'stateless' })
      await session('/get?key=own-pool')
      expect(agent.seen).toEqual([`GET ${server.url}/get?key=lean`, `POST ${server.url}/anything?key=stream`, `GET ${server.url}/get?key=stateless`])
    }
    finally {
      await session.close()
      await agent.close()
    }
  })

  it('follows each redirect hop through it', async () => {
    const agent = new CountingAgent()
    const session = createSession({ baseURL: server.url })
    try {
      await session('/redirect/2', { dispatcher: agent } as never)
      expect(agent.seen).toEqual([`GET ${server.url}/redirect/2`, `GET ${server.url}/redirect/1`, `GET ${server.url}/get`])
    }
    finally {
      await session.close()
      await agent.close()
    }
  })

  it('answers from an undici MockAgent (no network)', async () => {
    const mock = new MockAgent()
    mock.disableNetConnect()
    mock.get('http://api.test').intercept({ path: '/me' }).reply(200, { name: 'mocked' }, { headers: { 'content-type': 'application/json' } })
    const session = createSession()
    try {
      expect(await session('http://api.test/me', { dispatcher: mock } as never)).toEqual({ name: 'mocked' })
    }
    finally {
      await session.close()
      await mock.close()
    }
  })

  it('that is not a dispatcher is an InvalidRequestError, and nothing is sent', async () => {
    const session = createSession({ baseURL: server.url, retry: false })
    const error = await session('/get', { dispatcher: { request: () => {} } } as never).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect((error as Error).message).toMatch('`dispatcher` must be an undici Dispatcher')
    expect(server.requests).toEqual([])
    await session.close()
  })
})

describe('a session\'s dispatcher', () => {
  it('sends every request of the session (lean path and fallback), and close() leaves it open', async () => {
    const agent = new CountingAgent()
    try {
      const session = createSession({ baseURL: server.url, dispatcher: agent })
      const form = new FormData()
      form.append('a', '1')
      await session('/get?key=one')
      await session('/anything', { method: 'POST', body: form })
      await session.close()
      expect(agent.seen).toEqual([`GET ${server.url}/get?key=one`, `POST ${server.url}/anything`])
      expect(agent.closed).toBe(false)
      const { statusCode, body } = await agent.request({ origin: server.url, path: '/get', method: 'GET' })
      await body.dump()
      expect(statusCode).toBe(200)
    }
    finally {
      await agent.close()
    }
  })

  it('a mount\'s dispatcher sends the requests under its prefix, and stays open after close()', async () => {
    const agent = new CountingAgent()
    try {
      const session = createSession().mount(`${server.altUrl}/`, { dispatcher: agent })
      await session(`${server.url}/get?key=session`)
      await session(`${server.altUrl}/get?key=mount`)
      await session.close()
      expect(agent.seen).toEqual([`GET ${server.altUrl}/get?key=mount`])
      expect(agent.closed).toBe(false)
    }
    finally {
      await agent.close()
    }
  })

  it('cannot be combined with proxy, tls, pool, http2 or fetch (UnsupportedOptionError naming the option)', async () => {
    const agent = new Agent()
    try {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ proxy: 'http://127.0.0.1:9' }, 'proxy'],
        [{ proxy: true }, 'proxy'],
        [{ tls: { rejectUnauthorized: false } }, 'tls'],
        [{ pool: { connections: 2 } }, 'pool'],
        [{ http2: true }, 'http2'],
        [{ fetch: globalThis.fetch }, 'dispatcher'],
      ]
      for (const [options, option] of cases) {
        const error = (() => {
          try {
            createSession({ dispatcher: agent, ...options })
          }
          catch (caught) {
            return caught as UnsupportedOptionError
          }
        })()
        expect(error).toBeInstanceOf(UnsupportedOptionError)
        expect([option, error!.option]).toEqual([option, option])
        expect(error!.message).toMatch('dispatcher')
      }
      // `false` asks for nothing, so it combines.
      await createSession({ dispatcher: agent, proxy: false, http2: false }).close()
    }
    finally {
      await agent.close()
    }
  })

  it('that is not a dispatcher is an InvalidRequestError at createSession(), naming `dispatcher`', () => {
    expect(() => createSession({ dispatcher: {} as never })).toThrow(/`dispatcher` must be an undici Dispatcher/)
    expect(() => createSession({ dispatcher: 'agent' as never })).toThrow(expect.objectContaining({ name: 'InvalidRequestError', option: 'dispatcher' }))
  })
})

describe('the generic adapter', () => {
  it('refuses a dispatcher: UnsupportedOptionError at createSession(), InvalidRequestError per request', async () => {
    const { createSession: createGenericSession, $fetch: generic$fetch } = await import('../../src/index')
    const agent = new CountingAgent()
    try {
      expect(() => createGenericSession({ dispatcher: agent })).toThrow(UnsupportedOptionError)
      const session = createGenericSession({ baseURL: server.url })
      for (const call of [session('/get', { dispatcher: agent } as never), generic$fetch(`${server.url}/get`, { dispatcher: agent } as never)]) {
        const error = await call.catch((caught: unknown) => caught)
        expect(error).toBeInstanceOf(InvalidRequestError)
        expect((error as Error).message).toMatch('the generic fetch adapter cannot honour')
      }
      expect(agent.seen).toEqual([])
      await session.close()
    }
    finally {
      await agent.close()
    }
  })
})
