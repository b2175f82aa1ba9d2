import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { workspace } from './lib/stores/workspace.svelte';
import { run } from './lib/stores/run.svelte';

async function boot() {
  // Without Go (a plain `vite` dev server), ?demo shows the UI on an example
  // with an in-memory backend.
  const w = window as unknown as { go?: unknown };
  if (!w.go && new URLSearchParams(location.search).has('demo')) {
    const { demoApi } = await import('./lib/api/demo');
    const api = demoApi();
    workspace.api = api;
    run.api = api;
  }
  mount(App, { target: document.getElementById('app')! });
}

void boot();
