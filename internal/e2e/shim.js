// Kumeo e2e shim: stands in for the Wails runtime in a plain browser.
//
// window.go.<pkg>.<Service>.<Method>(...args) sends the call over one
// WebSocket (/ipc) to the real Go service; the promise resolves with the
// result or rejects with the error message, as Wails does.
// window.runtime.EventsOn and friends listen to the events the Go services
// emit, which arrive over the same socket, as they share one message channel
// in a Wails window.
(() => {
  'use strict';

  const listeners = new Map(); // event name -> [{callback, left}]
  let markReady, markClosed;
  const ready = new Promise((resolve, reject) => { markReady = resolve; markClosed = reject; });
  ready.catch(() => {}); // a closed socket rejects each call instead

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

  // Calls wait until the socket is open and events flow, so no event a call
  // causes is missed.
  const pending = new Map(); // call id -> {resolve, reject}
  let nextID = 1;
  const where = new URL('/ipc', location.href);
  where.protocol = where.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(where);
  socket.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.ready) {
      markReady();
    } else if (msg.id !== undefined) {
      const call = pending.get(msg.id);
      if (!call) return;
      pending.delete(msg.id);
      if (msg.error !== undefined) call.reject(msg.error);
      else call.resolve(msg.result);
    } else if (msg.name !== undefined) {
      dispatch(msg.name, msg.data || []);
    }
  };
  socket.onclose = () => {
    markClosed('the connection to the app closed');
    for (const call of pending.values()) call.reject('the connection to the app closed');
    pending.clear();
  };

  async function call(service, method, args) {
    await ready;
    if (socket.readyState !== WebSocket.OPEN) throw 'the connection to the app closed';
    const id = nextID++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, service, method, args }));
    });
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
