/**
 * Tracing with the real OpenTelemetry SDK (sdk-trace-base, an in-memory exporter, the
 * AsyncLocalStorage context manager and the W3C propagator): one call that follows 2 redirects,
 * is retried once after a 503 and refreshes its token after a 401 is 7 CLIENT spans, children of
 * the caller's span, with resend counts 0 to 6, each request carrying its own span's traceparent;
 * no secret in any attribute.
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { context, propagation, trace } from '@opentelemetry/api'
import type { Tracer } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createSession, InvalidRequestError } from '../../src/index'

const exporter = new InMemorySpanExporter()
let tracer: Tracer
let server: Server
let base: string
const seen: Array<{ path: string, headers: IncomingHttpHeaders }> = []
let apiHits = 0

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  trace.setGlobalTracerProvider(provider)
  tracer = trace.getTracer('fetch-session-test')
  // /start → 302 /hop → 302 /api; /api: 503 the first time, then 401 to any token but the fresh one.
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname
    seen.push({ path, headers: req.headers })
    if (path === '/start') return res.writeHead(302, { location: '/hop?token=hop-secret' }).end()
    if (path === '/hop') return res.writeHead(302, { location: '/api' }).end()
    if (path === '/api') {
      apiHits++
      if (apiHits === 1) return res.writeHead(503).end()
      if (req.headers.authorization !== 'Bearer fresh-token-2') return res.writeHead(401, { 'www-authenticate': 'Bearer' }).end()
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    }
    res.writeHead(404).end()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterEach(() => {
  exporter.reset()
  seen.length = 0
  apiHits = 0
})
afterAll(async () => {
  trace.disable()
  propagation.disable()
  context.disable()
  await new Promise(resolve => server.close(resolve))
})

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId

describe('tracer', () => {
  it('a call with 2 redirects, 1 retry and a 401 refresh: a CLIENT span per request, in one trace under the caller\'s span', async () => {
    await using session = createSession({
      baseURL: base,
      tracer,
      retry: { limit: 2, delay: 1 },
      auth: { bearer: 'stale-token-1', refresh: () => 'fresh-token-2' },
    })
    const body = await tracer.startActiveSpan('caller', async (caller) => {
      try {
        return await session('/start?token=start-secret')
      }
      finally {
        caller.end()
      }
    })
    expect(body).toEqual({ ok: true })
    const spans = exporter.getFinishedSpans()
    const caller = spans.find(span => span.name === 'caller')!
    const clients = spans.filter(span => span.kind === 2)
    // Attempt 1: /start 302, /hop 302, /api 503; attempt 2: /start, /hop, /api 401, /api 200 with the fresh token.
    expect(clients.map(span => [span.attributes['url.full'], span.attributes['http.response.status_code'], span.attributes['http.request.resend_count']])).toEqual([
      [`${base}/start?token=REDACTED`, 302, undefined],
      [`${base}/hop?token=REDACTED`, 302, 1],
      [`${base}/api`, 503, 2],
      [`${base}/start?token=REDACTED`, 302, 3],
      [`${base}/hop?token=REDACTED`, 302, 4],
      [`${base}/api`, 401, 5],
      [`${base}/api`, 200, 6],
    ])
    for (const span of clients) {
      expect(span.name).toBe('GET')
      expect(span.spanContext().traceId).toBe(caller.spanContext().traceId)
      expect(parentOf(span)).toBe(caller.spanContext().spanId)
      expect(span.attributes).toMatchObject({ 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'server.port': Number(new URL(base).port) })
    }
    expect(clients.filter(span => span.status.code === 2).map(span => span.attributes['error.type'])).toEqual(['503', '401'])
    // Each request carried its own span's traceparent.
    expect(seen.map(request => request.headers.traceparent)).toEqual(clients.map(span => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`))
    const everything = JSON.stringify(spans.map(span => [span.name, span.attributes, span.events, span.status]))
    for (const secret of ['start-secret', 'hop-secret', 'stale-token-1', 'fresh-token-2']) expect(everything).not.toContain(secret)
  })

  it('a network error is an ERROR span with error.type, the exception recorded, the URL\'s credentials gone', async () => {
    await using session = createSession({ tracer, retry: false })
    // A port nothing listens on (one just freed).
    const probe = createServer()
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise(resolve => probe.close(resolve))
    const closed = `http://user:pass-secret@127.0.0.1:${port}/down`
    await expect(session(closed)).rejects.toMatchObject({ name: 'NetworkError' })
    const [span] = exporter.getFinishedSpans()
    expect(span!.attributes['error.type']).toBe('ECONNREFUSED')
    expect(span!.attributes['url.full']).toBe(`http://127.0.0.1:${port}/down`)
    expect(span!.status.code).toBe(2)
    expect(span!.events.map(event => event.name)).toEqual(['exception'])
    expect(JSON.stringify([span!.attributes, span!.events])).not.toContain('pass-secret')
  })

  it('without a registered propagator, no traceparent is sent; without a tracer, no span', async () => {
    propagation.disable()
    try {
      await using session = createSession({ baseURL: base, tracer })
      await session('/hop', { ignoreResponseError: true, retry: false })
      expect(seen.every(request => request.headers.traceparent === undefined)).toBe(true)
      expect(exporter.getFinishedSpans().length).toBeGreaterThan(0)
    }
    finally {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    }
    exporter.reset()
    await using plain = createSession({ baseURL: base })
    await plain('/hop', { ignoreResponseError: true, retry: false })
    expect(exporter.getFinishedSpans()).toEqual([])
  })

  it('a tracer that is not one is an InvalidRequestError naming it', () => {
    expect(() => createSession({ tracer: {} as never })).toThrow(InvalidRequestError)
    expect(() => createSession({ tracer: {} as never })).toThrow(/`tracer` must be an OpenTelemetry Tracer/)
  })
})
