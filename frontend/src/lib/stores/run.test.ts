import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../api/types';
import { createFakeApi } from '../api/fake';
import { foldMetrics, nodeIdOf, RunStore, SERIES_LENGTH, sendEntries } from './run.svelte';

function snap(agent: string, rate: number, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    workflow: 'w', agent, ts: 1, events_in: 10, events_out: 9, filtered: 0, dead_lettered: 1, errors: 1, retries: 0,
    in_flight: 0, pending: 0, rate_per_s: rate, latency_ms: { count: 10, p50: 1.5, p95: 2, p99: 4.25, max: 5 }, ...extra,
  };
}

describe('foldMetrics', () => {
  it('keys by canvas node id and keeps a bounded rate history', () => {
    let m = new Map();
    for (let i = 0; i < SERIES_LENGTH + 5; i++) m = foldMetrics(m, [snap('a', i)]);
    const a = m.get(nodeIdOf({ workflow: 'w', agent: 'a' }))!;
    expect(nodeIdOf({ workflow: 'w', agent: 'a' })).toBe('w/agent/a');
    expect(a.series).toHaveLength(SERIES_LENGTH);
    expect(a.series.at(-1)).toBe(SERIES_LENGTH + 4);
    expect(a.p99).toBe(4.25);
    expect(a.errors).toBe(1);
  });
});

describe('RunStore', () => {
  it('follows metrics and status events of its run until stopped', async () => {
    const fake = createFakeApi();
    const run = new RunStore(fake.api);
    expect(await run.start('/w/flow.kumeo')).toBe(true);
    expect(run.running).toBe(true);
    fake.emit('run:run1:metrics', { snapshots: [snap('a', 3)], ledger: { ok: true } });
    expect(run.metrics.get('w/agent/a')?.rate).toBe(3);
    expect(run.snapshots.get('w/agent/a')?.events_in).toBe(10);
    fake.emit('run:run1:status', { state: 'failed', error: 'boom' });
    expect(run.running).toBe(false);
    expect(run.error).toBe('boom');
    expect(fake.listenerCount('run:run1:metrics')).toBe(0);
  });

  it('keeps why a run failed by itself until the next start', async () => {
    const fake = createFakeApi();
    const run = new RunStore(fake.api);
    await run.start('/w/flow.kumeo');
    fake.emit('run:run1:status', { id: 'run1', state: 'failed', error: 'engine: source File("/x"): read: input/output error' });
    expect(run.state).toBe('failed');
    expect(run.info).toBeNull();
    run.error = null; // the banner dismissed
    expect(run.failure).toMatch(/input\/output error/);
    await run.start('/w/flow.kumeo');
    expect(run.failure).toBeNull();
    expect(run.state).toBe('running');
  });

  it('stops the run and unsubscribes', async () => {
    const fake = createFakeApi();
    const run = new RunStore(fake.api);
    await run.start('/w/flow.kumeo');
    await run.stop();
    expect(fake.callsTo('stop')[0].args).toEqual(['run1']);
    expect(run.state).toBe('stopped');
    expect(fake.listenerCount('run:run1:status')).toBe(0);
  });

  it('refuses to send an event that is not JSON', async () => {
    const fake = createFakeApi();
    const run = new RunStore(fake.api);
    await run.start('/w/flow.kumeo');
    expect(await run.send('in', '{oops')).toBeNull();
    expect(run.error).toMatch(/not valid JSON/);
    expect(fake.callsTo('send')).toHaveLength(0);
    expect(await run.send('in', '{"a":1}')).toEqual({ eventID: 'e1', traceID: 't1' });
    expect(fake.callsTo('send')[0].args).toEqual(['run1', 'in', '{"a":1}']);
    expect(run.sentHistory.map((s) => s.payload)).toEqual(['{"a":1}']);
  });

  it('merges the recent records of every agent in order', async () => {
    const rec = (agent: string, seq: number) => ({ trace_id: 't', event_id: `e${seq}`, agent, dir: 'in', ts: seq, seq });
    const fake = createFakeApi({ records: [rec('a', 1), rec('b', 2), rec('a', 3)] });
    const run = new RunStore(fake.api);
    await run.start('/w/flow.kumeo');
    run.info = { ...run.info!, agents: ['a', 'b'] };
    await run.loadRecent('');
    expect(run.records.map((r) => r.seq)).toEqual([1, 2, 3]);
    await run.loadRecent('a');
    expect(run.records.map((r) => r.seq)).toEqual([1, 3]);
  });

  it('collects dead letters and reload results from events', async () => {
    const fake = createFakeApi();
    const run = new RunStore(fake.api);
    await run.start('/w/flow.kumeo');
    fake.emit('run:run1:deadletter', { seq: 1, agent: 'a', error: 'boom', payload: '{}', traceID: 't', ts: 1 });
    expect(run.deadLetters.map((d) => d.error)).toEqual(['boom']);
    fake.emit('run:run1:reloaded', { id: 'run1', result: { kept: ['a'], changed: [], added: [], removed: [] }, error: '', diagnostics: [] });
    expect(run.lastReload?.kept).toEqual(['a']);
    fake.emit('run:run1:reloaded', { id: 'run1', result: {}, error: 'bad plan', diagnostics: [] });
    expect(run.error).toMatch(/bad plan/);
  });
});

