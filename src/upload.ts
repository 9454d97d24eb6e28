/**
 * Upload progress (issue 17 item 1): `onUploadProgress` hears of the request body as the platform
 * takes it, on each request sent (every retry and every 307/308 replay starts again at 0, with its
 * `attempt`), and once more, `done`, when the response has come: by then the server has the body.
 *
 * The body is measured first, as fetch would extract it: bytes, strings and `URLSearchParams`
 * encoded, a `Blob` by its size, a `FormData` serialised (so `Content-Length` is sent, with the
 * multipart boundary's `Content-Type`), a stream as it comes (its total from a `Content-Length`
 * the caller set, else unknown). It then goes as a stream the platform pulls in 64 KiB pieces,
 * counted as each is pulled, with `duplex: 'half'` and `Content-Length` when known. Where streamed
 * uploads are refused (browsers over HTTP/1.1: `Adapter.streamingUploads` false), the sized body
 * goes as it is and the events are two: 0 before, `done` with the whole after.
 *
 * The layer is the bottom one, under the HAR recorder, so everything above sees the body the
 * caller gave, and every send, each hop and each retry, is counted.
 *
 * @module
 */
import type { LayerSpec, Middleware } from './layer'
import { callStateOf } from './layer'
import { invalidOption } from './errors'
import { bare, own } from './own'
import type { Fetch, RequestOptions, UploadProgress } from './types'

/** The size of each piece of a sized body handed to the platform. */
const PIECE = 64 * 1024

type Listener = NonNullable<RequestOptions['onUploadProgress']>

/** The layer's state for one call: the listener and the sends so far. */
interface UploadCall {
  listener: Listener
  sends: number
}

/** A body, measured: what to send, its length when known, and the content type fetch would give it. */
interface Measured {
  source: Uint8Array | Blob | ReadableStream<Uint8Array>
  total: number | undefined
  type: string | undefined
}

function readUpload(source: object): Listener | undefined {
  const listener = own<Listener>(source, 'onUploadProgress')
  if (listener !== undefined && typeof listener !== 'function') throw invalidOption('onUploadProgress', '`onUploadProgress` must be a function')
  return listener
}

/** The upload layer's spec: the later level's listener wins; only calls with one get the layer's work. */
export const uploadLayer: LayerSpec<Listener, UploadCall> = {
  name: 'upload',
  keys: ['onUploadProgress'],
  read: readUpload,
  prepare: listener => listener ? { listener, sends: 0 } : undefined,
  create: ({ adapter }) => withUploadProgress(adapter.streamingUploads !== false, adapter.sizedStream),
}

/**
 * The middleware: measures and counts the body of each request sent by a call that listens.
 * `sized` makes a stream the platform sends with its length (workerd), where a header cannot.
 */
export function withUploadProgress(streaming: boolean, sized?: (stream: ReadableStream<Uint8Array>, length: number) => ReadableStream<Uint8Array>): Middleware {
  return next => (input, init) => {
    const upload = callStateOf(init)?.layers.upload as UploadCall | undefined
    const body = init?.body
    // Not an async function: a call without a listener (or a body) pays no promise of its own here.
    if (!upload || !init || body === undefined || body === null) return next(input, init)
    return sendCounted(next, input, init, body, upload, streaming, sized)
  }
}

/** One send of a call that listens: the body measured, counted as it goes, `done` with the response. */
async function sendCounted(next: Fetch, input: Parameters<Fetch>[0], init: RequestInit, body: unknown, upload: UploadCall, streaming: boolean, sized: ((stream: ReadableStream<Uint8Array>, length: number) => ReadableStream<Uint8Array>) | undefined): Promise<Response> {
  const attempt = ++upload.sends
  const headers = new Headers(init.headers)
  const measured = await measure(body, headers)
  if (measured.type !== undefined && !headers.has('content-type')) headers.set('content-type', measured.type)
  const { total } = measured
  const report = (loaded: number, done: boolean): void => {
    const progress: UploadProgress = { loaded, total, ratio: total ? Math.min(1, loaded / total) : total === 0 ? 1 : undefined, done, attempt }
    upload.listener(progress)
  }
  report(0, false)
  let sent: RequestInit
  let loaded = (): number => total ?? 0
  if (streaming) {
    if (total !== undefined) headers.set('content-length', String(total))
    const counted = countedStream(measured.source, (count) => {
      report(count, false)
    })
    loaded = counted.loaded
    const stream = sized && total !== undefined ? sized(counted.stream, total) : counted.stream
    sent = { ...init, headers, body: stream, duplex: 'half' } as RequestInit
  }
  else {
    sent = { ...init, headers, body: measured.source as BodyInit }
  }
  const response = await next(input, sent)
  report(loaded(), true)
  return response
}

