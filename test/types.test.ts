/**
 * The public types, checked by the compiler (`npm run typecheck` runs on this file; the `it` blocks
 * only make vitest list it). A change that loosens or breaks them fails the build.
 */
import * as v from 'valibot'
import { z } from 'zod'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { CookieJar } from 'tough-cookie'
import { $fetch, createSession, FetchError, HTTPError, TimeoutError } from '../src/index'
import type { DownloadProgress, FetchContext, FetchResponse, RedirectContext, RedirectHop, RequestOptions, RetryContext, Session, SessionOptions } from '../src/index'

interface User {
  id: number
  name: string
}

describe('public types', () => {
  it('type-checks', () => {
    // The calls below run (expectTypeOf takes values): a fetch of our own answers them, so none goes to a public host.
    const session = createSession({ baseURL: 'https://api.example.com', fetch: async () => Response.json({}) })
    expectTypeOf(session).toEqualTypeOf<Session>()

    // typed results, with responseType mapped to what it reads
    expectTypeOf(session.get<User>('/me')).toEqualTypeOf<Promise<User>>()
    expectTypeOf(session<User>('/me')).toEqualTypeOf<Promise<User>>()
    expectTypeOf(session('/file', { responseType: 'blob' })).toEqualTypeOf<Promise<Blob>>()
    expectTypeOf(session('/file', { responseType: 'text' })).toEqualTypeOf<Promise<string>>()
    expectTypeOf(session('/file', { responseType: 'arrayBuffer' })).toEqualTypeOf<Promise<ArrayBuffer>>()
    expectTypeOf(session('/file', { responseType: 'stream' })).toEqualTypeOf<Promise<ReadableStream<Uint8Array>>>()
    expectTypeOf(session.raw<User>('/me')).toEqualTypeOf<Promise<FetchResponse<User>>>()
    expectTypeOf(() => $fetch<User>('https://api.example.com/me')).returns.toEqualTypeOf<Promise<User>>()

    // Type-only from here to `typeOnly`'s end: never called, so no request is sent (checked by tsc).
    const typeOnly = (): void => {
    // a schema types the call by its output (a transforming one's too), in zod and valibot
    const ZodUser = z.object({ id: z.number(), name: z.string() }).transform(user => ({ ...user, label: `#${user.id}` }))
    type Labelled = { id: number, name: string, label: string }
    expectTypeOf(session('/me', { schema: ZodUser })).toEqualTypeOf<Promise<Labelled>>()
    expectTypeOf(session.get('/me', { schema: ZodUser })).toEqualTypeOf<Promise<Labelled>>()
    expectTypeOf(session.raw('/me', { schema: ZodUser })).toEqualTypeOf<Promise<FetchResponse<Labelled>>>()
    expectTypeOf($fetch('https://api.example.com/me', { schema: ZodUser, query: { full: 1 } })).toEqualTypeOf<Promise<Labelled>>()
    const ValibotCount = v.pipe(v.string(), v.transform(Number))
    expectTypeOf(session.post('/count', { schema: ValibotCount, body: { a: 1 } })).toEqualTypeOf<Promise<number>>()
    // paginate: the pages, or with items() the items
    interface Page { items: number[] }
    expectTypeOf(session.paginate<Page>('/pages')).toEqualTypeOf<AsyncIterableIterator<Page>>()
    expectTypeOf(session.paginate('/pages', { items: (page: Page) => page.items })).toEqualTypeOf<AsyncIterableIterator<number>>()
    // options typed any (or cast) stay any, as without a schema
    expectTypeOf(session('/me', {} as any)).toEqualTypeOf<Promise<any>>()
    }
    expect(typeof typeOnly).toBe('function')
    expectTypeOf<FetchResponse<User>['_data']>().toEqualTypeOf<User | undefined>()
    expectTypeOf<FetchResponse<User>['history']>().toEqualTypeOf<RedirectHop[] | undefined>()
    // a type argument wins over responseType, and options typed as RequestOptions are accepted
    expectTypeOf(session<string>('/file', { responseType: 'text' })).toEqualTypeOf<Promise<string>>()
    expectTypeOf(session.get<User>('/me', { responseType: 'json' })).toEqualTypeOf<Promise<User>>()
    function call<T>(url: string, options: RequestOptions = {}) {
      return session<T>(url, options)
    }
    expectTypeOf(call<User>('/me')).toEqualTypeOf<Promise<User>>()
    const viaRaw = <T>(url: string, options: RequestOptions = {}) => session.raw<T>(url, options)
    expectTypeOf(viaRaw<User>('/me')).toEqualTypeOf<Promise<FetchResponse<User>>>()
    expectTypeOf(session('/any')).toEqualTypeOf<Promise<any>>()

    // the session's members
    expectTypeOf(session.headers).toEqualTypeOf<Headers>()
    // no jar with `cookies: false` and in browsers
    expectTypeOf(session.cookies).toEqualTypeOf<CookieJar | undefined>()
    expectTypeOf(session.close).toEqualTypeOf<() => Promise<void>>()
    expectTypeOf(session.extend).returns.toEqualTypeOf<Session>()
    expectTypeOf(session.mount).returns.toEqualTypeOf<Session>()
    expectTypeOf(session).toMatchTypeOf<AsyncDisposable>()

    // typed hook contexts
    createSession({
      onRequest: (context) => {
        expectTypeOf(context).toMatchTypeOf<FetchContext>()
        expectTypeOf(context.options.headers).toEqualTypeOf<Headers>()
        expectTypeOf(context.request).toEqualTypeOf<string | URL | Request>()
      },
      onRetry: (context) => {
        expectTypeOf(context).toEqualTypeOf<RetryContext>()
        expectTypeOf(context.attempt).toEqualTypeOf<number>()
        expectTypeOf(context.error).toEqualTypeOf<FetchError>()
      },
      onRedirect: (context) => {
        expectTypeOf(context).toEqualTypeOf<RedirectContext>()
        expectTypeOf(context.headers).toEqualTypeOf<Headers>()
      },
      onDownloadProgress: (progress) => {
        expectTypeOf(progress).toEqualTypeOf<DownloadProgress>()
      },
    })

    // options are checked
    expectTypeOf<SessionOptions['timeout']>().toEqualTypeOf<number | { total?: number, attempt?: number } | false | undefined>()
    // ...at compile time, and at run time for callers without TypeScript
    // @ts-expect-error an unknown redirect mode
    expect(() => createSession({ redirect: 'sometimes' })).toThrow(/`redirect` must be/)
    // @ts-expect-error retry takes a policy, a number or false
    expect(() => createSession({ retry: 'yes' })).toThrow(/`retry` must be/)
    // @ts-expect-error auth needs a password with a username
    expect(() => createSession({ auth: { username: 'alice' } })).toThrow(/`auth` needs/)
    // @ts-expect-error extend() shares the pool, so it takes no transport options
    expect(() => session.extend({ proxy: 'http://proxy:8080' })).toThrow(/cannot take `proxy`/)

    // errors narrow by class
    const error: unknown = new Error('x')
    if (error instanceof HTTPError) expectTypeOf(error.status).toEqualTypeOf<number>()
    if (error instanceof TimeoutError) expectTypeOf(error.phase).toEqualTypeOf<'total' | 'attempt' | 'signal'>()
  })
})

