// The Deploy panel in Chromium against a real Kubernetes control plane:
// the harness (internal/e2e/cmd/serve -k8s) starts etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (internal/k8stest) and
// points the app's Deploy service at the cluster's kubeconfig, context
// kumeo-test. The binaries come from `make k8s-test-bins`; KUMEO_K8S_BIN
// names their directory. Without it the test is skipped, saying so.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, opened, repo, skipReason, startSession, viewStill } from './harness.mjs';
import { declareTests, describe, it } from './order.mjs';

const skip =
  skipReason() ||
  (process.env.KUMEO_K8S_BIN ? false : 'KUMEO_K8S_BIN is not set: no Kubernetes test binaries (make k8s-test-bins builds them; make test-e2e sets it)');
if (skip) console.log(`# deploy.test.mjs skipped: ${skip}`);

let browser;

before(async () => {
  if (!skip) browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const file = 'fraud_detection.kumeo';
const agents = ['validate', 'features', 'score', 'policy', 'route'];
const nodeState = (page, id) => page.locator(`[data-testid=agent-node][data-id="CardFraud/agent/${id}"] [data-testid=node-deploy]`);
const editorText = (page) => page.evaluate(() => document.querySelector('[data-testid=editor]').kumeoText());

/** Waits until every agent node shows attr=value (data-action or data-phase), or only those in which. */
async function nodesShow(page, attr, value, which = agents, timeout = 30000) {
  const shown = () =>
    page.evaluate(
      ({ attr, which }) => which.map((id) => `${id}: ${document.querySelector(`[data-testid=agent-node][data-id="CardFraud/agent/${id}"] [data-testid=node-deploy]`)?.getAttribute(attr) ?? 'none'}`),
      { attr, which },
    );
  await page
    .waitForFunction(
      ({ attr, value, which }) =>
        which.every((id) => document.querySelector(`[data-testid=agent-node][data-id="CardFraud/agent/${id}"] [data-testid=node-deploy]`)?.getAttribute(attr) === value),
      { attr, value, which },
      { timeout },
    )
    .catch(async (err) => {
      const log = await page.locator('[data-testid=deploy-panel]').textContent().catch(() => '');
      throw new Error(`expected ${attr}=${value} on ${which.join(', ')}; the canvas shows ${(await shown()).join(', ')}; the panel says: ${log}`, { cause: err });
    });
}


/**
 * The canvas alone, the whole graph fitted in it (Ctrl+0): the canvas
 * draws only the nodes in view, and every agent must be.
 */
async function canvasOnly(page) {
  const width = await page.evaluate(() => document.querySelector('.flow').clientWidth);
  await page.locator('.toolbar .seg button:has-text("Canvas")').click();
  await page.waitForFunction((w) => document.querySelector('.flow').clientWidth > w, width);
  await page.keyboard.press('Control+0');
  await viewStill(page);
}

/** Canvas and text side by side again. */
async function both(page) {
  await page.locator('.toolbar .seg button:has-text("Both")').click();
  await page.locator('.cm-content').waitFor({ state: 'visible' });
}

/** Waits for the panel's job to end and returns its state line. */
async function jobEnds(page, timeout = 120000) {
  await page
    .waitForFunction(() => ['done', 'failed', 'cancelled'].includes(document.querySelector('[data-testid=deploy-state]')?.dataset.state ?? ''), null, { timeout })
    .catch(async (err) => {
      const log = await page.locator('[data-testid=deploy-panel]').textContent().catch(() => '');
      throw new Error(`the job did not end; the panel says: ${log}`, { cause: err });
    });
  return page.locator('[data-testid=deploy-state]').textContent();
}

describe('Deploy panel', { skip }, () => {
  it('previews, deploys, follows the rollout, previews an edit and rolls back on a real cluster', async (t) => {
    // The files the workflow names ship in its ConfigMap: stand-ins here.
    const session = await startSession(browser, { files: { [file]: readFileSync(join(repo, 'examples', file), 'utf8') }, open: file, k8s: true });
    mkdirSync(join(session.work, 'models'));
    writeFileSync(join(session.work, 'models', 'merchant_risk.bif'), 'network merchant_risk {\n}\n');
    writeFileSync(join(session.work, 'models', 'tx_scorer.onnx'), Buffer.from([0x08, 0x07, 0x12, 0x00]));
    t.after(() => session.close());
    const page = await session.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(session.url);
    await opened(page, file);
    await canvasOnly(page);

    // The panel: the kubeconfig's one context, the change set of a
    // workflow never deployed: every object is created.
    await page.locator('[data-testid=deploy]').click();
    await page.locator('[data-testid=deploy-panel]').waitFor();
    const context = page.locator('[data-testid=deploy-context]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=deploy-context] option')].some((o) => o.value === 'kumeo-test'));
    await context.selectOption('kumeo-test');
    assert.equal(await context.inputValue(), 'kumeo-test');
    const summary = page.locator('[data-testid=deploy-summary]');
    await summary.waitFor({ timeout: 30000 }).catch(async (err) => {
      throw new Error(`no change set; the panel says: ${await page.locator('[data-testid=deploy-panel]').textContent()}`, { cause: err });
    });
    assert.match(await summary.textContent(), /cardfraud in fraud on kumeo-test:\s+12 to create, 0 to update, 0 to prune, 0 unchanged/);
    const rows = page.locator('[data-testid=deploy-changes] tr');
    assert.equal(await rows.count(), 12, 'namespace, workflow text, five agents and their autoscalers');
    assert.deepEqual(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.action))), new Set(['create']));
    await nodesShow(page, 'data-action', 'create');
    assert.equal(await nodeState(page, 'score').locator('.action').textContent(), '+ create');

    // Deploy: each agent's rollout reaches ready on the canvas; the
    // cluster then runs the text, so nothing is left to change.
    await page.locator('[data-testid=deploy-start]').click();
    assert.match(await jobEnds(page), /deploy: Done, revision 1/);
    await nodesShow(page, 'data-phase', 'ready');
    assert.match(await nodeState(page, 'route').locator('.phase').textContent(), /ready (\d+)\/\1/);
    await nodesShow(page, 'data-action', 'unchanged');
    await page.locator('[data-testid=deploy-nochange]').waitFor();
    assert.match(await page.locator('[data-testid=deploy-log]').textContent(), /apply fraud Deployment\/cardfraud-score/);

    // The canvas' numbers from the cluster: the workflow names an external
    // NATS this machine cannot reach, and the panel says so; back to the
    // local run.
    await page.locator('[data-testid=metrics-cluster]').click();
    const link = page.locator('[data-testid=metrics-link]');
    await link.waitFor({ timeout: 30000 });
    assert.equal(await link.getAttribute('data-connected'), 'false');
    assert.match(await link.textContent(), /No metrics: .*nats\.kumeo\.svc/);
    await page.locator('[data-testid=metrics-local]').click();
    await link.waitFor({ state: 'detached' });

    // An edit of one agent in the editor, unsaved: only its node is marked
    // update.
    await both(page);
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+f');
    await page.keyboard.type('amount > 2500');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    await page.keyboard.type('amount > 5000');
    await page.waitForFunction(() => document.querySelector('[data-testid=editor]').kumeoText().includes('"large: amount > 5000"'));
    await canvasOnly(page);
    await nodesShow(page, 'data-action', 'update', ['features']);
    await nodesShow(page, 'data-action', 'unchanged', agents.filter((a) => a !== 'features'));
    const changed = await rows.evaluateAll((trs) => trs.map((tr) => `${tr.dataset.action} ${tr.dataset.kind}/${tr.dataset.name}`));
    assert.deepEqual(changed.sort(), ['update ConfigMap/cardfraud-workflow', 'update Deployment/cardfraud-features']);
    assert.match(await page.locator('[data-testid=dirty]').textContent(), /●/, 'the edit is not saved: the open text is deployed');

    await page.locator('[data-testid=deploy-start]').click();
    assert.match(await jobEnds(page), /deploy: Done, revision 2/);
    await nodesShow(page, 'data-action', 'unchanged');

    // Roll back to revision 1 from the history: recorded as revision 3,
    // and the cluster runs the old text again, so the edited agent is
    // marked update once more.
    const history = page.locator('[data-testid=deploy-history] li');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=deploy-history] li').length === 2);
    await history.filter({ has: page.locator('[data-testid=deploy-rollback]') }).first().waitFor();
    await page.locator('[data-testid=deploy-history] li[data-revision="1"] [data-testid=deploy-rollback]').click();
    await page.locator('[role=dialog][aria-label="Roll back"] button.primary').click();
    assert.match(await jobEnds(page), /rollback: Done, revision 3/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=deploy-history] li').length === 3);
    await nodesShow(page, 'data-action', 'update', ['features']);
    await nodesShow(page, 'data-action', 'unchanged', agents.filter((a) => a !== 'features'));
    await nodesShow(page, 'data-phase', 'ready');
    assert.match(await editorText(page), /"large: amount > 5000"/, 'a rollback leaves the text alone');

    assert.deepEqual(errors, []);
    await page.close();
  });
});

declareTests();
