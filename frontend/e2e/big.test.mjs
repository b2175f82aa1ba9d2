// Browser tests of big generated workflows (the UI benchmark's setup, see
// bench.mjs): they open, are laid out, draw only what is in view at a
// readable zoom, and take an edit. Nothing here is timed. Each test has a
// session of its own (harness.mjs), so they pass in any order
// (KUMEO_E2E_ORDER, see order.mjs).

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, opened, repo, skipReason, startSession } from './harness.mjs';
import { declareTests, describe, it } from './order.mjs';

const skip = skipReason();
let browser;

before(async () => {
  if (!skip) browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/**
 * A page of a session of its own for test t whose window opened a
 * generated workflow, big500.kumeo or big2000.kumeo (the number is how many
 * agents), next to small.kumeo (the card screening example); laid out and
 * fitted. The session ends with the test.
 */
async function open(t, file) {
  const agents = /^big(\d+)\.kumeo$/.exec(file)[1];
  const session = await startSession(browser, {
    files: { 'small.kumeo': readFileSync(join(repo, 'examples', 'card_screening.kumeo'), 'utf8') },
    generate: `${file}=${agents}`,
    open: file,
  });
  t.after(() => session.close());
  const page = await session.context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(session.url);
  await opened(page, file, { timeout: 60000 });
  return page;
}

const counts = (page) =>
  page.evaluate(() => ({
    total: Number(document.querySelector('.flow').dataset.nodes),
    held: Number(document.querySelector('.flow').dataset.held),
    drawn: document.querySelectorAll('.svelte-flow__node').length,
    zoom: Number(/scale\(([\d.]+)\)/.exec(document.querySelector('.svelte-flow__viewport').style.transform)?.[1]),
  }));

describe('Big workflows', { skip }, () => {
  for (const [file, agents] of [['big500.kumeo', 500], ['big2000.kumeo', 2000]]) {
    it(`opens ${file} at a readable zoom, drawing only the nodes in view`, async (t) => {
      const page = await open(t, file);
      const c = await counts(page);
      assert.ok(c.total > agents, `${c.total} nodes projected`);
      assert.ok(c.drawn > 0 && c.drawn < c.total / 4, `${c.drawn} of ${c.total} nodes drawn`);
      // Svelte Flow holds only the nodes around the view, so an edit costs what is on screen.
      assert.ok(c.held >= c.drawn && c.held < c.total / 4, `${c.held} of ${c.total} nodes held by the canvas`);
      assert.ok(c.zoom >= 0.6, `zoom ${c.zoom}`);
      await page.waitForSelector('[data-testid=source-node]');
      assert.deepEqual(page.errors, []);
      await page.close();
    });
  }

  it('draws the edges as one path when zoomed far out, and one by one again when zoomed in', async (t) => {
    const page = await open(t, 'big500.kumeo');
    const edgeEls = () => page.evaluate(() => [...document.querySelectorAll('.svelte-flow__edge-wrapper')].filter((e) => getComputedStyle(e).display !== 'none').length);
    assert.ok((await edgeEls()) > 0, 'edges drawn one by one at the opening zoom');
    assert.equal(await page.locator('[data-testid=overview-edges]').count(), 0);
    await page.locator('.svelte-flow__controls-fitview').click();
    await page.locator('[data-testid=overview-edges]').waitFor();
    const { segments, kinds, zoom } = await page.evaluate(() => ({
      segments: [...document.querySelectorAll('[data-testid=overview-edges] path')].reduce((n, p) => n + (p.getAttribute('d').match(/M/g) ?? []).length, 0),
      kinds: [...document.querySelectorAll('[data-testid=overview-edges] path')].map((p) => p.classList[0]),
      zoom: Number(/scale\(([\d.]+)\)/.exec(document.querySelector('.svelte-flow__viewport').style.transform)?.[1]),
    }));
    assert.ok(zoom < 0.3, `zoom ${zoom}`);
    // Every edge of the graph, drawn or not: 500 agents have more than 500 connections.
    assert.ok(segments > 500, `${segments} edges in the overview path`);
    assert.equal(await edgeEls(), 0, 'no per-edge elements shown in the overview');
    // Routes keep their colour: the generated Routers' rules are route edges.
    assert.ok(kinds.includes('route') && kinds.includes('plain'), `paths by kind: ${kinds}`);
    // Zooming in on a node brings the edges back.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('prep_3');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=overview-edges]').waitFor({ state: 'detached' });
    assert.ok((await edgeEls()) > 0, 'edges drawn one by one again');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('shows every node on the minimap, which moves and zooms the view', async (t) => {
    const page = await open(t, 'big2000.kumeo');
    const map = page.locator('[data-testid=minimap] svg');
    const picture = () =>
      page.evaluate(() => {
        const d = (c) => document.querySelector(`[data-testid=minimap] path.${c}`).getAttribute('d');
        const n = (c) => (d(c).match(/M/g) ?? []).length;
        const vp = document.querySelector('.svelte-flow__viewport').style.transform;
        const [, x, y, zoom] = /translate\(([-\d.]+)px, ([-\d.]+)px\) scale\(([\d.]+)\)/.exec(vp).map(Number);
        return { rects: n('nodes') + n('errors') + n('selected'), view: d('mask').split('M')[2], x, y, zoom };
      });
    // The minimap is drawn when the window is idle.
    await page.waitForFunction(() => document.querySelector('[data-testid=minimap] path.nodes')?.getAttribute('d'));
    const first = await picture();
    const c = await counts(page);
    assert.equal(first.rects, c.total, 'every node, drawn on the canvas or not');
    // A click at the right end of the minimap brings the last chains into view.
    const box = await map.boundingBox();
    await page.mouse.click(box.x + box.width - 12, box.y + box.height / 2);
    await page.waitForFunction((x) => !document.querySelector('.svelte-flow__viewport').style.transform.startsWith(`translate(${x}px`), first.x);
    await page.waitForFunction((v) => document.querySelector('[data-testid=minimap] path.mask').getAttribute('d').split('M')[2] !== v, first.view);
    const moved = await picture();
    assert.ok(moved.x < first.x - 1000, `the view moved right: x ${first.x} → ${moved.x}`);
    assert.equal(moved.zoom, first.zoom, 'a click does not zoom');
    assert.notEqual(moved.view, first.view, 'the minimap shows the new view');
    // 2,000 agents are 500 chains of four, laid out left to right.
    const drawn = await page.evaluate(() => [...document.querySelectorAll('[data-testid=agent-node]')].map((n) => n.dataset.id));
    assert.ok(drawn.some((id) => /_4[6-9]\d$/.test(id)), `nodes of the last chains are drawn: ${drawn.slice(0, 6).join(' ')}`);
    // Dragging on the minimap pans; the wheel zooms.
    await page.mouse.move(box.x + box.width - 12, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 40, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    const dragged = await picture();
    assert.ok(dragged.x > moved.x + 100, `dragging left moves the view left: x ${moved.x} → ${dragged.x}`);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 300);
    await page.waitForFunction((z) => !document.querySelector('.svelte-flow__viewport').style.transform.endsWith(`scale(${z})`), dragged.zoom);
    assert.ok((await picture()).zoom < dragged.zoom, 'the wheel zooms out');
    // Another file opened from here, far from its nodes, is fitted and drawn.
    await page.mouse.click(box.x + box.width - 6, box.y + box.height / 2);
    await page.locator('[data-testid=sidebar] button:has-text("small.kumeo")').first().click();
    // The window is slow here (about a thousand nodes drawn far out): a
    // click and the switch can take seconds each on a busy machine.
    await opened(page, 'small.kumeo', { timeout: 60000 });
    await page.waitForSelector('[data-testid=agent-node][data-id^="CardScreening/agent/"]');
    const small = await counts(page);
    assert.ok(small.total < 20 && small.drawn > 0, `${small.drawn} of ${small.total} nodes drawn`);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('renames an agent of the 500-agent workflow from the canvas; nothing else moves', async (t) => {
    const page = await open(t, 'big500.kumeo');
    const node = (id) => page.locator(`[data-testid=agent-node][data-id="GeneratedFraud/agent/${id}"]`);
    const before = await node('policy_0').boundingBox();
    await node('prep_0').locator('.label').dblclick();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('first');
    await page.keyboard.press('Enter');
    await node('first').waitFor();
    assert.match(await page.evaluate(() => document.querySelector('[data-testid=editor]').kumeoText()), /id: "first"/);
    assert.deepEqual(await node('policy_0').boundingBox(), before);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});

declareTests();
