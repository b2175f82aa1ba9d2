// Adding things from the palette: agents go after the selected (or last)
// agent with a fresh id; sources and targets are appended. The drop point
// becomes the new node's stored position.

import type { EditOp, Point } from '../api/types';
import { workspace } from '../stores/workspace.svelte';
import { ui } from '../stores/ui.svelte';
import { agentSource, endpointSource, freshId, insertionPoint, mainWorkflow } from './actions';
import { agentNodeId } from '../api/protocol.gen';

export const PALETTE_MIME = 'application/x-kumeo-palette';

export interface PaletteItem {
  type: string;
  role: 'agent' | 'source' | 'target';
}

export async function addFromPalette(item: PaletteItem, at?: Point): Promise<boolean> {
  const spec = workspace.specs.find((s) => s.name === item.type);
  const graph = workspace.graph;
  if (!spec || !graph) return false;
  let nodeId: string;
  let op: EditOp;
  if (item.role === 'agent') {
    const ins = insertionPoint(graph, ui.selectedNodes);
    if (!ins) {
      workspace.error = 'The file has no workflow to add the agent to.';
      return false;
    }
    const id = freshId(spec.name, graph, ins.workflow);
    op = { op: 'add_agent', workflow: ins.workflow, ...(ins.after ? { after: ins.after } : {}), agent: agentSource(spec, id) };
    nodeId = agentNodeId(ins.workflow, id);
  } else {
    const wf = mainWorkflow(graph, ui.selectedNodes);
    if (!wf) {
      workspace.error = `The file has no workflow to add the ${item.role} to.`;
      return false;
    }
    const { value, address } = endpointSource(spec, item.role, graph);
    op = { op: item.role === 'source' ? 'add_source' : 'add_target', workflow: wf, value };
    nodeId = `${wf}/${item.role}/${spec.name}:${address}`;
  }
  // Placed and selected in the frame that shows it.
  return workspace.apply(op, () => {
    const node = workspace.graph?.nodes.find((n) => n.id === nodeId);
    if (!node) return;
    if (at) {
      // Inside a group, positions are relative to the group.
      let p = at;
      if (node.parent) {
        const g = workspace.layout[node.parent];
        if (g) p = { x: at.x - g.x, y: at.y - g.y };
      }
      void workspace.setPositions({ [nodeId]: p });
    }
    ui.select([nodeId]);
  });
}
