/**
 * Mocks on Node (issue 16, item 1): a session and `$fetch` are answered by MSW 2 (`msw/node`),
 * nock 15 and undici's `MockAgent` set with `setGlobalDispatcher()`, each for real, while the
 * session keeps its cookies, redirects, retries and deadlines; once the mock is removed, both go
 * to the real local server through their own pools again (the lean path). The scenario is
 * test/node/fixtures/mocks/scenario.ts; nock 15 needs Node 22, so it runs in a child process
 * under the Node 22 of the npm `node` package (test/node/fixtures/mocks/nock-run.ts).
 */
import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { delay, http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { Agent, getGlobalDispatcher, MockAgent, setGlobalDispatcher } from 'undici'
import type { Dispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import * as adapter from '../../src/adapters/node'
import { dependencySkip, requireDependency } from '../helpers/dependencies'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { answer, Hits, observe, ORIGIN, SLOW_MS } from './fixtures/mocks/scenario'
import type { MockTool, Observations } from './fixtures/mocks/scenario'

const { $fetch, createSession, SessionClosedError } = adapter
const root = resolve(import.meta.dirname, '../..')
let server: TestServer

beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

/** The class of a response: `LeanResponse` when it came through the dispatch transport. */
const kindOf = (response: object): string => (Object.getPrototypeOf(response) as { constructor: { name: string } }).constructor.name

/** A real undici Agent that notes every request dispatched through it. */
class CountingAgent extends Agent {
  readonly seen: string[] = []
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.seen.push(`${options.method} ${String(options.origin)}${options.path}`)
    return super.dispatch(options, handler)
  }
}

/** The scenario's assertions, one test per step, over the observations `run` makes once. */
function describeScenario(name: string, run: () => Promise<Observations>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip === true)(name, () => {
    let seen: Observations
    beforeAll(async () => {
      seen = await run()
    }, 90_000)

    it('answers a session\'s call (no network: the host cannot resolve)', () => {
      expect(seen.intercepted).toEqual({ value: { name: 'mocked' } })
    })

    it('a mocked 302 that sets a cookie is followed by the session: the cookie is in its jar and sent on the next request', () => {
      expect(seen.redirect).toEqual({ value: { body: { cookie: 'sid=abc' }, jar: 'sid=abc', next: { cookie: 'sid=abc' }, other: { cookie: null }, hits: 1 } })
    })

    it('a mocked 503 is retried by the session\'s policy, then the 200 is the answer', () => {
      expect(seen.retry).toEqual({ value: { body: 'recovered', retries: 1, hits: 2 } })
    })

    it('the session\'s deadline ends a slow mocked answer', () => {
      expect(seen.deadline.error).toBe('TimeoutError')
      expect(seen.deadline.elapsed).toBeLessThan(SLOW_MS - 500)
    })

    it('answers $fetch', () => {
      expect(seen.stateless).toEqual({ value: { via: 'mock' } })
    })

    it('a request\'s dispatcher that is not one is refused once (InvalidRequestError, no retry), and the mock sees nothing', () => {
      // `/me` was asked once, by the first step.
      expect(seen.notADispatcher).toEqual({ error: 'InvalidRequestError', retries: 0, hits: 1 })
    })

    it('with the mock removed, the session and $fetch go to the real server through their own pools again (the lean path)', () => {
      expect(seen.removed).toEqual({ value: { connections: expect.any(Number), reused: true, response: 'LeanResponse', stateless: 'LeanResponse' } })
      expect((seen.removed as { value: { connections: number } }).value.connections).toBeLessThanOrEqual(2)
    })
  })
}

// ---------------------------------------------------------------------------------------- MSW 2

const mswHits = new Hits()
/**
 * The `Cookie` each request came with, by request id: MSW keeps the cookies its mocks set in a
 * store of its own and appends them to every later request's header before the handler runs.
 */
const sentCookies = new Map<string, string | null>()
const msw = setupServer(
  http.get(`${ORIGIN}/*`, async ({ request, requestId }) => {
    const path = new URL(request.url).pathname
    const hit = mswHits.add(path)
    if (path === '/slow') await delay(SLOW_MS)
    const { status, headers, body } = answer(path, sentCookies.get(requestId) ?? null, hit)
    return new HttpResponse(body === '' ? null : body, { status, headers })
  }),
)
msw.events.on('request:start', ({ request, requestId }) => void sentCookies.set(requestId, request.headers.get('cookie')))
let mswListening = false
const mswTool: MockTool = {
  hits: mswHits,
  install() {
    msw.listen({ onUnhandledRequest: 'bypass' })
    mswListening = true
  },
  remove() {
    if (!mswListening) return
    mswListening = false
    msw.close()
  },
}

describeScenario('MSW 2 (msw/node)', () => observe(adapter, mswTool, server.url))