describe('RunStore.follow', () => {
  it('follows a run Go started for the open file, once', async () => {
    const fake = createFakeApi();
    const run = new RunStore(fake.api);
    const attached: string[] = [];
    const off = run.follow(() => '/w/flow.kumeo', (i) => attached.push(i.id));
    fake.startElsewhere('/w/other.kumeo');
    expect(run.info).toBeNull();
    const info = fake.startElsewhere('/w/flow.kumeo');
    expect(run.info?.id).toBe(info.id);
    expect(attached).toEqual([info.id]);
    expect(run.running).toBe(true);
    expect(fake.listenerCount(`run:${info.id}:metrics`)).toBe(1);
    // Our own start announces itself too; it is followed once.
    await run.start('/w/flow.kumeo');
    expect(fake.listenerCount(`run:${run.info!.id}:metrics`)).toBe(1);
    expect(attached, 'a Run-button start is not reported as taken up').toEqual([info.id]);
    off();
  });

  it('picks up a run already going when the window opens', async () => {
    const fake = createFakeApi();
    const info = fake.startElsewhere('/w/flow.kumeo');
    const run = new RunStore(fake.api);
    const attached: string[] = [];
    run.follow(() => '/w/flow.kumeo', (i) => attached.push(i.id));
    await new Promise((r) => setTimeout(r, 0));
    expect(run.info?.id).toBe(info.id);
    expect(attached).toEqual([info.id]);
  });

  it('picks up a run of a file when that file is opened later', async () => {
    const fake = createFakeApi();
    const info = fake.startElsewhere('/w/flow.kumeo');
    const run = new RunStore(fake.api);
    let path = '/w/other.kumeo';
    const off = run.follow(() => path);
    await run.pickUp();
    expect(run.info).toBeNull();
    path = '/w/flow.kumeo';
    await run.pickUp();
    expect(run.info?.id).toBe(info.id);
    off();
    // Not following any more: nothing to pick up.
    const other = new RunStore(fake.api);
    await other.pickUp();
    expect(other.info).toBeNull();
  });
});

describe('sendEntries', () => {
  const sent = (payload: string, n: number) => ({ eventID: `e${n}`, traceID: `t${n}`, payload, ts: n });
  it('puts the pinned payloads first and shows each payload once', () => {
    const list = sendEntries(
      [{ payload: '{"p":2}', ts: 2 }, { payload: '{"p":1}', ts: 1 }],
      [sent('{"s":3}', 3), sent('{"p":1}', 2), sent('{"s":3}', 1), sent('{"s":0}', 0)],
    );
    expect(list.map((e) => [e.payload, e.pinned])).toEqual([
      ['{"p":2}', true], ['{"p":1}', true], ['{"s":3}', false], ['{"s":0}', false],
    ]);
    expect(list[2].eventID).toBe('e3');
  });
});

describe('RunStore pins', () => {
  it('pins and unpins payloads for the run file and source, and loads them with the history', async () => {
    const fake = createFakeApi();
    const run = new RunStore(fake.api);
    await run.start('/w/flow.kumeo');
    run.info = { ...run.info!, path: '/w/flow.kumeo' };
    await run.send('in', '{"a":1}');
    expect(await run.pin('in', '{"a":1}')).toBe(true);
    expect(fake.callsTo('pin')[0].args).toEqual(['/w/flow.kumeo', 'in', '{"a":1}']);
    await run.pin('in', '{"b":2}');
    expect(run.pins.map((p) => p.payload)).toEqual(['{"b":2}', '{"a":1}']);

    // Another store (the app restarted) finds them with the history.
    const again = new RunStore(fake.api);
    await again.start('/w/flow.kumeo');
    again.info = { ...again.info!, path: '/w/flow.kumeo' };
    await again.loadSentHistory('in');
    expect(again.pins.map((p) => p.payload)).toEqual(['{"b":2}', '{"a":1}']);
    await again.loadSentHistory('other');
    expect(again.pins).toEqual([]);

    await again.loadSentHistory('in');
    await again.unpin('in', '{"b":2}');
    expect(again.pins.map((p) => p.payload)).toEqual(['{"a":1}']);
    expect(await again.pin('in', '{oops')).toBe(false);
    expect(again.error).toBeTruthy();
  });
});
