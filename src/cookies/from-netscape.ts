/**
 * `fromNetscape()` of the entry points that load tough-cookie (all but the browser's).
 * @module
 */
import { CookieJar } from 'tough-cookie'
import { createFromNetscape } from './netscape'
import type { FromNetscape } from './netscape'

/**
 * Reads a Netscape `cookies.txt` (what `curl -c` and `wget --save-cookies` write) into a
 * tough-cookie `CookieJar`, ready for `createSession({ cookies: jar })`. `#HttpOnly_` lines give
 * HttpOnly cookies, expiry `0` session cookies; expired cookies and comments are skipped. A line
 * that is not a cookie is a `SyntaxError` naming the line. With `{ jar }`, the cookies are added
 * to that jar; with `{ store }`, the new jar keeps them there.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises'
 * import { createSession, fromNetscape } from 'fetch-session'
 *
 * // after: curl -c cookies.txt -d user=alice -d password=… https://example.com/login
 * const session = createSession({ cookies: await fromNetscape(await readFile('cookies.txt', 'utf8')) })
 * ```
 */
export const fromNetscape: FromNetscape = createFromNetscape(CookieJar)
