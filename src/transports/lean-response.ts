/**
 * The response of the Node dispatch transport: everything a `Response` is read with (status,
 * headers, `body` as a web `ReadableStream`, `text()`, `json()`, `arrayBuffer()`, `bytes()`,
 * `blob()`, `formData()`, `clone()`, `bodyUsed`), without what makes a WHATWG `Response` costly
 * on Node: its body stream is only built when `body` is read (a `ReadableStream` costs ~20 µs on
 * Node 20), and `text()` / `json()` / `arrayBuffer()` read the received chunks directly.
 *
 * What differs from a `Response` built by fetch (README, "Benchmarks"):
 * - `instanceof Response` holds (its prototype chain includes `Response.prototype`), but it is not
 *   a platform object: calling `Response.prototype.text.call(response)` and the like throws.
 * - `headers` is a read-only `LeanHeaders` (`instanceof Headers` holds the same way).
 * - After `text()` (or any whole read), `response.body` is not locked: reading it fails with the
 *   "Body is unusable" `TypeError` instead of `getReader()` throwing.
 * - `blob()` and `formData()` go through a platform `Response` (same results, not the fast path).
 */
import * as streams from 'node:stream'
import { BodySource, unusable } from './body-source'
import { DISCARD, PROBE } from '../response-hooks'
import { bare } from '../own'
import type { Timings } from '../fetch-error'
import type { TimingSource } from '../timings'

const decoder = new TextDecoder()
/** Whether a stream was read or cancelled (node:stream, v16.8+; not in @types/node 20). */
const isDisturbed = (streams as unknown as { isDisturbed: (stream: unknown) => boolean }).isDisturbed
const EMPTY: readonly Uint8Array[] = Object.freeze([])
const inspect: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  if (chunks.length === 0) return new Uint8Array(0)
  return Buffer.concat(chunks as Uint8Array[])
}

/** A fresh `ArrayBuffer` holding exactly the body (never a view of a socket buffer). */
function toArrayBuffer(chunks: readonly Uint8Array[]): ArrayBuffer {
  let length = 0
  for (const chunk of chunks) length += chunk.byteLength
  // Its own ArrayBuffer, exactly `length` long, not zero-filled first (every byte is written below).
  const bytes = Buffer.allocUnsafeSlow(length)
  let offset = 0
  for (const chunk of chunks) {
    // From a plain Uint8Array view: `set()` takes V8's memcpy path, not the element-wise one a Buffer source gets.
    bytes.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), offset)
    offset += chunk.byteLength
  }
  return bytes.buffer as ArrayBuffer
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return chunks
    chunks.push(value)
  }
}

/** A response from the dispatch transport (not exported: `leanResponse()` makes them). */
class LeanResponse {
  readonly status: number
  readonly statusText: string
  readonly url: string
  readonly headers: Headers
  /** The arriving body; null without a body (HEAD, 204…), or once moved into `#stream` by `clone()`. */
  #source: BodySource | null
  /** The body stream: `undefined` until `body` is read. */
  #stream: ReadableStream<Uint8Array> | null | undefined = undefined
  /** Read whole by `text()` and friends. */
  #used = false
  /** The next `body` read is ofetch's check for a body (see `PROBE`). */
  #probe = false
  /** The request that brought it, which knows its timings; none for a stored response (a cache hit). */
  readonly #timing: TimingSource | undefined

  constructor(status: number, statusText: string, url: string, headers: Headers, source: BodySource | null, timing: TimingSource | undefined) {
    this.status = status
    this.statusText = statusText
    this.url = url
    this.headers = headers
    this.#source = source
    this.#timing = timing
  }

  /** The phases of the request, made when read (`end` once the body has arrived); absent on a stored response. */
  get timings(): Timings | undefined {
    return this.#timing?.timings()
  }

  /** Always `'basic'`, as for every response Node's fetch returns. */
  get type(): ResponseType {
    return 'basic'
  }

  /** False: the transport never follows redirects (the session's redirect layer marks its final responses). */
  get redirected(): boolean {
    return false
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299
  }