describe('MSW 2, beyond the scenario', () => {
  afterAll(() => mswTool.remove())

  it('a request it lets through leaves on the session\'s dispatcher; a session\'s own `dispatcher` is intercepted too', async () => {
    const agent = new CountingAgent()
    const session = createSession({ dispatcher: agent })
    mswTool.install()
    try {
      expect(await session(`${ORIGIN}/me`)).toEqual({ name: 'mocked' })
      expect((await session(`${server.url}/get?key=through`)).args).toEqual({ key: 'through' })
      expect(agent.seen).toEqual([`GET ${server.url}/get?key=through`])
    }
    finally {
      mswTool.remove()
      await session.close()
      await agent.close()
    }
  })

  it('close() fails a mocked request still waiting with SessionClosedError', async () => {
    const session = createSession()
    mswTool.install()
    let reached!: () => void
    const handled = new Promise<void>(resolve => reached = resolve)
    msw.use(http.get(`${ORIGIN}/hang`, () => {
      reached()
      return delay('infinite')
    }))
    try {
      const pending = session(`${ORIGIN}/hang`).catch((error: unknown) => error)
      await handled
      await session.close()
      expect(await pending).toBeInstanceOf(SessionClosedError)
    }
    finally {
      msw.resetHandlers()
      mswTool.remove()
    }
  })

  it('a mock listening before the adapter loaded is seen, and Node\'s own fetch once it is removed', async () => {
    mswTool.install()
    vi.resetModules()
    const fresh = await import('../../src/adapters/node')
    const session = fresh.createSession()
    try {
      expect(await session(`${ORIGIN}/me`)).toEqual({ name: 'mocked' })
      mswTool.remove()
      expect(kindOf(await session.raw(`${server.url}/get`))).toBe('LeanResponse')
      expect(kindOf(await fresh.$fetch.raw(`${server.url}/get`))).toBe('LeanResponse')
    }
    finally {
      mswTool.remove()
      await session.close()
    }
  })
})

describe('another replacement of globalThis.fetch (not a mock\'s)', () => {
  it('is $fetch\'s, not a session\'s: the session keeps its own pool', async () => {
    const platform = globalThis.fetch
    const seen: string[] = []
    const session = createSession()
    globalThis.fetch = (input, init) => {
      seen.push(String(input))
      return platform(input, init)
    }
    try {
      expect(kindOf(await session.raw(`${server.url}/get?key=session`))).toBe('LeanResponse')
      await $fetch(`${server.url}/get?key=stateless`)
      expect(seen).toEqual([`${server.url}/get?key=stateless`])
    }
    finally {
      globalThis.fetch = platform
      await session.close()
    }
  })
})

// ------------------------------------------------------------------------------ undici MockAgent

/** A header of a MockAgent request (headers as dispatched: a flat list, pairs or an object). */
function headerOf(headers: unknown, name: string): string | null {
  if (Array.isArray(headers)) {
    const flat = Array.isArray(headers[0]) ? (headers as string[][]).flat() : headers as string[]
    for (let index = 0; index < flat.length; index += 2) if (String(flat[index]).toLowerCase() === name) return String(flat[index + 1])
    return null
  }
  const value = (headers as Record<string, string | undefined> | undefined)?.[name]
  return value ?? null
}

const mockHits = new Hits()
let original: Dispatcher | undefined
let mockAgent: MockAgent | undefined
const mockAgentTool: MockTool = {
  hits: mockHits,
  install() {
    original = getGlobalDispatcher()
    mockAgent = new MockAgent()
    mockAgent.disableNetConnect()
    const pool = mockAgent.get(ORIGIN)
    const reply = (options: { path: string, headers?: unknown }) => {
      const path = new URL(options.path, ORIGIN).pathname
      const { status, headers, body } = answer(path, headerOf(options.headers, 'cookie'), mockHits.add(path))
      return { statusCode: status, data: body, responseOptions: { headers } }
    }
    pool.intercept({ path: '/slow', method: 'GET' }).reply(reply).delay(SLOW_MS)
    pool.intercept({ path: () => true, method: 'GET' }).reply(reply).persist()
    setGlobalDispatcher(mockAgent)
  },
  async remove() {
    if (!mockAgent) return
    setGlobalDispatcher(original!)
    const agent = mockAgent
    mockAgent = undefined
    await agent.close()
  },
}

describeScenario('undici MockAgent (setGlobalDispatcher)', () => observe(adapter, mockAgentTool, server.url))

describe('undici MockAgent, beyond the scenario', () => {
  afterAll(() => mockAgentTool.remove())

  it('takes the requests of a session with transport options, not those of a session\'s own `dispatcher`', async () => {
    const agent = new CountingAgent()
    const pooled = createSession({ pool: { connections: 2 }, http2: false })
    const own = createSession({ dispatcher: agent })
    mockAgentTool.install()
    try {
      expect(await pooled(`${ORIGIN}/me`)).toEqual({ name: 'mocked' })
      // The caller's dispatcher is theirs, as with fetch(url, { dispatcher }): the real server answers.
      expect((await own(`${server.url}/get?key=own`)).args).toEqual({ key: 'own' })
      expect(agent.seen).toEqual([`GET ${server.url}/get?key=own`])
    }
    finally {
      await mockAgentTool.remove()
      await pooled.close()
      await own.close()
      await agent.close()
    }
  })

  it('another global dispatcher (not a MockAgent) is $fetch\'s, not a session\'s', async () => {
    const previous = getGlobalDispatcher()
    const global = new CountingAgent()
    const session = createSession()
    setGlobalDispatcher(global)
    try {
      await session(`${server.url}/get?key=session`)
      await $fetch(`${server.url}/get?key=stateless`)
      expect(global.seen).toEqual([`GET ${server.url}/get?key=stateless`])
    }
    finally {
      setGlobalDispatcher(previous)
      await session.close()
      await global.close()
    }
  })
})

// ------------------------------------------------------------------------- nock 15 under Node 22

const NOCK_SUITE = 'nock 15 (in a child process under Node 22)'
const noNode22 = dependencySkip('node22', NOCK_SUITE, import.meta.filename)

describeScenario(NOCK_SUITE, async () => {
  const node22 = requireDependency('node22')
  const script = join(import.meta.dirname, 'fixtures/mocks/nock-run.ts')
  const { stdout } = await promisify(execFile)(node22, ['--import', 'tsx', script, server.url], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Observations
}, { skip: noNode22 !== undefined })
