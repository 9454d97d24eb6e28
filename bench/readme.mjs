/**
 * Writes the README's benchmark summary from bench/results.json: the block between
 * `<!-- bench:start -->` and `<!-- bench:end -->`, so the README always shows the last run's
 * figures (test/readme.test.ts checks that it matches bench/results.json).
 *
 *   node bench/readme.mjs      rewrites the block from the last run, without running anything
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLIENTS } from './clients.mjs'
import { SCENARIOS } from './scenarios.mjs'
import { median } from './stats.mjs'

export const START = '<!-- bench:start: written by `npm run bench` (bench/readme.mjs) from bench/results.json -->'
export const END = '<!-- bench:end -->'

const fmt = (value, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })


/** KB as the targets count them (1,024 bytes, as the package tests' size ceilings). */
const KB = 1024

/**
 * The targets of the benchmark issues (18, and before it the transport's), checked against a run:
 * `[target, median ratio, best-rounds ratio, verdict]` rows. The verdict is on the median of the
 * per-round ratios; `footprint` (bench/footprint.mjs) gives the fresh-process, import and size rows.
 */
export function targetRows({ results, samples, footprint }) {
  const rows = []
  const verdict = (value, limit) => (value <= limit ? 'met' : `missed by ${((value / limit - 1) * 100).toFixed(0)}%`)
  for (const scenario of ['json', 'cookies', 'redirect']) {
    const result = results[scenario]?.session
    if (!result) continue
    rows.push([`session, ${SCENARIOS[scenario].title}, long-lived process: CPU at most 1.3x undici.request`, `${result.cpuRatio.toFixed(2)}x`, `${result.cpuBestRatio.toFixed(2)}x`, verdict(result.cpuRatio, 1.3)])
  }
  const own = results.json?.$fetch
  if (own) rows.push([`$fetch, ${SCENARIOS.json.title}, long-lived process: CPU at most 1.15x undici.request`, `${own.cpuRatio.toFixed(2)}x`, `${own.cpuBestRatio.toFixed(2)}x`, verdict(own.cpuRatio, 1.15)])
  for (const scenario of ['json', 'cookies', 'redirect']) {
    const result = footprint?.cold?.[scenario]?.session
    if (!result) continue
    const best = Math.min(...result.cpuRuns) / Math.min(...footprint.cold[scenario]['undici.request'].cpuRuns)
    rows.push([`session, ${SCENARIOS[scenario].title}, fresh process (3,000 warm-up, 3,000 measured): CPU at most 1.8x undici.request`, `${result.cpuRatio.toFixed(2)}x`, `${best.toFixed(2)}x`, verdict(result.cpuRatio, 1.8)])
  }
  if (footprint?.imports) {
    const ours = footprint.imports['fetch-session']
    const ky = footprint.imports.ky
    const value = ours.medianMs / ky.medianMs
    rows.push([`Node cold \`import('fetch-session')\`, median of ${ky.runs.length} fresh processes: at most 1.5x \`import('ky')\``, `${value.toFixed(2)}x (${ours.medianMs.toFixed(0)} against ${ky.medianMs.toFixed(0)} ms)`, `${(Math.min(...ours.runs) / Math.min(...ky.runs)).toFixed(2)}x`, verdict(value, 1.5)])
  }
  const bundles = footprint?.bundles
  if (bundles) {
    rows.push(['browser bundle (createSession + $fetch, minified + gzip): at most 8 KB', `${(bundles.browser.bytes / KB).toFixed(1)} KB`, '', verdict(bundles.browser.bytes, 8 * KB)])
    for (const name of ['workerd', 'deno', 'bun']) {
      const size = bundles[name]
      rows.push([`${name} bundle: at most 68 KB, the package adding at most 11 KB over tough-cookie`, `${(size.bytes / KB).toFixed(1)} KB (adds ${(size.addedBytes / KB).toFixed(1)} KB)`, '', size.bytes <= 68 * KB && size.addedBytes <= 11 * KB ? 'met' : verdict(size.addedBytes, 11 * KB)])
    }
    const loaded = ['browser', 'workerd', 'deno', 'bun'].filter(name => bundles[name].undici)
    if (footprint.importLoadsUndici) loaded.push('node (on import)')
    rows.push(['undici not loaded where unused (the Deno, Bun, workerd and browser bundles; Node\'s import)', loaded.length ? `loaded by ${loaded.join(', ')}` : 'in none', '', loaded.length ? 'missed' : 'met'])
  }
  // The transport's earlier targets, kept so that they do not regress.
  for (const scenario of ['json', 'json-32']) {
    const mine = samples?.[scenario]?.$fetch
    const fetch = samples?.[scenario]?.fetch
    if (!mine || !fetch) continue
    const value = median(mine.map((r, round) => r.cpuUs / (fetch[round]?.cpuUs ?? Number.NaN)).filter(Number.isFinite))
    const best = Math.min(...mine.map(r => r.cpuUs)) / Math.min(...fetch.map(r => r.cpuUs))
    rows.push([`$fetch, ${SCENARIOS[scenario].title}: CPU at most global fetch + 10%`, `${value.toFixed(2)}x global fetch`, `${best.toFixed(2)}x global fetch`, value <= 1.1 ? 'met' : 'missed'])
  }
  for (const client of ['session', '$fetch']) {
    const result = results.download?.[client]
    if (!result) continue
    rows.push([`${CLIENTS[client].label}, 1 MiB download: CPU within 1.2x undici.request`, `${result.cpuRatio.toFixed(2)}x`, `${result.cpuBestRatio.toFixed(2)}x`, result.cpuRatio <= 1.2 ? 'met' : 'missed'])
  }
  return rows
}

