// UI performance benchmark: the built frontend against the real Go services
// (the e2e harness), in Chromium. See e2e/README.md for the method.
//
//   node e2e/bench.mjs [--rounds 3] [--reps 20] [--seconds 3] [--json out.json]
//
// Three measurements, each repeated --rounds times on a fresh page:
//   edit    a generated 500-agent workflow; canvas actions (inline rename,
//           add from the palette, delete) from the user's input event to the
//           first frame painted after both the editor text and the canvas
//           show the new graph;
//   typing  one keystroke in the editor that renames an agent, to the first
//           frame painted with the canvas showing it (debounce included;
//           at least 20 keystrokes whatever --reps says);
//   fps     a generated 2,000-agent workflow; frame times from
//           requestAnimationFrame while panning the pane with the mouse and
//           while dragging a node, at the zoom the file opens with and with
//           the whole graph fitted in view.
// Prints a table, then one JSON line (the last line of output).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, removeDir, skipReason, startHarness, workspaceDir } from './harness.mjs';

const TARGET = { editMs: 50, typingMs: 100, fps: 30 };

const opts = { rounds: 3, reps: 20, seconds: 3, json: '' };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i].replace(/^--?/, '');
  const v = process.argv[++i];
  if (!(a in opts) || v === undefined) {
    console.error(`usage: node e2e/bench.mjs [--rounds N] [--reps N] [--seconds S] [--json FILE]`);
    process.exit(2);
  }
  opts[a] = typeof opts[a] === 'number' ? Number(v) : v;
}

