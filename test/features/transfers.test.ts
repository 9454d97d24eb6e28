/**
 * Upload progress and download resume on Node, past what the conformance suite's area
 * (test/conformance/areas/transfers.ts, every runtime) shows: option checks, a Node stream body,
 * a server that answers before reading the body, and resumes counted as the call's retries.
 */
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, InvalidRequestError, NetworkError } from '../../src/index'
import type { UploadProgress } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer

beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

async function stats(name: string): Promise<Array<{ range: string | null, status: number }>> {
  const response = await fetch(`${server.url}/resumable/${name}/stats`)
  return ((await response.json()) as { requests: Array<{ range: string | null, status: number }> }).requests
}

describe('upload progress', () => {
  it('refuses a listener that is not a function, naming the option', async () => {
    await using session = createSession({ baseURL: server.url })
    const error = await session.post('/post', { body: 'x', onUploadProgress: 5 as never }).catch((caught: unknown) => caught) as InvalidRequestError
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect([error.option, error.message]).toEqual(['onUploadProgress', '[POST] "/post": invalid request: `onUploadProgress` must be a function'])
  })

  it('counts a Node stream body (an async iterable) with the Content-Length the caller gave', async () => {
    await using session = createSession({ baseURL: server.url })
    const events: UploadProgress[] = []
    const body = Readable.from([Buffer.alloc(100_000, 1), Buffer.alloc(50_000, 2)])
    const answer = await session.post<{ received: number, contentLength: string }>('/slow-upload?pause=0', { body: body as never, headers: { 'content-length': '150000' }, onUploadProgress: event => events.push(event) })
    expect([answer.received, answer.contentLength]).toEqual([150_000, '150000'])
    expect(events.map(event => event.loaded)).toEqual([0, 100_000, 150_000, 150_000])
    expect(events.at(-1)).toEqual({ loaded: 150_000, total: 150_000, ratio: 1, done: true, attempt: 1 })
  })

  it('a body without a length reports no total; a GET without a body reports nothing', async () => {
    await using session = createSession({ baseURL: server.url })
    const events: UploadProgress[] = []
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10))
        controller.close()
      },
    })
    const answer = await session.post<{ transferEncoding: string }>('/slow-upload?pause=0', { body: stream, onUploadProgress: event => events.push(event) })
    expect(answer.transferEncoding).toBe('chunked')
    expect(events.at(-1)).toEqual({ loaded: 10, total: undefined, ratio: undefined, done: true, attempt: 1 })
    const none: UploadProgress[] = []
    await session('/get', { onUploadProgress: event => none.push(event) })
    expect(none).toEqual([])
  })
})

describe('download resume', () => {
  it('refuses a resume option that is not a boolean', async () => {
    await using session = createSession({ baseURL: server.url })
    const error = await session('/get', { resume: 'yes' as never }).catch((caught: unknown) => caught) as InvalidRequestError
    expect([error.constructor, error.option]).toEqual([InvalidRequestError, 'resume'])
  })

  it('each resume is one of the call\'s retries: onRetry hears it, and the limit ends it', async () => {
    const retries: string[] = []
    await using session = createSession({ baseURL: server.url, retry: { limit: 1, delay: 0 }, onRetry: [context => void retries.push(context.error.name)] })
    // Two answers break: the first resume is the one retry, the second break is the end.
    const name = `limit-${Date.now()}`
    const error = await session(`/resumable/${name}?size=1000000&etag=1&cuts=2`, { responseType: 'arrayBuffer' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NetworkError)
    expect(retries).toEqual(['NetworkError'])
    expect((await stats(name)).map(request => [request.range, request.status])).toEqual([[null, 200], ['bytes=600000-', 206]])
  })

  it('with retry: false the body fails as it broke, nothing sent again', async () => {
    await using session = createSession({ baseURL: server.url, retry: false })
    const name = `off-${Date.now()}`
    const error = await session(`/resumable/${name}?size=1000000&etag=1`, { responseType: 'arrayBuffer' }).catch((caught: unknown) => caught) as NetworkError
    expect([error.constructor, error.code]).toEqual([NetworkError, 'ECONNRESET'])
    expect(await stats(name)).toHaveLength(1)
  })
})
