/**
 * The user's layers (`use`, `session.use()`): middleware the caller adds to a session, below the
 * redirects, the auth and the cookies and above the limiter and the transport, so each sees every
 * attempt and every redirect hop as it goes on the wire, with the `Cookie` and `Authorization`
 * headers already set (issue 13 item 4).
 *
 * @module
 */
import { invalidOption } from './errors'
import type { LayerSpec, Middleware, ReadContext } from './layer'
import { own } from './own'
import type { Fetch } from './types'

/** Checks a `use` option: a function or an array of functions, as a new array. */
export function checkUse(value: unknown): Middleware[] {
  const list = Array.isArray(value) ? value : [value]
  for (const layer of list) {
    if (typeof layer !== 'function') throw invalidOption('use', '`use` must be a layer, `(next) => (input, init) => Promise<Response>`, or an array of them')
  }
  return list.slice() as Middleware[]
}

function readUse(source: object, context: ReadContext): Middleware[] | undefined {
  const value = own<unknown>(source, 'use')
  if (value === undefined) return undefined
  if (context.level !== 'session') {
    throw invalidOption('use', `\`use\` adds layers to a whole session (they are composed once, not per ${context.level}): give it to createSession(), extend() or session.use()`)
  }
  return checkUse(value)
}

/** Composes the user's layers over `next`; each must give back a fetch. */
function composeUse(layers: readonly Middleware[]): Middleware {
  return (next) => {
    let fetch: Fetch = next
    for (let index = layers.length - 1; index >= 0; index--) {
      fetch = layers[index]!(fetch)
      if (typeof fetch !== 'function') throw invalidOption('use', `the layer at \`use[${index}]\` did not return a function when given \`next\`: a layer is \`(next) => (input, init) => next(input, init)\``)
    }
    return fetch
  }
}

/** The user's layers' spec: `use`, session level only; an `extend()` child's come after its parent's. */
export const userLayers: LayerSpec<Middleware[], unknown> = {
  name: 'use',
  keys: ['use'],
  read: readUse,
  merge: (base, over) => (base ? [...base, ...over] : over),
  create: ({ options }) => {
    const layers = options.use as Middleware[] | undefined
    return layers && layers.length > 0 ? composeUse(layers) : undefined
  },
}
