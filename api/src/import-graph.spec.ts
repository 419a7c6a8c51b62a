import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/** api/src, from dist/api-test/src (where this spec runs) or api/src. */
const SRC = resolve(__dirname, '..', '..', '..', 'api', 'src');

/** Every .ts module of api/src except specs and generated code, as paths relative to SRC. */
function modules(dir = SRC): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'generated') found.push(...modules(path));
    } else if (name.endsWith('.ts') && !name.endsWith('.spec.ts')) {
      found.push(relative(SRC, path));
    }
  }
  return found;
}

/** The relative imports of a module, resolved to paths relative to SRC (TypeScript's own scanner). */
function importsOf(module: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(SRC, module), 'utf8'), true, true);
  return importedFiles
    .map((file) => file.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(SRC, resolve(SRC, dirname(module), name)));
}

/** The module graph of api/src: module -> modules it imports. */
function moduleGraph(): Map<string, string[]> {
  return new Map(modules().map((module) => [module, importsOf(module)]));
}

/**
 * For the folder `parent` (relative to SRC, '' = api/src), the graph between its direct sub-folders:
 * A -> B when a module under A imports one under B. Files directly in `parent` (module and
 * composition files) are no node: a parent assembles its children.
 */
function childFolderGraph(graph: Map<string, string[]>, parent: string): Map<string, Set<string>> {
  const childOf = (path: string): string | undefined => {
    const rest =
      parent === '' ? path : path.startsWith(parent + sep) ? path.slice(parent.length + 1) : undefined;
    if (rest === undefined) return undefined;
    const parts = rest.split(sep);
    return parts.length > 1 ? parts[0] : undefined;
  };
  const edges = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const a = childOf(from);
    if (a === undefined) continue;
    for (const target of targets) {
      const b = childOf(target);
      if (b === undefined || b === a) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)?.add(b);
    }
  }
  return edges;
}

/** Pairs of folders that reach each other (a cycle), as "a -> ... -> a" strings; empty when none. */
function cycles(edges: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  for (const start of edges.keys()) {
    // Breadth-first from start; a path back to start is a cycle (reported once, from its smallest node).
    const previous = new Map<string, string>();
    const queue = [...(edges.get(start) ?? [])];
    for (const next of queue) previous.set(next, start);
    while (queue.length > 0) {
      const node = queue.shift() as string;
      if (node === start) {
        const path = [start];
        for (let at = previous.get(start); at !== undefined && at !== start; at = previous.get(at))
          path.unshift(at);
        if (path.every((name) => name >= start)) found.push([start, ...path].join(' -> '));
        break;
      }
      for (const next of edges.get(node) ?? []) {
        if (!previous.has(next)) {
          previous.set(next, node);
          queue.push(next);
        }
      }
    }
  }
  return found;
}

/** Every folder of api/src (relative to SRC; '' = api/src itself) holding a sub-folder. */
function folders(graph: Map<string, string[]>): string[] {
  const all = new Set<string>(['']);
  for (const module of graph.keys()) {
    for (let dir = dirname(module); dir !== '.'; dir = dirname(dir)) all.add(dir);
  }
  return [...all];
}

void describe('import graph of api/src (issue: one owner per invariant)', () => {
  const graph = moduleGraph();

  void it('scans the real tree (the task domain and HTTP intake are there)', () => {
    assert.ok(graph.size > 50, `only ${graph.size} modules found under ${SRC}`);
    assert.ok(graph.has(join('tasks', 'tasks.module.ts')));
    assert.ok(graph.has(join('generate', 'generate.controller.ts')));
  });

  void it('no two sibling folders import each other, at any depth', () => {
    const found = folders(graph).flatMap((parent) =>
      cycles(childFolderGraph(graph, parent)).map((cycle) => `${parent || 'api/src'}: ${cycle}`),
    );
    assert.deepEqual(found, []);
  });

  void it('generate/ is HTTP intake: only the composition root imports it', () => {
    const importers = [...graph]
      .filter(([from]) => !from.startsWith('generate' + sep) && from.includes(sep))
      .filter(([, targets]) => targets.some((target) => target.startsWith('generate' + sep)))
      .map(([from]) => from);
    assert.deepEqual(importers, []);
  });

  void it('finds a cycle when there is one (the check itself)', () => {
    const edges = new Map([
      ['run', new Set(['queue'])],
      ['queue', new Set(['state', 'run'])],
      ['state', new Set<string>()],
    ]);
    assert.deepEqual(cycles(edges), ['queue -> run -> queue']);
    assert.deepEqual(cycles(new Map([['a', new Set(['b'])]])), []);
  });
});