const WF = 'GeneratedFraud';
const agent = (id) => `${WF}/agent/${id}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- statistics -----------------------------------------------------------

function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}
const median = (xs) => quantile(xs, 0.5);
const round1 = (x) => Math.round(x * 10) / 10;

/** Median over rounds of a per-round figure, with its min and max. */
function acrossRounds(values) {
  return { median: round1(median(values)), min: round1(Math.min(...values)), max: round1(Math.max(...values)) };
}

// ---- in-page probes -------------------------------------------------------

/**
 * Installed in the page: window.__bench.
 *   arm(trigger, expect)  resolves, after the next matching input event,
 *                         to the ms from that event to the first frame
 *                         painted once `expect` holds;
 *   frames.start()/stop() records requestAnimationFrame timestamps.
 * expect: { node, label, gone, text, textGone } — a canvas node (by id,
 * optionally showing label) is drawn, another one is gone, the editor's
 * text holds / no longer holds a snippet.
 */
function installProbe() {
  const text = () => document.querySelector('[data-testid=editor]').kumeoText();
  const nodeEl = (id) => document.querySelector(`.svelte-flow__node[data-id="${CSS.escape(id)}"]`);
  const holds = (x) => {
    if (x.node) {
      const el = nodeEl(x.node);
      if (!el) return false;
      if (x.label && el.querySelector('.label')?.textContent !== x.label) return false;
    }
    if (x.gone && nodeEl(x.gone)) return false;
    if (x.text || x.textGone) {
      const t = text();
      if (x.text && !t.includes(x.text)) return false;
      if (x.textGone && t.includes(x.textGone)) return false;
    }
    return true;
  };
  // Resolves to performance.now() once the frame after `expect` holding is painted.
  const painted = (expect, timeoutMs) =>
    new Promise((resolve, reject) => {
      let done = false;
      let raf = 0;
      const obs = new MutationObserver(() => check());
      const timer = setTimeout(() => stop(() => reject(new Error(`timeout waiting for ${JSON.stringify(expect)}`))), timeoutMs);
      const stop = (then) => {
        done = true;
        obs.disconnect();
        cancelAnimationFrame(raf);
        clearTimeout(timer);
        then();
      };
      const check = () => {
        if (done || !holds(expect)) return;
        // rAF runs before the frame's style, layout and paint; a task
        // queued from it runs after them.
        stop(() => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)));
      };
      obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-id'] });
      const loop = () => {
        check();
        if (!done) raf = requestAnimationFrame(loop);
      };
      raf = requestAnimationFrame(loop);
    });
  const frames = { times: [], on: false };
  const tick = (t) => {
    if (!frames.on) return;
    frames.times.push(t);
    requestAnimationFrame(tick);
  };
  window.__bench = {
    holds,
    arm(trigger, expect, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const never = setTimeout(() => {
          document.removeEventListener(trigger.type, on, true);
          reject(new Error(`no ${trigger.type} event ${JSON.stringify(trigger)}`));
        }, timeoutMs);
        const on = (e) => {
          if (trigger.key && e.key !== trigger.key) return;
          if (trigger.selector && !e.target.closest?.(trigger.selector)) return;
          document.removeEventListener(trigger.type, on, true);
          clearTimeout(never);
          // The event's timestamp is when the input happened, on the clock of performance.now().
          const t0 = e.timeStamp;
          painted(expect, timeoutMs).then((t1) => resolve(t1 - t0), reject);
        };
        document.addEventListener(trigger.type, on, true);
      });
    },
    frames: {
      start() {
        frames.times = [];
        frames.on = true;
        requestAnimationFrame(tick);
      },
      stop() {
        frames.on = false;
        return frames.times;
      },
    },
  };
}

/** Arms the probe in the page, runs act, and returns the measured ms. */
async function measure(page, trigger, expect, act) {
  const handle = page.evaluate(([t, x]) => window.__bench.arm(t, x), [trigger, expect]);
  await sleep(20);
  await act();
  try {
    const ms = await handle;
    if (process.env.KUMEO_BENCH_VERBOSE) console.log(`  ${JSON.stringify(expect)}: ${round1(ms)} ms`);
    return ms;
  } catch (e) {
    if (process.env.KUMEO_BENCH_SHOT) await page.screenshot({ path: process.env.KUMEO_BENCH_SHOT });
    throw e;
  }
}

// ---- pages ----------------------------------------------------------------

async function openPage(browser, url, file) {
  if (process.env.KUMEO_BENCH_VERBOSE) console.log(`open ${file}`);
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(url);
  await page.waitForSelector(`[data-testid=sidebar] button:has-text("${file}")`);
  // The file list and the recent files may both name it.
  await page.locator(`[data-testid=sidebar] button:has-text("${file}")`).first().click();
  const discard = page.locator('[role=dialog] button:has-text("Don’t save")');
  if (await discard.isVisible({ timeout: 300 }).catch(() => false)) await discard.click();
  await page.waitForFunction((n) => document.querySelector('[data-testid=file-name]')?.textContent?.startsWith(n), file);
  // Laid out, fitted and drawn.
  await page.waitForSelector('.flow[data-layout=ready] [data-testid=agent-node]', { timeout: 120000 });
  await sleep(800);
  await page.evaluate(installProbe);
  return page;
}

const nodeLoc = (page, id) => page.locator(`[data-testid=agent-node][data-id="${id}"]`);

/** Ids of the agent nodes drawn inside the canvas' visible box, by distance to its centre. */
async function visibleAgents(page) {
  return page.evaluate(() => {
    const pane = document.querySelector('.svelte-flow').getBoundingClientRect();
    const cx = pane.x + pane.width / 2;
    const cy = pane.y + pane.height / 2;
    const out = [];
    for (const el of document.querySelectorAll('[data-testid=agent-node]')) {
      const r = el.getBoundingClientRect();
      if (r.x < pane.x + 20 || r.y < pane.y + 60 || r.right > pane.right - 180 || r.bottom > pane.bottom - 120) continue;
      out.push({ id: el.dataset.id, d: Math.hypot(r.x + r.width / 2 - cx, r.y + r.height / 2 - cy) });
    }
    return out.sort((a, b) => a.d - b.d).map((x) => x.id);
  });
}

/** Clicks a node until the canvas shows it selected. */
async function selectNode(page, id) {
  for (let tries = 0; tries < 5; tries++) {
    await nodeLoc(page, id).locator('.head').click();
    const ok = await page
      .waitForSelector(`.svelte-flow__node.selected[data-id="${id}"]`, { timeout: 1000 })
      .then(() => true, () => false);
    if (ok) return;
  }
  throw new Error(`cannot select ${id}`);
}

// ---- edit -----------------------------------------------------------------

async function benchEdit(browser, url) {
  const page = await openPage(browser, url, 'big500.kumeo');
  const visible = await visibleAgents(page);
  if (visible.length === 0) throw new Error('no agent visible on the canvas');
  const target = visible[0];
  const base = target.split('/').pop();
  const out = { rename: [], add: [], delete: [] };
  let name = base;
  for (let i = 0; i < opts.reps; i++) {
    // Inline rename: double-click the label, type, Enter.
    const next = i % 2 === 0 ? `${base}_r` : base;
    await nodeLoc(page, agent(name)).locator('.label').dblclick();
    await page.keyboard.press('Control+a');
    await page.keyboard.type(next);
    out.rename.push(
      await measure(page, { type: 'keydown', key: 'Enter' }, { node: agent(next), label: next, gone: agent(name), text: `id: "${next}"` }, () => page.keyboard.press('Enter')),
    );
    name = next;
    await sleep(150);
    // Add an LLM after it from the palette, then delete it.
    await selectNode(page, agent(name));
    out.add.push(
      await measure(page, { type: 'click', selector: '[data-testid="palette-agent-LLM"]' }, { node: agent('llm'), text: 'LLM(id: "llm"' }, () =>
        page.locator('[data-testid="palette-agent-LLM"]').click(),
      ),
    );
    await sleep(150);
    await selectNode(page, agent('llm'));
    out.delete.push(
      await measure(page, { type: 'keydown', key: 'Delete' }, { gone: agent('llm'), textGone: 'LLM(id: "llm"' }, () => page.keyboard.press('Delete')),
    );
    await sleep(150);
  }
  const errors = page.errors;
  await page.close();
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  return out;
}

// ---- typing ---------------------------------------------------------------

async function benchTyping(browser, url) {
  const page = await openPage(browser, url, 'big500.kumeo');
  const id = (await visibleAgents(page))[0];
  if (!id) throw new Error('no agent visible on the canvas');
  const base = id.split('/').pop();
  // Alt+click reveals the node's text in the editor; put the cursor at the
  // end of its id string ("prep_N|").
  await nodeLoc(page, id).click({ modifiers: ['Alt'] });
  await page.waitForFunction(() => document.activeElement?.closest('.cm-content'));
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  const out = [];
  for (let i = 0; i < Math.max(opts.reps, 20); i++) {
    const typing = i % 2 === 0;
    const to = typing ? `${base}x` : base;
    const from = typing ? base : `${base}x`;
    out.push(
      await measure(page, { type: 'keydown', key: typing ? 'x' : 'Backspace' }, { node: agent(to), label: to, gone: agent(from) }, () =>
        page.keyboard.press(typing ? 'x' : 'Backspace'),
      ),
    );
    await sleep(250);
  }
  const errors = page.errors;
  await page.close();
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  return out;
}

// ---- frames per second ----------------------------------------------------

function frameStats(times) {
  const d = [];
  for (let i = 1; i < times.length; i++) d.push(times[i] - times[i - 1]);
  const span = times.length > 1 ? times[times.length - 1] - times[0] : NaN;
  return { fps: ((times.length - 1) * 1000) / span, p95: quantile(d, 0.95), worst: Math.max(...d), frames: times.length };
}

/** A point of the pane with no node under it, near the canvas centre. */
async function emptyPanePoint(page) {
  return page.evaluate(() => {
    const r = document.querySelector('.svelte-flow').getBoundingClientRect();
    const cx = r.x + r.width / 2;
    const cy = r.y + r.height / 2;
    let best = null;
    for (let dy = -r.height / 3; dy <= r.height / 3; dy += 6) {
      for (let dx = -r.width / 3; dx <= r.width / 3; dx += 6) {
        const el = document.elementFromPoint(cx + dx, cy + dy);
        if (el?.classList.contains('svelte-flow__pane')) {
          const d = Math.hypot(dx, dy);
          if (!best || d < best.d) best = { x: cx + dx, y: cy + dy, d };
        }
      }
    }
    return best;
  });
}

/** Moves the pressed mouse around (x, y) for the given seconds, recording frames. */
async function wiggle(page, x, y, seconds, radius) {
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.evaluate(() => window.__bench.frames.start());
  const start = Date.now();
  let a = 0;
  while (Date.now() - start < seconds * 1000) {
    a += 0.12;
    await page.mouse.move(x + Math.sin(a) * radius, y + Math.sin(a * 0.7) * radius * 0.6);
  }
  const times = await page.evaluate(() => window.__bench.frames.stop());
  // Back where it started, so the view (or the node) ends where it was.
  await page.mouse.move(x, y, { steps: 4 });
  await page.mouse.up();
  return frameStats(times);
}

async function benchFps(browser, url) {
  const page = await openPage(browser, url, 'big2000.kumeo');
  const nodes = await page.evaluate(() => document.querySelectorAll('.svelte-flow__node').length);
  const total = await page.evaluate(() => Number(document.querySelector('.flow').dataset.nodes ?? 0));
  const out = { drawn: nodes, total };
  const pan = async () => {
    const p = await emptyPanePoint(page);
    if (!p) throw new Error('no empty spot on the pane to drag');
    return wiggle(page, p.x, p.y, opts.seconds, 160);
  };
  const drag = async () => {
    const id = (await visibleAgents(page))[0];
    const b = await nodeLoc(page, id).boundingBox();
    return wiggle(page, b.x + 40, b.y + 12, opts.seconds, 120);
  };
  if (process.env.KUMEO_BENCH_VERBOSE) console.log('pan, drag');
  out.pan = await pan();
  out.drag = await drag();
  // The whole graph in view: every node drawn.
  await page.locator('.svelte-flow__controls-fitview').click();
  await sleep(1500);
  out.drawnOverview = await page.evaluate(() => document.querySelectorAll('.svelte-flow__node').length);
  out.panOverview = await pan();
  const errors = page.errors;
  await page.close();
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  return out;
}

// ---- main -----------------------------------------------------------------

async function main() {
  const skip = skipReason();
  if (skip) {
    console.error(`bench-ui: ${skip}`);
    process.exit(1);
  }
  const work = workspaceDir('kumeo-bench-');
  const harness = await startHarness(work, { generate: 'big500.kumeo=500,big2000.kumeo=2000', open: join(work, 'big500.kumeo') });
  const browser = await launchBrowser();
  const rounds = [];
  try {
    for (let r = 0; r < opts.rounds; r++) {
      const edit = await benchEdit(browser, harness.url);
      const typing = await benchTyping(browser, harness.url);
      const fps = await benchFps(browser, harness.url);
      const all = [...edit.rename, ...edit.add, ...edit.delete];
      const round = {
        edit_p50: median(all), edit_p95: quantile(all, 0.95),
        rename_p50: median(edit.rename), add_p50: median(edit.add), delete_p50: median(edit.delete),
        typing_p50: median(typing), typing_p95: quantile(typing, 0.95),
        pan_fps: fps.pan.fps, pan_p95: fps.pan.p95, pan_worst: fps.pan.worst,
        drag_fps: fps.drag.fps, drag_p95: fps.drag.p95, drag_worst: fps.drag.worst,
        overview_fps: fps.panOverview.fps, overview_p95: fps.panOverview.p95, overview_worst: fps.panOverview.worst,
        nodes_total: fps.total, nodes_drawn: fps.drawn, nodes_drawn_overview: fps.drawnOverview,
      };
      rounds.push(round);
      console.log(`round ${r + 1}/${opts.rounds}: ` + Object.entries(round).map(([k, v]) => `${k}=${round1(v)}`).join(' '));
    }
  } finally {
    await browser.close();
    await harness.stop();
    removeDir(work);
  }
  const get = (k) => acrossRounds(rounds.map((x) => x[k]));
  const rows = [
    ['canvas edit → text + canvas, p50 (ms)', get('edit_p50'), `< ${TARGET.editMs}`],
    ['canvas edit → text + canvas, p95 (ms)', get('edit_p95'), `< ${TARGET.editMs}`],
    ['  rename p50 (ms)', get('rename_p50'), ''],
    ['  add from palette p50 (ms)', get('add_p50'), ''],
    ['  delete p50 (ms)', get('delete_p50'), ''],
    ['keystroke → canvas, p50 (ms)', get('typing_p50'), `< ${TARGET.typingMs}`],
    ['keystroke → canvas, p95 (ms)', get('typing_p95'), `< ${TARGET.typingMs}`],
    ['pan, fps', get('pan_fps'), `≥ ${TARGET.fps}`],
    ['  pan p95 / worst frame (ms)', get('pan_p95'), ''],
    ['', get('pan_worst'), ''],
    ['node drag, fps', get('drag_fps'), `≥ ${TARGET.fps}`],
    ['  drag p95 / worst frame (ms)', get('drag_p95'), ''],
    ['', get('drag_worst'), ''],
    ['pan, whole graph in view, fps', get('overview_fps'), `(≥ ${TARGET.fps})`],
    ['  p95 / worst frame (ms)', get('overview_p95'), ''],
    ['', get('overview_worst'), ''],
  ];
  console.log(`\nKumeo UI benchmark — ${opts.rounds} rounds × ${opts.reps} repetitions; fps over ${opts.seconds} s; ` +
    `${rounds[0].nodes_total} nodes in the big workflow, ${rounds[0].nodes_drawn} drawn at the opening zoom, ${rounds[0].nodes_drawn_overview} with all in view`);
  console.log('measure'.padEnd(40) + 'median'.padStart(9) + '   min–max'.padEnd(18) + 'target');
  for (const [name, s, target] of rows) {
    console.log((name || '      worst frame (ms)').padEnd(40) + String(s.median).padStart(9) + `   ${s.min}–${s.max}`.padEnd(18) + target);
  }
  const result = {
    ui_edit_ms_p50: get('edit_p50').median,
    ui_edit_ms_p95: get('edit_p95').median,
    ui_typing_ms_p50: get('typing_p50').median,
    ui_typing_ms_p95: get('typing_p95').median,
    ui_pan_fps: get('pan_fps').median,
    ui_pan_frame_ms_p95: get('pan_p95').median,
    ui_pan_frame_ms_worst: get('pan_worst').median,
    ui_drag_fps: get('drag_fps').median,
    ui_drag_frame_ms_p95: get('drag_p95').median,
    ui_drag_frame_ms_worst: get('drag_worst').median,
    ui_overview_pan_fps: get('overview_fps').median,
    rounds: opts.rounds,
    reps: opts.reps,
  };
  result.targets_met =
    result.ui_edit_ms_p95 < TARGET.editMs && result.ui_typing_ms_p95 < TARGET.typingMs && result.ui_pan_fps >= TARGET.fps && result.ui_drag_fps >= TARGET.fps;
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ ...result, per_round: rounds }, null, 2));
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
