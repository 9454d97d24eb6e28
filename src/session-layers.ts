/**
 * The middleware of the concerns a browser owns and a server runtime does not: following
 * redirects hop by hop, the cookie jar and the HTTP cache. The Node, Deno, Bun, workerd and generic entries give
 * it to their adapters (`layers`); the browser entry does not import it.
 *
 * @module
 */
import type { OwnableLayers } from './adapter'
import { withCache } from './cache/middleware'
import { withCallCookies, withCookies } from './cookies/middleware'
import { withHar } from './har'
import { withRedirects } from './redirect-follow'

/** Redirects and cookies, done by the session (see `OwnableLayers`). */
export const SESSION_LAYERS: OwnableLayers = Object.freeze({
  redirects: withRedirects,
  cookies: withCookies,
  callCookies: withCallCookies,
  cache: withCache,
  har: withHar,
})
