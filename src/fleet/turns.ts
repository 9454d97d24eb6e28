/**
 * Turns within one process (issue 15 item 1): the waiters for one shared budget take it in the
 * order they came, and only the one whose turn it is asks the fleet's store (polls Redis); a
 * waiter whose signal aborts leaves the line.
 *
 * @module
 */
import { NEVER_ABORTED, subscribe } from '../timeout'

/** Marks the head of a line: the task running now. */
const RUNNING = (): void => {}

/** One line per key; each runs one task at a time, in the order `run()` was called. */
export class Turns {
  readonly #lines = new Map<string, Array<() => void>>()

  /** Runs `task` once every earlier task of `key` has ended; rejects with the signal's reason when it aborts while waiting. */
  async run<T>(key: string, signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    await this.#wait(key, signal)
    try {
      return await task()
    }
    finally {
      this.#next(key)
    }
  }

  #wait(key: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason)
    const line = this.#lines.get(key)
    if (!line) {
      this.#lines.set(key, [RUNNING])
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      let unsubscribe = (): void => {}
      const turn = (): void => {
        unsubscribe()
        resolve()
      }
      line.push(turn)
      if (signal === NEVER_ABORTED) return
      unsubscribe = subscribe(signal, () => {
        const index = line.indexOf(turn)
        // At the head, its turn has come: the task runs (and sees the signal itself).
        if (index <= 0) return
        line.splice(index, 1)
        unsubscribe()
        reject(signal.reason)
      })
    })
  }

  #next(key: string): void {
    const line = this.#lines.get(key)!
    line.shift()
    if (line.length === 0) this.#lines.delete(key)
    else line[0]!()
  }
}
