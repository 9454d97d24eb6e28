/**
 * A real forward proxy: Debian's squid with its stock CONNECT rule (only SSL_ports may be
 * tunnelled to: 443 and the https test server's port), with and without Basic proxy auth, on
 * Node (in this process), Deno and Bun (probe processes against the built package). squid's
 * access log proves each request went through it and how: `GET http://…` (absolute form) for
 * `http://`, `CONNECT host:port` for `https://`; the origin proves the credentials never reach it.
 *
 * Without squid (`apt-get install squid`) the suite is skipped locally and fails on CI.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession, NetworkError } from '../../src/adapters/node'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { startSquid } from '../helpers/squid'
import type { Squid, SquidLogEntry } from '../helpers/squid'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'
import { dependencySkip, requireDependency } from '../helpers/dependencies'
import type { DependencyContext } from '../helpers/dependencies'
import { probe } from '../runtimes/deno-and-bun'
import type { ProbeRuntime } from '../runtimes/deno-and-bun'

const missing = dependencySkip('squid', 'interop with the real squid', import.meta.filename)

/** Skips the test when squid is not installed (locally, listed at the end of the run), fails it on CI. */
function requireSquid(context: DependencyContext): void {
  requireDependency('squid', context)
}

const credentials = { username: 'alice', password: 's3cret' }
let certificates: TestCertificates
let server: TestServer
let secure: TestServer
let squid: Squid
let guarded: Squid

beforeAll(async () => {
  if (missing) return
  certificates = makeCertificates()
  ;[server, secure] = await Promise.all([startServer(), startServer({ tls: certificates })])
  ;[squid, guarded] = await Promise.all([
    startSquid({ sslPorts: [secure.port] }),
    startSquid({ sslPorts: [secure.port], auth: credentials }),
  ])
}, 20_000)
afterAll(async () => {
  if (missing) return
  await Promise.all([squid?.stop(), guarded?.stop(), server?.close(), secure?.close()])
}, 20_000)
beforeEach(() => {
  server?.reset()
  secure?.reset()
})

/** The log line of an absolute-form request for `url`, or a CONNECT to the https server, from line `since` on. */
const absolute = (proxy: Squid, since: number, url: string): Promise<SquidLogEntry> => proxy.waitForLog(entry => entry.url === url, { since })
const tunnel = (proxy: Squid, since: number): Promise<SquidLogEntry> => proxy.waitForLog(entry => entry.method === 'CONNECT' && entry.url === `127.0.0.1:${secure.port}`, { since })

/** No request that reached the test servers carried `Proxy-Authorization`; squid marked the plain-http ones (`Via`). */
function expectOriginsClean(): void {
  expect(server.requests.length + secure.requests.length).toBeGreaterThan(0)
  for (const seen of [...server.requests, ...secure.requests]) expect(seen.headers['proxy-authorization']).toBeUndefined()
  for (const seen of server.requests) expect(seen.headers.via).toMatch('squid')
  // Inside a tunnel squid sees nothing to mark.
  for (const seen of secure.requests) expect(seen.headers.via).toBeUndefined()
}

const streamOf = (text: string): ReadableStream<Uint8Array> => new ReadableStream({
  start(controller) {
    controller.enqueue(new TextEncoder().encode(text))
    controller.close()
  },
})

