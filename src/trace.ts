/**
 * Tracing (issue 16 item 2): a CLIENT span per request sent, with OpenTelemetry's HTTP client
 * semantic conventions. (Skeleton.)
 *
 * @module
 */
import type { LayerSpec } from './layer'

/** The trace layer's spec: at the bottom of the stack, one span per request on the wire. */
export const traceLayer: LayerSpec<unknown, unknown> = {
  name: 'trace',
  keys: ['tracer'],
  create: () => undefined,
}
