/**
 * Download resume (issue 17 item 2): a GET whose body breaks mid-way (a reset, a connection
 * closed early, the attempt's deadline) goes on from the byte it stopped at, when its response
 * said it could: `200`, `Accept-Ranges: bytes`, no `Content-Encoding` (a range counts the bytes
 * on the wire), and a strong `ETag` or a `Last-Modified` to send as `If-Range`. The caller's
 * stream (or ofetch's buffered read) continues without a seam.
 *
 * Each resume is one retry of the call: the session decides through `CallState.reattempt` (the
 * retry policy, its delay, the `onRetry` hooks, a new attempt deadline). The answer must be a
 * `206` whose `Content-Range` starts at that byte (and ends where the body does) with the same
 * validator; a `200` (the server ignored the range, or `If-Range` no longer matched), a changed
 * validator or a `Content-Range` that does not continue the body is never spliced: the body
 * fails with its first error, so a buffered call is retried from zero by the attempt loop.
 *
 * Under the redirect layer, so it sees the final hop's response and asks that URL again; above
 * the auth, cookie, cache and limiter layers, so the range request is a request like any other.
 * The body watch, above both, counts the whole body once.
 *
 * @module
 */
import { withBody } from './body-response'
import { invalidOption } from './errors'
import type { CallState, LayerSpec, Middleware } from './layer'
import { callStateOf } from './layer'
import { bare, own } from './own'
import { discard } from './response-hooks'
import type { Fetch } from './types'

/** What a resumable response promised: its validator, and its length when known. */
interface Resumable {
  /** The `If-Range` value: the strong ETag, else the Last-Modified date. */
  validator: string
  /** Which header the validator came from. */
  kind: 'etag' | 'last-modified'
  /** `Content-Length`, when given. */
  total: number | undefined
}

function readResume(source: object): boolean | undefined {
  const value = own<unknown>(source, 'resume')
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw invalidOption('resume', '`resume` must be true or false')
  return value
}

/** The resume layer's spec: on for every GET unless `resume: false` (the later level wins). */
export const resumeLayer: LayerSpec<boolean, true> = {
  name: 'resume',
  keys: ['resume'],
  read: readResume,
  prepare: (enabled, call) => (enabled !== false && call.method === 'GET' ? true : undefined),
  create: ({ adapter }) => withResume(adapter.owns?.cache === true),
}

/**
 * The middleware: a resumable response's body, read through a stream that resumes it. Where the
 * platform has an HTTP cache of its own (browsers), the range request is sent `no-store`, past it:
 * Chromium's cache would answer a range of an entry it holds in part with requests of its own.
 */
export function withResume(pastPlatformCache: boolean): Middleware {
  // Not an async function: a call that cannot resume pays no promise of its own here.
  return next => (input, init) => {
    const state = callStateOf(init)
    if (!state?.layers.resume || !state.reattempt) return next(input, init)
    return next(input, init).then((response) => {
      // The headers first: reading `body` turns a lean response's into a stream (Node's fast path).
      const resumable = resumableOf(response)
      if (!resumable || !response.body) return response
      const rangeInit: RequestInit = pastPlatformCache ? { ...init, cache: 'no-store' } : init!
      return withBody(response, resumingBody(response.body!, resumable, state, next, input, rangeInit))
    })
  }
}

/** What a response allows to resume, if it does. */
function resumableOf(response: Response): Resumable | undefined {
  const { headers } = response
  if (response.status !== 200 || headers.has('content-encoding')) return undefined
  if (!/(?:^|,)\s*bytes\s*(?:,|$)/i.test(headers.get('accept-ranges') ?? '')) return undefined
  const length = headers.get('content-length')
  const total = length !== null && /^\d+$/.test(length) ? Number(length) : undefined
  const etag = headers.get('etag')
  if (etag !== null && /^"[^"]*"$/.test(etag.trim())) return { validator: etag.trim(), kind: 'etag', total }
  const modified = headers.get('last-modified')
  if (modified !== null && !Number.isNaN(Date.parse(modified))) return { validator: modified, kind: 'last-modified', total }
  return undefined
}

/**
 * True when `answer` continues the body at `offset`: a `206` of the same representation (same
 * validator, no coding) whose `Content-Range` starts there and, where the length is known, ends
 * at its end with the same complete length.
 */
function continues(answer: Response, resumable: Resumable, offset: number): boolean {
  if (answer.status !== 206 || !answer.body || answer.headers.has('content-encoding')) return false
  const validator = answer.headers.get(resumable.kind)
  if (resumable.kind === 'etag' ? validator?.trim() !== resumable.validator : validator !== null && validator !== resumable.validator) return false
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec((answer.headers.get('content-range') ?? '').trim())
  if (!range) return false
  const [start, end, complete] = [Number(range[1]), Number(range[2]), range[3] === '*' ? undefined : Number(range[3])]
  if (start !== offset || end < start) return false
  if (resumable.total === undefined) return complete === undefined || end === complete - 1
  return complete === resumable.total && end === resumable.total - 1
}

/**
 * The body as the caller reads it: `body`, and after a failure each range the session allows,
 * until the whole has come. A failure it cannot resume from fails the stream with the error
 * that broke it.
 */
function resumingBody(body: ReadableStream<Uint8Array>, resumable: Resumable, state: CallState, next: Fetch, input: Parameters<Fetch>[0], init: RequestInit): ReadableStream<Uint8Array> {
  let reader = body.getReader()
  let received = 0
  /** A reader of the rest of the body from `received`, or `undefined` when the session gives up. */
  const resume = async (error: unknown): Promise<ReadableStreamDefaultReader<Uint8Array> | undefined> => {
    for (let failure = error; ;) {
      const signal = await state.reattempt!(failure)
      if (signal === undefined) return undefined
      const headers = new Headers(init.headers)
      headers.set('range', `bytes=${received}-`)
      headers.set('if-range', resumable.validator)
      let answer: Response
      try {
        answer = await next(input, { ...init, headers, signal })
      }
      catch (thrown) {
        failure = thrown
        continue
      }
      if (continues(answer, resumable, received)) return answer.body!.getReader()
      discard(answer)
      return undefined
    }
  }
  return new ReadableStream<Uint8Array>(bare({
    async pull(controller) {
      for (;;) {
        try {
          const chunk = await reader.read()
          if (chunk.done) controller.close()
          else {
            received += chunk.value.byteLength
            controller.enqueue(chunk.value)
          }
          return
        }
        catch (error) {
          if (resumable.total !== undefined && received >= resumable.total) throw error
          const rest = await resume(error)
          if (!rest) throw error
          reader = rest
        }
      }
    },
    cancel: reason => reader.cancel(reason),
  }), { highWaterMark: 0 })
}
