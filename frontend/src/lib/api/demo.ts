// An in-memory backend for looking at the UI without Go: the fraud
// detection example with its graph as Go computes it. Edits from the
// canvas are not available (they need the Go edit layer).

import { createFakeApi } from './fake';
import type { Graph, TypeSpec } from './types';
import text from '../testdata/fraud_detection.kumeo?raw';
import graph from '../testdata/fraud_detection.json';
import specs from '../testdata/specs.json';

export function demoApi() {
  const path = '/demo/fraud_detection.kumeo';
  const fake = createFakeApi({
    files: { [path]: text },
    initialPath: path,
    specs: specs as unknown as TypeSpec[],
    analyze: (t) =>
      t.includes('!')
        ? { graph: null, parseOK: false, diagnostics: [{ severity: 'error', code: 'K0001', summary: 'unexpected "!"', detail: '', from: t.indexOf('!'), to: t.indexOf('!') + 1, line: 1, col: 1, suggestions: [] }] }
        : { graph: graph as unknown as Graph, parseOK: true, diagnostics: [] },
  });
  return fake.api;
}
