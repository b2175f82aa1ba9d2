// Kumeo e2e shim: stands in for the Wails runtime in a plain browser.
//
// window.go.<pkg>.<Service>.<Method>(...args) posts the arguments as a JSON
// array to /bind/<Service>/<Method>, which calls the real Go service; the
// promise resolves with the result or rejects with the error message, as
// Wails does. window.runtime.EventsOn and friends listen to the events the
// Go services emit, delivered as server-sent events on /events.
(() => {
  'use strict';

  const listeners = new Map(); // event name -> [{callback, left}]
  let markReady;
  const ready = new Promise((resolve) => { markReady = resolve; });

  function dispatch(name, data) {
    const list = listeners.get(name);
    if (!list) return;
    for (const l of list.slice()) {
      l.callback(...data);
      if (l.left > 0 && --l.left === 0) off(l);
    }
  }

  function off(l) {
    const list = listeners.get(l.name);
    if (!list) return;
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) listeners.delete(l.name);
  }

  // Calls wait until the event stream is connected, so no event a call
  // causes is missed.
  const events = new EventSource('/events');
  events.addEventListener('ready', () => markReady());
  events.onmessage = (m) => {
    const ev = JSON.parse(m.data);
    dispatch(ev.name, ev.data || []);
  };

  async function call(service, method, args) {
    await ready;
    const res = await fetch(`/bind/${encodeURIComponent(service)}/${encodeURIComponent(method)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(args),
    });
    let body;
    try {
      body = await res.json();
    } catch {
      throw `HTTP ${res.status} from ${service}.${method}`;
    }
    if (body.error !== undefined) throw body.error;
    return body.result;
  }

  // window.go.<pkg>.<Service>.<Method>: any name maps to a call.
  const services = new Map();
  const service = (name) => {
    if (!services.has(name)) {
      services.set(name, new Proxy({}, {
        get: (_, method) => (typeof method === 'string' ? (...args) => call(name, method, args) : undefined),
      }));
    }
    return services.get(name);
  };
  const pkg = new Proxy({}, { get: (_, name) => (typeof name === 'string' ? service(name) : undefined) });
  window.go = new Proxy({}, { get: (_, name) => (typeof name === 'string' ? pkg : undefined) });

  const log = (level) => (message) => console[level](message);
  const runtime = {
    EventsOnMultiple(name, callback, maxCallbacks) {
      const l = { name, callback, left: maxCallbacks || -1 };
      if (!listeners.has(name)) listeners.set(name, []);
      listeners.get(name).push(l);
      return () => off(l);
    },
    EventsOn(name, callback) { return runtime.EventsOnMultiple(name, callback, -1); },
    EventsOnce(name, callback) { return runtime.EventsOnMultiple(name, callback, 1); },
    EventsOff(name, ...more) { for (const n of [name, ...more]) listeners.delete(n); },
    EventsOffAll() { listeners.clear(); },
    EventsEmit(name, ...data) { dispatch(name, data); },
    LogPrint: log('log'), LogTrace: log('debug'), LogDebug: log('debug'), LogInfo: log('info'),
    LogWarning: log('warn'), LogError: log('error'), LogFatal: log('error'),
    Environment: () => Promise.resolve({ buildType: 'e2e', platform: 'linux', arch: 'amd64' }),
    BrowserOpenURL: (url) => window.open(url, '_blank'),
    ClipboardGetText: () => navigator.clipboard.readText(),
    ClipboardSetText: (text) => navigator.clipboard.writeText(text).then(() => true),
    WindowSetTitle: (title) => { document.title = title; },
    Quit: () => window.close(),
  };
  // Window and other desktop calls do nothing here.
  window.runtime = new Proxy(runtime, {
    get: (target, name) => (name in target ? target[name] : () => Promise.resolve()),
  });
  window.__kumeoE2E = { ready, listeners };
})();
