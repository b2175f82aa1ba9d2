// The shapes of the canvas: the Svelte Flow nodes and edges project()
// makes, and the data their components receive.

import type { DeployAction, GraphEdge, NodeKind, Point, RolloutPhase, Severity } from '../api/types';

/** Live numbers shown on a node during a run. */
export interface NodeMetrics {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  in: number;
  out: number;
  inFlight: number;
  deadLettered: number;
  /** Recent rates, oldest first, for the sparkline. */
  series: number[];
}

/** An agent in the cluster: what a deploy would do to it, and its rollout. */
export interface NodeDeploy {
  /** The change set's action on the agent's objects; null when there is no change set. */
  action: DeployAction | null;
  /** Its rollout; null before the cluster was read. */
  phase: RolloutPhase | null;
  ready: number;
  desired: number;
  /** Why the rollout waits or fails. */
  reason: string;
}

export interface Problem {
  severity: Severity;
  code: string;
  summary: string;
}

/** What a node component receives as `data`. */
export interface KumeoNodeData extends Record<string, unknown> {
  kind: NodeKind;
  type: string;
  label: string;
  workflow: string;
  agentId: string;
  known: boolean;
  props: Record<string, string>;
  /** Problems whose range falls inside this node (innermost node only). */
  problems: Problem[];
  errors: number;
  warnings: number;
  metrics: NodeMetrics | null;
  running: boolean;
  /** The agent in the cluster, while the deploy panel shows. */
  deploy?: NodeDeploy | null;
}

export interface KumeoEdgeData extends Record<string, unknown> {
  kind: GraphEdge['kind'];
  channel: string;
  /**
   * Where along the edge its label sits (0 at the source, 1 at the target),
   * or null when it would cover another label: then it shows only while the
   * edge is hovered or selected.
   */
  labelAt: number | null;
  /** Diagnostics inside the edge's own text (a route's rule, say). */
  problems?: Problem[];
}

export interface FlowNode {
  id: string;
  type: NodeKind;
  position: Point;
  data: KumeoNodeData;
  parentId?: string;
  width?: number;
  height?: number;
  /** The drawn size before the node is measured (culling, fitting). */
  initialWidth?: number;
  initialHeight?: number;
  selected?: boolean;
  class?: string;
  zIndex?: number;
  deletable?: boolean;
  connectable?: boolean;
}

export interface FlowEdge {
  id: string;
  type: 'kumeo';
  source: string;
  target: string;
  sourceHandle: string;
  targetHandle: string;
  label?: string;
  animated: boolean;
  class: string;
  data: KumeoEdgeData;
  selected?: boolean;
  deletable?: boolean;
}
