/**
 * Printing and timing helpers shared by the playground scenarios, so that every scenario
 * prints in the same format:
 *
 *   === 3. Connection pooling ===
 *     label                          value
 *     · a note
 */
import { inspect } from 'node:util'
import type { TestServer } from '../test/helpers/server'

/** What every scenario receives. */
export interface Context {
  /** The local httpbin-like server (`server.url` is `http://127.0.0.1:PORT`). */
  server: TestServer
}

/** One scenario module: a title and a function that prints what it shows. */
export interface Scenario {
  title: string
  run: (context: Context) => Promise<void>
}

const LABEL_WIDTH = 34

/** Prints a scenario heading. */
export function section(index: number, title: string): void {
  console.log(`\n=== ${index}. ${title} ===`)
}

/** Prints a sub-heading inside a scenario. */
export function step(text: string): void {
  console.log(`  -- ${text}`)
}

/** Prints one labelled value on one line (objects as compact JSON-like text). */
export function show(label: string, value: unknown): void {
  console.log(`    ${label.padEnd(LABEL_WIDTH)} ${format(value)}`)
}

/** Prints a free-text line. */
export function note(text: string): void {
  console.log(`    · ${text}`)
}

/** A value as one readable line. */
export function format(value: unknown): string {
  if (typeof value === 'string') return value
  return inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY, compact: true, colors: false })
}

/** `Name: message` of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return String(error)
}

/** Throws when a behaviour the scenario demonstrates did not happen, so the scenario fails loudly. */
export function check(condition: unknown, expectation: string): asserts condition {
  if (!condition) throw new Error(`expected ${expectation}`)
}

/** Runs `fn` and rejects when it resolves instead of throwing; returns what it threw. */
export async function expectError(fn: () => Promise<unknown>, expectation: string): Promise<unknown> {
  try {
    await fn()
  }
  catch (error) {
    return error
  }
  throw new Error(`expected ${expectation}, but the call succeeded`)
}

/** Milliseconds as `123 ms`. */
export function ms(value: number): string {
  return `${value.toFixed(0)} ms`
}

/**
 * The counterpart of the article's `timer()` context manager: runs `fn`, prints
 * `label: execution time N ms`, and returns its result with the elapsed time.
 */
export async function timer<T>(label: string, fn: () => Promise<T>): Promise<{ result: T, elapsed: number }> {
  const start = performance.now()
  const result = await fn()
  const elapsed = performance.now() - start
  show(label, `execution time ${ms(elapsed)}`)
  return { result, elapsed }
}

let counter = 0
/** A key no other scenario or run uses (for /flaky/:key, whose failure count is per key). */
export function uniqueKey(prefix: string): string {
  counter++
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`
}
