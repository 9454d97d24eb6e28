/**
 * `fromNetscape()` of the browser build, which never loads tough-cookie: it fills the jar you pass.
 * @module
 */
import { createFromNetscape } from './netscape'
import type { FromNetscape } from './netscape'

/**
 * Reads a Netscape `cookies.txt` (what `curl -c` and `wget --save-cookies` write) into a
 * tough-cookie `CookieJar`, ready for `createSession({ cookies: jar })`. `#HttpOnly_` lines give
 * HttpOnly cookies, expiry `0` session cookies; expired cookies and comments are skipped. A line
 * that is not a cookie is a `SyntaxError` naming the line. With `{ jar }`, the cookies are added
 * to that jar; with `{ store }`, the new jar keeps them there.
 *
 * The browser build never loads tough-cookie (the browser keeps its own cookies): pass the jar
 * to fill, `fromNetscape(text, { jar: new CookieJar() })`; without one it throws a `TypeError`.
 *
 * @example
 * ```ts
 * import { CookieJar } from 'tough-cookie'
 * import { fromNetscape } from 'fetch-session'
 *
 * const jar = await fromNetscape(text, { jar: new CookieJar() })
 * ```
 */
export const fromNetscape: FromNetscape = createFromNetscape(undefined)
