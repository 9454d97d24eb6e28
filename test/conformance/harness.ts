/**
 * A tiny test harness (describe / it / expect) that runs the conformance suite the same way in
 * every runtime: Node, Deno, Bun, workerd and a browser page. It has no dependencies and no
 * runtime-specific API; `run()` returns a JSON-able report.
 */

/** One test's outcome. */
export interface TestResult {
  name: string
  /** Feature tags, for the README's runtime table. */
  features: string[]
  status: 'passed' | 'failed' | 'skipped'
  error?: string
  ms: number
}

/** What a runner prints. */
export interface Report {
  runtime: string
  passed: number
  failed: number
  skipped: number
  results: TestResult[]
}

interface Entry {
  name: string
  features: string[]
  fn: (() => unknown) | undefined
  skip?: string
}

/** The assertions the suite may use (a small subset of vitest's `expect`). */
export interface Matchers {
  toBe: (expected: unknown) => void
  toEqual: (expected: unknown) => void
  toBeInstanceOf: (expected: abstract new (...args: never[]) => unknown) => void
  toBeUndefined: () => void
  toBeDefined: () => void
  toBeTruthy: () => void
  toBeLessThan: (expected: number) => void
  toBeLessThanOrEqual: (expected: number) => void
  toBeGreaterThan: (expected: number) => void
  toBeGreaterThanOrEqual: (expected: number) => void
  toMatch: (expected: RegExp | string) => void
  toContain: (expected: unknown) => void
  not: Omit<Matchers, 'not'>
}

/** describe / it / expect, injected into the suite. */
export interface Harness {
  describe: (name: string, fn: () => void) => void
  it: (name: string, features: string[], fn: () => unknown) => void
  /** Declares a test that does not apply on this runtime, with the reason. */
  skip: (name: string, features: string[], reason: string) => void
  expect: (actual: unknown) => Matchers
}

function show(value: unknown): string {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value)
  }
  catch {
    return String(value)
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const keysA = Object.keys(a).filter(key => (a as Record<string, unknown>)[key] !== undefined)
  const keysB = Object.keys(b).filter(key => (b as Record<string, unknown>)[key] !== undefined)
  if (keysA.length !== keysB.length) return false
  return keysA.every(key => deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
}

function matchers(actual: unknown, negate: boolean): Matchers {
  const check = (pass: boolean, message: string): void => {
    if (pass === negate) throw new Error(`${negate ? 'not: ' : ''}${message}`)
  }
  const base: Omit<Matchers, 'not'> = {
    toBe: expected => check(Object.is(actual, expected), `expected ${show(actual)} to be ${show(expected)}`),
    toEqual: expected => check(deepEqual(actual, expected), `expected ${show(actual)} to equal ${show(expected)}`),
    toBeInstanceOf: expected => check(actual instanceof (expected as never), `expected ${show((actual as Error)?.name ?? actual)} to be an instance of ${(expected as { name: string }).name}`),
    toBeUndefined: () => check(actual === undefined, `expected ${show(actual)} to be undefined`),
    toBeDefined: () => check(actual !== undefined, 'expected a value, got undefined'),
    toBeTruthy: () => check(Boolean(actual), `expected ${show(actual)} to be truthy`),
    toBeLessThan: expected => check((actual as number) < expected, `expected ${show(actual)} < ${expected}`),
    toBeLessThanOrEqual: expected => check((actual as number) <= expected, `expected ${show(actual)} <= ${expected}`),
    toBeGreaterThan: expected => check((actual as number) > expected, `expected ${show(actual)} > ${expected}`),
    toBeGreaterThanOrEqual: expected => check((actual as number) >= expected, `expected ${show(actual)} >= ${expected}`),
    toMatch: expected => check(typeof actual === 'string' && (typeof expected === 'string' ? actual.includes(expected) : expected.test(actual)), `expected ${show(actual)} to match ${String(expected)}`),
    toContain: expected => check((Array.isArray(actual) || typeof actual === 'string') && (actual as string).includes(expected as string), `expected ${show(actual)} to contain ${show(expected)}`),
  }
  return negate ? base as Matchers : { ...base, not: matchers(actual, true) }
}

/** A harness that collects tests; `run()` executes them in order. */
export function createHarness(runtime: string): Harness & { run: (filter?: RegExp) => Promise<Report> } {
  const entries: Entry[] = []
  const prefix: string[] = []
  return {
    describe(name, fn) {
      prefix.push(name)
      try {
        fn()
      }
      finally {
        prefix.pop()
      }
    },
    it(name, features, fn) {
      entries.push({ name: [...prefix, name].join(' > '), features, fn })
    },
    skip(name, features, reason) {
      entries.push({ name: [...prefix, name].join(' > '), features, fn: undefined, skip: reason })
    },
    expect: actual => matchers(actual, false),
    async run(filter) {
      const results: TestResult[] = []
      for (const entry of entries) {
        if (filter && !filter.test(entry.name)) continue
        if (!entry.fn) {
          results.push({ name: entry.name, features: entry.features, status: 'skipped', error: entry.skip, ms: 0 })
          continue
        }
        const started = Date.now()
        try {
          await entry.fn()
          results.push({ name: entry.name, features: entry.features, status: 'passed', ms: Date.now() - started })
        }
        catch (error) {
          const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
          results.push({ name: entry.name, features: entry.features, status: 'failed', error: message, ms: Date.now() - started })
        }
      }
      return {
        runtime,
        passed: results.filter(result => result.status === 'passed').length,
        failed: results.filter(result => result.status === 'failed').length,
        skipped: results.filter(result => result.status === 'skipped').length,
        results,
      }
    },
  }
}
