// What the browser tests and the UI benchmark share: the Go e2e harness
// (internal/e2e/cmd/serve) serving frontend/dist with the real services on a
// temporary workspace, and Debian's Chromium driven by playwright-core.
// CHROMIUM names the browser (default /usr/bin/chromium); KUMEO_E2E_DIST
// another frontend build (default frontend/dist).
//
// A test that must not see what another test left behind takes a session
// (startSession): a directory of its own for the workspace, the app's
// settings (recent files, pinned events) and its temporary files, a harness
// process of its own on it, and a browser context of its own (storage,
// cache). Everything goes when the test ends.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const frontend = dirname(dirname(fileURLToPath(import.meta.url)));
export const repo = dirname(frontend);
export const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';
const dist = () => process.env.KUMEO_E2E_DIST || join(frontend, 'dist');

/** Why the browser tests cannot run here, or false. */
export function skipReason() {
  if (!existsSync(browserPath)) return `no browser at ${browserPath}`;
  if (!existsSync(join(dist(), 'index.html'))) return 'no frontend build';
  return false;
}

/** A fresh temporary workspace directory. */
export function workspaceDir(prefix = 'kumeo-e2e-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

// Harness processes still running, stopped if this process exits first.
const running = new Set();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

// The harness binary, built once per process (go build is cached, the link is not).
let built = null;
function serverBinary() {
  if (!built) {
    const dir = mkdtempSync(join(tmpdir(), 'kumeo-e2e-bin-'));
    process.on('exit', () => removeDir(dir));
    const bin = join(dir, 'serve');
    execFileSync('go', ['build', '-o', bin, './internal/e2e/cmd/serve'], { cwd: repo, stdio: 'inherit' });
    built = bin;
  }
  return built;
}

/**
 * Starts the harness on workspace work; resolves to { url, stop }, stop
 * resolving once the process has exited.
 * open: the file Workspace.InitialPath reports. generate: name.kumeo=AGENTS
 * pairs written into work before serving. config: the directory of the
 * app's settings (default: a temporary one of the harness). tmp: the
 * process's temporary directory (the run bus keeps its data there). k8s:
 * start a Kubernetes test cluster first (needs KUMEO_K8S_BIN) and deploy
 * to it, context kumeo-test.
 */
export async function startHarness(work, { open = '', generate = '', metricsInterval = '', config = '', tmp = '', k8s = false } = {}) {
  const args = ['-dist', dist(), '-workspace', work, '-listen', '127.0.0.1:0'];
  if (k8s) args.push('-k8s');
  if (open) args.push('-open', open);
  if (generate) args.push('-generate', generate);
  if (metricsInterval) args.push('-metrics-interval', metricsInterval);
  if (config) args.push('-config', config);
  const env = { ...process.env };
  if (tmp) env.TMPDIR = tmp;
  const server = spawn(serverBinary(), args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  running.add(server);
  const exited = new Promise((resolve) => server.on('exit', resolve));
  exited.then(() => running.delete(server));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('http'));
      if (line) resolve(line.trim());
    });
    exited.then((code) => reject(new Error(`harness exited with ${code}`)));
  });
  return {
    url,
    async stop() {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 20000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Chromium with the flags that work on headless build machines. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: browserPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The window size every test and the benchmark use. */
export const VIEWPORT = { width: 1500, height: 950 };

/**
 * Everything one test works with, shared with no other test: a directory
 * with the workspace (work), the app's settings (config) and the harness'
 * temporary files, the harness serving it (url), and a browser context of
 * its own (fresh storage and cache) for its pages. files: name → text
 * written into work first; open: the name of the file the window opens;
 * the other options are startHarness'. close() closes the context, stops
 * the harness and removes the directory.
 */
export async function startSession(browser, { files = {}, ...options } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'kumeo-e2e-'));
  const work = join(root, 'work');
  const config = join(root, 'config');
  const tmp = join(root, 'tmp');
  for (const d of [work, config, tmp]) mkdirSync(d);
  let harness;
  let context;
  const close = async () => {
    await context?.close().catch(() => {});
    await harness?.stop();
    removeDir(root);
  };
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(work, name), text);
    const open = options.open ? join(work, options.open) : '';
    harness = await startHarness(work, { ...options, open, config, tmp });
    context = await browser.newContext({ viewport: VIEWPORT });
  } catch (err) {
    await close();
    throw err;
  }
  return { work, config, url: harness.url, context, close };
}

/**
 * Waits until page shows file (a name), its graph laid out and fitted in
 * view: the canvas names the document it has fitted in data-fitted.
 */
export function opened(page, file, { timeout } = {}) {
  return page.waitForFunction(
    (f) => {
      const fitted = document.querySelector('.flow[data-layout=ready]')?.dataset.fitted ?? '';
      return document.querySelector('[data-testid=file-name]')?.textContent?.startsWith(f) && fitted.split(/[\\/]/).pop() === f && !!document.querySelector('[data-testid=agent-node]');
    },
    file,
    { timeout },
  );
}

/** Resolves once the canvas' view has not moved for ten frames (an animated fit takes 200 ms). */
export const viewStill = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const vp = document.querySelector('.svelte-flow__viewport');
        let last = vp.style.transform;
        let same = 0;
        let frames = 0;
        const tick = () => {
          const now = vp.style.transform;
          same = now === last ? same + 1 : 0;
          last = now;
          if (same >= 10) resolve();
          else if (++frames > 600) reject(new Error(`the view keeps moving: ${now}`));
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
  );
