/**
 * A client: what a session (or `$fetch`) is made of — its options, jar, pools, mounts, the
 * composed layers and the ofetch over them — and how the stack is (re)built.
 *
 * @module
 */
import type { Adapter, Transport } from './adapter'
import { inputURL } from './http'
import { findMount } from './mounts'
import type { Mount } from './mounts'
import { createOfetch } from './ofetch-bridge'
import type { OfetchClient } from './ofetch-bridge'
import type { OptionLayer } from './options'
import type { RetryPolicy } from './retry'
import { createStack } from './stack'
import type { CookieJarLike, Fetch } from './types'

/** The layers whose options decide which middleware a stack has (an `extend()` child that changes none shares its parent's). */
const STACK_OPTIONS: readonly string[] = ['use', 'cache', 'trace', 'har', 'debug']

/** A session or a `$fetch`, as the engine sees it. */
export interface Client {
  adapter: Adapter
  layer: OptionLayer
  jar: CookieJarLike | undefined
  transport: Transport
  /** Transports this client must close (its own pool and its mounts'). */
  owned: Transport[]
  mounts: Mount[]
  /** Shared by a root session and every `extend()` child; `closer` is the root session's (none for `$fetch`). */
  root: { closed: boolean, closer?: AbortController }
  closed: boolean
  /** Aborted by this session's `close()` (a root session's is `root.closer`); none for `$fetch`. */
  closer?: AbortController
  /** What aborts this client's calls: its own `closer`'s signal, and the root's for a child. */
  closeSignals: readonly AbortSignal[]
  /** The promise of `close()`, once it was called: every `close()` returns it. */
  closing?: Promise<void>
  /** The composed layers over the transport (`stack.ts`). */
  native: Fetch
  request: OfetchClient
  /** The policy of the session's own options, computed once. */
  policy: RetryPolicy | undefined
  /** The options of a call that gives none, off any mount: the session's own, merged once (until `session.use()`). */
  defaults?: OptionLayer | undefined
  /** A session (true) or a stateless `$fetch` (false). */
  stateful: boolean
}

/**
 * A client over `transport`. `parent`'s composed layers are shared when this client's own layer
 * options build the same stack (an `extend()` child that adds no layer of its own).
 */
export function createClient(adapter: Adapter, layer: OptionLayer, jar: CookieJarLike | undefined, transport: Transport, owned: Transport[], mounts: Mount[], root: Client['root'], parent?: Client): Client {
  const shared = parent !== undefined && STACK_OPTIONS.every(name => parent.layer.layers[name] === layer.layers[name])
  const native = shared ? parent.native : createStack({ adapter, jar, options: layer.layers, closeSignal: root.closer?.signal }, transport)
  return {
    adapter,
    layer,
    jar,
    transport,
    owned,
    mounts,
    root,
    closed: false,
    closeSignals: [],
    native,
    request: shared ? parent.request : createOfetch(native),
    policy: undefined,
    stateful: false,
  }
}

/** Builds the client's stack again, after its options changed (`session.use()`). */
export function recompose(client: Client): void {
  client.defaults = undefined
  client.native = createStack({ adapter: client.adapter, jar: client.jar, options: client.layer.layers, closeSignal: client.root.closer?.signal }, client.transport)
  client.request = createOfetch(client.native)
}

/** True once the session, or the root session it was extended from, was closed. */
export function isClosed(client: Client): boolean {
  return client.closed || client.root.closed
}

/**
 * The transport of each hop of a call: the pool of the mount that holds the hop's URL, else the
 * session's, as requests picks an adapter for each request of a redirect chain. So a mount's
 * proxy, client certificate or `rejectUnauthorized: false` never serve a redirect off its prefix.
 */
export function hopTransport(client: Client): Fetch {
  if (!client.mounts.some(mount => mount.transport)) return client.transport.fetch
  return (input, init) => {
    const href = inputURL(input)
    return (findMount(client.mounts, new URL(href))?.transport ?? client.transport).fetch(input, init)
  }
}
