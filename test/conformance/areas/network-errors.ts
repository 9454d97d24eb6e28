/**
 * `NetworkError.code` is one documented set on every runtime (issue 11, item 5), and what cannot
 * succeed (a rejected certificate, a proxy's 407) is tried once by default (item 4), counted at
 * the server or the proxy. Where a runtime cannot tell kinds apart, its expectation says so:
 * browsers report every failure as "Failed to fetch" (`ERR_NETWORK`); workerd reports a refused
 * connection as a lost one (`ECONNRESET`) and DNS failures as an "internal error" (`ERR_NETWORK`).
 */
import { FEATURES } from '../suite'
import type { SuiteArea } from '../suite'

export const networkErrors: SuiteArea = ({ describe, it, skip, expect }, env, { caught }) => {
  const { lib, base, runtime } = env
  const { createSession } = lib
  const server = !env.browser && runtime !== 'workerd'
  /** The code this runtime gives for a kind it can name, or the one it falls back to. */
  const expected = (code: string, workerd: string = code): string => (env.browser ? 'ERR_NETWORK' : runtime === 'workerd' ? workerd : code)

  const failure = async (url: string, options: Parameters<typeof createSession>[0] = {}): Promise<Error & Record<string, any>> => {
    const session = createSession({ retry: false, ...options })
    try {
      return await caught(session(url))
    }
    finally {
      await session.close()
    }
  }

  describe('network errors', () => {
    it('connection refused: code ECONNREFUSED, said in the message', [FEATURES.errors], async () => {
      const url = `http://127.0.0.1:${env.closedPort}/`
      const error = await failure(url)
      expect(error).toBeInstanceOf(lib.NetworkError)
      expect(error.code).toBe(expected('ECONNREFUSED', 'ECONNRESET'))
      const words = env.browser ? 'no response' : runtime === 'workerd' ? 'connection reset or closed' : 'connection refused'
      expect(error.message).toMatch(`[GET] "${url}": network error (${error.code}): ${words}`)
      expect(error.cause).toBeDefined()
    })

    it('connection reset before the response, and while the body is read: ECONNRESET', [FEATURES.errors], async () => {
      const before = await failure(`${base}/reset`)
      expect(before).toBeInstanceOf(lib.NetworkError)
      expect(before.code).toBe(expected('ECONNRESET'))
      const during = await failure(`${base}/reset-mid-body`)
      expect(during).toBeInstanceOf(lib.NetworkError)
      expect(during.code).toBe(expected('ECONNRESET'))
    })

    if (env.browser) {
      skip('DNS failure: ENOTFOUND', [FEATURES.errors], 'a page cannot tell a DNS failure from any other ("Failed to fetch"); the refused case above shows ERR_NETWORK')
    }
    else {
      it('DNS failure (a name under .invalid): ENOTFOUND', [FEATURES.errors], async () => {
        const error = await failure('http://fetch-session-test.invalid/')
        expect(error).toBeInstanceOf(lib.NetworkError)
        expect(error.code).toBe(expected('ENOTFOUND', 'ERR_NETWORK'))
      })
    }

    if (env.https && env.ca) {
      const { https, ca } = env
      const failedHandshakes = async (): Promise<number> => {
        const session = createSession({ tls: { ca } })
        try {
          return (await session(`${https}/__connections`)).failedHandshakes as number
        }
        finally {
          await session.close()
        }
      }

      it('a certificate from an unknown CA: ERR_TLS_CERT_INVALID, one handshake by default (not three)', [FEATURES.errors, FEATURES.retry], async () => {
        const before = await failedHandshakes()
        const error = await failure(`${https}/get`, { retry: { delay: 1 } })
        expect(await failedHandshakes() - before).toBe(1)
        expect(error).toBeInstanceOf(lib.NetworkError)
        expect(error.code).toBe('ERR_TLS_CERT_INVALID')
        expect(error.message).toMatch('network error (ERR_TLS_CERT_INVALID): TLS certificate rejected')
      })

      it('shouldRetry returning true still retries it (three handshakes)', [FEATURES.retry], async () => {
        const before = await failedHandshakes()
        const decisions: boolean[] = []
        await failure(`${https}/get`, { retry: { delay: 1, shouldRetry: ({ retry }) => (decisions.push(retry), true) } })
        expect(await failedHandshakes() - before).toBe(3)
        expect(decisions).toEqual([false, false])
      })
    }
    else if (server) {
      skip('a certificate from an unknown CA: ERR_TLS_CERT_INVALID', [FEATURES.errors], `the ${runtime} runner gives no https server`)
    }

    if (env.authProxy && env.https && env.ca) {
      const { authProxy, https, ca } = env
      const refused = async (): Promise<number> => (await lib.$fetch(`${authProxy}/__stats`)).refused as number

      it('a proxy\'s 407 to CONNECT: ERR_PROXY_AUTH_REQUIRED, one CONNECT by default and with retry: false', [FEATURES.errors, FEATURES.retry], async () => {
        const before = await refused()
        const error = await failure(`${https}/get`, { proxy: authProxy, tls: { ca }, retry: { delay: 1 } })
        expect(await refused() - before).toBe(1)
        await failure(`${https}/get`, { proxy: authProxy, tls: { ca } })
        expect(await refused() - before).toBe(2)
        expect(error).toBeInstanceOf(lib.NetworkError)
        expect(error.code).toBe('ERR_PROXY_AUTH_REQUIRED')
        expect(error.message).toMatch('network error (ERR_PROXY_AUTH_REQUIRED): the proxy requires authentication')
      })

      it('a proxy\'s 407 to an http:// URL is a response: HTTPError 407, as curl and requests give it, sent once', [FEATURES.errors], async () => {
        const before = await refused()
        const session = lib.createSession({ proxy: authProxy, retry: { delay: 1 } })
        const error = await caught(session(`${env.base}/get`))
        await session.close()
        expect(error).toBeInstanceOf(lib.HTTPError)
        expect(error.status).toBe(407)
        expect(await refused() - before).toBe(1)
      })

      it('shouldRetry returning true still retries a 407 (three CONNECTs)', [FEATURES.retry], async () => {
        const before = await refused()
        await failure(`${https}/get`, { proxy: authProxy, tls: { ca }, retry: { delay: 1, shouldRetry: () => true } })
        expect(await refused() - before).toBe(3)
      })
    }
    else if (server) {
      skip('a proxy\'s 407 to CONNECT: ERR_PROXY_AUTH_REQUIRED', [FEATURES.errors], `the ${runtime} runner gives no proxy with auth`)
    }

    if (env.proxy) {
      const { proxy } = env
      it('a proxy that cannot open the tunnel (502 to CONNECT): ERR_PROXY_TUNNEL', [FEATURES.errors], async () => {
        const error = await failure(`https://127.0.0.1:${env.closedPort}/`, { proxy })
        expect(error).toBeInstanceOf(lib.NetworkError)
        expect(error.code).toBe('ERR_PROXY_TUNNEL')
      })
    }
  })
}
