/**
 * The debug log (issue 16 item 4): `DEBUG=fetch-session` or `debug: true | logger`. (Skeleton.)
 *
 * @module
 */
import type { LayerSpec } from './layer'

/** The debug layer's spec: under the redirects, a line per hop (cache decisions included). */
export const debugLayer: LayerSpec<unknown, unknown> = {
  name: 'debug',
  keys: ['debug'],
  create: () => undefined,
}
