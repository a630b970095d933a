import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The rooms' rules (docs/architecture.md): no import circle among the sources, type-only imports included
 * (a circle of types is still two files that cannot be read apart), and dynamic `import()`s counted too.
 */
const ROOTS = ["functions", "infra", "workflows"];

function sourcesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

/** Each source's relative imports (static, type-only, re-exports and dynamic), as repository paths. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const targets: string[] = [];
    for (const match of text.matchAll(
      /(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/gs,
    )) {
      const specifier = match[1] ?? match[2] ?? "";
      const target = relative(".", resolve(dirname(file), specifier)).replace(/\.js$/, ".ts");
      if (known.has(target)) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan), each a circle of imports. */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file) ?? 0, index.get(next) ?? 0));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

describe("the rooms", () => {
  it("have no import circle, type-only and dynamic imports included", () => {
    const graph = importGraph(ROOTS.flatMap(sourcesUnder));

    const found = circles(graph);

    expect(found).toEqual([]);
  });

  it("the circle finder finds a circle when there is one", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);

    const found = circles(graph);

    expect(found).toEqual([["a.ts", "b.ts", "c.ts"]]);
  });

  it("the domain core imports no local tool, adapter, provider or handler", () => {
    const graph = importGraph(sourcesUnder("functions/core"));

    const outward = [...graph.keys()].flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => /from "(\.\.\/)+(local|adapters|providers|handlers|lambda)\//.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );

    expect(outward).toEqual([]);
  });

  it("keep every source file under 400 lines and every function under 100, tests and benchmarks included", () => {
    const files = [...ROOTS, "tests", "bench"].flatMap(sourcesUnder);

    const long = files.flatMap((file) => {
      const text = readFileSync(file, "utf8");
      const lines = text.split("\n").length;
      return [...(lines > 400 ? [`${file}: ${lines} lines`] : []), ...longFunctions(file, text)];
    });

    expect(long).toEqual([]);
  });
});

/** A test file's `describe(…, () => {…})` callback: a group of tests, each held to the limit on its own. */
function isDescribeBlock(node: ts.Node): boolean {
  const call = node.parent;
  if (!call || !ts.isCallExpression(call)) return false;
  const callee = ts.isPropertyAccessExpression(call.expression)
    ? call.expression.expression
    : call.expression;
  return ts.isIdentifier(callee) && callee.text === "describe";
}

/** Functions, methods, arrows and constructors of a source longer than 100 lines, as `file:line`. */
function longFunctions(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const isFunction =
      ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node) ||
      ts.isConstructorDeclaration(node);
    if (isFunction && node.body && !isDescribeBlock(node)) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      if (last - first + 1 > 100) found.push(`${file}:${first + 1}: a function of ${last - first + 1} lines`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
