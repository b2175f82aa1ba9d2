import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { createFakeApi } from '../api/fake';
import type { DeployApi } from '../api';
import type { AgentStatus, DeployAction, DeployPreview, DeployStatus, DeployTarget } from '../api/types';
import { DeployStore, describeEvent, nodeStates } from './deploy.svelte';

const path = '/w/flow.kumeo';

function preview(agents: Record<string, DeployAction>, namespace = 'fraud'): DeployPreview {
  const changes = Object.entries(agents).map(([agent, action]) => ({ kind: 'Deployment', namespace, name: `w-${agent}`, agent, action }));
  return { workflow: 'W', namespace, context: 'kumeo-test', server: 'https://127.0.0.1:6443', changes: { workflow: 'w', namespace, changes, agents }, text: '' };
}

function status(agent: string, phase: AgentStatus['phase'], ready = phase === 'ready' ? 1 : 0): AgentStatus {
  return { agent, kind: 'Deployment', name: `w-${agent}`, desired: 1, updated: ready, ready, available: ready, restarts: 0, phase };
}

/** A store on a fake cluster whose preview answers with agents (changed by the test). */
function setup(over: Partial<DeployApi> = {}) {
  const state = { agents: { a: 'create', b: 'create' } as Record<string, DeployAction>, targets: [] as DeployTarget[], flushed: 0 };
  const fake = createFakeApi({
    deploy: {
      contexts: async () => ({ contexts: ['kumeo-test', 'prod'], current: 'prod' }),
      preview: async (t) => (state.targets.push(t), preview(state.agents, t.namespace || 'fraud')),
      status: async () => [],
      history: async () => [],
      start: async () => ({ id: 'd1', kind: 'deploy', workflow: 'W', namespace: 'fraud', context: 'kumeo-test' }),
      jobStatus: async () => ({ id: 'd1', kind: 'deploy', state: 'applying' }),
      ...over,
    },
  });
  const store = new DeployStore(fake.api, { flush: async () => void state.flushed++, debounce: 5 });
  return { fake, store, state };
}

describe('nodeStates', () => {
  it('marks each agent node with its action and its rollout', () => {
    const m = nodeStates('W', { a: 'create', b: 'unchanged' }, new Map([['b', status('b', 'progressing')], ['StatefulSet/nats', { ...status('', 'ready'), agent: undefined }]]));
    expect([...m.keys()].sort()).toEqual(['W/agent/a', 'W/agent/b']);
    expect(m.get('W/agent/a')).toEqual({ action: 'create', phase: null, ready: 0, desired: 0, reason: '' });
    expect(m.get('W/agent/b')).toMatchObject({ action: 'unchanged', phase: 'progressing', ready: 0, desired: 1 });
    expect(nodeStates('', { a: 'create' }, new Map()).size).toBe(0);
  });
});

