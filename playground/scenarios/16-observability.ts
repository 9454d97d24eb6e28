/**
 * What a call did, told by the session: a debug line per request, an OpenTelemetry span per
 * request (the real SDK, an in-memory exporter), the phases of the request (`response.timings`),
 * a HAR log, and a session intercepted by MSW as `fetch` is.
 */
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { createSession } from '../../src/index'
import { createSession as createNodeSession } from '../../src/adapters/node'
import { check, show, step, uniqueKey } from '../util'
import type { Context } from '../util'

export const title = 'Observability: debug lines, traces, timings, HAR, mocks'

export async function run({ server }: Context): Promise<void> {
  step('debug: a line per request (a redirect and a retry)')
  const lines: string[] = []
  const key = uniqueKey('observe')
  await using logged = createSession({ baseURL: server.url, debug: line => lines.push(line), retry: { limit: 2, delay: 1 } })
  await logged('/redirect/1')
  await logged(`/flaky/${key}?fail=1`)
  for (const line of lines) console.log(`    ${line}`)
  check(lines.length === 5, 'two hops, a 503, its retry line, the 200')

  step('tracer: the OpenTelemetry SDK, one CLIENT span per request sent')
  const exporter = new InMemorySpanExporter()
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
  try {
    const tracer = trace.getTracer('playground')
    await using traced = createSession({ baseURL: server.url, tracer, retry: { limit: 2, delay: 1 } })
    await tracer.startActiveSpan('checkout', async (span) => {
      await traced(`/redirect/1`)
      await traced(`/flaky/${key}-traced?fail=1`)
      span.end()
    })
    for (const span of exporter.getFinishedSpans().filter(span => span.kind === 2)) {
      show(`${span.name} ${span.attributes['http.response.status_code']}`, `${span.attributes['url.full']} resend_count=${span.attributes['http.request.resend_count'] ?? 0}`)
    }
    const clients = exporter.getFinishedSpans().filter(span => span.kind === 2)
    check(clients.length === 4 && clients.every(span => span.parentSpanContext?.spanId === exporter.getFinishedSpans().find(parent => parent.name === 'checkout')?.spanContext().spanId), 'four spans, children of the caller\'s')
  }
  finally {
    trace.disable()
    propagation.disable()
    context.disable()
  }

  step('response.timings (Node: the session\'s own pool)')
  await using timed = createNodeSession({ baseURL: server.url.replace('127.0.0.1', 'localhost') })
  const { timings } = await timed.raw('/get')
  show('phases (ms)', timings?.phases)
  show('reused', timings?.reused)
  check(timings?.reused === false && timings.lookup !== undefined && timings.end !== undefined, 'a new connection: lookup, connect, first byte, end')

  step('har: true, then session.har()')
  await using recorded = createSession({ baseURL: server.url, har: true, auth: { bearer: 'secret-token-123' } })
  await recorded('/redirect/1?token=secret-query-value')
  const har = recorded.har()
  for (const entry of har.log.entries) show(`${entry.request.method} ${entry.response.status}`, entry.request.url)
  const text = JSON.stringify(har)
  check(har.log.entries.length === 2 && !text.includes('secret-token-123') && !text.includes('secret-query-value'), 'two entries, no secret in the log')

  step('MSW (msw/node) answers a Node session, which still follows the redirect and keeps the cookie')
  const mocks = setupServer(
    http.get('https://api.example.test/login', () => new HttpResponse(null, { status: 302, headers: { 'Location': '/me', 'Set-Cookie': 'sid=mocked; Path=/' } })),
    http.get('https://api.example.test/me', () => HttpResponse.json({ name: 'from MSW' })),
  )
  mocks.listen({ onUnhandledRequest: 'bypass' })
  try {
    await using mocked = createNodeSession()
    const me = await mocked<{ name: string }>('https://api.example.test/login')
    show('body', me)
    show('cookie jar', await mocked.cookies?.getCookieString('https://api.example.test/'))
    check(me.name === 'from MSW', 'answered by the mock, no network')
  }
  finally {
    mocks.close()
  }
}
