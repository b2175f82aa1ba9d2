import type { Node, NodeProps } from '@xyflow/svelte';
import type { KumeoNodeData } from '../../graph/project';

export type KumeoNode = Node<KumeoNodeData>;
export type KumeoNodeProps = NodeProps<KumeoNode>;
