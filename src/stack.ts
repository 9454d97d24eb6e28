/**
 * The order of the session's layers, in one list (issue 13). Outermost first:
 *
 * body watch → redirects → download resume → debug log → auth → cookies → cache → the user's layers (`use`) →
 * (fleet: its option only) → limiter → trace → HAR → upload progress → transport.
 *
 * The body watch sees the final response; the redirect layer follows every hop, so everything
 * under it sees each hop (auth and cookies act per hop; the user's layers see what goes on the
 * wire, headers set); the limiter takes a slot per request sent, for that request's own host
 * (issue 12 item 15). A new concern is one layer file and one entry here.
 *
 * @module
 */
import type { Transport, TransportHints } from './adapter'
import { authLayer } from './auth'
import { cacheLayer } from './cache/layer'
import { cookiesLayer } from './cookies/layer'
import { debugLayer } from './debug'
import { harLayer } from './har-layer'
import { callStateOf, compose } from './layer'
import type { LayerSpec, Middleware, StackContext } from './layer'
import { fleetLayer } from './fleet/option'
import { limitLayer } from './limit'
import { traceLayer } from './trace'
import { bodyWatchLayer } from './progress'
import { redirectsLayer } from './redirect'
import { resumeLayer } from './resume'
import type { Fetch } from './types'
import { uploadLayer } from './upload'
import { userLayers } from './use'

/** Every layer, outermost first. Their option keys are the session's own (never passed to ofetch or fetch). */
export const LAYERS: readonly LayerSpec[] = Object.freeze([
  bodyWatchLayer,
  redirectsLayer,
  resumeLayer,
  debugLayer,
  authLayer,
  cookiesLayer,
  cacheLayer,
  userLayers,
  fleetLayer,
  limitLayer,
  traceLayer,
  harLayer,
  uploadLayer,
])

/** The composed layers of a client over `transport` (once per client, and again on `session.use()`). */
export function createStack(context: StackContext, transport: Transport): Fetch {
  const middleware: Middleware[] = []
  for (const spec of LAYERS) {
    const layer = spec.create(context)
    if (layer) middleware.push(layer)
  }
  const bottom: Fetch = (input, init) => {
    const state = callStateOf(init)
    return (state?.transport ?? transport.fetch)(input, toRequestInit(init), state?.layers.bodyWatch as TransportHints | undefined)
  }
  return compose(middleware, bottom)
}

/** The `RequestInit` members a transport may read (fetch spec, plus undici's `dispatcher`). */
const REQUEST_INIT_KEYS = ['method', 'headers', 'body', 'referrer', 'referrerPolicy', 'mode', 'credentials', 'cache', 'redirect', 'integrity', 'keepalive', 'signal', 'window', 'duplex', 'priority', 'dispatcher'] as const

/**
 * A clean init for the transport: only the members fetch knows, only own properties, on an object
 * without a prototype, so a polluted `Object.prototype` can never reach the runtime's fetch
 * (catalogue #83, read-side gadgets).
 */
function toRequestInit(init: RequestInit | undefined): RequestInit {
  const clean: Record<string, unknown> = Object.create(null)
  if (!init) return clean as RequestInit
  for (const key of REQUEST_INIT_KEYS) {
    const value = Object.prototype.hasOwnProperty.call(init, key) ? (init as Record<string, unknown>)[key] : undefined
    // `cache: 'default'` is what no mode means; workerd's fetch refuses it by name.
    if (value !== undefined && !(key === 'cache' && value === 'default')) clean[key] = value
  }
  return clean as RequestInit
}
