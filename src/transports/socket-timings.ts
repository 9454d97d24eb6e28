/**
 * What the Node transport learns of the connection a request went on, for `response.timings`.
 *
 * - The session's own sockets come from `timedConnector()` (src/adapters/node-pool.ts), undici's connector, marked by `markSocket()`: when
 *   the connection was asked for, DNS done (`lookup`, absent for an IP literal), TCP connected,
 *   TLS done. Its listeners go first, before undici's, which sends the first request at once.
 * - Which socket a request went on: undici publishes `undici:client:sendHeaders` ({ request,
 *   socket }) while writing a request, in the same synchronous run as the handler's
 *   `onRequestStart()` just before it (client-h1.js `writeH1`, client-h2.js `writeH2`). So the
 *   handler waits in one slot (`awaitSocket()`), and the one subscriber (made once) hands it the
 *   socket's marks, after checking that the request is the handler's (method and path). Each
 *   socket counts its requests: the first one opened it (`reused: false`), the others did not.
 * - Sockets of other dispatchers (a caller's `dispatcher`, `$fetch`'s global one, the tunnels of
 *   a `ProxyAgent`): `undici:client:connected` tags those connected while subscribed, with the time
 *   they were ready; one seen by neither channel leaves `reused` undefined.
 *
 * The channels are process-wide by name, so the dispatchers of Node's own undici publish there too.
 *
 * @module
 */
import { subscribe } from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import type { ConnectionMarks } from '../timings'

/** A socket's marks, and the requests written on it so far. */
export interface SocketMarks extends ConnectionMarks {
  uses: number
}

/** A request waiting to learn its socket (the dispatch handler). */
export interface SocketWaiter {
  readonly method: string
  readonly path: string
  /** The socket's marks (`uses` counts this request too); `undefined` for a socket not seen connecting. */
  sentOn: (marks: SocketMarks | undefined) => void
}

const MARKS: unique symbol = Symbol('fetch-session.socketMarks')

type MarkedSocket = Socket & { [MARKS]?: SocketMarks }

let waiting: SocketWaiter | undefined
let subscribed = false

/** The request undici is about to write, as the channel gives it. */
interface SendHeadersMessage {
  request: { method: string, path: string }
  socket: MarkedSocket
}

function onSendHeaders(message: unknown): void {
  const { request, socket } = message as SendHeadersMessage
  const marks = socket?.[MARKS]
  if (marks !== undefined) marks.uses++
  const waiter = waiting
  if (waiter === undefined) return
  // Absolute-form proxying rewrites the path to the whole URL: it still ends with the handler's.
  if (request.method !== waiter.method || (request.path !== waiter.path && !request.path.endsWith(waiter.path))) return
  waiting = undefined
  waiter.sentOn(marks)
}

function onConnected(message: unknown): void {
  const { socket, connectParams } = message as { socket: MarkedSocket, connectParams?: { protocol?: string } }
  if (!socket || socket[MARKS] !== undefined) return
  const ready = performance.now()
  const tls = connectParams?.protocol === 'https:'
  socket[MARKS] = { begin: 0, lookup: 0, connect: tls ? 0 : ready, secureConnect: tls ? ready : 0, uses: 0 }
}

/** Subscribes to undici's channels, once per process (for this copy of the package). */
export function watchSockets(): void {
  if (subscribed) return
  subscribed = true
  subscribe('undici:client:sendHeaders', onSendHeaders)
  subscribe('undici:client:connected', onConnected)
}

/** `waiter` is about to be written (its `onRequestStart()`): the next matching `sendHeaders` is its. */
export function awaitSocket(waiter: SocketWaiter): void {
  waiting = waiter
}

/** `waiter` has its response or failed: it waits no more. */
export function stopAwaiting(waiter: SocketWaiter): void {
  if (waiting === waiter) waiting = undefined
}

function onLookup(this: MarkedSocket): void {
  const marks = this[MARKS]!
  if (marks.lookup === 0) marks.lookup = performance.now()
}

function onConnect(this: MarkedSocket): void {
  this[MARKS]!.connect = performance.now()
}

function onSecureConnect(this: MarkedSocket): void {
  this[MARKS]!.secureConnect = performance.now()
}

/**
 * Marks a socket the session's connector (src/adapters/node-pool.ts) just opened, `begin` being
 * when it was asked for: its lookup, TCP connect and TLS handshake will be timed.
 */
export function markSocket(opened: unknown, begin: number, tls: boolean): void {
  const socket = opened as MarkedSocket | undefined
  if (socket === undefined) return
  socket[MARKS] = { begin, lookup: 0, connect: 0, secureConnect: 0, uses: 0 }
  // First in line: undici's own 'connect' / 'secureConnect' listener writes the first request.
  socket.once('lookup', onLookup)
  socket.prependOnceListener('connect', onConnect)
  if (tls) socket.prependOnceListener('secureConnect', onSecureConnect)
}
