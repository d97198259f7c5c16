// Layers point down (sweep-spec -> workflows -> activities -> domain modules -> workers and the CLI): a cycle in the import
// graph means two modules that cannot be read, tested or changed apart. Type-only imports count too: they tie the
// modules' meanings together just the same, and a type that both sides need belongs in a module below them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const child = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(child) : child.endsWith('.ts') ? [child] : [];
  });
}

/** Each file's relative imports (static imports, `export ... from`, `import('...')`), as paths from the repository root. */
function importGraph(dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap(sourceFiles)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(path.join(root, file), 'utf8'), true, true);
    const relative = importedFiles.map((i) => i.fileName).filter((name) => name.startsWith('.'));
    graph.set(
      file,
      relative.map((name) => path.join(path.dirname(file), name.replace(/\.js$/, '.ts'))),
    );
  }
  return graph;
}

/** Every cycle's modules in import order, one per strongly connected component (Tarjan), starting at its first file. */
function cycles(graph: Map<string, string[]>): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string): void => {
    order.set(file, order.size);
    low.set(file, order.get(file)!);
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (!graph.has(dep)) continue;
      if (!order.has(dep)) {
        visit(dep);
        low.set(file, Math.min(low.get(file)!, low.get(dep)!));
      } else if (stack.includes(dep)) low.set(file, Math.min(low.get(file)!, order.get(dep)!));
    }
    if (low.get(file) !== order.get(file)) return;
    const component = stack.splice(stack.indexOf(file));
    if (component.length > 1 || graph.get(file)!.includes(file)) found.push(pathThrough(graph, new Set(component), component.sort()[0]!));
  };
  for (const file of [...graph.keys()].sort()) if (!order.has(file)) visit(file);
  return found;
}

/** One path that leaves `start` and comes back to it inside the component (breadth-first, so the shortest). */
function pathThrough(graph: Map<string, string[]>, component: Set<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const dep of graph.get(file) ?? []) {
      if (dep === start) {
        const between: string[] = [];
        for (let at = file; at !== start; at = cameFrom.get(at)!) between.unshift(at);
        return [start, ...between, start];
      }
      if (!component.has(dep) || cameFrom.has(dep)) continue;
      cameFrom.set(dep, file);
      queue.push(dep);
    }
  }
  return [start, start];
}

test('src/, workflows/ and workers/ import one another without cycles', () => {
  const graph = importGraph(['src', 'workflows', 'workers']);
  assert.ok(graph.size > 100, `the walk found the sources (${graph.size} files)`);
  assert.ok(graph.get(path.join('workflows', 'sweep.ts'))?.length, 'the walk reads imports');
  const found = cycles(graph);
  assert.deepEqual(
    found.map((cycle) => cycle.join(' -> ')),
    [],
    'import cycles',
  );
});

test('the cycle finder reports a planted cycle, with dynamic and type-only imports', () => {
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts', 'd.ts']],
    ['d.ts', []],
    ['e.ts', ['e.ts']],
  ]);
  assert.deepEqual(cycles(graph), [
    ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
    ['e.ts', 'e.ts'],
  ]);
  const { importedFiles } = ts.preProcessFile("import type { A } from './a.js';\nexport { B } from './b.js';\nconst c = await import('./c.js');\n", true, true);
  assert.deepEqual(
    importedFiles.map((i) => i.fileName),
    ['./a.js', './b.js', './c.js'],
  );
});
