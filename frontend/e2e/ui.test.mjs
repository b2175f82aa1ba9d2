// Browser tests of the built frontend against the real Go services.
//
// Each test has a session of its own (harness.mjs): its own workspace,
// settings and harness process (internal/e2e/cmd/serve, which serves
// frontend/dist with a shim in place of the Wails runtime) and its own
// browser context, all gone when it ends, so no test sees what another left
// and the tests pass in any order (KUMEO_E2E_ORDER, see order.mjs). They
// drive Debian's Chromium with playwright-core. Build first (npm run
// build), then npm run e2e. CHROMIUM names the browser (default
// /usr/bin/chromium).

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, opened, repo, skipReason, startSession, viewStill } from './harness.mjs';
import { declareTests, describe, it } from './order.mjs';

const skip = skipReason();

let browser;

before(async () => {
  if (!skip) browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const example = (name) => readFileSync(join(repo, 'examples', name), 'utf8');

/**
 * A page of a session of its own for test t whose window opened name.kumeo
 * (text: the card screening example unless given; more: other files of the
 * workspace, name → text), canvas and text side by side, laid out and
 * fitted in view. page.work is the workspace directory. The session ends
 * with the test.
 */
async function open(t, name, text = example('card_screening.kumeo'), more = {}) {
  const session = await startSession(browser, { files: { ...more, [`${name}.kumeo`]: text }, open: `${name}.kumeo`, metricsInterval: '250ms' });
  t.after(() => session.close());
  const page = await session.context.newPage();
  page.work = session.work;
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(session.url);
  await opened(page, `${name}.kumeo`);
  // Nothing carried over from another page: no settings of the window.
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
  return page;
}

/** Opens file from the sidebar (the file list and the recent files may both name it). */
async function openFromSidebar(page, file) {
  await page.locator(`[data-testid=sidebar] button:has-text("${file}")`).first().click();
  await opened(page, file);
}

const text = (page) => page.evaluate(() => document.querySelector('[data-testid=editor]').kumeoText());
const node = (page, id) => page.locator(`[data-testid=agent-node][data-id="${id}"]`);


/**
 * Selects a node with a click on its label, once the inspector shows it and
 * the canvas is still: the inspector narrows the canvas, which then pans to
 * keep the node in view, so a second click right away could miss it.
 */
async function selectNode(page, id) {
  await node(page, id).locator('.label').click();
  await page.locator('[data-testid=inspector]').waitFor();
  await viewStill(page);
}

/** The canvas alone (Ctrl+2), the graph fitted in it (Ctrl+0). */
async function canvasOnly(page) {
  const width = await page.evaluate(() => document.querySelector('.flow').clientWidth);
  await page.keyboard.press('Control+2');
  await page.waitForFunction((w) => document.querySelector('.flow').clientWidth > w, width);
  await page.keyboard.press('Control+0');
  await viewStill(page);
}

describe('Kumeo UI', { skip }, () => {
  it('renames an agent inline and undoes it from the canvas', async (t) => {
    const page = await open(t, 'rename');
    // Selecting opens the inspector, which narrows the canvas.
    await selectNode(page, 'CardScreening/agent/features');
    await node(page, 'CardScreening/agent/features').locator('.label').dblclick();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('feats');
    await page.keyboard.press('Enter');
    await node(page, 'CardScreening/agent/feats').waitFor();
    assert.match(await text(page), /id: "feats"/);
    await page.locator('.svelte-flow__pane').click({ position: { x: 10, y: 10 } });
    await page.keyboard.press('Control+z');
    await node(page, 'CardScreening/agent/features').waitFor();
    assert.equal(await text(page), readFileSync(join(page.work, 'rename.kumeo'), 'utf8'));
    await page.keyboard.press('Control+Shift+z');
    await node(page, 'CardScreening/agent/feats').waitFor();
    await page.keyboard.press('Control+z');
    await node(page, 'CardScreening/agent/features').waitFor();
    // A name already in use is refused: the node shows its old name again
    // and the text is unchanged.
    const before = await text(page);
    await selectNode(page, 'CardScreening/agent/features');
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

  it('adds agents from the palette after the selected one and deletes them', async (t) => {
    const page = await open(t, 'palette');
    await node(page, 'CardScreening/agent/validate').click();
    await page.locator('[data-testid="palette-agent-LLM"]').click();
    await node(page, 'CardScreening/agent/llm').waitFor();
    const now = await text(page);
    assert.ok(now.indexOf('LLM(id: "llm"') > now.indexOf('id: "validate"') && now.indexOf('LLM(id: "llm"') < now.indexOf('id: "features"'), 'after validate');
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

  it('greys the canvas while the text does not parse', async (t) => {
    const page = await open(t, 'parse');
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' }}}');
    await page.waitForSelector('[data-testid=parse-banner]');
    assert.equal(await page.locator('[data-testid=agent-node]').count(), 4, 'last good graph stays');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    await page.waitForSelector('[data-testid=parse-banner]', { state: 'detached' });
    await page.close();
  });

  it('stores a dragged position in the layout sidecar, not the text', async (t) => {
    const page = await open(t, 'layout');
    await canvasOnly(page);
    const before = await text(page);
    const b = await node(page, 'CardScreening/agent/policy').boundingBox();
    await page.mouse.move(b.x + 30, b.y + 10);
    await page.mouse.down();
    await page.mouse.move(b.x + 60, b.y + 160, { steps: 8 });
    await page.mouse.up();
    await page.waitForTimeout(500);
    const sidecar = JSON.parse(readFileSync(join(page.work, 'layout.kumeo.layout.json'), 'utf8'));
    assert.ok(JSON.stringify(sidecar).includes('CardScreening/agent/policy'));
    assert.equal(await text(page), before);
    assert.equal(await page.locator('[data-testid=dirty]').count(), 0);
    await page.close();
  });

  it('connects a source to an agent by dragging between handles', async (t) => {
    const page = await open(t, 'connect');
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

  it('runs the workflow, sends an event and shows live metrics', async (t) => {
    const page = await open(t, 'run');
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

  it('offers a choice when the file changes on disk under unsaved edits', async (t) => {
    const page = await open(t, 'conflict');
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n// mine');
    await page.waitForTimeout(400);
    appendFileSync(join(page.work, 'conflict.kumeo'), '\n// theirs\n');
    await page.waitForSelector('[data-testid=conflict-dialog]');
    await page.locator('[data-testid=conflict-dialog] button:has-text("Keep mine")').click();
    await page.waitForSelector('[data-testid=conflict-dialog]', { state: 'detached' });
    assert.match(await text(page), /\/\/ mine/);
    await page.close();
  });

  it('applies quick fixes from the problems panel', async (t) => {
    // A misspelled agent type.
    const page = await open(t, 'fix', example('card_screening.kumeo').replace('Router(', 'Routr('));
    await page.waitForSelector('[data-testid=quick-fix]:has-text("Router")');
    await page.locator('[data-testid=quick-fix]:has-text("Router")').click();
    await page.waitForFunction(() => /\n\s*Router\(/.test(document.querySelector('[data-testid=editor]').kumeoText()));
    await page.waitForSelector('[data-testid=quick-fix]', { state: 'detached' });
    await page.close();
  });

  it('draws subworkflows as groups around their agents', async (t) => {
    const page = await open(t, 'groups', example('risk_subworkflow.kumeo'));
    await page.waitForSelector('[data-testid=subworkflow-node]');
    const group = await page.locator('[data-testid=subworkflow-node]').boundingBox();
    const child = await node(page, 'RiskScore/agent/risk').boundingBox();
    assert.ok(child.x > group.x && child.y > group.y && child.x + child.width < group.x + group.width + 1, 'child inside group');
    await page.close();
  });
});

describe('Inspector', { skip }, () => {
  /** A fresh copy of the card screening example, open in the window. */
  async function openCopy(t, name) {
    const original = example('card_screening.kumeo');
    return { page: await open(t, name, original), original };
  }

  it('edits a source address; only that string changes, comments stay', async (t) => {
    const { page, original } = await openCopy(t, 'inspector');
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

  it('moves an agent up and down from the inspector', async (t) => {
    const { page, original } = await openCopy(t, 'inspector-move');
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
  it('merges my edit with a change on disk hunk by hunk, refusing a result that does not parse', async (t) => {
    const original = example('card_screening.kumeo');
    const page = await open(t, 'merge', original);
    const file = join(page.work, 'merge.kumeo');
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

  it('follows typing in the editor: a new agent appears, a changed input moves its edge', async (t) => {
    const page = await open(t, 'typing');
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

  it('undoes a canvas edit from the editor and a text edit from the canvas', async (t) => {
    const page = await open(t, 'undo-both');
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

  it('reloads a file changed on disk when there are no local edits', async (t) => {
    const page = await open(t, 'external');
    const theirs = original().replace('id: "features"', 'id: "enrich"').replace('// malformed events', '// bad events');
    writeFileSync(join(page.work, 'external.kumeo'), theirs);
    await node(page, 'CardScreening/agent/enrich').waitFor();
    await waitText(page, theirs);
    assert.equal(await node(page, 'CardScreening/agent/features').count(), 0);
    assert.equal(await page.locator('[data-testid=conflict-dialog]').count(), 0, 'no prompt');
    assert.equal(await page.locator('[data-testid=dirty]').count(), 0, 'not dirty');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('shows the path of a clicked event through the workflow', async (t) => {
    const page = await open(t, 'trace');
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

  it('duplicates, copies and pastes agents with fresh ids and output channels', async (t) => {
    const before = example('fraud_detection.kumeo');
    const page = await open(t, 'duplicate', before);
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
    const now = await text(page);
    assert.match(now, /MLModel\(id: "score_2", input: "tx.features", output: "tx.scored_2", model: "models.scorer"\)/);
    assert.equal(now.split('MLModel(id: "score", input: "tx.features", output: "tx.scored"').length, 2, 'the original stays');
    assert.ok(now.startsWith(before.slice(0, before.indexOf('  agents: ['))), 'the header and its comment stay');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  /**
   * Clicks word in the editor's line holding line, on the word's own
   * letters whether or not the highlighter has put them in a span of their
   * own yet (a click on such a span lands in the middle of the whole line
   * until it has).
   */
  async function clickWord(page, line, word) {
    const el = page.locator('.cm-line', { hasText: line }).first();
    const position = await el.evaluate(
      (host, [line, word]) => {
        const from = host.textContent.indexOf(line) + line.indexOf(word);
        const to = from + word.length;
        const range = document.createRange();
        const walk = document.createTreeWalker(host, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(), seen = 0; n; seen += n.length, n = walk.nextNode()) {
          if (from >= seen && from < seen + n.length) range.setStart(n, from - seen);
          if (to > seen && to <= seen + n.length) range.setEnd(n, to - seen);
        }
        const r = range.getClientRects()[0];
        const box = host.getBoundingClientRect();
        return { x: r.x + r.width / 2 - box.x, y: r.y + r.height / 2 - box.y };
      },
      [line, word],
    );
    await el.click({ position });
  }

  it('goes to the agent that outputs a channel with F12', async (t) => {
    const page = await open(t, 'definition', example('fraud_detection.kumeo'));
    await clickWord(page, 'input: "tx.scored",', 'tx.scored');
    assert.match(await page.locator('.cm-activeLine').textContent(), /input: "tx.scored"/);
    await page.keyboard.press('F12');
    await page.waitForFunction(() => /MLModel\(id: "score"/.test(document.querySelector('.cm-activeLine')?.textContent ?? ''));
    // From the router's input to policy, several lines up.
    await clickWord(page, 'input: "tx.checked",', 'tx.checked');
    await page.keyboard.press('F12');
    await page.waitForFunction(() => /DecisionMatrix\(/.test(document.querySelector('.cm-activeLine')?.textContent ?? ''));
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('opens a workflow too wide for the canvas at a readable zoom, sources in view, the same way every time', async (t) => {
    const page = await open(t, 'opening', example('card_screening.kumeo'), { 'other.kumeo': example('risk_subworkflow.kumeo') });
    const view = () =>
      page.evaluate(() => {
        const pane = document.querySelector('.svelte-flow').getBoundingClientRect();
        const src = document.querySelector('[data-testid=source-node]')?.getBoundingClientRect();
        return {
          transform: document.querySelector('.svelte-flow__viewport').style.transform,
          zoom: Number(/scale\(([\d.]+)\)/.exec(document.querySelector('.svelte-flow__viewport').style.transform)?.[1]),
          width: pane.width,
          source: src ? src.x >= pane.x && src.right <= pane.right : false,
        };
      });
    const first = await view();
    // Seven nodes in a row do not fit at zoom 1: fitted on all of them the
    // view zooms out (never below the readable 0.6).
    assert.ok(first.zoom < 1 && first.zoom >= 0.6, `zoom ${first.zoom} in a ${first.width}px canvas`);
    assert.ok(first.source, 'the source is in view');

    // Opened again from the sidebar, after another file: the same view, and
    // no unreadable one on the way (every view the canvas shows is recorded).
    await openFromSidebar(page, 'other.kumeo');
    await page.evaluate(() => {
      const vp = document.querySelector('.svelte-flow__viewport');
      window.kumeoZooms = [];
      new MutationObserver(() => window.kumeoZooms.push(Number(/scale\(([\d.]+)\)/.exec(vp.style.transform)?.[1]))).observe(vp, { attributes: true, attributeFilter: ['style'] });
    });
    await openFromSidebar(page, 'opening.kumeo');
    assert.deepEqual(await view(), first);
    const zooms = await page.evaluate(() => window.kumeoZooms);
    assert.ok(zooms.length > 0 && zooms.every((z) => z >= 0.6), `zooms shown while opening: ${zooms.join(', ')}`);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it('shows a problem in a route\'s rule on its edge', async (t) => {
    const page = await open(t, 'edge-problem', example('card_screening.kumeo').replace('"large || (night && foreign)"', '"large || (night && "'));
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

  it('folds and unfolds a block from the fold gutter', async (t) => {
    const page = await open(t, 'folding', example('fraud_detection.kumeo'));
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

  it('edits the test event as JSON, shows where it does not parse, and keeps pinned events', async (t) => {
    const page = await open(t, 'send-pins');
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
    await opened(page, 'send-pins.kumeo');
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
