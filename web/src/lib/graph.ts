// The task graph of a flow run (GET /flow_runs/{id}/graph) and its layout.
import type { StateType } from './states';

export interface GraphNode {
  id: string;
  name: string;
  upstream_dependencies: { id?: string | null; input_type?: string }[];
  state?: { type?: StateType; name?: string; timestamp?: string | null } | null;
  expected_start_time?: string | null;
  start_time?: string | null;
  end_time?: string | null;
  total_run_time?: number;
  estimated_run_time?: number;
}

export interface Layout {
  /** Column (dependency depth) of each node, by index in nodes. */
  level: Int32Array;
  /** Row within its column. */
  row: Int32Array;
  columns: number[][];
  edges: [number, number][];
}

/**
 * Layers the DAG: a node's column is one more than its deepest upstream
 * (longest path from a root), rows follow start time. Cycles cannot occur
 * in task inputs, but unknown upstream ids (another run's tasks) are skipped
 * and a guard keeps any malformed input from looping.
 */
export function layout(nodes: GraphNode[]): Layout {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const ups: number[][] = nodes.map(() => []);
  const edges: [number, number][] = [];
  nodes.forEach((n, i) => {
    const seen = new Set<number>();
    for (const u of n.upstream_dependencies ?? []) {
      const j = u.id ? index.get(u.id) : undefined;
      if (j === undefined || j === i || seen.has(j)) continue;
      seen.add(j);
      ups[i].push(j);
      edges.push([j, i]);
    }
  });
  const level = new Int32Array(nodes.length).fill(-1);
  const visiting = new Uint8Array(nodes.length);
  const depth = (start: number): number => {
    // Iterative DFS: 5,000-long chains would overflow recursion.
    const stack: number[] = [start];
    while (stack.length) {
      const i = stack[stack.length - 1];
      if (level[i] >= 0) {
        stack.pop();
        continue;
      }
      visiting[i] = 1;
      let pending = false;
      for (const j of ups[i]) {
        if (level[j] < 0 && !visiting[j]) {
          stack.push(j);
          pending = true;
        }
      }
      if (pending) continue;
      let d = 0;
      for (const j of ups[i]) if (level[j] >= 0) d = Math.max(d, level[j] + 1);
      level[i] = d;
      visiting[i] = 0;
      stack.pop();
    }
    return level[start];
  };
  nodes.forEach((_, i) => depth(i));
  const columns: number[][] = [];
  nodes.forEach((_, i) => (columns[level[i]] ??= []).push(i));
  const t = (i: number) => Date.parse(nodes[i].start_time ?? nodes[i].expected_start_time ?? '') || 0;
  const row = new Int32Array(nodes.length);
  for (const col of columns) {
    if (!col) continue;
    col.sort((a, b) => t(a) - t(b) || a - b);
    col.forEach((i, r) => (row[i] = r));
  }
  return { level, row, columns: columns.map((c) => c ?? []), edges };
}
