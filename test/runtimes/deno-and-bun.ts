/**
 * Shared by the Deno and Bun runners (and the Node runner for what needs a process of its own):
 * the binary check, the fixtures of their runtime-specific tests (an HTTP/2 server, a socket
 * counter), the checks the runtimes pass the same way (`tls`, `close()`, the proxy environment
 * rule), and `probe()`, which runs `test/conformance/entries/probe.ts` in a process of its own
 * (asynchronously: the test servers run in this process and must keep answering).
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { createSecureServer } from 'node:http2'
import type { Http2SecureServer } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'vitest'
import type { ProbePlan, ProbeResult } from '../conformance/entries/probe'
import { startProxy } from '../helpers/proxy'
import type { TestProxy } from '../helpers/proxy'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import type { TestCertificates } from '../helpers/tls'
import { requireDependency } from '../helpers/dependencies'
import { bundle, root } from './common'

const run = promisify(execFile)

/** The environment of a child runtime: this one's, without its proxy settings, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(?:https?|all|no)_proxy$/i.test(name)) delete env[name]
  }
  return { ...env, ...extra }
}

/** A runtime that runs the probe entry. */
export type ProbeRuntime = 'node' | 'deno' | 'bun'

/** The probe bundled once per runtime (tests may probe in parallel). */
const bundles: Partial<Record<ProbeRuntime, Promise<string>>> = {}

/** Runs the probe entry in `runtime`; `exitDelay` is how long the process took to end after its script did. */
export async function probe(runtime: ProbeRuntime, command: string[], plan: ProbePlan, env: Record<string, string> = {}): Promise<ProbeResult & { exitDelay: number }> {
  const file = await (bundles[runtime] ??= bundle(runtime, 'probe', runtime === 'node' ? { platform: 'node', conditions: ['node'] } : { conditions: [runtime] }))
  const [bin, ...flags] = command
  const { stdout } = await run(bin!, [...flags, file, JSON.stringify(plan)], { cwd: root, encoding: 'utf8', timeout: 20_000, env: childEnv(env) })
  const exitedAt = Date.now()
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as ProbeResult
  return { ...result, exitDelay: exitedAt - result.endedAt }
}

