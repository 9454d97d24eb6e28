/**
 * The HAR layer's spec (issue 16 item 5): the `har` option, read and checked, and `session.har()`.
 * The recorder and its middleware (har.ts) are given by the entries that record
 * (`layers.har`, session-layers.ts); in browsers, whose devtools record the traffic, `har` is an
 * `UnsupportedOptionError`.
 *
 * @module
 */
import { invalidOption, UnsupportedOptionError } from './errors'
import type { LayerSpec, ReadContext } from './layer'
import { own, ownRecord } from './own'
import type { HarCall, HarSettings } from './har-settings'
import type { HarLog, HarOptions } from './types'

export type { HarCall, HarSettings }

/** The defaults of `har: true`. */
const HAR_DEFAULTS = Object.freeze({ maxBodySize: 65_536, maxEntries: 1000 })

/** A whole number >= `min` (`har.maxBodySize`, `har.maxEntries`). */
function count(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw invalidOption(name, `\`${name}\` must be a whole number >= ${min}, got ${String(value)}`)
  return value
}

/**
 * Reads `har`: a session's (an `extend()` child's starts a recording of its own, `false` stops
 * it); refused on a mount, a request and `$fetch`, which have no session to record for.
 */
function readHar(source: object, context: ReadContext): HarSettings | null | undefined {
  const value = own<unknown>(source, 'har')
  if (value === undefined) return undefined
  if (context.level !== 'session') throw invalidOption('har', `\`har\` cannot be given to a ${context.level}: the recording is the session's (createSession({ har: true }))`)
  if (context.stateless) throw invalidOption('har', '`$fetch` keeps no state, so it cannot record a HAR; use createSession({ har: true }) instead')
  if (value === false) return null
  const options = value === true ? {} : ownRecord(value)
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidOption('har', '`har` must be true, false or { maxBodySize, maxEntries }')
  return {
    maxBodySize: count('har.maxBodySize', own((options as HarOptions), 'maxBodySize') ?? HAR_DEFAULTS.maxBodySize, 0),
    maxEntries: count('har.maxEntries', own((options as HarOptions), 'maxEntries') ?? HAR_DEFAULTS.maxEntries, 1),
  }
}

/** The HAR layer's spec: at the bottom of the stack, it sees each request as it goes on the wire. */
export const harLayer: LayerSpec<HarSettings | null, HarCall> = {
  name: 'har',
  keys: ['har'],
  read: readHar,
  prepare: options => (options ? { sent: 0 } : undefined),
  create({ adapter, options }) {
    const settings = options.har as HarSettings | null | undefined
    if (!settings) return undefined
    if (!adapter.layers?.har) throw new UnsupportedOptionError('har', adapter.name, 'the browser\'s devtools record the traffic (the Network panel\'s "Export HAR")')
    return adapter.layers.har(settings)
  },
}

/** The HAR log of a session's options (`layers.har`): empty without `har: true`. */
export function harLogOf(options: unknown): HarLog {
  return (options as HarSettings | null | undefined)?.recorder?.snapshot() ?? { log: { version: '1.2', creator: { name: 'fetch-session', version: '0.1.0' }, entries: [] } }
}
