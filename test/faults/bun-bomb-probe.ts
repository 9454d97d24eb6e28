/**
 * Run by test/runtimes/bun.test.ts in a Bun process of its own (issue 12 item 13):
 * `bun bun-bomb-probe.ts <fetch-session's bun entry> <test server>` fetches a 384 MB gzip bomb and
 * a 384 MB br bomb, each `ROUNDS` times, with `maxBodySize` of 1 MiB, and prints as one line of
 * JSON, per bomb, the worst round: its error, and how far the process's RSS rose above where it
 * was before the call (sampled every ms).
 */
export {}

const runtime = globalThis as unknown as {
  process: { argv: string[], memoryUsage: () => { rss: number }, exit: (code: number) => never }
  Bun?: { gc: (force: boolean) => void }
}
const [entry, base] = runtime.process.argv.slice(2)
const { createSession } = await import(entry!) as typeof import('../../src/index')
const MiB = 1024 * 1024
const ROUNDS = 6
const rss = (): number => runtime.process.memoryUsage().rss

const session = createSession({ baseURL: base, maxBodySize: MiB })
// The decoders and the module are loaded before anything is measured.
for (const coding of ['gzip', 'br']) await session(`/encoded/${coding}?lines=10`)

// Each bomb several times, keeping the worst: how far Bun's own decoding runs ahead depends on
// timing (before the fix, some rounds grew by 20 MB, others by 560 MB).
const result: Record<string, { error: string | undefined, growth: number }> = {}
for (const coding of ['gzip', 'br']) {
  for (let round = 0; round < ROUNDS; round++) {
    runtime.Bun?.gc(true)
    const before = rss()
    let peak = before
    const timer = setInterval(() => {
      peak = Math.max(peak, rss())
    }, 1)
    const error = await session(`/bomb/${coding}?size=${384 * MiB}`, { responseType: 'arrayBuffer' }).then(() => undefined, (caught: unknown) => caught as Error)
    clearInterval(timer)
    peak = Math.max(peak, rss())
    const seen = result[coding]
    if (!seen || peak - before > seen.growth || error?.name !== 'BodyTooLargeError') result[coding] = { error: error?.name, growth: peak - before }
  }
}
await session.close()
console.log(JSON.stringify(result))
runtime.process.exit(0)