/** A server answering with `server.openSockets()` (and closing each of its own connections). */
export async function startSocketCounter(server: TestServer): Promise<{ url: string, close: () => Promise<void> }> {
  const counter: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'connection': 'close' })
    res.end(String(server.openSockets()))
  })
  await new Promise<void>(resolve => counter.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(counter.address() as AddressInfo).port}/`,
    close: () => new Promise<void>(resolve => counter.close(() => resolve())),
  }
}

/** An https server that speaks HTTP/2 and HTTP/1.1 (ALPN) and answers `{ httpVersion }`. */
export async function startHttp2Server(tls: { cert: string, key: string }): Promise<{ url: string, close: () => Promise<void> }> {
  const server: Http2SecureServer = createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: true }, (req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ httpVersion: req.httpVersion }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    // Its clients are child processes that have exited, so no HTTP/2 session holds it open.
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  }
}

/**
 * A folder with `trusted.pem` (`pem`, for the runtime's extra-CA variable: NODE_EXTRA_CA_CERTS,
 * DENO_CERT) and `other`: the PEM of another, unrelated CA made with openssl.
 */
export function caFiles(pem: string): { trusted: string, other: string, remove: () => void } {
  requireDependency('openssl')
  const dir = mkdtempSync(join(tmpdir(), 'fetch-session-ca-'))
  const trusted = join(dir, 'trusted.pem')
  writeFileSync(trusted, pem)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=fetch-session other CA'], { cwd: dir, stdio: 'pipe' })
  return { trusted, other: readFileSync(join(dir, 'other.pem'), 'utf8'), remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * `tls` in `runtime` (run as `command`): a `ca` is trusted besides the default store (which trusts
 * the test CA through the runtime's extra-CA variable `caVariable`), `cert` + `key` present a client
 * certificate to a server that requires one, and `cert` without `key` is refused.
 */
export async function expectTlsOptions(runtime: ProbeRuntime, command: string[], caVariable: string, certificates: TestCertificates, secureUrl: string): Promise<void> {
  const mutual = await startServer({ tls: { cert: certificates.cert, key: certificates.key, ca: certificates.ca, requestCert: true, rejectUnauthorized: true } })
  const files = caFiles(certificates.ca)
  try {
    const { ca, clientCert: cert, clientKey: key } = certificates
    const result = await probe(runtime, command, {
      sessions: [
        // The test CA is in the default store; a `tls.ca` naming another CA must not replace that store.
        { label: 'default store kept', options: { tls: { ca: files.other } }, requests: [`${secureUrl}/get`] },
        { label: 'no client certificate', options: { tls: { ca }, retry: false }, requests: [`${mutual.url}/get`] },
        { label: 'client certificate', options: { tls: { ca, cert, key } }, requests: [`${mutual.url}/get`] },
        { label: 'cert without key', options: { tls: { ca, cert } }, requests: [] },
      ],
    }, { [caVariable]: files.trusted })
    expect(result.sessions['default store kept']!.data).toMatchObject([{ method: 'GET' }])
    expect(result.sessions['no client certificate']!.error).toMatchObject({ name: 'NetworkError' })
    expect(result.sessions['client certificate']!.data).toMatchObject([{ method: 'GET' }])
    expect(result.sessions['cert without key']!.refused).toMatchObject({ name: 'InvalidRequestError', option: 'tls.cert', message: expect.stringContaining('`tls.cert` needs `tls.key`') })
  }
  finally {
    files.remove()
    await mutual.close()
  }
}

/** `close()` in `runtime` releases the session's connections (its mounts' too), and the process then exits by itself. */
export async function expectCloseReleasesConnections(runtime: 'deno' | 'bun', command: string[]): Promise<void> {
  const own = await startServer()
  const counter = await startSocketCounter(own)
  try {
    const conn = (base: string): string[] => [1, 2, 3].map(() => `${base}/conn`)
    const result = await probe(runtime, command, {
      sessions: [{
        label: 'pooled',
        options: { pool: { keepAliveTimeout: 60_000 } },
        mount: { prefix: `${own.altUrl}/`, options: { pool: { keepAliveTimeout: 60_000 } } },
        requests: [...conn(own.url), ...conn(own.altUrl)],
      }],
      sockets: counter.url,
    })
    expect(result.sessions.pooled!.error).toBeUndefined()
    // Kept alive until close(): at least one connection each for the session and its mount.
    expect(result.socketsBeforeClose).toBeGreaterThanOrEqual(2)
    expect(result.socketsAfterClose!.at(-1)).toBe(0)
    expect(result.socketsAfterClose!.length).toBeLessThanOrEqual(10)
    expect(result.exitDelay).toBeLessThan(2000)
  }
  finally {
    await Promise.all([counter.close(), own.close()])
  }
}

/** Where a request went: through proxy A, proxy B, or straight to the server. */
export type Route = 'A' | 'B' | 'direct'

/** One environment of the proxy rule, and where its `http://` and `https://` requests must go. */
export interface ProxyScenario {
  label: string
  env: (a: string, b: string, ports: { http: number, https: number }) => Record<string, string>
  http: Route
  https: Route
}

/**
 * curl's rule (src/proxy-env.ts): `http://` uses http_proxy / HTTP_PROXY, `https://` uses
 * https_proxy / HTTPS_PROXY, either falls back to all_proxy / ALL_PROXY, lower case wins, and
 * no_proxy / NO_PROXY bypasses (`*`, names, IPs, CIDR ranges, `:port`).
 */
