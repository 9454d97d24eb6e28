/**
 * The shape of `src/` (issue 13): its import graph has no circle, and no function is longer than
 * 80 lines unless a comment says why ("long because", on the line before it or in its JSDoc).
 *
 * Type-only imports count: a circle of types still ties the modules to each other, and breaking
 * it costs nothing at run time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const src = resolve(import.meta.dirname, '../../src')
const MAX_LINES = 80

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

const files = sourceFiles(src)

/** Relative imports and re-exports of each file (`from '…'`, `import('…')`), resolved to files. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const targets: string[] = []
    for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
      const base = resolve(dirname(file), match[1]!)
      const target = [`${base}.ts`, join(base, 'index.ts'), base].find(path => files.includes(path))
      if (target) targets.push(target)
    }
    graph.set(file, targets)
  }
  return graph
}

/** Every circle found by a depth-first walk, each as `a.ts -> b.ts -> a.ts`. */
export function findCycles(graph: Map<string, string[]>): string[] {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const cycles: string[] = []
  const visit = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map(path => relative(src, path)).join(' -> '))
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const file of graph.keys()) {
    if (!state.has(file)) visit(file)
  }
  return cycles
}

/** Functions longer than `MAX_LINES` lines with no "long because" comment before them. */
function longFunctions(): string[] {
  const found: string[] = []
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
        const lines = end - start + 1
        if (lines > MAX_LINES && !explained(text, node, source)) {
          found.push(`${relative(src, file)}:${start + 1} ${nameOf(node)} (${lines} lines)`)
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return found
}

/** True when the comments before the function (or before the statement that holds it) say "long because". */
function explained(text: string, node: ts.Node, source: ts.SourceFile): boolean {
  for (let current: ts.Node | undefined = node; current && current !== source; current = current.parent) {
    const comments = ts.getLeadingCommentRanges(text, current.getFullStart()) ?? []
    if (comments.some(range => /long because/i.test(text.slice(range.pos, range.end)))) return true
    // Only up to the statement or member that holds it (`const x = () => …`, `export function`).
    if (ts.isStatement(current) || ts.isClassElement(current) || ts.isPropertyAssignment(current)) break
  }
  // A function made inside an explained one (`next => async (input, init) => …`) is explained by it.
  for (let parent = node.parent; parent && parent !== source; parent = parent.parent) {
    if (ts.isFunctionLike(parent)) return explained(text, parent, source)
  }
  return false
}

function nameOf(node: ts.Node): string {
  const name = (node as { name?: ts.Node }).name
  if (name && ts.isIdentifier(name)) return name.text
  const parent = node.parent
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text
  return '(anonymous)'
}

describe('architecture of src/', () => {
  it('finds the .ts files', () => {
    expect(files.length).toBeGreaterThan(20)
  })

  it('the import graph has no circle (type-only imports count)', () => {
    expect(findCycles(importGraph())).toEqual([])
  })

  it('the cycle finder sees a circle', () => {
    const a = join(src, 'a.ts')
    const b = join(src, 'b.ts')
    expect(findCycles(new Map([[a, [b]], [b, [a]]]))).toEqual(['a.ts -> b.ts -> a.ts'])
  })

  it(`no function is longer than ${MAX_LINES} lines unless a "long because" comment says why`, () => {
    expect(longFunctions()).toEqual([])
  })
})
