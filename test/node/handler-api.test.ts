/**
 * The dispatch transport's handler and undici's two handler APIs (issue 13 item 8): a dispatcher
 * that speaks only the controller API (`onRequestStart`, `onResponseStart`, `onResponseData`,
 * `onResponseEnd`, `onResponseError`, as undici 8 alone does) and one that speaks only the legacy
 * API (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`, as undici 6 does, the one
 * inside Node 20 whose global dispatcher `$fetch` may use) both carry a session's requests:
 * status, headers (each `Set-Cookie` apart), body bytes, decoding, back-pressure and aborts.
 */
import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { Agent, Dispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../src/adapters/node'

const root = join(import.meta.dirname, '../..')
const MIB = 1024 * 1024
/** An unread body this big must pause the transfer well before its end (socket buffers hold a few MiB). */
const BIG = 32 * MIB
const JSON_BODY = { hello: 'world', n: 1 }
let server: Server
let base: string
let agent: Agent
/** Bytes of /big the server has written so far. */
let written = 0
/** /trickle responses whose connection closed before they ended. */
let trickleClosed = 0

function serve(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0]
  if (path === '/cookies') {
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/'])
    res.setHeader('x-multi', ['1', '2'])
    res.setHeader('X-Mixed-Case', 'Yes')
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(JSON_BODY))
  }
  else if (path === '/echo-cookie') {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ cookie: req.headers.cookie ?? null }))
  }
  else if (path === '/gzip') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    res.end(gzipSync(JSON.stringify(JSON_BODY)))
  }
  else if (path === '/big') {
    const size = Number(new URL(req.url!, 'http://x').searchParams.get('mib') ?? 32) * MIB
    written = 0
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) })
    const chunk = Buffer.alloc(64 * 1024, 7)
    const write = (): void => {
      while (written < size) {
        written += chunk.length
        if (!res.write(chunk)) {
          res.once('drain', write)
          return
        }
      }
      res.end()
    }
    write()
  }
  else if (path === '/trickle') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first ')
    const timer = setInterval(() => res.write('more '), 20)
    res.on('close', () => {
      clearInterval(timer)
      if (!res.writableEnded) trickleClosed++
    })
  }
  else {
    res.statusCode = 404
    res.end()
  }
}

beforeAll(async () => {
  server = createServer(serve)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  agent = new Agent()
})
afterAll(async () => {
  await agent.close()
  await new Promise(resolve => server.close(resolve))
})

type Handler = Dispatcher.DispatchHandler
type Controller = Dispatcher.DispatchController

const CONTROLLER_METHODS = ['onRequestStart', 'onResponseStart', 'onResponseData', 'onResponseEnd', 'onResponseError'] as const
const LEGACY_METHODS = ['onConnect', 'onHeaders', 'onData', 'onComplete', 'onError'] as const

/** What a dispatcher saw of the session's handler. */
interface Seen {
  calls: string[]
  pauses: number
  resumes: number
  aborts: unknown[]
  headerForms: string[]
}

const newSeen = (): Seen => ({ calls: [], pauses: 0, resumes: 0, aborts: [], headerForms: [] })

/**
 * Speaks only the controller API, as undici 8 does: refuses a handler without it, calls nothing
 * else on it, and hands it controllers that note each pause, resume and abort.
 */
class ControllerOnlyDispatcher extends Dispatcher {
  seen = newSeen()

