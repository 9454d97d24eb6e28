/**
 * The shape of a session's HAR recording, shared by the layer's spec (har-layer.ts), the adapters'
 * contract (adapter.ts) and the recorder (har.ts). Types only.
 *
 * @module
 */
import type { HarLog } from './types'

/**
 * A session's `har`, checked: its bounds, and the recorder the middleware makes once and keeps
 * here, so the session's `extend()` children record into it and `session.har()` reads it.
 */
export interface HarSettings {
  maxBodySize: number
  maxEntries: number
  recorder?: { snapshot: () => HarLog }
}

/** The HAR layer's state for one call: how many requests it sent so far. */
export interface HarCall {
  sent: number
}