describe('DeployStore', () => {
  it('picks the current context and previews the flushed text with it', async () => {
    const { store, state } = setup();
    await store.refresh(path);
    expect(store.context).toBe('prod');
    expect(state.flushed).toBe(1);
    expect(state.targets).toEqual([{ path, workflow: '', context: 'prod', namespace: '' }]);
    expect(store.counts).toEqual({ create: 2, update: 0, prune: 0, unchanged: 0 });
    expect(store.overlay).toBeNull();
    store.visible = true;
    expect(store.overlay?.get('W/agent/a')?.action).toBe('create');
  });

  it('shows a coded error of the cluster and keeps no stale change set', async () => {
    const { store } = setup({ preview: () => Promise.reject(new ApiError('cluster_unreachable', 'cluster not reachable: https://x')) });
    await store.refresh(path);
    expect(store.preview).toBeNull();
    expect(store.previewCode).toBe('cluster_unreachable');
    expect(store.previewError).toContain('https://x');
  });

  it('keeps only the newest preview when answers cross', async () => {
    let release: (p: DeployPreview) => void = () => {};
    let calls = 0;
    const { store } = setup({
      preview: () => (++calls === 1 ? new Promise<DeployPreview>((r) => (release = r)) : Promise.resolve(preview({ a: 'update' }))),
    });
    await store.loadContexts();
    const first = store.loadPreview(path);
    await store.loadPreview(path);
    release(preview({ a: 'create' }));
    expect(await first).toBe(false);
    expect(store.preview?.changes.agents).toEqual({ a: 'update' });
  });

  it('follows a deploy: progress, rollout per agent, the outcome, then compares again', async () => {
    const { fake, store, state } = setup();
    await store.refresh(path);
    expect(await store.deploy(path)).toBe(true);
    expect(store.busy).toBe(true);
    fake.emit('deploy:d1:event', { id: 'd1', step: 'apply', change: { kind: 'Deployment', namespace: 'fraud', name: 'w-a', action: 'create' } });
    fake.emit('deploy:d1:event', { id: 'd1', step: 'rollout', agent: status('a', 'progressing') });
    store.visible = false;
    expect(store.overlay?.get('W/agent/a')?.phase).toBe('progressing');
    fake.emit('deploy:d1:event', { id: 'd1', step: 'rollout', agent: status('a', 'ready') });
    expect(store.log.map((l) => l.text)).toContain('apply fraud Deployment/w-a');
    state.agents = { a: 'unchanged', b: 'unchanged' };
    const done: DeployStatus = { id: 'd1', kind: 'deploy', state: 'done', revision: 3, agents: [status('a', 'ready'), status('b', 'ready')] };
    fake.emit('deploy:d1:status', done);
    expect(store.busy).toBe(false);
    expect(store.revision).toBe(3);
    expect(fake.listenerCount('deploy:d1:event')).toBe(0);
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(store.preview?.changes.agents).toEqual({ a: 'unchanged', b: 'unchanged' });
    store.visible = true;
    expect(store.overlay?.get('W/agent/b')).toMatchObject({ action: 'unchanged', phase: 'ready', ready: 1 });
  });

  it('reads an outcome the job reported before the window listened', async () => {
    const { store } = setup({ jobStatus: async () => ({ id: 'd1', kind: 'deploy', state: 'failed', error: 'cluster not reachable', code: 'cluster_unreachable' }) });
    await store.refresh(path);
    await store.deploy(path);
    expect(store.jobState).toBe('failed');
    expect(store.jobCode).toBe('cluster_unreachable');
  });

  it('reports a job that cannot start', async () => {
    const { store } = setup({ start: () => Promise.reject(new ApiError('deploy_busy', 'a deploy is already running: deploy d1')) });
    await store.refresh(path);
    expect(await store.deploy(path)).toBe(false);
    expect(store.jobState).toBe('failed');
    expect(store.jobCode).toBe('deploy_busy');
  });

  it('refreshes the change set once edits pause: one preview for a burst', async () => {
    const { store, state } = setup();
    await store.refresh(path);
    const before = state.targets.length;
    store.schedule(path);
    store.schedule(path);
    await new Promise((r) => setTimeout(r, 30));
    expect(state.targets.length).toBe(before + 1);
  });

  it('switches the canvas metrics between the local run and the cluster', async () => {
    const local = new Map([['W/agent/a', { rate: 1, p50: 0, p99: 0, errors: 0, in: 0, out: 0, inFlight: 0, deadLettered: 0, series: [1] }]]);
    const none = setup();
    await none.store.refresh(path);
    expect(await none.store.setMetricsSource('cluster', path)).toBe(false);
    expect(none.store.metricsSource).toBe('local');
    expect(none.store.metricsError).toContain('kubeconfig');
    expect(none.store.canvasMetrics(local)).toBe(local);

    const { fake, store } = setup({ watchMetrics: async () => ({ id: 'm1', workflow: 'W', namespace: 'fraud', context: 'prod' }), stopMetrics: async () => {} });
    await store.refresh(path);
    expect(await store.setMetricsSource('cluster', path)).toBe(true);
    fake.emit('deploy:m1:metrics', {
      id: 'm1', connected: true, via: 'pod nats-0 through the API server', ageMs: 20,
      snapshots: [{ workflow: 'W', agent: 'a', ts: 1, events_in: 5, events_out: 5, filtered: 0, dead_lettered: 0, errors: 0, retries: 0, in_flight: 0, pending: 0, rate_per_s: 7, latency_ms: { count: 1, p50: 1, p95: 1, p99: 1, max: 1 }, replicas: 2, stale: false }],
    });
    expect(store.canvasMetrics(local).get('W/agent/a')?.rate).toBe(7);
    expect(store.clusterLink).toEqual({ connected: true, via: 'pod nats-0 through the API server', error: '', ageMs: 20 });
    await store.setMetricsSource('local', path);
    expect(fake.callsTo('deploy.stopMetrics').map((c) => c.args)).toEqual([['m1']]);
    expect(fake.listenerCount('deploy:m1:metrics')).toBe(0);
    expect(store.canvasMetrics(local)).toBe(local);
    expect(store.clusterLink).toBeNull();
  });

  it('describes progress events as lines', () => {
    expect(describeEvent({ id: 'd1', step: 'rollout', agent: { ...status('a', 'failed'), reason: 'ImagePullBackOff' } })).toEqual({
      step: 'rollout', text: 'rollout Deployment/w-a 0/1 ready, failed: ImagePullBackOff', failed: true,
    });
    expect(describeEvent({ id: 'd1', step: 'record', message: 'recorded as revision 2' }).text).toBe('record recorded as revision 2');
  });
});