describe('squid: node', () => {
  it('http:// goes to squid in absolute form (a stock squid refuses CONNECT to other ports than SSL_ports), https:// through CONNECT', async (context) => {
    requireSquid(context)
    const since = squid.log().length
    const session = createSession({ proxy: squid.url, tls: { ca: certificates.ca }, retry: false })
    expect((await session(`${server.url}/get?key=node-plain`)).args).toEqual({ key: 'node-plain' })
    expect((await session(`${secure.url}/get`)).method).toBe('GET')
    await session.close()
    expect(await absolute(squid, since, `${server.url}/get?key=node-plain`)).toMatchObject({ method: 'GET', result: 'TCP_MISS/200' })
    expect(await tunnel(squid, since)).toMatchObject({ result: 'TCP_TUNNEL/200' })
    expectOriginsClean()
  })

  it('with proxy auth, on the lean path and on the undici-fetch fallback: squid admits alice, the origin never sees the credentials', async (context) => {
    requireSquid(context)
    const since = guarded.log().length
    const session = createSession({ proxy: guarded.authUrl!, tls: { ca: certificates.ca }, retry: false })
    const form = new FormData()
    form.append('field', 'value')
    expect((await session(`${server.url}/headers?key=node-lean`)).headers['proxy-authorization']).toBeUndefined()
    expect(await session(`${server.url}/anything?key=node-stream`, { method: 'POST', body: streamOf('streamed') })).toMatchObject({ body: 'streamed' })
    expect((await session(`${secure.url}/headers`)).headers['proxy-authorization']).toBeUndefined()
    expect(await session(`${secure.url}/anything`, { method: 'POST', body: form })).toMatchObject({ form: { field: 'value' } })
    await session.close()
    expect(await absolute(guarded, since, `${server.url}/headers?key=node-lean`)).toMatchObject({ method: 'GET', result: 'TCP_MISS/200', user: 'alice' })
    expect(await absolute(guarded, since, `${server.url}/anything?key=node-stream`)).toMatchObject({ method: 'POST', result: 'TCP_MISS/200', user: 'alice' })
    expect(await tunnel(guarded, since)).toMatchObject({ result: 'TCP_TUNNEL/200', user: 'alice' })
    expectOriginsClean()
  })

  it('without the credentials squid answers 407: an http:// call gets the 407 response (HTTPError), an https:// one ERR_PROXY_AUTH_REQUIRED', async (context) => {
    requireSquid(context)
    const since = guarded.log().length
    const session = createSession({ proxy: guarded.url, tls: { ca: certificates.ca }, retry: false })
    await expect(session(`${server.url}/get?key=node-denied`)).rejects.toMatchObject({ name: 'HTTPError', status: 407 })
    await expect(session(`${secure.url}/get`)).rejects.toMatchObject({ name: 'NetworkError', code: 'ERR_PROXY_AUTH_REQUIRED' })
    await session.close()
    expect(await absolute(guarded, since, `${server.url}/get?key=node-denied`)).toMatchObject({ method: 'GET', result: 'TCP_DENIED/407' })
    expect(await guarded.waitForLog(entry => entry.method === 'CONNECT' && entry.result === 'TCP_DENIED/407', { since })).toBeDefined()
    expect(server.requests.length + secure.requests.length).toBe(0)
  })
})

/** `deno run` with every permission, ignoring the project's deno.json and writing no lock file. */
const denoRun = (bin: string): string[] => [bin, 'run', '-A', '--no-config', '--no-lock']

for (const runtime of ['deno', 'bun'] as const satisfies readonly ProbeRuntime[]) {
  const command = (context: DependencyContext): string[] => {
    const bin = requireDependency(runtime, context)
    return runtime === 'deno' ? denoRun(bin) : [bin]
  }

  describe(`squid: ${runtime}`, () => {
    it('http:// goes to squid in absolute form, https:// through CONNECT', async (context) => {
      requireSquid(context)
      const since = squid.log().length
      const key = `${runtime}-plain`
      const result = await probe(runtime, command(context), {
        sessions: [{ label: 'plain', options: { proxy: squid.url, tls: { ca: certificates.ca }, retry: false }, requests: [`${server.url}/get?key=${key}`, `${secure.url}/get`] }],
      })
      expect(result.sessions.plain!.error).toBeUndefined()
      expect(result.sessions.plain!.data).toMatchObject([{ args: { key } }, { method: 'GET' }])
      expect(await absolute(squid, since, `${server.url}/get?key=${key}`)).toMatchObject({ method: 'GET', result: 'TCP_MISS/200' })
      expect(await tunnel(squid, since)).toMatchObject({ result: 'TCP_TUNNEL/200' })
      expectOriginsClean()
    })

    if (runtime === 'bun') {
      it('with proxy auth: squid admits alice, the origin never sees the credentials', async (context) => {
        requireSquid(context)
        const since = guarded.log().length
        const key = `${runtime}-auth`
        const result = await probe(runtime, command(context), {
          sessions: [{ label: 'auth', options: { proxy: guarded.authUrl!, tls: { ca: certificates.ca }, retry: false }, requests: [`${server.url}/headers?key=${key}`, `${secure.url}/headers`] }],
        })
        expect(result.sessions.auth!.error).toBeUndefined()
        expect(result.sessions.auth!.data!.length).toBe(2)
        expect(await absolute(guarded, since, `${server.url}/headers?key=${key}`)).toMatchObject({ method: 'GET', result: 'TCP_MISS/200', user: 'alice' })
        expect(await tunnel(guarded, since)).toMatchObject({ result: 'TCP_TUNNEL/200', user: 'alice' })
        expectOriginsClean()
      })
    }
    else {
      it('with proxy auth: refused at createSession(), since Deno would send squid\'s credentials to the https origin (see deno.test.ts)', async (context) => {
        requireSquid(context)
        const result = await probe(runtime, command(context), {
          sessions: [{ label: 'auth', options: { proxy: guarded.authUrl!, tls: { ca: certificates.ca } }, requests: [`${secure.url}/headers`] }],
        })
        expect(result.sessions.auth!.refused).toMatchObject({ name: 'UnsupportedOptionError', option: 'proxy', runtime: 'deno', message: expect.stringContaining('inside the TLS tunnel') })
        expect(secure.requests).toEqual([])
      })
    }
  })
}
