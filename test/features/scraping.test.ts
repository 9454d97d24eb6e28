import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import type { DownloadProgress } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

describe('forms', () => {
  it('URLSearchParams is sent form-encoded', async () => {
    const session = createSession({ baseURL: server.url })
    const echoed = await session.post('/anything', { body: new URLSearchParams({ username: 'myuser', csrf_token: 'a b&c' }) })
    expect(echoed.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(echoed.form).toEqual({ username: 'myuser', csrf_token: 'a b&c' })
    await session.close()
  })

  it('a plain object with a form content type is form-encoded (with or without charset)', async () => {
    const session = createSession({ baseURL: server.url })
    for (const type of ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8']) {
      const echoed = await session.post('/anything', { body: { a: 1, b: 'two', list: ['x', 'y'], skipped: undefined }, headers: { 'content-type': type } })
      expect(echoed.body).toBe('a=1&b=two&list=x&list=y')
      expect(echoed.headers['content-type']).toBe(type)
    }
    await session.close()
  })

  it('FormData is sent multipart, files included', async () => {
    const session = createSession({ baseURL: server.url })
    const form = new FormData()
    form.set('title', 'report')
    form.set('upload', new File(['hello file'], 'hello.txt', { type: 'text/plain' }))
    const echoed = await session.post('/anything', { body: form })
    expect(echoed.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/)
    expect(echoed.form).toEqual({ title: 'report' })
    expect(echoed.files).toEqual({ upload: { filename: 'hello.txt', type: 'text/plain', size: 10, text: 'hello file' } })
    await session.close()
  })

  it('a plain object with multipart/form-data becomes FormData (the boundary is written by the runtime)', async () => {
    const session = createSession({ baseURL: server.url })
    const echoed = await session.post('/anything', {
      body: { name: 'x', photo: new File(['PNG'], 'photo.png', { type: 'image/png' }) },
      headers: { 'content-type': 'multipart/form-data' },
    })
    expect(echoed.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/)
    expect(echoed.form).toEqual({ name: 'x' })
    expect(echoed.files.photo).toEqual({ filename: 'photo.png', type: 'image/png', size: 3, text: 'PNG' })
    await session.close()
  })
})

describe('limits', () => {
  it('concurrency: 200 concurrent calls, never more than 5 in flight, started in order', async () => {
    const session = createSession({ baseURL: server.url, limit: { concurrency: 5 } })
    const results = await Promise.all(Array.from({ length: 200 }, (_, index) => session(`/delay/5?key=conc&i=${index}`)))
    expect(results).toHaveLength(200)
    const stats = server.keyStats('conc')
    expect(stats.max).toBe(5)
    const order = server.requests.map(request => Number(new URL(request.url).searchParams.get('i')))
    // a call never starts before one made earlier (in order, within one batch of 5 in flight)
    order.forEach((value, index) => expect(value).toBeLessThan(index + 5))
    await session.close()
  })

  it('perHost: each host gets at most its share, and one busy host does not hold up another', async () => {
    const session = createSession({ limit: { perHost: 2, concurrency: 10 } })
    const calls = Array.from({ length: 40 }, (_, index) => {
      const base = index % 2 === 0 ? server.url : server.altUrl
      return session(`${base}/delay/5?key=${index % 2 === 0 ? 'ipv4' : 'name'}`)
    })
    await Promise.all(calls)
    expect(server.keyStats('ipv4').max).toBe(2)
    expect(server.keyStats('name').max).toBe(2)
    await session.close()
  })

  it('rps: starts are spaced so no second sees more than the limit', async () => {
    const session = createSession({ baseURL: server.url, limit: { rps: 20 } })
    const started = Date.now()
    await Promise.all(Array.from({ length: 30 }, () => session('/get?key=rps')))
    const arrivals = server.keyStats('rps').arrivals
    // Starts are 50 ms apart, so any second holds 20 of them; arrivals at the server jitter by a
    // few ms (the 21st start is exactly 1000 ms after the 1st), so the window is 1000 ms less 25.
    for (const first of arrivals) {
      expect(arrivals.filter(at => at >= first && at < first + 975).length).toBeLessThanOrEqual(20)
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400)
    await session.close()
  })

  it('a caller abort takes a waiting request out of the queue', async () => {
    const session = createSession({ baseURL: server.url, limit: { concurrency: 1 } })
    const first = session('/delay/200?key=queue')
    const controller = new AbortController()
    const second = session('/get?key=queue', { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(second).rejects.toMatchObject({ name: 'AbortError' })
    await first
    expect(server.hits('queue')).toBe(1)
    await session.close()
  })

  it('extend() children share the limits; bad limits are refused', async () => {
    const session = createSession({ baseURL: server.url, limit: { concurrency: 2 } })
    const child = session.extend({ headers: { 'x-child': '1' } })
    await Promise.all(Array.from({ length: 10 }, (_, index) => (index % 2 ? child : session)('/delay/10?key=shared')))
    expect(server.keyStats('shared').max).toBe(2)
    expect(() => createSession({ limit: { rps: 0 } })).toThrow(/`limit.rps` must be a number above 0/)
    await session.close()
  })
})

describe('download progress', () => {
  it('reports loaded and total as the body arrives, then done', async () => {
    const session = createSession({ baseURL: server.url })
    const events: DownloadProgress[] = []
    const data = await session('/bytes/300000', { responseType: 'arrayBuffer', onDownloadProgress: progress => void events.push(progress) })
    expect(data.byteLength).toBe(300000)
    expect(events.length).toBeGreaterThan(2)
    expect(events.at(-1)).toEqual({ loaded: 300000, total: 300000, ratio: 1, done: true })
    for (let index = 1; index < events.length; index++) expect(events[index]!.loaded).toBeGreaterThanOrEqual(events[index - 1]!.loaded)
    expect(events.every(event => event.total === 300000)).toBe(true)
    await session.close()
  })

  it('works after redirects and reports only the final body', async () => {
    const session = createSession({ baseURL: server.url })
    const events: DownloadProgress[] = []
    const response = await session.raw(`/redirect-to?url=${encodeURIComponent('/bytes/1000')}`, { responseType: 'text', onDownloadProgress: progress => void events.push(progress) })
    expect(response.url).toBe(`${server.url}/bytes/1000`)
    expect(response.redirected).toBe(true)
    expect(events.at(-1)).toMatchObject({ loaded: 1000, total: 1000, done: true })
    await session.close()
  })
})
