/**
 * Large transfers and typed APIs (issue 17) on each runtime: upload progress for every body kind
 * (streamed on Node, Deno and Bun; two events in a browser), restarted on a retry and a 307
 * replay; a broken download resumed with `Range` + `If-Range` and never spliced; a Standard
 * Schema's output and its failure, never retried; `paginate()` through a redirect, a relative
 * link and another origin.
 */
import { FEATURES } from '../suite'
import type { SuiteArea } from '../suite'

const MiB = 1024 * 1024

/** The bytes the test server's /resumable/:name serves for `version` (test/helpers/server.ts). */
function resumableBytes(size: number, version: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + (i >>> 9) * 7 + version * 59) & 255
  return bytes
}

async function sha256(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource)
  return [...new Uint8Array(digest)].map(byte => byte.toString(16).padStart(2, '0')).join('')
}

interface Progress { loaded: number, total: number | undefined, done: boolean, attempt: number }

/** Each attempt's events are monotonic, start at 0 and end `done`; returns them by attempt. */
function byAttempt(events: Progress[]): Progress[][] {
  const attempts: Progress[][] = []
  for (const event of events) (attempts[event.attempt - 1] ??= []).push(event)
  return attempts
}

function monotonic(events: Progress[]): boolean {
  return events.every((event, i) => i === 0 || event.loaded >= events[i - 1]!.loaded)
}