export const PROXY_SCENARIOS: readonly ProxyScenario[] = [
  { label: 'HTTP_PROXY alone', env: a => ({ HTTP_PROXY: a }), http: 'A', https: 'direct' },
  { label: 'HTTPS_PROXY alone', env: a => ({ HTTPS_PROXY: a }), http: 'direct', https: 'A' },
  { label: 'ALL_PROXY alone', env: a => ({ ALL_PROXY: a }), http: 'A', https: 'A' },
  { label: 'all_proxy + HTTP_PROXY', env: (a, b) => ({ all_proxy: a, HTTP_PROXY: b }), http: 'B', https: 'A' },
  { label: 'ALL_PROXY + HTTPS_PROXY', env: (a, b) => ({ ALL_PROXY: a, HTTPS_PROXY: b }), http: 'A', https: 'B' },
  { label: 'lower case wins', env: (a, b) => ({ http_proxy: a, HTTP_PROXY: b, https_proxy: a, HTTPS_PROXY: b }), http: 'A', https: 'A' },
  { label: 'empty counts as unset', env: (a, b) => ({ http_proxy: '', HTTP_PROXY: b, https_proxy: '', HTTPS_PROXY: a }), http: 'B', https: 'A' },
  { label: 'NO_PROXY names the host', env: a => ({ HTTP_PROXY: a, HTTPS_PROXY: a, NO_PROXY: 'example.com, 127.0.0.1' }), http: 'direct', https: 'direct' },
  { label: 'no_proxy with a CIDR range', env: a => ({ HTTP_PROXY: a, HTTPS_PROXY: a, no_proxy: '127.0.0.0/8' }), http: 'direct', https: 'direct' },
  { label: 'NO_PROXY *', env: a => ({ HTTP_PROXY: a, HTTPS_PROXY: a, NO_PROXY: '*' }), http: 'direct', https: 'direct' },
  { label: 'NO_PROXY host:port', env: (a, _b, ports) => ({ HTTP_PROXY: a, HTTPS_PROXY: a, NO_PROXY: `127.0.0.1:${ports.http}` }), http: 'direct', https: 'A' },
]

/**
 * The environment rule in `runtime`: for each scenario, a process of its own with those variables,
 * a session with default options and one with `proxy: true`, each sending an `http://` and an
 * `https://` request; the proxies (A, B) and the server tell where each went. `exceptions`
 * overrides the expected routes of scenarios the runtime cannot follow (documented in the README).
 */
export async function expectProxyEnvironmentRule(runtime: ProbeRuntime, command: string[], certificates: TestCertificates, exceptions: Record<string, Partial<Pick<ProxyScenario, 'http' | 'https'>>> = {}): Promise<void> {
  const [server, secure, a, b] = await Promise.all([startServer(), startServer({ tls: certificates }), startProxy(), startProxy()])
  const proxies: Record<'A' | 'B', TestProxy> = { A: a, B: b }
  try {
    const seen: Record<string, { http: Route[], https: Route[], errors: unknown[] }> = {}
    const expected: Record<string, { http: Route, https: Route }> = {}
    // One scenario at a time: CONNECT lines name only host:port, so the counts tell scenarios apart by time.
    for (const [index, scenario] of PROXY_SCENARIOS.entries()) {
      a.reset()
      b.reset()
      const key = `${runtime}-env-${index}-${Date.now()}`
      const url = (label: string): string[] => [`${server.url}/get?key=${key}-${label}`, `${secure.url}/get`]
      const result = await probe(runtime, command, {
        sessions: [
          { label: 'default', options: { tls: { ca: certificates.ca } }, requests: url('default') },
          { label: 'true', options: { proxy: true, tls: { ca: certificates.ca } }, requests: url('true') },
        ],
      }, scenario.env(a.url, b.url, { http: server.port, https: secure.port }))
      const httpRoute = (label: string): Route => {
        const through = (['A', 'B'] as const).filter(name => proxies[name].stats.forwarded.some(line => line.includes(`${key}-${label}`)) || proxies[name].stats.connects.includes(`127.0.0.1:${server.port}`))
        return through.length === 1 ? through[0]! : through.length === 0 && server.hits(`${key}-${label}`) === 1 ? 'direct' : `${through.join('+') || 'nowhere'}` as Route
      }
      const httpsThrough = (['A', 'B'] as const).filter(name => proxies[name].stats.connects.includes(`127.0.0.1:${secure.port}`))
      const httpsRoute: Route = httpsThrough.length === 1 ? httpsThrough[0]! : httpsThrough.length === 0 ? 'direct' : httpsThrough.join('+') as Route
      seen[scenario.label] = {
        http: [httpRoute('default'), httpRoute('true')],
        https: [httpsRoute, httpsRoute],
        errors: Object.values(result.sessions).map(session => session.error ?? session.refused).filter(Boolean),
      }
      const exception = exceptions[scenario.label] ?? {}
      const http = exception.http ?? scenario.http
      const https = exception.https ?? scenario.https
      expected[scenario.label] = { http, https }
    }
    expect(seen).toEqual(Object.fromEntries(Object.entries(expected).map(([label, { http, https }]) => [label, { http: [http, http], https: [https, https], errors: [] }])))
  }
  finally {
    await Promise.all([server.close(), secure.close(), a.close(), b.close()])
  }
}
