/**
 * The HAR recording (issue 16 item 5): `createSession({ har: true })` and `session.har()`.
 * (Skeleton: the recorder is filled in by the HAR work.)
 *
 * @module
 */
import type { LayerSpec } from './layer'
import type { HarLog } from './types'

/** The HAR layer's spec: at the bottom of the stack, it sees each request as it goes on the wire. */
export const harLayer: LayerSpec<unknown, unknown> = {
  name: 'har',
  keys: ['har'],
  create: () => undefined,
}

/** The HAR log of a session's options (`layers.har`): empty without `har: true`. */
export function harLogOf(_options: unknown): HarLog {
  return { log: { version: '1.2', creator: { name: 'fetch-session', version: '0.1.0' }, entries: [] } }
}