/** The body as fetch would extract it: its bytes (or Blob, or stream), length and content type. */
async function measure(body: unknown, headers: Headers): Promise<Measured> {
  if (typeof body === 'string') {
    const bytes = new TextEncoder().encode(body)
    return { source: bytes, total: bytes.byteLength, type: 'text/plain;charset=UTF-8' }
  }
  if (body instanceof URLSearchParams) {
    const bytes = new TextEncoder().encode(body.toString())
    return { source: bytes, total: bytes.byteLength, type: 'application/x-www-form-urlencoded;charset=UTF-8' }
  }
  if (body instanceof ArrayBuffer) return { source: new Uint8Array(body.slice(0)), total: body.byteLength, type: undefined }
  if (ArrayBuffer.isView(body)) {
    const bytes = new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer)
    return { source: bytes, total: bytes.byteLength, type: undefined }
  }
  if (body instanceof Blob) return { source: body, total: body.size, type: body.type === '' ? undefined : body.type }
  if (typeof FormData === 'function' && body instanceof FormData) {
    // Serialised by the platform itself, boundary and all, so its length is known.
    const serialised = new Response(body)
    const blob = await serialised.blob()
    return { source: blob, total: blob.size, type: serialised.headers.get('content-type') ?? (blob.type || undefined) }
  }
  const stream = asStream(body)
  if (stream) {
    const declared = headers.get('content-length')
    return { source: stream, total: declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined, type: undefined }
  }
  // Anything else goes as fetch would take it: its string.
  return measure(String(body), headers)
}

/** A `ReadableStream` body, or an async iterable of chunks (Node streams) as one. */
function asStream(body: unknown): ReadableStream<Uint8Array> | undefined {
  if (typeof (body as ReadableStream).getReader === 'function') return body as ReadableStream<Uint8Array>
  const iterable = body as AsyncIterable<Uint8Array>
  if (typeof iterable?.[Symbol.asyncIterator] !== 'function') return undefined
  const iterator = iterable[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>(bare({
    async pull(controller) {
      const next = await iterator.next()
      if (next.done) controller.close()
      else controller.enqueue(typeof next.value === 'string' ? new TextEncoder().encode(next.value) : next.value)
    },
    async cancel() {
      await iterator.return?.()
    },
  }), { highWaterMark: 0 })
}

/**
 * `source` as a stream the platform pulls, nothing read ahead: a sized body in 64 KiB pieces (a
 * Blob sliced, never read whole), a stream chunk by chunk; `onPulled` hears the count after each.
 */
function countedStream(source: Measured['source'], onPulled: (loaded: number) => void): { stream: ReadableStream<Uint8Array>, loaded: () => number } {
  let loaded = 0
  let offset = 0
  const reader = source instanceof ReadableStream ? source.getReader() : undefined
  const size = reader ? 0 : source instanceof Blob ? source.size : (source as Uint8Array).byteLength
  const stream = new ReadableStream<Uint8Array>(bare({
    async pull(controller) {
      let chunk: Uint8Array
      if (reader) {
        const next = await reader.read()
        if (next.done) {
          controller.close()
          return
        }
        chunk = next.value
      }
      else {
        if (offset >= size) {
          controller.close()
          return
        }
        const end = Math.min(size, offset + PIECE)
        chunk = source instanceof Blob
          ? new Uint8Array(await source.slice(offset, end).arrayBuffer())
          : (source as Uint8Array).slice(offset, end)
        offset = end
      }
      loaded += chunk.byteLength
      controller.enqueue(chunk)
      onPulled(loaded)
    },
    cancel: reason => reader?.cancel(reason),
  }), { highWaterMark: 0 })
  return { stream, loaded: () => loaded }
}
