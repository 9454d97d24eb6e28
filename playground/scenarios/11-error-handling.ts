/**
 * Article: "Best Practices 3. Handle Exceptions Properly".
 *
 *   try: response = session.get(url, timeout=10); response.raise_for_status()
 *   except ConnectionError: ...   except Timeout: ...   except RequestException as e: ...
 *
 * NetworkError ~ ConnectionError, TimeoutError ~ Timeout, FetchError ~ RequestException
 * (every error is a FetchError). HTTPError is thrown by default: raise_for_status() is built in.
 */
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { createSession, FetchError, HTTPError, NetworkError, TimeoutError } from '../../src/index'
import type { RequestOptions, Session } from '../../src/index'
import { check, note, show, step } from '../util'
import type { Context } from '../util'

export const title = 'Error handling: NetworkError, TimeoutError, HTTPError, FetchError'

/** A port nothing listens on: bind port 0, note the port, close it. */
async function closedPort(): Promise<number> {
  const listener = createServer()
  await new Promise<void>(resolve => listener.listen(0, '127.0.0.1', resolve))
  const { port } = listener.address() as AddressInfo
  await new Promise<void>(resolve => listener.close(() => resolve()))
  return port
}

/** The article's try/except, returning the kind of failure it caught. */
async function fetchAndReport(session: Session, label: string, url: string, options: RequestOptions = {}): Promise<string> {
  try {
    const response = await session.raw(url, { timeout: 10_000, ...options })
    show(label, `ok ${response.status}`)
    return 'ok'
  }
  catch (error) {
    const isFetchError = error instanceof FetchError
    if (error instanceof NetworkError) {
      show(label, `Failed to connect to the server (${error.name}, code ${error.code})`)
    }
    else if (error instanceof TimeoutError) {
      show(label, `Request timed out (${error.name}, ${error.phase} ${error.timeout} ms)`)
    }
    else if (error instanceof HTTPError) {
      show(label, `Request failed: ${error.name} ${error.status} ${error.statusText}`)
    }
    else if (isFetchError) {
      show(label, `Request failed: ${(error as Error).message}`)
    }
    else {
      throw error
    }
    show('  instanceof FetchError', isFetchError)
    return (error as Error).name
  }
}

export async function run({ server }: Context): Promise<void> {
  const port = await closedPort()
  // retry: false, as in the article (requests does not retry unless told to).
  const session = createSession({ baseURL: server.url, retry: false })
  try {
    step('one try/catch, three kinds of failure')
    const kinds = [
      await fetchAndReport(session, `GET 127.0.0.1:${port} (closed)`, `http://127.0.0.1:${port}/get`),
      await fetchAndReport(session, 'GET /delay/1000 { timeout: 100 }', '/delay/1000', { timeout: 100 }),
      await fetchAndReport(session, 'GET /status/404', '/status/404'),
      await fetchAndReport(session, 'GET /get', '/get'),
    ]
    check(kinds.join() === 'NetworkError,TimeoutError,HTTPError,ok', `NetworkError, TimeoutError, HTTPError, ok (got ${kinds.join()})`)

    step('raise_for_status(): on by default; ignoreResponseError turns it off')
    const response = await session.raw<{ status: number }>('/status/404', { ignoreResponseError: true })
    show('{ ignoreResponseError: true }', `resolved: status ${response.status}, ok ${response.ok}, body ${JSON.stringify(response._data)}`)
    check(response.status === 404, 'the 404 response')
    note('then check response.ok yourself, as you would call response.raise_for_status()')
  }
  finally {
    await session.close()
  }
}