  constructor(readonly inner: Dispatcher) {
    super()
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Handler): boolean {
    for (const name of CONTROLLER_METHODS) {
      if (typeof handler[name] !== 'function') throw new TypeError(`invalid ${name} method: this dispatcher speaks undici's controller API only`)
    }
    const seen = this.seen
    const noted = new WeakMap<Controller, Controller>()
    const note = (controller: Controller): Controller => {
      let wrapper = noted.get(controller)
      if (wrapper === undefined) {
        wrapper = {
          get aborted() { return controller.aborted },
          get paused() { return controller.paused },
          get reason() { return controller.reason },
          abort(reason) {
            seen.aborts.push(reason)
            controller.abort(reason)
          },
          pause() {
            seen.pauses++
            controller.pause()
          },
          resume() {
            seen.resumes++
            controller.resume()
          },
        }
        noted.set(controller, wrapper)
      }
      return wrapper
    }
    // Given to undici 7 with no legacy method, so undici drives it through its controller API too.
    const forward: Handler = {
      onRequestStart(controller, context) {
        seen.calls.push('onRequestStart')
        handler.onRequestStart!(note(controller), context)
      },
      onResponseStart(controller, status, headers, statusText) {
        seen.calls.push('onResponseStart')
        seen.headerForms.push(Array.isArray(headers) ? 'array' : typeof headers)
        handler.onResponseStart!(note(controller), status, headers, statusText)
      },
      onResponseData(controller, chunk) {
        if (seen.calls.at(-1) !== 'onResponseData') seen.calls.push('onResponseData')
        handler.onResponseData!(note(controller), chunk)
      },
      onResponseEnd(controller, trailers) {
        seen.calls.push('onResponseEnd')
        handler.onResponseEnd!(note(controller), trailers)
      },
      onResponseError(controller, error) {
        seen.calls.push('onResponseError')
        handler.onResponseError!(controller ? note(controller) : controller, error)
      },
    }
    return this.inner.dispatch(options, forward)
  }
}

/**
 * Speaks only the legacy API, as undici 6 does: refuses a handler without it, calls nothing else
 * on it (raw header pairs, `false` from onData to pause, the `resume` of onHeaders), and notes
 * each pause, resume and abort.
 */
class LegacyOnlyDispatcher extends Dispatcher {
  seen = newSeen()

  constructor(readonly inner: Dispatcher) {
    super()
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Handler): boolean {
    for (const name of LEGACY_METHODS) {
      if (typeof handler[name] !== 'function') throw new TypeError(`invalid ${name} method: this dispatcher speaks undici's legacy handler API only`)
    }
    const seen = this.seen
    // No onRequestStart: undici 7 drives it through its legacy API, as undici 6 would.
    const forward: Handler = {
      onConnect(abort) {
        seen.calls.push('onConnect')
        handler.onConnect!((reason) => {
          seen.aborts.push(reason)
          abort(reason)
        })
      },
      onHeaders(status, rawHeaders, resume, statusText) {
        seen.calls.push('onHeaders')
        seen.headerForms.push(Array.isArray(rawHeaders) ? 'array' : typeof rawHeaders)
        return handler.onHeaders!(status, rawHeaders, () => {
          seen.resumes++
          resume()
        }, statusText)
      },
      onData(chunk) {
        if (seen.calls.at(-1) !== 'onData') seen.calls.push('onData')
        const more = handler.onData!(chunk)
        if (more === false) seen.pauses++
        return more
      },
      onComplete(trailers) {
        seen.calls.push('onComplete')
        handler.onComplete!(trailers)
      },
      onError(error) {
        seen.calls.push('onError')
        handler.onError!(error)
      },
    }
    return this.inner.dispatch(options, forward)
  }
}

const cases = [
  {
    api: 'the controller API only (undici 8)',
    make: () => new ControllerOnlyDispatcher(agent),
    complete: ['onRequestStart', 'onResponseStart', 'onResponseData', 'onResponseEnd'],
    headerForm: 'object',
  },
  {
    api: 'the legacy API only (undici 6)',
    make: () => new LegacyOnlyDispatcher(agent),
    complete: ['onConnect', 'onHeaders', 'onData', 'onComplete'],
    headerForm: 'array',
  },
]

