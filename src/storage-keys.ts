/**
 * What the stores over unstorage (cookies, the HTTP cache) and the cache's keys share: the `base`
 * of a store as unstorage normalises keys, and a SHA-256 digest on every runtime (Web Crypto).
 *
 * @module
 */
import { invalidOption } from './errors'

/**
 * A store's `base` as unstorage writes keys (`/` and `\` are `:`, no empty segments, no query), so
 * that what the store lists and removes is what it wrote. `what` names the store in the error.
 */
export function normalizeStorageBase(base: unknown, what: string): string {
  if (typeof base !== 'string') throw invalidOption('base', `the ${what}'s \`base\` must be a string`)
  return base.split('?')[0]!.replace(/[/\\]/g, ':').replace(/:+/g, ':').replace(/^:|:$/g, '')
}

const encoder = new TextEncoder()

/** The SHA-256 digest of `text` (UTF-8), in lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
  let hex = ''
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0')
  return hex
}