  /** The body as a web byte stream, built on first use; null for responses without a body. */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream !== undefined) return this.#stream
    const source = this.#source
    if (this.#probe) {
      this.#probe = false
      if (source !== null) return true as unknown as ReadableStream<Uint8Array>
    }
    if (source === null) {
      this.#stream = null
      return null
    }
    this.#stream = new ReadableStream(bare({
      type: 'bytes',
      pull: controller => source.pull(controller),
      cancel: (reason) => {
        source.cancel(reason)
      },
    })) as ReadableStream<Uint8Array>
    return this.#stream
  }

  get bodyUsed(): boolean {
    if (this.#used) return true
    const stream = this.#stream
    return stream !== undefined && stream !== null && isDisturbed(stream as never)
  }

  /** Every chunk of the body; marks it used. Reads the received chunks directly when the stream was not touched. */
  #consume(): Promise<readonly Uint8Array[]> {
    if (this.#used) return Promise.reject(unusable())
    const stream = this.#stream
    const source = this.#source
    // No body (HEAD, 204…): empty, as often as asked, and never "used" (fetch's bodyUsed is false).
    if (source === null && !stream) return Promise.resolve(EMPTY)
    if (stream && (stream.locked || isDisturbed(stream as never))) return Promise.reject(unusable())
    this.#used = true
    if (source === null) return readAll(stream!)
    source.consumed = true
    return source.collect()
  }

  text(): Promise<string> {
    return this.#consume().then(chunks => decoder.decode(concat(chunks)))
  }

  json(): Promise<any> {
    return this.#consume().then(chunks => JSON.parse(decoder.decode(concat(chunks))))
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#consume().then(toArrayBuffer)
  }

  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#consume().then(chunks => new Uint8Array(toArrayBuffer(chunks)))
  }

  /** As fetch: a `Blob` typed with the response's MIME type (through a platform `Response`). */
  blob(): Promise<Blob> {
    return this.#platform().then(response => response.blob())
  }

  /** As fetch: multipart or URL-encoded forms, by `Content-Type` (through a platform `Response`). */
  formData(): Promise<FormData> {
    return this.#platform().then(response => response.formData())
  }

  #platform(): Promise<Response> {
    const type = this.headers.get('content-type')
    return this.arrayBuffer().then(buffer => new Response(buffer, type === null ? undefined : { headers: { 'content-type': type } }))
  }

  /** Arms the one-time answer to ofetch's check for a body (see `PROBE`). */
  [PROBE](): void {
    this.#probe = this.#stream === undefined && this.#source !== null && !this.#used
  }

  /** Drops the body unread (see `DISCARD`): the transfer stops if it is still arriving; reads then fail as after `body.cancel()`. */
  [DISCARD](): void {
    if (this.#stream !== undefined) {
      if (this.#stream && !this.#stream.locked && !isDisturbed(this.#stream as never)) this.#stream.cancel().catch(() => {})
      return
    }
    const source = this.#source
    if (source === null || this.#used) return
    this.#used = true
    source.consumed = true
    source.cancel(undefined)
  }

  /** A copy whose body is a second branch of this one's (`ReadableStream.tee()`). */
  clone(): LeanResponse {
    if (this.bodyUsed || this.#stream?.locked) throw new TypeError('Response.clone: Body has already been consumed.')
    const copy = new LeanResponse(this.status, this.statusText, this.url, this.headers, null, this.#timing)
    const body = this.body
    if (body) {
      const [mine, theirs] = body.tee()
      this.#stream = mine
      this.#source = null
      copy.#stream = theirs
    }
    else {
      copy.#stream = null
    }
    const redirected = Object.getOwnPropertyDescriptor(this, 'redirected')
    if (redirected) Object.defineProperty(copy, 'redirected', redirected)
    return copy
  }

  [inspect](depth: number, options: object, inspectFn?: (value: unknown, options: object) => string): string {
    const summary = { status: this.status, statusText: this.statusText, headers: this.headers, bodyUsed: this.bodyUsed, ok: this.ok, redirected: this.redirected, type: this.type, url: this.url }
    return `Response ${inspectFn ? inspectFn(summary, options) : JSON.stringify(summary)}`
  }
}

// `instanceof Response` holds and `Object.prototype.toString` says `[object Response]`; every
// member is our own, so none of Response's brand-checked methods is ever reached.
if (typeof globalThis.Response === 'function') Object.setPrototypeOf(LeanResponse.prototype, globalThis.Response.prototype)

/** A lean response: `source` is the arriving body, or null for a response without one; `timing` knows the request's timings. */
export function leanResponse(status: number, statusText: string, url: string, headers: Headers, source: BodySource | null, timing?: TimingSource): Response {
  return new LeanResponse(status, statusText, url, headers, source, timing) as unknown as Response
}

/**
 * A lean response over bytes already in memory (the HTTP cache's hits on Node): no stream is built
 * unless `body` is read, and `text()` / `json()` read the bytes directly.
 */
export function storedLeanResponse(status: number, statusText: string, url: string, headers: Headers, body: Uint8Array | null): Response {
  if (body === null) return leanResponse(status, statusText, url, headers, null)
  const source = new BodySource()
  source.push(body)
  source.end()
  return leanResponse(status, statusText, url, headers, source)
}
