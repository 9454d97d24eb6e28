/**
 * Interop with the real nginx (Debian's, started by test/helpers/nginx.ts on loopback) on Node,
 * Deno and Bun: TLS on a certificate signed by a CA made at test time, a location that wants a
 * client certificate, HTTP/2, keep-alive and gzip, as nginx itself reports them (its
 * `$server_protocol`, `$connection`, `$connection_requests` and `$ssl_client_s_dn`, echoed in
 * the body). The scenarios live in test/conformance/entries/nginx.ts, bundled with the built
 * package and run in a process of each runtime (Bun twice: as is, and with
 * `--experimental-http2-fetch`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dependencySkip, requireDependency } from '../helpers/dependencies'
import { startNginx } from '../helpers/nginx'
import type { Nginx } from '../helpers/nginx'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'
import { runEntry } from '../runtimes/common'
import type { ProcessRuntime } from '../runtimes/common'
import { childEnv } from '../runtimes/deno-and-bun'

type Observations = Record<string, any>

/** One run of the entry: the runtime, how it is started, the session's `http2` option, and whether HTTP/2 is expected. */
interface Run {
  label: string
  runtime: ProcessRuntime
  command: () => string[]
  http2?: boolean
  speaksHttp2: boolean
}

const RUNS: Run[] = [
  { label: 'node (http2: true)', runtime: 'node', command: () => [process.execPath], http2: true, speaksHttp2: true },
  { label: 'deno (the default offers HTTP/2)', runtime: 'deno', command: () => [requireDependency('deno'), 'run', '-A', '--no-config', '--no-lock'], speaksHttp2: true },
  { label: 'bun (the default: HTTP/1.1)', runtime: 'bun', command: () => [requireDependency('bun')], speaksHttp2: false },
  { label: 'bun --experimental-http2-fetch', runtime: 'bun', command: () => [requireDependency('bun'), '--experimental-http2-fetch'], speaksHttp2: true },
]

const noNginx = dependencySkip('nginx', 'interop with the real nginx', import.meta.filename)

describe.skipIf(noNginx !== undefined)('interop with the real nginx', () => {
  let nginx: Nginx
  let certificates: TestCertificates
  beforeAll(async () => {
    certificates = makeCertificates()
    nginx = await startNginx(certificates)
  })
  afterAll(async () => {
    // A clean run leaves nothing in nginx's error log (level warn and above).
    const errors = nginx?.errors() ?? []
    await nginx?.close()
    expect(errors).toEqual([])
  })

  for (const run of RUNS) {
    const skip = run.runtime === 'node' ? undefined : dependencySkip(run.runtime, `interop with the real nginx > ${run.label}`, import.meta.filename)
    describe.skipIf(skip !== undefined)(run.label, () => {
      let seen: Observations
      beforeAll(async () => {
        const input = { https: nginx.https, https1: nginx.https1, http: nginx.http, ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey, http2: run.http2 }
        seen = await runEntry<Observations>(run.runtime, 'nginx', run.command(), input, { env: childEnv() })
      }, 60_000)

      const observed = (scenario: string): any => {
        expect(seen[scenario], `${run.label}: ${scenario}`).toBeDefined()
        expect(seen[scenario], `${run.label}: ${scenario}`).not.toHaveProperty('failed')
        return seen[scenario]
      }

      it('tls.ca trusts the test CA; without it the certificate is refused with a NetworkError', () => {
        expect(observed('tls.ca trusts the test CA')).toEqual({ protocol: 'HTTP/1.1', scheme: 'https' })
        expect(observed('without tls.ca the certificate is refused')).toMatchObject({ name: 'NetworkError' })
      })

      it('tls.cert + tls.key pass the client-certificate location (nginx saw the client\'s subject); without them it answers 403', () => {
        expect(observed('tls.cert and tls.key pass the client-certificate location')).toEqual({ subject: 'CN=fetch-session test client', verify: 'SUCCESS' })
        expect(observed('without a client certificate the location refuses')).toMatchObject({ name: 'HTTPError', status: 403 })
      })

      it(run.speaksHttp2 ? 'speaks HTTP/2 to nginx, three requests on one connection; HTTP/1.1 where nginx offers nothing else' : 'speaks HTTP/1.1 to nginx\'s HTTP/2 listener, reusing the connection', () => {
        const { both, http1Only } = observed('HTTP/2')
        const protocol = run.speaksHttp2 ? 'HTTP/2.0' : 'HTTP/1.1'
        expect(both.map((info: { protocol: string }) => info.protocol)).toEqual([protocol, protocol, protocol])
        expect(new Set(both.map((info: { connection: number }) => info.connection)).size).toBe(1)
        expect(both.map((info: { requests: number }) => info.requests)).toEqual([1, 2, 3])
        expect(http1Only).toBe('HTTP/1.1')
      })

      it('keep-alive: three requests one after another reuse the connection (nginx\'s $connection and $connection_requests), over plain http and TLS', () => {
        for (const scenario of ['keep-alive over plain http', 'keep-alive over TLS']) {
          const infos = observed(scenario) as Array<{ protocol: string, connection: number, requests: number }>
          expect(infos.map(info => info.protocol), scenario).toEqual(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1'])
          // undici (Node) has not yet released a connection when the next request is dispatched
          // right after the body was read, so its pool opens a second one and then alternates
          // (1, 2, 1: undici.request does the same). Deno and Bun keep to one.
          expect(new Set(infos.map(info => info.connection)).size, scenario).toBeLessThanOrEqual(run.runtime === 'node' ? 2 : 1)
          expect(infos.at(-1)!.requests, scenario).toBeGreaterThanOrEqual(2)
          if (run.runtime !== 'node') expect(infos.map(info => info.requests), scenario).toEqual([1, 2, 3])
        }
      })

      it('gzip from nginx (gzip on, gzip_types application/json): asked for, sent compressed, decoded', () => {
        const gzip = observed('gzip from nginx')
        expect(gzip).toMatchObject({ status: 200, compressed: 'when asked', padding: 'nginx '.repeat(64).length })
        expect(gzip.acceptEncoding).toMatch(/\bgzip\b/)
        expect(gzip.contentEncoding).toBe('gzip')
      })

      it('plain http: a session\'s default header reaches nginx ($http_x_test), and its redirect is followed', () => {
        expect(observed('default headers and a redirect')).toEqual({
          xTest: 'from the session',
          redirect: { status: 200, url: `${nginx.http}/json`, hops: [{ status: 302, location: `${nginx.http}/json` }], body: { ok: true, server: 'nginx' } },
        })
      })
    })
  }
})
