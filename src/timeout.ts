/**
 * Deadlines and the caller's signal, merged without leaks.
 *
 * Each call gets one `AbortController`: it aborts when the caller's signal(s) abort or the total
 * deadline passes. Each attempt gets its own controller under it (only when an attempt deadline
 * is set). This is `AbortSignal.any()` done by hand: the listeners on the caller's long-lived
 * signal are removed when the call settles, which `AbortSignal.any` does not promise on every
 * runtime (nodejs/node#55351, denoland/deno#24842; catalogue #68/#69), and every timer is cleared.
 */

import { bare } from './own'

/**
 * One listener per caller signal, however many calls share it: a session-wide signal used by
 * hundreds of concurrent calls would otherwise collect hundreds of listeners (and Node's
 * MaxListenersExceededWarning). The listener goes away when the last call settles.
 */
const subscribers = new WeakMap<AbortSignal, Set<(signal: AbortSignal) => void>>()

/** Calls `callback` once `signal` aborts; the returned function unsubscribes (idempotent). */
export function subscribe(signal: AbortSignal, callback: (signal: AbortSignal) => void): () => void {
  let set = subscribers.get(signal)
  if (!set) {
    const callbacks = new Set<(signal: AbortSignal) => void>()
    set = callbacks
    subscribers.set(signal, callbacks)
    const onAbort = (): void => {
      signal.removeEventListener('abort', onAbort)
      subscribers.delete(signal)
      for (const each of [...callbacks]) each(signal)
    }
    ;(callbacks as Set<unknown> & { onAbort?: () => void }).onAbort = onAbort
    signal.addEventListener('abort', onAbort)
  }
  set.add(callback)
  const current = set
  return () => {
    if (!current.delete(callback) || current.size > 0) return
    const onAbort = (current as Set<unknown> & { onAbort?: () => void }).onAbort
    if (onAbort) signal.removeEventListener('abort', onAbort)
    if (subscribers.get(signal) === current) subscribers.delete(signal)
  }
}

/** Largest delay `setTimeout` honours; above it the timer fires at once (ky `maxSafeTimeout`). */
export const MAX_TIMEOUT = 2_147_483_647

/** Why a call's signal aborted (`'closed'`: its session was closed). */
export type AbortKind = 'caller' | 'total' | 'attempt' | 'closed'

/** The deadline of one attempt. */
export interface AttemptScope {
  /** The signal the attempt's fetch listens to. */
  readonly signal: AbortSignal
  /** Why `signal` aborted, once it did. */
  readonly kind: AbortKind | undefined
  /** Clears the attempt's timer and listener (idempotent). */
  dispose: () => void
}

/**
 * The signal of a call that nothing can abort (no caller signal, no deadline): shared, never
 * aborted, and never handed to the transport, so a plain call sets up no abort plumbing at all.
 */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal

/**
 * The deadline of a whole call (all attempts, waits and body reads), and the session's `close()`.
 *
 * `closing` are the signals of the session the call belongs to (aborted by `close()`: the root
 * session's, and a child's own). A call with no caller signal and no total deadline of a session
 * that has one such signal uses it as its own signal: one `AbortSignal` shared by every such
 * call, so tracking them costs nothing per call (issue 12 item 10). Anything else gets an
 * `AbortController` of its own, which follows every signal given.
 */
export class Deadline {
  readonly signal: AbortSignal
  /** The caller signal that aborted, when `kind` is `'caller'`. */
  callerSignal: AbortSignal | undefined
  readonly total: number | undefined
  readonly startedAt: number
  /** True when `signal` is shared with other calls (the session's close signal, or `NEVER_ABORTED`). */
  readonly shared: boolean
  readonly #controller: AbortController | undefined
  readonly #unsubscribe: Array<() => void> = []
  #kind: 'caller' | 'total' | 'closed' | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #disposed = false

  constructor(callerSignals: AbortSignal[], total: number | undefined, closing: readonly AbortSignal[] = []) {
    this.total = total
    this.startedAt = Date.now()
    if (callerSignals.length === 0 && total === undefined && closing.length <= 1) {
      this.#controller = undefined
      this.signal = closing[0] ?? NEVER_ABORTED
      this.shared = true
      return
    }
    this.shared = false
    this.#controller = new AbortController()
    this.signal = this.#controller.signal
    for (const signal of closing) {
      if (signal.aborted) {
        this.#abortByClose(signal)
        return
      }
      this.#unsubscribe.push(subscribe(signal, this.#onClose))
    }
    for (const signal of new Set(callerSignals)) {
      if (signal.aborted) {
        this.#abortByCaller(signal)
        return
      }
      this.#unsubscribe.push(subscribe(signal, this.#onCallerAbort))
    }
    if (total !== undefined) {
      if (total <= 0) this.#abortByTimeout(total)
      else this.#timer = setTimeout(() => this.#abortByTimeout(total), total)
    }
  }