describe.each(cases)('a dispatcher that speaks $api', ({ make, complete, headerForm }) => {
  it('carries status, headers (each Set-Cookie apart, repeated ones joined), the body, and the cookies to the jar', async () => {
    const dispatcher = make()
    const session = createSession({ baseURL: base, dispatcher, retry: false })
    try {
      const response = await session.raw('/cookies')
      expect(response.status).toBe(200)
      expect(response._data).toEqual(JSON_BODY)
      expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])
      expect(response.headers.get('set-cookie')).toBe('a=1; Path=/, b=2; Path=/')
      expect(response.headers.get('X-Multi')).toBe('1, 2')
      expect(response.headers.get('x-mixed-case')).toBe('Yes')
      expect(response.headers.get('content-type')).toBe('application/json')
      expect([...response.headers.keys()]).toEqual(['connection', 'content-length', 'content-type', 'date', 'keep-alive', 'set-cookie', 'set-cookie', 'x-mixed-case', 'x-multi'])
      expect(dispatcher.seen.calls).toEqual(complete)
      expect(dispatcher.seen.headerForms).toEqual([headerForm])
      expect(await session('/echo-cookie')).toEqual({ cookie: 'a=1; b=2' })
      const bytes = new Uint8Array(await session('/big?mib=1', { responseType: 'arrayBuffer' }) as ArrayBuffer)
      expect(bytes.byteLength).toBe(MIB)
      expect(bytes.every(byte => byte === 7)).toBe(true)
      expect(await session('/gzip')).toEqual(JSON_BODY)
    }
    finally {
      await session.close()
    }
  })

  it('pauses the transfer of a body nobody reads, resumes it when read', async () => {
    const dispatcher = make()
    const session = createSession({ baseURL: base, dispatcher, retry: false })
    try {
      const body = await session<ReadableStream<Uint8Array>>('/big', { responseType: 'stream' })
      await new Promise(resolve => setTimeout(resolve, 300))
      expect(written).toBeLessThan(BIG / 2)
      expect(dispatcher.seen.pauses).toBeGreaterThan(0)
      expect((await new Response(body).arrayBuffer()).byteLength).toBe(BIG)
      expect(written).toBe(BIG)
      expect(dispatcher.seen.resumes).toBeGreaterThan(0)
    }
    finally {
      await session.close()
    }
  })

  it('aborts the request when the signal aborts mid-body, and when the body is cancelled', async () => {
    const dispatcher = make()
    const session = createSession({ baseURL: base, dispatcher, retry: false })
    try {
      const controller = new AbortController()
      const reason = new Error('stop')
      const body = await session<ReadableStream<Uint8Array>>('/trickle', { responseType: 'stream', signal: controller.signal })
      const reader = body.getReader()
      expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^first/)
      const before = trickleClosed
      controller.abort(reason)
      await expect(reader.read()).rejects.toBe(reason)
      expect(dispatcher.seen.aborts).toEqual([reason])
      await expect.poll(() => trickleClosed, { timeout: 2000 }).toBe(before + 1)

      const cancelled = await session<ReadableStream<Uint8Array>>('/trickle', { responseType: 'stream' })
      await cancelled.cancel(new Error('enough'))
      expect(dispatcher.seen.aborts).toHaveLength(2)
      await expect.poll(() => trickleClosed, { timeout: 2000 }).toBe(before + 2)
    }
    finally {
      await session.close()
    }
  })
})

describe('Node\'s own undici (the legacy API on Node 20)', () => {
  it('carries $fetch and a session over Node\'s global dispatcher when Node\'s fetch was loaded first', async () => {
    // A child process, so that Node's fetch provably sets the global dispatcher before undici loads.
    const script = `
      await fetch('${base}/echo-cookie').then(response => response.text())
      const { Agent, getGlobalDispatcher } = await import('undici')
      const { $fetch, createSession } = await import('./src/adapters/node.ts')
      const nodes = getGlobalDispatcher()
      const response = await $fetch.raw('${base}/cookies')
      const session = createSession({ baseURL: '${base}', dispatcher: nodes, retry: false })
      await session('/cookies')
      const echoed = await session('/echo-cookie')
      const big = await session('/big?mib=1', { responseType: 'arrayBuffer' })
      const gzip = await session('/gzip')
      const body = await session('/trickle', { responseType: 'stream' })
      await body.cancel()
      console.log(JSON.stringify({
        undici: process.versions.undici,
        foreign: !(nodes instanceof Agent),
        status: response.status,
        data: response._data,
        cookies: response.headers.getSetCookie(),
        multi: response.headers.get('x-multi'),
        echoed,
        big: big.byteLength,
        gzip,
      }))
    `
    const before = trickleClosed
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 })
    const result = JSON.parse(stdout.trim()) as Record<string, unknown>
    expect(result).toMatchObject({
      status: 200,
      data: JSON_BODY,
      cookies: ['a=1; Path=/', 'b=2; Path=/'],
      multi: '1, 2',
      echoed: { cookie: 'a=1; b=2' },
      big: MIB,
      gzip: JSON_BODY,
    })
    // On Node 20 Node's undici is 6, which has no controller API: the legacy adapter carried it.
    if (process.versions.node.startsWith('20.')) expect(result).toMatchObject({ foreign: true, undici: expect.stringMatching(/^6\./) })
    await expect.poll(() => trickleClosed, { timeout: 2000 }).toBe(before + 1)
  })
})
