/**
 * The body of a lean response while it arrives: a queue of chunks with flow control. Read whole
 * (`collect()`, for `text()`, `json()`, `arrayBuffer()`…) it is never turned into a stream; read
 * as a stream (`pull()`, for `response.body`) it feeds a byte `ReadableStream` on demand.
 *
 * An unread body is buffered up to 64 KiB, then the producer is paused (undici stops reading the
 * socket), as fetch's own stream does; a body read whole is never paused.
 */

/** Bytes buffered for a body nobody reads yet before the socket is paused. */
const HIGH_WATER_MARK = 64 * 1024

const NONE = 0
const COLLECT = 1
const STREAM = 2

/** The error of a body read twice, as fetch words it. */
export function unusable(): TypeError {
  return new TypeError('Body is unusable: Body has already been read')
}

export class BodySource {
  chunks: Uint8Array[] = []
  size = 0
  /** The producer has pushed everything. */
  ended = false
  /** The consumer has everything (or cancelled): nothing can fail any more. */
  delivered = false
  failed = false
  failure: unknown = undefined
  /** Read whole by the response itself, bypassing the stream (later stream reads fail). */
  consumed = false
  #consumer = NONE
  #wake: (() => void) | undefined = undefined

  /** Called by the producer for each chunk. False: pause until `resumeInput()` is called. */
  push(chunk: Uint8Array): boolean {
    if (this.ended || this.failed || this.delivered) return true
    // A byte stream refuses empty chunks (fetch skips them too).
    if (chunk.byteLength === 0) return true
    this.chunks.push(chunk)
    this.size += chunk.byteLength
    this.#notify()
    return this.#consumer === COLLECT || this.size < HIGH_WATER_MARK
  }

  /** The body ended. */
  end(): void {
    if (this.ended || this.failed) return
    this.ended = true
    this.#notify()
  }

  /**
   * The body failed; readers get `error`. As with fetch, an abort fails a body that has fully
   * arrived too, as long as its reader has not had everything.
   */
  fail(error: unknown): void {
    if (this.delivered || this.failed) return
    this.failed = true
    this.failure = error
    this.chunks = []
    this.size = 0
    this.#notify()
  }

  /** Overridden by the producer: start reading again after `push()` returned false. */
  resumeInput(): void {}

  /** Overridden by the producer: stop the transfer (the body will not be read). */
  cancelInput(_reason: unknown): void {}

  /** Overridden by the producer: the consumer is done with the body (read, failed or cancelled). */
  settled(): void {}

  #deliver(): void {
    if (this.delivered) return
    this.delivered = true
    this.settled()
  }

  /** Every chunk, once the body has ended. */
  collect(): Promise<Uint8Array[]> {
    this.#consumer = COLLECT
    if (this.failed) {
      this.#deliver()
      return Promise.reject(this.failure)
    }
    if (this.ended) {
      this.#deliver()
      return Promise.resolve(this.#take())
    }
    this.resumeInput()
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.failed) {
          this.#deliver()
          reject(this.failure)
        }
        else if (this.ended) {
          this.#deliver()
          resolve(this.#take())
        }
        else {
          this.#wake = check
        }
      }
      this.#wake = check
    })
  }

  /** The `pull` of the body's byte stream. */
  pull(controller: ReadableByteStreamController): Promise<void> | void {
    this.#consumer = STREAM
    if (this.consumed) {
      controller.error(unusable())
      return
    }
    if (this.failed) {
      this.#deliver()
      controller.error(this.failure)
      return
    }
    if (this.size > 0) {
      const chunks = this.#take()
      // A byte stream transfers (detaches) what it is given: enqueue copies, never views of
      // undici's socket buffers (fetch copies each chunk too).
      for (const chunk of chunks) controller.enqueue(new Uint8Array(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)))
      this.resumeInput()
      return
    }
    if (this.ended) {
      this.#deliver()
      close(controller)
      return
    }
    this.resumeInput()
    return new Promise<void>((resolve) => {
      this.#wake = resolve
    }).then(() => this.pull(controller))
  }

  /** The `cancel` of the body's stream, or a body dropped unread. */
  cancel(reason: unknown): void {
    this.chunks = []
    this.size = 0
    if (!this.ended && !this.failed) this.cancelInput(reason)
    this.ended = true
    this.#deliver()
  }

  #take(): Uint8Array[] {
    const chunks = this.chunks
    this.chunks = []
    this.size = 0
    return chunks
  }

  #notify(): void {
    const wake = this.#wake
    if (wake !== undefined) {
      this.#wake = undefined
      wake()
    }
  }
}

function close(controller: ReadableByteStreamController): void {
  try {
    controller.close()
    // A BYOB read waiting when the stream closes must be answered (undici `readableStreamClose`).
    controller.byobRequest?.respond(0)
  }
  catch {}
}