export const transfers: SuiteArea = ({ describe, it, expect }, env, { key, serverOnly }) => {
  const { lib, base, alt, runtime, browser } = env
  const { createSession, SchemaError } = lib

  describe('upload progress', () => {
    it('5 MiB of FormData to a slow server: monotonic progress, the last event done with what the server received', [FEATURES.uploadProgress], async () => {
      const session = createSession({ baseURL: base })
      const form = new FormData()
      form.append('file', new Blob([new Uint8Array(5 * MiB).fill(7)], { type: 'application/octet-stream' }), 'big.bin')
      form.append('name', 'upload')
      const events: Progress[] = []
      const answer = await session.post<Record<string, any>>('/slow-upload?pause=2', { body: form, onUploadProgress: event => events.push(event) })
      expect(answer.parts).toEqual({ file: 5 * MiB, name: 6 })
      expect(answer.contentType).toMatch(/^multipart\/form-data; ?boundary=/)
      // Deno drops a Content-Length given with a streamed body and sends it chunked (README).
      if (runtime === 'deno') expect(answer.transferEncoding).toBe('chunked')
      else expect(Number(answer.contentLength)).toBe(answer.received)
      const last = events.at(-1)!
      expect([last.done, last.loaded, last.total, last.attempt]).toEqual([true, answer.received, answer.received, 1])
      expect([events[0]!.loaded, events[0]!.done]).toEqual([0, false])
      expect(monotonic(events)).toBe(true)
      expect(events.filter(event => event.done).length).toBe(1)
      // Streamed in 64 KiB pieces; a browser reports the start and the end only.
      if (browser) expect(events.length).toBe(2)
      else expect(events.length).toBeGreaterThan(80)
      await session.close()
    })

    it('every body kind: bytes, a string, URLSearchParams, a Blob and (not in browsers) a stream with its Content-Length', [FEATURES.uploadProgress], async () => {
      const session = createSession({ baseURL: base })
      const size = 300_000
      const stream = (): ReadableStream<Uint8Array> => {
        let sent = 0
        return new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= size) return controller.close()
            controller.enqueue(new Uint8Array(50_000).fill(1))
            sent += 50_000
          },
        })
      }
      const kinds: Array<[string, () => { body: unknown, headers?: Record<string, string> }, number]> = [
        ['bytes', () => ({ body: new Uint8Array(size).fill(2) }), size],
        ['string', () => ({ body: 'é'.repeat(size / 2) }), size],
        ['params', () => ({ body: new URLSearchParams({ q: 'x'.repeat(size - 2) }) }), size],
        ['blob', () => ({ body: new Blob([new Uint8Array(size)]) }), size],
      ]
      if (!browser) kinds.push(['stream', () => ({ body: stream(), headers: { 'content-length': String(size) } }), size])
      for (const [kind, make, length] of kinds) {
        const events: Progress[] = []
        const answer = await session.put<Record<string, any>>('/slow-upload?pause=0', { ...make(), onUploadProgress: (event: Progress) => events.push(event) } as never)
        expect({ kind, received: answer.received, last: events.at(-1) }).toEqual({ kind, received: length, last: { loaded: length, total: length, ratio: 1, done: true, attempt: 1 } })
        expect(monotonic(events)).toBe(true)
        if (runtime !== 'deno') expect({ kind, length: answer.contentLength }).toEqual({ kind, length: String(length) })
      }
      await session.close()
    })

    it('a retry and a 307 replay start the count again, each with its attempt', [FEATURES.uploadProgress], async () => {
      const session = createSession({ baseURL: base, retry: { limit: 1, delay: 0 } })
      const body = new Uint8Array(200_000)
      const retried: Progress[] = []
      await session.put(`/flaky/${key('up')}?fail=1&status=503`, { body, onUploadProgress: event => retried.push(event) })
      const attempts = byAttempt(retried)
      expect(attempts.length).toBe(2)
      for (const events of attempts) {
        expect(events[0]!.loaded).toBe(0)
        expect([events.at(-1)!.loaded, events.at(-1)!.done]).toEqual([200_000, true])
        expect(monotonic(events)).toBe(true)
      }
      const replayed: Progress[] = []
      const answer = await session.post<Record<string, any>>(`/redirect-to?url=${encodeURIComponent('/slow-upload?pause=0')}&status_code=307`, { body, onUploadProgress: event => replayed.push(event) })
      expect(answer.received).toBe(200_000)
      // A browser follows the redirect itself: one send, as the page sees it.
      expect(byAttempt(replayed).map(events => events.at(-1)!.loaded)).toEqual(browser ? [200_000] : [200_000, 200_000])
      await session.close()
    })
  })

  describe('download resume', () => {
    const size = 20 * MiB
    const original = resumableBytes(size, 1)
    // Past Chromium's HTTP cache, which completes an entry it holds in part with range requests of its own.
    const fresh = browser ? { cache: 'no-store' as const } : {}

    it('a 20 MiB download cut at 60% resumes with Range + If-Range; its SHA-256 matches', [FEATURES.resume], async () => {
      const session = createSession({ ...fresh, baseURL: base, retry: { limit: 2, delay: 0 } })
      const name = key('dl')
      const data = await session<ArrayBuffer>(`/resumable/${name}?size=${size}&etag=1`, { responseType: 'arrayBuffer' })
      expect(data.byteLength).toBe(size)
      expect(await sha256(data)).toBe(await sha256(original))
      const stats = await session<Record<string, any>>(`/resumable/${name}/stats`)
      expect(stats.requests).toEqual([
        { range: null, ifRange: null, status: 200 },
        { range: `bytes=${0.6 * size}-`, ifRange: `"${name}-v1"`, status: 206 },
      ])
      await session.close()
    })

    it('a stream resumes without a seam, its download progress counting the whole; Last-Modified is a validator too', [FEATURES.resume], async () => {
      const session = createSession({ ...fresh, baseURL: base, retry: { limit: 1, delay: 0 } })
      const name = key('dls')
      const loaded: number[] = []
      const body = await session<ReadableStream<Uint8Array>>(`/resumable/${name}?size=${4 * MiB}&lm=1`, { responseType: 'stream', onDownloadProgress: event => loaded.push(event.loaded) })
      const bytes = new Uint8Array(await new Response(body).arrayBuffer())
      expect(await sha256(bytes)).toBe(await sha256(resumableBytes(4 * MiB, 1)))
      expect(loaded.at(-1)).toBe(4 * MiB)
      expect(loaded.every((value, i) => i === 0 || value >= loaded[i - 1]!)).toBe(true)
      const stats = await session<Record<string, any>>(`/resumable/${name}/stats`)
      expect([stats.requests[1].range, stats.requests[1].status]).toEqual([`bytes=${Math.floor(0.6 * 4 * MiB)}-`, 206])
      expect(new Date(stats.requests[1].ifRange).getTime()).toBe(Date.UTC(2026, 0, 1))
      await session.close()
    })

    it('an ETag changed mid-way gives the full new body, never a splice', [FEATURES.resume], async () => {
      const session = createSession({ ...fresh, baseURL: base, retry: { limit: 2, delay: 0 } })
      const name = key('dlc')
      const data = await session<ArrayBuffer>(`/resumable/${name}?size=${size}&etag=1&change=1`, { responseType: 'arrayBuffer' })
      expect(await sha256(data)).toBe(await sha256(resumableBytes(size, 2)))
      const stats = await session<Record<string, any>>(`/resumable/${name}/stats`)
      // The range request's If-Range named v1: the server answered 200 with v2, which was not spliced on.
      expect(stats.requests.map((request: Record<string, unknown>) => [request.range !== null, request.status])).toEqual([[false, 200], [true, 200], [false, 200]])
      await session.close()
    })

    it('a server that ignores Range, or a Content-Range a byte off, restarts from zero', [FEATURES.resume], async () => {
      const session = createSession({ ...fresh, baseURL: base, retry: { limit: 2, delay: 0 } })
      for (const flaw of ['ignore', 'bad']) {
        const name = key(flaw)
        const data = await session<ArrayBuffer>(`/resumable/${name}?size=${2 * MiB}&etag=1&${flaw}=1`, { responseType: 'arrayBuffer' })
        expect({ flaw, digest: await sha256(data) }).toEqual({ flaw, digest: await sha256(resumableBytes(2 * MiB, 1)) })
        const stats = await session<Record<string, any>>(`/resumable/${name}/stats`)
        expect(stats.requests.map((request: Record<string, unknown>) => request.range === null)).toEqual([true, false, true])
      }
      await session.close()
    })

    it('no resume without a strong validator, or with resume: false; a stream that cannot resume fails', [FEATURES.resume], async () => {
      const session = createSession({ ...fresh, baseURL: base, retry: { limit: 1, delay: 0 } })
      const weak = key('weak')
      await session(`/resumable/${weak}?size=${MiB}&etag=weak`, { responseType: 'arrayBuffer' })
      const off = key('off')
      await session(`/resumable/${off}?size=${MiB}&etag=1`, { responseType: 'arrayBuffer', resume: false })
      for (const name of [weak, off]) {
        const stats = await session<Record<string, any>>(`/resumable/${name}/stats`)
        expect(stats.requests.map((request: Record<string, unknown>) => request.range)).toEqual([null, null])
      }
      const body = await session<ReadableStream<Uint8Array>>(`/resumable/${key('gone')}?size=${MiB}&etag=1&change=1`, { responseType: 'stream' })
      const failed = await new Response(body).arrayBuffer().then(() => undefined, (error: unknown) => error)
      expect(failed).toBeInstanceOf(Error)
      await session.close()
    })

    it('a body that stalls past the attempt deadline resumes under a new one', [FEATURES.resume], async () => {
      const session = createSession({ ...fresh, baseURL: base, retry: { limit: 1, delay: 0 }, timeout: { attempt: 1500 } })
      const name = key('stall')
      const data = await session<ArrayBuffer>(`/resumable/${name}?size=${2 * MiB}&etag=1&stall=1`, { responseType: 'arrayBuffer' })
      expect(await sha256(data)).toBe(await sha256(resumableBytes(2 * MiB, 1)))
      const stats = await session<Record<string, any>>(`/resumable/${name}/stats`)
      expect([stats.requests[1].range, stats.requests[1].status]).toEqual([`bytes=${Math.floor(0.6 * 2 * MiB)}-`, 206])
      await session.close()
    })
  })

  describe('schema and pagination', () => {
    /** A Standard Schema by hand (the runtime suites bundle the package alone): `{ id: string }` to a number. */
    const idSchema = {
      '~standard': {
        version: 1 as const,
        vendor: 'conformance',
        validate: (value: unknown) => {
          const id = (value as { args?: { id?: unknown } })?.args?.id
          return typeof id === 'string' && /^\d+$/.test(id) ? { value: Number(id) } : { issues: [{ message: 'args.id must be digits', path: ['args', 'id'] }] }
        },
      },
    }

    it('a transforming schema gives its output; a failing one rejects with SchemaError, never retried', [FEATURES.schema], async () => {
      const session = createSession({ baseURL: base, retry: { limit: 2, delay: 0 } })
      expect(await session('/get?id=42', { schema: idSchema })).toBe(42)
      const name = key('schema')
      const error = await session(`/get?id=x&key=${name}`, { schema: idSchema }).catch((caught: unknown) => caught) as InstanceType<typeof SchemaError>
      expect(error).toBeInstanceOf(SchemaError)
      expect(error.issues[0]!.message).toBe('args.id must be digits')
      expect(await session(`/__hits/${name}`)).toEqual({ hits: 1 })
      await session.close()
    })

    serverOnly('three pages, page 2 redirecting and linking relatively; the next link on another origin gets no Authorization', [FEATURES.paginate], async () => {
      const session = createSession({ baseURL: base, auth: { bearer: 'page-token' } })
      const pages: Array<Record<string, any>> = []
      for await (const page of session.paginate<Record<string, any>>(`/pages/1?other=${encodeURIComponent(alt)}`)) pages.push(page)
      expect(pages.map(page => [page.page, page.authorization])).toEqual([[1, 'Bearer page-token'], [2, 'Bearer page-token'], [3, 'Bearer page-token'], [4, null]])
      expect(pages.map(page => new URL(page.url).pathname)).toEqual(['/pages/1', '/pages/sub/2', '/pages/sub/3', '/pages/4'])
      expect(new URL(pages[3]!.url).origin).toBe(alt)
      await session.close()
    }, 'the browser follows the redirect and sends the page\'s own credentials')
  })
}
