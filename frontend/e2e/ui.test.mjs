// Browser tests of the built frontend against the real Go services.
//
// They start the Go e2e harness (internal/e2e/cmd/serve), which serves
// frontend/dist with a shim in place of the Wails runtime, and drive
// Debian's Chromium with playwright-core. Build first (npm run build), then
// npm run e2e. CHROMIUM names the browser (default /usr/bin/chromium);
// KUMEO_E2E_URL skips starting the harness (then files are not reset).

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, removeDir, repo, skipReason, startHarness, workspaceDir } from './harness.mjs';
import { declareTests, describe, it } from './order.mjs';

const skip = skipReason();

let harness;
let url = process.env.KUMEO_E2E_URL;
let browser;
let work;

// Each test works on its own copy of the example.
const FILES = ['rename', 'palette', 'parse', 'layout', 'connect', 'run', 'conflict', 'fix', 'groups', 'typing', 'undo-both', 'external', 'trace', 'send-pins'];

before(async () => {
  if (skip) return;
  work = workspaceDir();
  for (const f of FILES) copyFileSync(join(repo, 'examples', f === 'groups' ? 'risk_subworkflow.kumeo' : 'card_screening.kumeo'), join(work, `${f}.kumeo`));
  // A misspelled agent type for the quick-fix test.
  writeFileSync(join(work, 'fix.kumeo'), readFileSync(join(work, 'fix.kumeo'), 'utf8').replace('Router(', 'Routr('));
  if (!url) {
    harness = await startHarness(work, { open: join(work, 'rename.kumeo'), metricsInterval: '250ms' });
    url = harness.url;
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  harness?.stop();
  removeDir(work);
});

/** A page with the named copy open, canvas and text side by side. */
async function open(name) {
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(url);
  await page.waitForSelector('[data-testid=agent-node]');
  if (name !== 'rename') {
    await page.locator(`[data-testid=sidebar] button:has-text("${name}.kumeo")`).click();
    // A previous test may have left the initial file with unsaved edits.
    const discard = page.locator('[role=dialog] button:has-text("Don’t save")');
    if (await discard.isVisible({ timeout: 500 }).catch(() => false)) await discard.click();
    await page.waitForFunction((n) => document.querySelector('[data-testid=file-name]')?.textContent?.startsWith(n), `${name}.kumeo`);
  }
  await page.waitForTimeout(500);
  return page;
}

const text = (page) => page.evaluate(() => document.querySelector('[data-testid=editor]').kumeoText());
const node = (page, id) => page.locator(`[data-testid=agent-node][data-id="${id}"]`);

async function canvasOnly(page) {
  await page.keyboard.press('Control+2');
  await page.waitForTimeout(200);
  await page.keyboard.press('Control+0');
  await page.waitForTimeout(400);
}

describe('Kumeo UI', { skip }, () => {
  it('renames an agent inline and undoes it from the canvas', async () => {
    const page = await open('rename');
    // Selecting opens the inspector, which narrows the canvas.
    await node(page, 'CardScreening/agent/features').locator('.label').click();
    await page.waitForTimeout(200);
    await node(page, 'CardScreening/agent/features').locator('.label').dblclick();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('feats');
    await page.keyboard.press('Enter');
    await node(page, 'CardScreening/agent/feats').waitFor();
    assert.match(await text(page), /id: "feats"/);
    await page.locator('.svelte-flow__pane').click({ position: { x: 10, y: 10 } });
    await page.keyboard.press('Control+z');
    await node(page, 'CardScreening/agent/features').waitFor();
    assert.equal(await text(page), readFileSync(join(work, 'rename.kumeo'), 'utf8'));
    await page.keyboard.press('Control+Shift+z');
    await node(page, 'CardScreening/agent/feats').waitFor();
    await page.keyboard.press('Control+z');
    await node(page, 'CardScreening/agent/features').waitFor();
    // A name already in use is refused: the node shows its old name again
    // and the text is unchanged.
    const before = await text(page);
    await node(page, 'CardScreening/agent/features').locator('.label').dblclick();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('validate');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=error]').waitFor();
    assert.match(await page.locator('[data-testid=error]').textContent(), /already in use/);
    await page.waitForFunction(() => document.querySelector('[data-testid=agent-node][data-id="CardScreening/agent/features"] .label')?.textContent === 'features');
    assert.equal(await text(page), before);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('adds agents from the palette after the selected one and deletes them', async () => {
    const page = await open('palette');
    await node(page, 'CardScreening/agent/validate').click();
    await page.locator('[data-testid="palette-agent-LLM"]').click();
    await node(page, 'CardScreening/agent/llm').waitFor();
    const t = await text(page);
    assert.ok(t.indexOf('LLM(id: "llm"') > t.indexOf('id: "validate"') && t.indexOf('LLM(id: "llm"') < t.indexOf('id: "features"'), 'after validate');
    // Drag a Router onto the canvas.
    const box = await page.locator('.svelte-flow__pane').boundingBox();
    const dt = await page.evaluateHandle(() => new DataTransfer());
    await page.locator('[data-testid="palette-agent-Router"]').dispatchEvent('dragstart', { dataTransfer: dt });
    for (const type of ['dragover', 'drop']) {
      await page.locator('.flow').dispatchEvent(type, { dataTransfer: dt, clientX: box.x + 200, clientY: box.y + 300 });
    }
    await node(page, 'CardScreening/agent/router').waitFor();
    await node(page, 'CardScreening/agent/router').click();
    await page.keyboard.press('Delete');
    await node(page, 'CardScreening/agent/router').waitFor({ state: 'detached' });
    assert.doesNotMatch(await text(page), /Router\(id: "router"/);
    await page.close();
  });

  it('greys the canvas while the text does not parse', async () => {
    const page = await open('parse');
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' }}}');
    await page.waitForSelector('[data-testid=parse-banner]');
    assert.equal(await page.locator('[data-testid=agent-node]').count(), 4, 'last good graph stays');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    await page.waitForSelector('[data-testid=parse-banner]', { state: 'detached' });
    await page.close();
  });

  it('stores a dragged position in the layout sidecar, not the text', async () => {
    const page = await open('layout');
    await canvasOnly(page);
    const before = await text(page);
    const b = await node(page, 'CardScreening/agent/policy').boundingBox();
    await page.mouse.move(b.x + 30, b.y + 10);
    await page.mouse.down();
    await page.mouse.move(b.x + 60, b.y + 160, { steps: 8 });
    await page.mouse.up();
    await page.waitForTimeout(500);
    const sidecar = JSON.parse(readFileSync(join(work, 'layout.kumeo.layout.json'), 'utf8'));
    assert.ok(JSON.stringify(sidecar).includes('CardScreening/agent/policy'));
    assert.equal(await text(page), before);
    assert.equal(await page.locator('[data-testid=dirty]').count(), 0);
    await page.close();
  });

  it('connects a source to an agent by dragging between handles', async () => {
    const page = await open('connect');
    await canvasOnly(page);
    const a = await page.locator('[data-testid=source-node] .svelte-flow__handle.source').boundingBox();
    const c = await node(page, 'CardScreening/agent/policy').locator('.svelte-flow__handle.target').boundingBox();
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(c.x + c.width / 2, c.y + c.height / 2, { steps: 12 });
    await page.mouse.up();
    await page.waitForFunction(() => /id: "policy",\s*input: "source"/.test(document.querySelector('[data-testid=editor]').kumeoText()));
    await page.close();
  });

  it('runs the workflow, sends an event and shows live metrics', async () => {
    const page = await open('run');
    await page.locator('[data-testid=run]').click();
    await page.waitForSelector('[data-testid=stop]');
    await page.locator('button[role=tab]:has-text("Send event")').click();
    await page.locator('[data-testid=send-json]').fill('{"tx_id":"t1","amount":9000,"currency":"eur","merchant":"m","hour":3,"country":"fr"}');
    await page.locator('button.primary:has-text("Send")').click();
    await page.waitForSelector('[data-testid=node-metrics]');
    await page.locator('button[role=tab]:has-text("Events")').click();
    await page.waitForSelector('.events tr');
    await page.locator('[data-testid=stop]').click();
    await page.waitForSelector('[data-testid=run]');
    await page.close();
  });

  it('offers a choice when the file changes on disk under unsaved edits', async () => {
    const page = await open('conflict');
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n// mine');
    await page.waitForTimeout(400);
    appendFileSync(join(work, 'conflict.kumeo'), '\n// theirs\n');
    await page.waitForSelector('[data-testid=conflict-dialog]');
    await page.locator('[data-testid=conflict-dialog] button:has-text("Keep mine")').click();
    await page.waitForSelector('[data-testid=conflict-dialog]', { state: 'detached' });
    assert.match(await text(page), /\/\/ mine/);
    await page.close();
  });

  it('applies quick fixes from the problems panel', async () => {
    const page = await open('fix');
    await page.waitForSelector('[data-testid=quick-fix]:has-text("Router")');
    await page.locator('[data-testid=quick-fix]:has-text("Router")').click();
    await page.waitForFunction(() => /\n\s*Router\(/.test(document.querySelector('[data-testid=editor]').kumeoText()));
    await page.waitForSelector('[data-testid=quick-fix]', { state: 'detached' });
    await page.close();
  });

  it('draws subworkflows as groups around their agents', async () => {
    const page = await open('groups');
    await page.waitForSelector('[data-testid=subworkflow-node]');
    const group = await page.locator('[data-testid=subworkflow-node]').boundingBox();
    const child = await node(page, 'RiskScore/agent/risk').boundingBox();
    assert.ok(child.x > group.x && child.y > group.y && child.x + child.width < group.x + group.width + 1, 'child inside group');
    await page.close();
  });
});

describe('Inspector', { skip }, () => {
  /** A fresh copy of the card screening example, opened from the sidebar. */
  async function openCopy(name) {
    const original = readFileSync(join(repo, 'examples', 'card_screening.kumeo'), 'utf8');
    writeFileSync(join(work, `${name}.kumeo`), original);
    return { page: await open(name), original };
  }

  it('edits a source address; only that string changes, comments stay', async () => {
    const { page, original } = await openCopy('inspector');
    await page.locator('[data-testid=source-node]').click();
    const address = page.locator('[data-testid=inspector] [data-testid=inspector-address]');
    assert.equal(await address.inputValue(), 'payments.card.tx');
    await address.fill('payments.card.v2');
    await address.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=editor]').kumeoText().includes('NATS("payments.card.v2")'));
    assert.equal(await text(page), original.replace('NATS("payments.card.tx")', 'NATS("payments.card.v2")'));
    // The inspector follows the source under its new address.
    await page.waitForFunction(() => document.querySelector('[data-testid=inspector-address]')?.value === 'payments.card.v2');

    // A value Go refuses: the reason shows inline and what was typed stays.
    await page.locator('[data-testid=inspector] input[aria-label="New option name"]').fill('queue');
    const value = page.locator('[data-testid=inspector] input[aria-label="New option value"]');
    await value.fill('"unterminated');
    await value.press('Enter');
    await page.locator('[data-testid=inspector] [role=alert]').waitFor();
    assert.equal(await value.inputValue(), '"unterminated');
    assert.equal(await page.locator('[data-testid=error]').count(), 0, 'no window banner for a field error');
    assert.equal(await text(page), original.replace('NATS("payments.card.tx")', 'NATS("payments.card.v2")'));
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('moves an agent up and down from the inspector', async () => {
    const { page, original } = await openCopy('inspector-move');
    await node(page, 'CardScreening/agent/policy').click();
    await page.locator('[data-testid=inspector-move-up]').click();
    await page.waitForFunction(() => {
      const t = document.querySelector('[data-testid=editor]').kumeoText();
      return t.indexOf('id: "policy"') < t.indexOf('id: "features"');
    });
    assert.match(await text(page), /\/\/ malformed events and missing fields go to the dead-letter subject/);
    // Alt+↓ wherever the focus is in the inspector.
    await page.locator('[data-testid=inspector-move-up]').press('Alt+ArrowDown');
    await page.waitForFunction((o) => document.querySelector('[data-testid=editor]').kumeoText() === o, original);
    await page.close();
  });
});

describe('Conflict merge', { skip }, () => {
  it('merges my edit with a change on disk hunk by hunk, refusing a result that does not parse', async () => {
    const original = readFileSync(join(repo, 'examples', 'card_screening.kumeo'), 'utf8');
    const file = join(work, 'merge.kumeo');
    writeFileSync(file, original);
    const page = await open('merge');
    await page.locator('.cm-content').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n// mine');
    await page.waitForTimeout(400);
    writeFileSync(file, original.replace('NATS("payments.card.tx")', 'NATS("payments.card.rx")'));
    const dialog = page.locator('[data-testid=conflict-dialog]');
    await dialog.waitFor();
    assert.equal(await dialog.locator('[data-testid=merge-hunk]').count(), 2);
    await dialog.locator('[data-testid=merge-check]:has-text("Parses")').waitFor();

    // A broken result is checked by Go and cannot be used.
    await dialog.locator('[data-testid=merge-result]').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n}}}');
    await dialog.locator('[data-testid=merge-check]:has-text("Does not parse")').waitFor();
    await dialog.locator('[data-testid=merge-diagnostics]').waitFor();
    assert.equal(await dialog.locator('[data-testid=merge-apply]').isDisabled(), true);
    await dialog.locator('button:has-text("Rebuild from the choices")').click();
    await dialog.locator('[data-testid=merge-check]:has-text("Parses")').waitFor();

    await dialog.locator('[data-testid=merge-apply]').click();
    await dialog.waitFor({ state: 'detached' });
    const merged = await text(page);
    assert.equal(merged, original.replace('NATS("payments.card.tx")', 'NATS("payments.card.rx")') + '\n// mine');
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});

describe('Text and canvas together', { skip }, () => {
  const example = (name) => readFileSync(join(repo, 'examples', name), 'utf8');
  const original = () => example('card_screening.kumeo');
  const edge = (page, from, to) => page.locator(`.svelte-flow__edge[data-id^="data:${from}->${to}#"]`);
  /** Waits for a data edge from one node to another, fitting the graph in view (only what is in view is drawn). */
  async function seeEdge(page, from, to, state = 'attached') {
    for (let i = 0; ; i++) {
      await page.keyboard.press('Control+0');
      try {
        return await edge(page, from, to).waitFor({ state, timeout: 2000 });
      } catch (err) {
        if (i === 5) throw err;
      }
    }
  }
  const waitText = (page, want) => page.waitForFunction((w) => document.querySelector('[data-testid=editor]').kumeoText() === w, want);

  /** Puts the cursor at the start of the text on the first line containing s (after its indentation). */
  async function cursorAtLine(page, s) {
    await page.locator('.cm-line', { hasText: s }).first().click();
    await page.keyboard.press('Home');
  }

  it('follows typing in the editor: a new agent appears, a changed input moves its edge', async () => {
    const page = await open('typing');
    await node(page, 'CardScreening/agent/route').waitFor();
    assert.equal(await node(page, 'CardScreening/agent/typed').count(), 0);
    await cursorAtLine(page, 'Router(');
    await page.keyboard.type('DataProcessor(id: "typed", config: { steps: ["trim"] }), ');
    await node(page, 'CardScreening/agent/typed').waitFor();
    assert.equal(await text(page), original().replace('    Router(', '    DataProcessor(id: "typed", config: { steps: ["trim"] }), Router('));
    await seeEdge(page, 'CardScreening/agent/typed', 'CardScreening/agent/route');
    await seeEdge(page, 'CardScreening/agent/policy', 'CardScreening/agent/typed');

    // policy reads from the source instead of the agent before it.
    await seeEdge(page, 'CardScreening/agent/features', 'CardScreening/agent/policy');
    await page.locator('.cm-line', { hasText: 'id: "policy",' }).click();
    await page.keyboard.press('End');
    await page.keyboard.type(' input: "source",');
    await seeEdge(page, 'CardScreening/source/NATS:payments.card.tx', 'CardScreening/agent/policy');
    await seeEdge(page, 'CardScreening/agent/features', 'CardScreening/agent/policy', 'detached');
    assert.match(await text(page), /id: "policy", input: "source",\n/);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('undoes a canvas edit from the editor and a text edit from the canvas', async () => {
    const page = await open('undo-both');
    const before = original();
    // A canvas edit, undone with Ctrl+Z in the editor.
    await node(page, 'CardScreening/agent/features').click();
    await page.keyboard.press('Delete');
    await node(page, 'CardScreening/agent/features').waitFor({ state: 'detached' });
    assert.doesNotMatch(await text(page), /id: "features"/);
    await page.locator('.cm-line', { hasText: 'id: "policy",' }).click();
    await page.keyboard.press('Control+z');
    await waitText(page, before);
    await node(page, 'CardScreening/agent/features').waitFor();

    // A text edit, undone with Ctrl+Z on the canvas.
    await cursorAtLine(page, 'Router(');
    await page.keyboard.type('Filter(id: "typed", condition: "amount > 0"), ');
    await node(page, 'CardScreening/agent/typed').waitFor();
    await page.locator('.svelte-flow__pane').click({ position: { x: 10, y: 10 } });
    await page.keyboard.press('Control+z');
    await node(page, 'CardScreening/agent/typed').waitFor({ state: 'detached' });
    assert.equal(await text(page), before);

    // And with the toolbar's undo.
    await cursorAtLine(page, 'Router(');
    await page.keyboard.type('Filter(id: "again", condition: "amount > 0"), ');
    await node(page, 'CardScreening/agent/again').waitFor();
    await page.locator('button[aria-label=Undo]').click();
    await node(page, 'CardScreening/agent/again').waitFor({ state: 'detached' });
    assert.equal(await text(page), before);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('reloads a file changed on disk when there are no local edits', async () => {
    const page = await open('external');
    const theirs = original().replace('id: "features"', 'id: "enrich"').replace('// malformed events', '// bad events');
    writeFileSync(join(work, 'external.kumeo'), theirs);
    await node(page, 'CardScreening/agent/enrich').waitFor();
    await waitText(page, theirs);
    assert.equal(await node(page, 'CardScreening/agent/features').count(), 0);
    assert.equal(await page.locator('[data-testid=conflict-dialog]').count(), 0, 'no prompt');
    assert.equal(await page.locator('[data-testid=dirty]').count(), 0, 'not dirty');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('shows the path of a clicked event through the workflow', async () => {
    const page = await open('trace');
    await page.locator('[data-testid=run]').click();
    await page.waitForSelector('[data-testid=stop]');
    await page.locator('button[role=tab]:has-text("Send event")').click();
    await page.locator('[data-testid=send-json]').fill('{"tx_id":"t9","amount":20,"currency":"eur","merchant":"m","hour":12,"country":"de"}');
    await page.locator('button.primary:has-text("Send")').click();
    await page.locator('button[role=tab]:has-text("Events")').click();
    // The last agent's record is there once the event went all the way.
    const routed = page.locator('.events .list tr', { hasText: 'route' }).first();
    await routed.waitFor();
    await routed.click();
    const path = () => page.locator('.events .path li button').allTextContents();
    await page.waitForFunction(() => [...document.querySelectorAll('.events .path li button')].some((b) => b.textContent === 'route'));
    const agents = (await path()).filter((a, i, all) => a !== all[i - 1]);
    assert.deepEqual(agents, ['validate', 'features', 'policy', 'route']);
    // A step of the path selects its agent on the canvas.
    await page.locator('.events .path li button', { hasText: 'policy' }).first().click();
    await page.waitForSelector('[data-testid=agent-node][data-id="CardScreening/agent/policy"].selected, .svelte-flow__node.selected [data-testid=agent-node][data-id="CardScreening/agent/policy"]');
    await page.locator('[data-testid=stop]').click();
    await page.waitForSelector('[data-testid=run]');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('duplicates, copies and pastes agents with fresh ids and output channels', async () => {
    const before = example('fraud_detection.kumeo');
    writeFileSync(join(work, 'duplicate.kumeo'), before);
    const page = await open('duplicate');
    await canvasOnly(page);
    await node(page, 'CardFraud/agent/validate').click();
    await page.keyboard.press('Control+d');
    await page.waitForFunction(() => document.querySelector('[data-testid=editor]').kumeoText().includes('id: "validate_2"'));
    // The copy follows the original, as written, with a new id and a new
    // output channel; nothing else changes (comments included).
    const lines = before.split('\n');
    const start = lines.findIndex((l) => l.includes('DataProcessor(')), end = lines.findIndex((l, i) => i > start && l === '    ),');
    const copy = lines.slice(start, end + 1).map((l) => l.replace('"validate"', '"validate_2"').replace('"tx.valid"', '"tx.valid_2"'));
    const want = [...lines.slice(0, end + 1), ...copy, ...lines.slice(end + 1)].join('\n');
    assert.equal(await text(page), want);
    await page.keyboard.press('Control+0');
    await node(page, 'CardFraud/agent/validate_2').waitFor();

    // Ctrl+C / Ctrl+V of another agent.
    await node(page, 'CardFraud/agent/score').click();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await node(page, 'CardFraud/agent/score_2').waitFor();
    const t = await text(page);
    assert.match(t, /MLModel\(id: "score_2", input: "tx.features", output: "tx.scored_2", model: "models.scorer"\)/);
    assert.equal(t.split('MLModel(id: "score", input: "tx.features", output: "tx.scored"').length, 2, 'the original stays');
    assert.ok(t.startsWith(before.slice(0, before.indexOf('  agents: ['))), 'the header and its comment stay');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('goes to the agent that outputs a channel with F12', async () => {
    writeFileSync(join(work, 'definition.kumeo'), example('fraud_detection.kumeo'));
    const page = await open('definition');
    await page.locator('.cm-line', { hasText: 'input: "tx.scored",' }).locator('text=tx.scored').click();
    assert.match(await page.locator('.cm-activeLine').textContent(), /input: "tx.scored"/);
    await page.keyboard.press('F12');
    await page.waitForFunction(() => /MLModel\(id: "score"/.test(document.querySelector('.cm-activeLine')?.textContent ?? ''));
    // From the router's input to policy, several lines up.
    await page.locator('.cm-line', { hasText: 'input: "tx.checked",' }).locator('text=tx.checked').click();
    await page.keyboard.press('F12');
    await page.waitForFunction(() => /DecisionMatrix\(/.test(document.querySelector('.cm-activeLine')?.textContent ?? ''));
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('opens a workflow too wide for the canvas at a readable zoom, sources in view', async () => {
    writeFileSync(join(work, 'opening.kumeo'), example('card_screening.kumeo'));
    const page = await open('opening');
    const view = await page.evaluate(() => {
      const pane = document.querySelector('.svelte-flow').getBoundingClientRect();
      const src = document.querySelector('[data-testid=source-node]')?.getBoundingClientRect();
      return {
        zoom: Number(/scale\(([\d.]+)\)/.exec(document.querySelector('.svelte-flow__viewport').style.transform)?.[1]),
        width: pane.width,
        source: src ? src.x >= pane.x && src.right <= pane.right : false,
      };
    });
    // Seven nodes in a row do not fit at zoom 1: fitted on all of them the
    // view zooms out (never below the readable 0.6), whatever was drawn first.
    assert.ok(view.zoom < 1 && view.zoom >= 0.6, `zoom ${view.zoom} in a ${view.width}px canvas`);
    assert.ok(view.source, 'the source is in view');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('shows a problem in a route\'s rule on its edge', async () => {
    writeFileSync(join(work, 'edge-problem.kumeo'), example('card_screening.kumeo').replace('"large || (night && foreign)"', '"large || (night && "'));
    const page = await open('edge-problem');
    // The router's edges in view.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('route');
    await page.keyboard.press('Enter');
    const label = page.locator('[data-testid=edge-problem]');
    await label.waitFor();
    assert.match(await label.getAttribute('title'), /error K1019: Invalid Router rule/);
    assert.match(await label.textContent(), /large \|\| \(night &&/);
    assert.equal(await page.locator('.svelte-flow__edge.kumeo-edge-error').count(), 1);
    // Fixed in the editor: the edge is plain again.
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+f');
    await page.keyboard.type('(night && "');
    await page.keyboard.press('Escape');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type('foreign)');
    await label.waitFor({ state: 'detached' });
    assert.equal(await page.locator('.svelte-flow__edge.kumeo-edge-error').count(), 0);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('folds and unfolds a block from the fold gutter', async () => {
    writeFileSync(join(work, 'folding.kumeo'), example('fraud_detection.kumeo'));
    const page = await open('folding');
    // The first agent's line, right under `agents: [`, is on screen.
    const inside = page.locator('.cm-line', { hasText: 'reject malformed events before any model sees them' });
    await inside.waitFor();
    // The marker of the `agents: [` line folds the whole list.
    const row = await page.locator('.cm-line', { hasText: /^\s*agents: \[\s*$/ }).boundingBox();
    const marker = page.locator('.cm-foldGutter span[title="Fold line"]');
    let clicked = false;
    for (const m of await marker.all()) {
      const b = await m.boundingBox();
      if (b && Math.abs(b.y + b.height / 2 - (row.y + row.height / 2)) < row.height / 2) {
        await m.click();
        clicked = true;
        break;
      }
    }
    assert.ok(clicked, 'the agents line has a fold marker');
    await page.locator('.cm-foldPlaceholder').waitFor();
    await inside.waitFor({ state: 'detached' });
    assert.equal(await text(page), example('fraud_detection.kumeo'), 'folding leaves the text as it was');
    await page.locator('.cm-foldGutter span[title="Unfold line"]:visible').click();
    await page.locator('.cm-foldPlaceholder').waitFor({ state: 'detached' });
    await inside.waitFor();
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('edits the test event as JSON, shows where it does not parse, and keeps pinned events', async () => {
    const page = await open('send-pins');
    await page.locator('[data-testid=run]').click();
    await page.waitForSelector('[data-testid=stop]');
    await page.locator('button[role=tab]:has-text("Send event")').click();
    const editor = page.locator('[data-testid=send-json]');
    await editor.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('{"tx_id": "p1", "amount": 12,, "currency": "eur"');
    await page.locator('[data-testid=send-json-error]').waitFor();
    assert.equal(await page.locator('button.primary:has-text("Send")').isDisabled(), true);
    await page.locator('.bottom .cm-lintRange-error').waitFor();
    // Fixed by typing: the error goes.
    await page.keyboard.press('Control+a');
    await page.keyboard.type('{"tx_id": "pinned-one", "amount": 12, "currency": "eur", "merchant": "m", "hour": 3, "country": "fr"');
    await page.locator('[data-testid=send-json-error]').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+Enter');
    await page.locator('[data-testid=sent-event]', { hasText: 'pinned-one' }).waitFor();
    await page.locator('[data-testid=sent-event]', { hasText: 'pinned-one' }).locator('[data-testid=pin]').click();
    await page.locator('[data-testid=pinned-event]', { hasText: 'pinned-one' }).waitFor();

    // More sends than the history keeps: the pin stays first.
    for (let i = 0; i < 21; i++) {
      await editor.fill(`{"tx_id": "later-${i}", "amount": 1, "currency": "eur", "merchant": "m", "hour": 12, "country": "de"}`);
      await page.locator('button.primary:has-text("Send")').click();
      await page.locator('[data-testid=sent-event]', { hasText: `later-${i}"` }).waitFor();
    }
    const rows = page.locator('[data-testid=send-history] li');
    assert.equal(await rows.count(), 21, 'one pinned and the last 20 sent');
    assert.match(await rows.first().textContent(), /pinned-one/);
    assert.equal(await page.locator('[data-testid=sent-event]', { hasText: 'pinned-one' }).count(), 0);

    // A pinned payload fills the editor; it survives a reload of the window.
    await page.reload();
    await page.waitForSelector('[data-testid=agent-node]');
    await page.locator('[data-testid=sidebar] button:has-text("send-pins.kumeo")').first().click();
    await page.waitForSelector('[data-testid=stop]');
    await page.locator('button[role=tab]:has-text("Send event")').click();
    const pinned = page.locator('[data-testid=pinned-event]', { hasText: 'pinned-one' });
    await pinned.waitFor();
    await pinned.locator('button.use').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=send-json]')?.textContent?.includes('"pinned-one"'));
    await pinned.locator('[data-testid=unpin]').click();
    await page.locator('[data-testid=pinned-event]').waitFor({ state: 'detached' });
    await page.locator('[data-testid=stop]').click();
    await page.waitForSelector('[data-testid=run]');
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});

declareTests();
