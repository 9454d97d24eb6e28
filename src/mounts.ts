/**
 * Mounts (`session.mount(prefix, options)`): where one applies (an origin and path-segment
 * boundary), and the options and pool it gives the requests there.
 *
 * @module
 */
import type { Transport } from './adapter'
import { invalidOption, redactURL } from './errors'
import type { OptionLayer } from './options'
import type { RetryPolicy } from './retry'
import { isAbsoluteURL } from './url'

/** A session's mount. */
export interface Mount {
  /** The prefix in its normalised form (two spellings of one prefix are one mount). */
  prefix: string
  /** Where it applies: `findMount()` matches at an origin and path-segment boundary only. */
  scope: MountScope
  layer: OptionLayer
  /** Header names the mount's `headers` remove (`null` or `undefined` values). */
  removed: string[]
  transport: Transport | undefined
  policy: RetryPolicy | undefined
}

/**
 * Where a mount applies. `key` is its normalised spelling; a scheme alone has no `origin`; `path`
 * is `''` for a whole origin, `/v1` for `/v1` and below it (`/v1/…`, `/v1?…`, never `/v10`), or
 * `/v1/` for what is below `/v1/`.
 */
export interface MountScope {
  key: string
  protocol: string
  origin: string | undefined
  path: string
}

/** `https://` or `http:`: a prefix that names a scheme only (requests' `mount('https://', …)`). */
const SCHEME_ONLY = /^(https?):(?:\/\/)?$/i

/**
 * Parses a `mount()` prefix: a scheme alone (`https://`), an origin (`https://api.example.com`,
 * default ports normalised, so `:443` is the same mount), or an origin and a path
 * (`https://api.example.com/v1`). What cannot be matched at an origin and path-segment boundary
 * (no scheme or host, another scheme, userinfo, a query or fragment, a wildcard) is refused.
 */
export function parseMountPrefix(prefix: string): MountScope {
  const schemeOnly = SCHEME_ONLY.exec(prefix)
  if (schemeOnly) {
    const protocol = `${schemeOnly[1]!.toLowerCase()}:`
    return { key: `${protocol}//`, protocol, origin: undefined, path: '' }
  }
  const refuse = (why: string): never => {
    throw invalidOption('prefix', `mount() cannot match ${JSON.stringify(redactURL(prefix))}: ${why}; give a scheme ('https://'), an origin ('https://api.example.com') or an origin and a path ('https://api.example.com/v1')`)
  }
  if (!isAbsoluteURL(prefix)) refuse('a prefix is an absolute URL (a partial host or a relative path would match look-alike URLs)')
  let url: URL
  try {
    url = new URL(prefix)
  }
  catch {
    return refuse('it is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse(`only http: and https: URLs are fetched, not ${url.protocol}`)
  if (url.username || url.password) refuse('it carries credentials (user:password@), which a request URL never has')
  if (url.search || url.hash || /[?#]/.test(prefix)) refuse('a query or fragment cannot be matched at a boundary')
  if (url.hostname.includes('*')) refuse('wildcards are not supported (mount each host)')
  const path = url.pathname === '/' ? '' : url.pathname
  return { key: url.origin + path, protocol: url.protocol, origin: url.origin, path }
}

/** True when `url` is within `scope`: same scheme, same origin, and at or below its path, at a segment boundary. */
function inScope(scope: MountScope, url: URL): boolean {
  if (url.protocol !== scope.protocol) return false
  if (scope.origin === undefined) return true
  if (url.origin !== scope.origin) return false
  const { path } = scope
  if (path === '') return true
  if (path.endsWith('/')) return url.pathname.startsWith(path)
  return url.pathname === path || url.pathname.startsWith(`${path}/`)
}

/** The most specific mount whose scope holds `url` (mounts are kept longest prefix first). */
export function findMount(mounts: readonly Mount[], url: URL): Mount | undefined {
  for (const mount of mounts) {
    if (inScope(mount.scope, url)) return mount
  }
  return undefined
}