  /** Why the call's signal aborted, once it did. */
  get kind(): 'caller' | 'total' | 'closed' | undefined {
    if (this.#kind === undefined && this.#controller === undefined && this.signal.aborted) return 'closed'
    return this.#kind
  }

  /** Milliseconds left before the total deadline (`Infinity` without one). */
  remaining(): number {
    if (this.total === undefined) return Number.POSITIVE_INFINITY
    return Math.max(0, this.total - (Date.now() - this.startedAt))
  }

  /** A scope for one attempt, with its own deadline of `ms` when given. */
  attempt(ms: number | undefined): AttemptScope {
    const parent = this
    if (ms === undefined || this.signal.aborted) {
      return { signal: this.signal, get kind() { return parent.kind }, dispose: noop }
    }
    const controller = new AbortController()
    let kind: AbortKind | undefined
    const onParentAbort = (): void => {
      kind = parent.kind
      controller.abort(parent.signal.reason)
    }
    // A shared parent signal has many calls under it: one listener for all (Node warns past 10).
    const unsubscribe = this.shared ? subscribe(this.signal, onParentAbort) : listen(this.signal, onParentAbort)
    const timer = setTimeout(() => {
      kind = 'attempt'
      controller.abort(timeoutReason(`attempt deadline of ${ms} ms passed`))
    }, ms)
    let disposed = false
    return {
      signal: controller.signal,
      get kind() { return kind },
      dispose() {
        if (disposed) return
        disposed = true
        clearTimeout(timer)
        unsubscribe()
      },
    }
  }

  /** Clears the total timer and the caller listeners (idempotent). */
  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
  }

  #onCallerAbort = (signal: AbortSignal): void => {
    this.#abortByCaller(signal)
  }

  #onClose = (signal: AbortSignal): void => {
    this.#abortByClose(signal)
  }

  #abortByCaller(signal: AbortSignal): void {
    if (this.signal.aborted) return
    this.#kind = 'caller'
    this.callerSignal = signal
    this.#controller?.abort(signal.reason)
    this.dispose()
  }

  #abortByClose(signal: AbortSignal): void {
    if (this.signal.aborted) return
    this.#kind = 'closed'
    this.#controller?.abort(signal.reason)
    this.dispose()
  }

  #abortByTimeout(total: number): void {
    if (this.signal.aborted) return
    this.#kind = 'total'
    this.#controller?.abort(timeoutReason(`deadline of ${total} ms passed`))
    this.dispose()
  }
}

/** `signal.addEventListener('abort', callback)`; the returned function removes it. */
function listen(signal: AbortSignal, callback: () => void): () => void {
  signal.addEventListener('abort', callback)
  return () => signal.removeEventListener('abort', callback)
}

function noop(): void {}

function same(value: unknown): unknown {
  return value
}

/** The reason our timers abort with: a `DOMException` named `TimeoutError`, like `AbortSignal.timeout()`. */
function timeoutReason(message: string): Error {
  return typeof DOMException === 'function'
    ? new DOMException(message, 'TimeoutError')
    : Object.assign(new Error(message), { name: 'TimeoutError' })
}

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts. The timer and the listener
 * are released either way. The listener is shared (`subscribe`): many calls of a session wait on
 * its one close signal during their retry backoff.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason)
  if (ms <= 0) return Promise.resolve()
  // The shared signal of calls nothing can abort: no listener (many waiting calls would pile them up on it).
  if (signal === NEVER_ABORTED) return new Promise(resolve => setTimeout(resolve, Math.min(ms, MAX_TIMEOUT)))
  return new Promise((resolve, reject) => {
    const unsubscribe = signal === NEVER_ABORTED
      ? noop
      : subscribe(signal, () => {
        clearTimeout(timer)
        reject(signal.reason)
      })
    const timer = setTimeout(() => {
      unsubscribe()
      resolve()
    }, Math.min(ms, MAX_TIMEOUT))
  })
}

/** How long an aborted call waits for the transport to notice before it gives up on it. */
const ABORT_GRACE = 100

/**
 * Settles with `promise`; once the signal aborts, waits at most `ABORT_GRACE` ms more for it
 * (runtimes that honour the signal settle at once, after `onRequestError` hooks ran), then
 * rejects with the signal's reason: a transport that ignores the signal can never outlive the
 * deadline by more than that. `shared` says the signal is shared by many calls (a session's close
 * signal): they share one listener on it.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, shared: boolean = false): Promise<T> {
  if (signal === NEVER_ABORTED) return promise
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const onAbort = (): void => {
      timer = setTimeout(() => {
        promise.catch(noop)
        reject(signal.reason)
      }, ABORT_GRACE)
    }
    let unsubscribe = noop
    if (signal.aborted) onAbort()
    else if (shared) unsubscribe = subscribe(signal, onAbort)
    else signal.addEventListener('abort', onAbort, { once: true })
    const settle = (): void => {
      if (shared) unsubscribe()
      else signal.removeEventListener('abort', onAbort)
      if (timer !== undefined) clearTimeout(timer)
    }
    promise.then(
      (value) => {
        settle()
        resolve(value)
      },
      (error: unknown) => {
        settle()
        reject(error)
      },
    )
  })
}

/**
 * Keeps `release` pending until a streamed body is fully read, cancelled or errored, so the
 * deadline of the call still covers a body the caller reads after the call resolved. A read that
 * fails rejects with `toError(error)` (the session's own error for a closed session).
 */
export function releaseWhenDone(stream: ReadableStream<Uint8Array>, release: () => void, toError: (error: unknown) => unknown = same): ReadableStream<Uint8Array> {
  const reader = stream.getReader()
  let released = false
  const done = (): void => {
    if (!released) {
      released = true
      release()
    }
  }
  return new ReadableStream<Uint8Array>(bare({
    async pull(controller) {
      try {
        const chunk = await reader.read()
        if (chunk.done) {
          controller.close()
          done()
        }
        else {
          controller.enqueue(chunk.value)
        }
      }
      catch (error) {
        controller.error(toError(error))
        done()
      }
    },
    async cancel(reason) {
      try {
        await reader.cancel(reason)
      }
      finally {
        done()
      }
    },
  // Nothing read ahead: what the caller has not asked for stays below, where an abort drops it.
  }), { highWaterMark: 0 })
}
