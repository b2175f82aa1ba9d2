// What the browser tests and the UI benchmark share: the Go e2e harness
// (internal/e2e/cmd/serve) serving frontend/dist with the real services on a
// temporary workspace, and Debian's Chromium driven by playwright-core.
// CHROMIUM names the browser (default /usr/bin/chromium); KUMEO_E2E_DIST
// another frontend build (default frontend/dist).

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const frontend = dirname(dirname(fileURLToPath(import.meta.url)));
export const repo = dirname(frontend);
export const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false. */
export function skipReason() {
  if (!existsSync(browserPath)) return `no browser at ${browserPath}`;
  if (!existsSync(join(process.env.KUMEO_E2E_DIST || join(frontend, 'dist'), 'index.html'))) return 'no frontend build';
  return false;
}

/** A fresh temporary workspace directory. */
export function workspaceDir(prefix = 'kumeo-e2e-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Builds and starts the harness on work; resolves to { url, stop }.
 * open: the file Workspace.InitialPath reports. generate: name.kumeo=AGENTS
 * pairs written into work before serving.
 */
export async function startHarness(work, { open = '', generate = '', metricsInterval = '' } = {}) {
  const bin = join(work, 'serve');
  execFileSync('go', ['build', '-o', bin, './internal/e2e/cmd/serve'], { cwd: repo, stdio: 'inherit' });
  const args = ['-dist', process.env.KUMEO_E2E_DIST || join(frontend, 'dist'), '-workspace', work, '-listen', '127.0.0.1:0'];
  if (open) args.push('-open', open);
  if (generate) args.push('-generate', generate);
  if (metricsInterval) args.push('-metrics-interval', metricsInterval);
  const server = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('http'));
      if (line) resolve(line.trim());
    });
    server.on('exit', (code) => reject(new Error(`harness exited with ${code}`)));
  });
  return {
    url,
    stop: () => {
      server.kill('SIGTERM');
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

export function removeDir(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
