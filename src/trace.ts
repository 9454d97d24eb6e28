/**
 * Tracing (issue 16 item 2): `createSession({ tracer })` makes a CLIENT span for each request sent
 * (every redirect hop, retry and auth resend is one), with OpenTelemetry's HTTP client semantic
 * conventions: `http.request.method`, `url.full` (credentials and secret query values redacted),
 * `server.address`, `server.port`, `http.response.status_code`, `error.type`, and
 * `http.request.resend_count` from the second request of a call on. The spans' parent is the
 * caller's active context. When a propagator is registered with `@opentelemetry/api`
 * (`propagation.setGlobalPropagator`), its headers (`traceparent`…) go on each request.
 *
 * `@opentelemetry/api` is not a dependency: the tracer is typed structurally (`TracerLike`), and
 * the propagator and the active context are read from the API's global registry, where any copy
 * of `@opentelemetry/api` 1.x keeps them.
 *
 * @module
 */
import { invalidOption } from './errors'
import { inputURL } from './http'
import type { LayerSpec, Middleware } from './layer'
import { callStateOf } from './layer'
import { classifyNetworkError, isNetworkError } from './network-errors'
import { own } from './own'
import { redactURL } from './secrets'
import type { SpanLike, TracerLike } from './types'

/** `SpanKind.CLIENT` and `SpanStatusCode.ERROR` of @opentelemetry/api. */
const CLIENT = 2
const ERROR = 2

/** The methods the semantic conventions name (others are `_OTHER`, the original in `http.request.method_original`). */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY'])

/** Where @opentelemetry/api 1.x keeps its globals (its `registerGlobal`), and the context key of the active span (`trace.setSpan`). */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1')
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN')

/** What the API's global registry holds, as far as propagation goes. */
interface ApiGlobals {
  context?: { active: () => { setValue: (key: symbol, value: unknown) => unknown } }
  propagation?: { inject: (context: unknown, carrier: Headers, setter: { set: (carrier: Headers, key: string, value: string) => void }) => void }
}

const HEADER_SETTER = { set: (carrier: Headers, key: string, value: string) => carrier.set(key, value) }

function readTracer(source: object): TracerLike | undefined {
  const tracer = own<TracerLike>(source, 'tracer')
  if (tracer === undefined) return undefined
  if (typeof tracer !== 'object' || tracer === null || typeof tracer.startSpan !== 'function') throw invalidOption('tracer', '`tracer` must be an OpenTelemetry Tracer (trace.getTracer(name)), with startSpan()')
  return tracer
}

/** The trace layer's spec: at the bottom of the stack (under the limiter), one span per request on the wire. */
export const traceLayer: LayerSpec<TracerLike, unknown> = {
  name: 'trace',
  keys: ['tracer'],
  read: readTracer,
  create: ({ options }) => (options.trace ? withTrace(options.trace as TracerLike) : undefined),
}

/** The span of each request `next` sends; it ends when the response's headers arrive, or with the error. */
export function withTrace(tracer: TracerLike): Middleware {
  return next => async (input, init) => {
    const url = inputURL(input)
    const state = callStateOf(init)
    // Counted on the call's state: retries, redirect hops and auth resends are resends of one call.
    const resends = state ? (state.sent = (state.sent ?? 0) + 1) - 1 : 0
    const method = (init?.method ?? 'GET').toUpperCase()
    const span = tracer.startSpan(KNOWN_METHODS.has(method) ? method : 'HTTP', { kind: CLIENT, attributes: requestAttributes(url, method, resends) })
    let response: Response
    try {
      response = await next(url, propagate(span, init))
    }
    catch (error) {
      span.setAttribute('error.type', errorType(error))
      span.recordException(error instanceof Error ? error : String(error))
      span.setStatus({ code: ERROR, message: error instanceof Error ? redactURL(error.message) : undefined })
      span.end()
      throw error
    }
    span.setAttribute('http.response.status_code', response.status)
    if (response.status >= 400) {
      span.setAttribute('error.type', String(response.status))
      span.setStatus({ code: ERROR })
    }
    span.end()
    return response
  }
}

/** The semantic conventions' request attributes (`url.full` redacted). */
function requestAttributes(url: string, method: string, resends: number): Record<string, string | number> {
  const attributes: Record<string, string | number> = { 'http.request.method': KNOWN_METHODS.has(method) ? method : '_OTHER', 'url.full': redactURL(url) }
  if (!KNOWN_METHODS.has(method)) attributes['http.request.method_original'] = method
  try {
    const parsed = new URL(url)
    attributes['server.address'] = parsed.hostname.replace(/^\[|\]$/g, '')
    attributes['server.port'] = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80
  }
  catch {}
  if (resends > 0) attributes['http.request.resend_count'] = resends
  return attributes
}

/** `init` with the registered propagator's headers for `span` (none registered: `init` as it is). */
function propagate(span: SpanLike, init: RequestInit | undefined): RequestInit | undefined {
  const api = (globalThis as Record<symbol, ApiGlobals | undefined>)[API_GLOBAL]
  if (!api?.propagation || !api.context) return init
  const headers = new Headers(init?.headers)
  api.propagation.inject(api.context.active().setValue(SPAN_KEY, span), headers, HEADER_SETTER)
  return { ...init, headers }
}

/** `error.type`: the network error's code (`ECONNREFUSED`…), an abort's name, else the error's class. */
function errorType(error: unknown): string {
  if (isNetworkError(error)) return classifyNetworkError(error).code
  if (error instanceof Error) return error.name === 'Error' ? error.constructor.name : error.name
  return '_OTHER'
}