describe('public types: requests (issue 11)', () => {
  it('type-checks', () => {
    // @ts-expect-error body belongs to one request: a session refuses it (types and run time)
    expect(() => createSession({ body: { a: 1 } })).toThrow(/createSession\(\) cannot take `body`/)
    // @ts-expect-error so does method
    expect(() => createSession({ method: 'POST' })).toThrow(/createSession\(\) cannot take `method`/)
    // @ts-expect-error and extend()
    expect(() => createSession().extend({ body: 'x' })).toThrow(/extend\(\) cannot take `body`/)
    // @ts-expect-error and $fetch.create(), whose defaults are no request either
    expect(() => $fetch.create({ method: 'POST' })).toThrow(/\$fetch\.create\(\) cannot take `method`/)

    // a null (or undefined) header value removes the session's default for that call
    const removes: import('../src/index').RequestOptions = { headers: { 'X-Client': null, 'X-Other': undefined } }
    expectTypeOf(removes).toMatchTypeOf<import('../src/index').RequestOptions>()
    createSession({ baseURL: 'https://api.example.com' }).mount('https://api.example.com/public', { headers: { Authorization: null } })

    // ParseError: the start of the body, the status and the response
    expectTypeOf<import('../src/index').ParseError['snippet']>().toEqualTypeOf<string>()
    expectTypeOf<import('../src/index').ParseError['status']>().toEqualTypeOf<number>()
    expectTypeOf<import('../src/index').ParseError>().toMatchTypeOf<FetchError>()
  })
})
