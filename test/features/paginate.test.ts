/**
 * `session.paginate()`: three pages where page 2 redirects and links relatively (resolved against
 * its final URL), a cross-origin next link asked without credentials, `next()`, `items()`,
 * `maxPages`, and a repeated URL that ends the walk.
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, InvalidRequestError } from '../../src/index'
import { nextLink } from '../../src/paginate'

let server: Server
let base: string
let other: string
const seen: Array<{ url: string, headers: IncomingHttpHeaders }> = []

beforeAll(async () => {
  // /p1 → Link </p2>; /p2 → 302 /sub/p2, which links <p3> (so /sub/p3), which links to the other origin's /p4.
  server = createServer((req, res) => {
    seen.push({ url: `${req.headers.host}${req.url}`, headers: req.headers })
    const path = new URL(req.url!, 'http://x').pathname
    const page = (items: number[], link?: string): void => {
      res.writeHead(200, { 'content-type': 'application/json', ...(link ? { link } : {}) })
      res.end(JSON.stringify({ items }))
    }
    if (path === '/p1') return page([1, 2], '</p2>; rel="next", </p9>; rel="last"')
    if (path === '/p2') return res.writeHead(302, { location: '/sub/p2' }).end()
    if (path === '/sub/p2') return page([3, 4], '<p3>; rel="prev next"')
    if (path === '/sub/p3') return page([5], `<${other}/p4>; rel=next`)
    if (path === '/p4') return page([6])
    if (path === '/loop') return page([0], '</loop>; rel="next"')
    res.writeHead(404).end()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  base = `http://127.0.0.1:${port}`
  other = `http://localhost:${port}`
})
afterAll(async () => {
  await new Promise(resolve => server.close(resolve))
})

describe('paginate', () => {
  it('follows Link rel="next" through a redirect and a relative link; another origin gets no credentials', async () => {
    seen.length = 0
    await using session = createSession({ baseURL: base, auth: { bearer: 'secret-token' }, headers: { 'x-api': 'kept' } })
    const pages: unknown[] = []
    for await (const page of session.paginate<{ items: number[] }>('/p1', { headers: { cookie: 'mine=1' } })) pages.push(page)
    expect(pages).toEqual([{ items: [1, 2] }, { items: [3, 4] }, { items: [5] }, { items: [6] }])
    expect(seen.map(request => request.url.replace(/:\d+/, ''))).toEqual(['127.0.0.1/p1', '127.0.0.1/p2', '127.0.0.1/sub/p2', '127.0.0.1/sub/p3', 'localhost/p4'])
    expect(seen.slice(0, 4).every(request => request.headers.authorization === 'Bearer secret-token' && request.headers.cookie === 'mine=1')).toBe(true)
    const foreign = seen[4]!.headers
    expect([foreign.authorization, foreign.cookie, foreign['x-api']]).toEqual([undefined, undefined, 'kept'])
  })

  it('items() yields the items one by one; maxPages bounds the walk', async () => {
    await using session = createSession({ baseURL: base })
    const items: number[] = []
    for await (const item of session.paginate('/p1', { items: (page: { items: number[] }) => page.items, maxPages: 2 })) items.push(item)
    expect(items).toEqual([1, 2, 3, 4])
  })

  it('next(response, page) decides the next page; a repeated URL ends the walk', async () => {
    await using session = createSession({ baseURL: base })
    const asked: number[] = []
    const walked: unknown[] = []
    for await (const page of session.paginate('/sub/p3', { next: (_, index) => (asked.push(index), index === 0 ? '/p1' : undefined) })) walked.push(page)
    expect([walked, asked]).toEqual([[{ items: [5] }, { items: [1, 2] }], [0, 1]])
    const looped: unknown[] = []
    for await (const page of session.paginate('/loop')) looped.push(page)
    expect(looped).toEqual([{ items: [0] }])
  })

  it('parses RFC 8288 Link headers', () => {
    expect(nextLink('<https://a.test/2>; rel="next"')).toBe('https://a.test/2')
    expect(nextLink('<https://a.test/1>; rel="prev", <https://a.test/3>; rel="NEXT"; title="x, y"')).toBe('https://a.test/3')
    expect(nextLink('</q?a=1,2>; rel="last next"')).toBe('/q?a=1,2')
    expect(nextLink('<https://a.test/9>; rel="last"')).toBeUndefined()
    expect(nextLink(null)).toBeUndefined()
  })

  it('bad options are an InvalidRequestError naming them', () => {
    const session = createSession({ baseURL: base })
    expect(() => session.paginate('/p1', { maxPages: 0 })).toThrow(InvalidRequestError)
    expect(() => session.paginate('/p1', { next: 'p2' as never })).toThrow(/`next` must be a function/)
  })
})