/** The README block (markers included) for the results of a run. */
export function benchBlock(run) {
  const { results, soak, env } = run
  const scenarios = Object.keys(SCENARIOS).filter(scenario => results[scenario])
  const clients = Object.keys(CLIENTS).filter(client => scenarios.some(scenario => results[scenario][client]))
  const lines = [START, '']
  const where = env ? ` with Node ${env.node} on ${env.cores} cores (${env.cpu})` : ''
  lines.push(`Client CPU per request as a ratio to \`undici.request\` (lower is better), median of ${run.rounds} interleaved rounds, measured on ${run.date.slice(0, 10)}${where}. Every table, with requests per second and allocation: [bench/RESULTS.md](bench/RESULTS.md).`, '')
  lines.push(`| scenario | ${clients.map(client => CLIENTS[client].label).join(' | ')} |`)
  lines.push(`| --- | ${clients.map(() => '---:').join(' | ')} |`)
  for (const scenario of scenarios) {
    const cells = clients.map((client) => {
      const result = results[scenario][client]
      if (!result) return '–'
      if (client === 'undici.request') return `1.00 (${fmt(result.cpuUs)} µs)`
      const bold = client === 'session' || client === '$fetch'
      const value = bold ? `**${result.cpuRatio.toFixed(2)}**` : result.cpuRatio.toFixed(2)
      return SCENARIOS[scenario].note?.(CLIENTS[client]) ? `${value}*` : value
    })
    lines.push(`| ${SCENARIOS[scenario].title} | ${cells.join(' | ')} |`)
  }
  lines.push('', '\\* does not do the whole job there (no cookie jar, or the cookies set on redirect hops are lost): not comparable.', '')
  const kept = results.json?.session
  const fresh = results.regular?.session
  if (kept && fresh) {
    const floor = results.json['undici.request'] && results.regular['undici.request']
      ? `; undici.request: ${(results.json['undici.request'].rps / results.regular['undici.request'].rps).toFixed(1)}x`
      : ''
    lines.push(`Keep-alive against "regular requests": a session sends small JSON at ${fmt(kept.rps)} req/s on its kept-alive pool, against ${fmt(fresh.rps)} req/s with a new connection per request, **${(kept.rps / fresh.rps).toFixed(1)}x faster**${floor}.`, '')
  }
  const targets = run.samples && Object.values(results).some(byClient => Object.values(byClient).some(result => result.cpuBestRatio !== undefined)) ? targetRows(run) : []
  if (targets.length) {
    lines.push(`Targets met: ${targets.filter(row => row[3] === 'met').length} of ${targets.length}.`, '')
    for (const [target, value, best, verdict] of targets) lines.push(`- ${target}: ${value}${best ? ` (best rounds ${best})` : ''}, **${verdict}**`)
    lines.push('')
  }
  if (soak) {
    lines.push(`Soak: ${fmt(soak.requests)} requests through one session (deadlines, one long-lived signal, ${soak.concurrency} in flight): heap slope ${fmt(soak.slopePer10k)} bytes per 10,000 requests, ${soak.warnings.length} warnings, ${soak.listeners} listeners and ${soak.timers} timers left.`, '')
  }
  lines.push(END)
  return lines.join('\n')
}

/** Replaces the README's block with the one for `resultsFile`; says what it did. */
export function updateReadme(readmeFile, resultsFile) {
  const readme = readFileSync(readmeFile, 'utf8')
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start === -1 || end === -1) return 'no bench:start / bench:end markers, left alone'
  const block = benchBlock(JSON.parse(readFileSync(resultsFile, 'utf8')))
  writeFileSync(readmeFile, readme.slice(0, start) + block + readme.slice(end + END.length))
  return 'summary table updated'
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url))
  console.log(updateReadme(join(here, '..', 'README.md'), join(here, 'results.json')))
}
