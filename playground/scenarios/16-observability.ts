/**
 * What a call did, told by the session: a debug line per request, an OpenTelemetry span per
 * request (the real SDK, an in-memory exporter), the phases of the request (`response.timings`),
 * a HAR log, and a session intercepted by MSW as `fetch` is.
 */
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { createSession } from '../../src/index'
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
}
