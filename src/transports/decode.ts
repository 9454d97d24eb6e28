/**
 * Content codings decoded with `node:zlib` streams, as fetch decodes them (gzip, x-gzip, deflate
 * zlib-wrapped or raw, br, and zstd where the runtime has it; at most 5 codings), for the Node
 * dispatch transport and for Bun when it must not decode ahead of the reader.
 *
 * Memory stays bounded by the reader: each `node:zlib` stream stops inflating once its output
 * buffer is full (16 KiB) until that output is read, however much one input chunk expands (a
 * 300-byte br bomb is 384 MB of output). A `DecompressionStream` cannot promise that: it enqueues
 * all the output of a chunk at once, and has no br (issue 12 item 13).
 *
 * It imports nothing: the caller hands it `node:zlib` and `node:stream`'s `Transform` (the Node
 * transport imports them; the Bun adapter asks `process.getBuiltinModule`, so that its module
 * stays free of `node:` imports for bundlers that target no platform).
 *
 * @module
 */
import type { Transform } from 'node:stream'
import type * as Zlib from 'node:zlib'
import { bare } from '../own'

/** The built-in modules the decoders are made of. */
export interface DecoderModules {
  zlib: typeof Zlib
  Transform: typeof Transform
}

/** What `createDecoders()` gives. */
export interface Decoders {
  /** A decoder for one content coding, or `undefined` for a coding fetch does not decode. */
  createDecoder: (coding: string) => Transform | undefined
  /**
   * The decoders of a `Content-Encoding` value, the one to apply first first, not yet piped: none
   * (`undefined`) when the body is to be given as it came (no coding, or one fetch does not
   * decode, as fetch does), an `Error` when there are too many codings.
   */
  decodersFor: (header: string) => Transform[] | Error | undefined
}

/** Most codings in one `Content-Encoding` (undici's limit, so that a response cannot stack decoders without end). */
const MAX_CODINGS = 5

/** The decoders, made of `modules`. */
export function createDecoders(modules: DecoderModules): Decoders {
  const { zlib, Transform } = modules

  /**
   * `deflate` as servers send it: zlib-wrapped (RFC 1950) or raw (RFC 1951), told apart by the
   * first byte (undici `InflateStream`). The inner inflater is paused while this stream's output
   * is not read, so a deflate bomb stops inflating too.
   */
  class InflateAuto extends Transform {
    #inner: Zlib.Inflate | Zlib.InflateRaw | undefined

    override _transform(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
      if (!this.#inner) {
        if (chunk.length === 0) {
          callback()
          return
        }
        const options = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }
        const inner = (chunk[0]! & 0x0F) === 0x08 ? zlib.createInflate(options) : zlib.createInflateRaw(options)
        inner.on('data', (data: Buffer) => {
          if (!this.push(data)) inner.pause()
        })
        inner.on('end', () => this.push(null))
        inner.on('error', error => this.destroy(error))
        this.#inner = inner
      }
      this.#inner.write(chunk, encoding, callback)
    }

    override _read(size: number): void {
      this.#inner?.resume()
      super._read(size)
    }

    override _final(callback: (error?: Error | null) => void): void {
      if (this.#inner) this.#inner.end()
      else this.push(null)
      callback()
    }

    override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
      this.#inner?.destroy()
      callback(error)
    }
  }

  const createDecoder = (coding: string): Transform | undefined => {
    // Lenient on a truncated stream, as fetch is (undici uses the same flush options).
    if (coding === 'gzip' || coding === 'x-gzip') return zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH })
    if (coding === 'deflate') return new InflateAuto()
    if (coding === 'br') return zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
    const zstd = (zlib as unknown as { createZstdDecompress?: (options: object) => Transform }).createZstdDecompress
    const constants = zlib.constants as unknown as Record<string, number>
    if (coding === 'zstd' && typeof zstd === 'function') return zstd({ flush: constants.ZSTD_e_continue, finishFlush: constants.ZSTD_e_end })
    return undefined
  }

  const decodersFor = (header: string): Transform[] | Error | undefined => {
    const codings = header.toLowerCase().split(',')
    if (codings.length > MAX_CODINGS) return new Error(`too many content-encodings in response: ${codings.length}, maximum allowed is ${MAX_CODINGS}`)
    const decoders: Transform[] = []
    for (let index = codings.length - 1; index >= 0; index--) {
      const coding = codings[index]!.trim()
      if (coding === '' || coding === 'identity') continue
      const decoder = createDecoder(coding)
      if (!decoder) {
        for (const each of decoders) each.destroy()
        return undefined
      }
      decoders.push(decoder)
    }
    return decoders.length === 0 ? undefined : decoders
  }

  return { createDecoder, decodersFor }
}

/**
 * `raw` decoded by `decoders` (from `decodersFor`), as a stream that decodes only as far as it is
 * read. A failure of `raw` (the network, an abort's reason) is passed on as it is; one of a
 * decoder (a corrupt body) as fetch's `TypeError('terminated', { cause })`.
 */
export function decodeStream(raw: ReadableStream<Uint8Array>, decoders: Transform[]): ReadableStream<Uint8Array> {
  for (let index = 1; index < decoders.length; index++) decoders[index - 1]!.pipe(decoders[index]!)
  const head = decoders[0]!
  const tail = decoders.at(-1)!
  const reader = raw.getReader()
  let failure: { error: unknown } | undefined
  let ended = false
  let inputDone = false
  let reading = false
  let wake: (() => void) | undefined
  const notify = (): void => {
    const resume = wake
    wake = undefined
    resume?.()
  }
  const fail = (error: unknown): void => {
    failure ??= { error }
    notify()
  }
  for (const decoder of decoders) decoder.on('error', error => fail(new TypeError('terminated', { cause: error })))
  tail.on('readable', notify)
  tail.on('end', () => {
    ended = true
    notify()
  })
  head.on('drain', notify)
  const destroy = (): void => {
    for (const decoder of decoders) decoder.destroy()
  }
  const feed = (): void => {
    reading = true
    reader.read().then(({ done, value }) => {
      reading = false
      if (done) {
        inputDone = true
        head.end()
      }
      else {
        head.write(value)
      }
      notify()
    }, (error: unknown) => {
      reading = false
      fail(error)
    })
  }
  return new ReadableStream<Uint8Array>(bare({
    async pull(controller) {
      for (;;) {
        if (failure) {
          destroy()
          reader.cancel().catch(noop)
          controller.error(failure.error)
          return
        }
        const chunk = tail.read() as Buffer | null
        if (chunk !== null) {
          // Its own buffer: zlib hands out slices of a buffer it goes on writing into.
          controller.enqueue(chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : new Uint8Array(chunk))
          return
        }
        if (ended) {
          controller.close()
          return
        }
        if (!inputDone && !reading && !head.writableNeedDrain) feed()
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    },
    cancel(reason) {
      destroy()
      return reader.cancel(reason)
    },
  }), { highWaterMark: 0 })
}

function noop(): void {}
