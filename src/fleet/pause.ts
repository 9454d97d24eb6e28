/**
 * The pause a response asks of a fleet (issue 15 item 2): a `429` or `503` with `Retry-After`
 * (RFC 9110 §10.2.3: seconds or an HTTP date) or, without it, `RateLimit-Reset` (seconds, as the
 * IETF RateLimit header fields draft and most APIs send it).
 *
 * @module
 */
import { parseRetryAfter } from '../retry'

/** The statuses whose `Retry-After` pauses the host for the whole fleet. */
const PAUSING_STATUSES: ReadonlySet<number> = new Set([
  // Too Many Requests: the server's budget for us is spent.
  429,
  // Service Unavailable: the server asks everyone to come back later.
  503,
])

/** How long `response` asks the fleet to leave its host alone, in ms (`undefined`: no pause). */
export function pauseOf(response: Response): number | undefined {
  if (!PAUSING_STATUSES.has(response.status)) return undefined
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
  if (retryAfter !== undefined) return retryAfter > 0 ? retryAfter : undefined
  const reset = response.headers.get('ratelimit-reset')?.trim()
  if (reset === undefined || !/^\d+$/.test(reset)) return undefined
  const ms = Number(reset) * 1000
  return ms > 0 ? ms : undefined
}
