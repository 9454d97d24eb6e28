/**
 * The redirect layer: owns `redirect`, `maxRedirects` and `sensitiveHeaders` (and runs the
 * `onRedirect` hooks). Where the session follows redirects itself, its middleware
 * (redirect-follow.ts) follows each hop so the layers below see every hop.
 */
import type { CallContext, LayerSpec, ReadContext } from './layer'
import { layerStateOf } from './layer'
import { invalidOption } from './errors'
import { own } from './own'
import type { RedirectContext, RedirectMode } from './types'
import { REDIRECT_DEFAULTS } from './http'

/** The redirect options of one level (or of several, merged). */
export interface RedirectOptions {
  redirect: RedirectMode | undefined
  maxRedirects: number | undefined
  /** Lower-case names; united across levels. */
  sensitiveHeaders: string[] | undefined
}

/** What the redirect layer needs for one call. */
export interface RedirectState {
  /** `redirect` as the caller asked for it. */
  redirect: RedirectMode
  /** Redirects allowed per attempt. */
  maxRedirects: number
  /** `onRedirect` hooks, session's first. */
  onRedirect: ReadonlyArray<(context: RedirectContext) => unknown>
  /** Lower-case names stripped when a redirect leaves the origin. */
  sensitiveHeaders: ReadonlySet<string>
}

/** Used by calls that change none of the defaults, and by `session.native()` (no call state): nothing allocated per call. */
export const DEFAULT_REDIRECT_STATE: RedirectState = Object.freeze({
  ...REDIRECT_DEFAULTS,
  onRedirect: Object.freeze([]) as readonly never[],
  sensitiveHeaders: new Set<string>(),
})

function readRedirects(source: object, _context: ReadContext): RedirectOptions | undefined {
  const redirect = own<RedirectMode>(source, 'redirect')
  if (redirect !== undefined && redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') {
    throw invalidOption('redirect', `\`redirect\` must be 'follow', 'manual' or 'error', got ${JSON.stringify(redirect)}`)
  }
  const maxRedirects = own<number>(source, 'maxRedirects')
  if (maxRedirects !== undefined && (!Number.isInteger(maxRedirects) || maxRedirects < 0)) {
    throw invalidOption('maxRedirects', `\`maxRedirects\` must be a whole number >= 0, got ${String(maxRedirects)}`)
  }
  const sensitive = own<readonly string[]>(source, 'sensitiveHeaders')
  if (redirect === undefined && maxRedirects === undefined && sensitive === undefined) return undefined
  return { redirect, maxRedirects, sensitiveHeaders: sensitive ? sensitive.map(name => String(name).toLowerCase()) : undefined }
}

function mergeRedirects(base: RedirectOptions | undefined, over: RedirectOptions): RedirectOptions {
  if (!base) return over
  return {
    redirect: over.redirect ?? base.redirect,
    maxRedirects: over.maxRedirects ?? base.maxRedirects,
    sensitiveHeaders: base.sensitiveHeaders || over.sensitiveHeaders ? [...(base.sensitiveHeaders ?? []), ...(over.sensitiveHeaders ?? [])] : undefined,
  }
}

function prepareRedirects(options: RedirectOptions | undefined, call: CallContext): RedirectState {
  const onRedirect = call.hooks.onRedirect
  if (!options && !onRedirect) return DEFAULT_REDIRECT_STATE
  return {
    redirect: options?.redirect ?? DEFAULT_REDIRECT_STATE.redirect,
    maxRedirects: options?.maxRedirects ?? DEFAULT_REDIRECT_STATE.maxRedirects,
    onRedirect: onRedirect ?? DEFAULT_REDIRECT_STATE.onRedirect,
    sensitiveHeaders: options?.sensitiveHeaders ? new Set(options.sensitiveHeaders) : DEFAULT_REDIRECT_STATE.sensitiveHeaders,
  }
}

/**
 * The redirect layer's spec. Off where the platform follows redirects itself (`owns.redirects`);
 * the hop-by-hop loop is the adapter's `layers.redirects` (redirect-follow.ts), so the browser
 * build does not carry it.
 */
export const redirectsLayer: LayerSpec<RedirectOptions, RedirectState> = {
  name: 'redirects',
  keys: ['redirect', 'maxRedirects', 'sensitiveHeaders'],
  read: readRedirects,
  merge: mergeRedirects,
  prepare: prepareRedirects,
  create: ({ adapter }) => adapter.owns?.redirects ? undefined : adapter.layers!.redirects(),
}

/** The `redirect` mode of merged options (what the platform is told where it follows redirects itself). */
export function redirectModeOf(options: Readonly<Record<string, unknown>>): RedirectMode {
  return (options.redirects as RedirectOptions | undefined)?.redirect ?? DEFAULT_REDIRECT_STATE.redirect
}

/** The `sensitiveHeaders` of one level's options (lower case), if it names any. */
export function sensitiveHeadersOf(options: Readonly<Record<string, unknown>> | undefined): readonly string[] | undefined {
  return (options?.redirects as RedirectOptions | undefined)?.sensitiveHeaders
}

/** The redirect state of the call of `init`. */
export function redirectStateOf(init: RequestInit | undefined): RedirectState | undefined {
  return layerStateOf<RedirectState>(init, 'redirects')
}

/**
 * Puts `fragment` (`#…`) on `response.url` when it has none. Fetch leaves fragments out of
 * `response.url`, but a session call keeps the request's (inherited by every hop whose Location
 * has none, fetch spec "location URL"), as requests does (issue 11 item 13). Never on the wire.
 */
export function withFragment(response: Response, fragment: string): void {
  if (fragment === '' || fragment === '#' || !response.url || response.url.includes('#')) return
  try {
    Object.defineProperty(response, 'url', { value: response.url + fragment, configurable: true, enumerable: true })
  }
  catch {}
}
