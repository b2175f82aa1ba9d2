// The order the browser tests run in, from KUMEO_E2E_ORDER:
//
//   forward       as written (the default)
//   reverse       last test first
//   random        shuffled with a new seed, printed before the first test
//   random:SEED   shuffled with SEED (an integer from 0 to 4294967295): the
//                 same seed gives the same order of the same tests
//
// node:test runs tests in the order they are declared and cannot shuffle
// them, so the test files declare theirs with describe and it from here,
// which only collect them, and call declareTests() at the end to hand them
// to node:test in the chosen order. The whole file is shuffled, not each
// block: tests of one describe block that end up next to each other share
// one block in the report, so a shuffled block may show up several times.

import { randomInt } from 'node:crypto';
import { describe as nodeDescribe, it as nodeIt } from 'node:test';

/** Parses KUMEO_E2E_ORDER: { kind: 'forward' | 'reverse' | 'random', seed?, label }. */
export function parseOrder(value = '') {
  const v = value.trim();
  if (v === '' || v === 'forward') return { kind: 'forward', label: 'forward' };
  if (v === 'reverse') return { kind: 'reverse', label: 'reverse' };
  const m = /^random(?::(\d+))?$/.exec(v);
  if (m) {
    const seed = m[1] === undefined ? randomInt(0, 2 ** 32) : Number(m[1]);
    if (seed < 2 ** 32) return { kind: 'random', seed, label: `random:${seed}` };
  }
  throw new Error(`KUMEO_E2E_ORDER: expected forward, reverse, random or random:SEED (SEED from 0 to 4294967295), got ${JSON.stringify(value)}`);
}

/** A pseudo-random generator of numbers in [0, 1) from a 32-bit seed (mulberry32). */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** items in the given order (a new array). */
export function arrange(items, order) {
  const out = [...items];
  if (order.kind === 'reverse') return out.reverse();
  if (order.kind === 'random') {
    const next = generator(order.seed);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
  }
  return out;
}

export const order = parseOrder(process.env.KUMEO_E2E_ORDER);

const tests = [];
let block = null;
let declared = false;

// A file that collected tests and never declared them would pass running
// nothing: fail it instead.
process.on('beforeExit', () => {
  if (tests.length > 0 && !declared) {
    console.error('e2e/order.mjs: tests were collected but declareTests() was never called');
    process.exitCode = 1;
  }
});

const args = (options, fn) => (typeof options === 'function' ? [{}, options] : [options ?? {}, fn]);

/** Collects a block of tests, like node:test's describe (one level, no nesting). */
export function describe(name, options, fn) {
  [options, fn] = args(options, fn);
  if (block) throw new Error(`describe "${name}" inside "${block.name}": blocks do not nest here`);
  block = { name, options };
  try {
    fn();
  } finally {
    block = null;
  }
}

/** Collects a test, like node:test's it. */
export function it(name, options, fn) {
  [options, fn] = args(options, fn);
  if (declared) throw new Error(`it "${name}" after declareTests()`);
  tests.push({ block, name, options, fn });
}

/** Declares the collected tests to node:test in KUMEO_E2E_ORDER's order. */
export function declareTests() {
  declared = true;
  if (order.kind !== 'forward') console.log(`test order ${order.label} (KUMEO_E2E_ORDER=${order.label} repeats it)`);
  const list = arrange(tests, order);
  for (let i = 0; i < list.length; ) {
    const { block: b } = list[i];
    let j = i + 1;
    while (j < list.length && b && list[j].block === b) j++;
    const run = list.slice(i, j);
    if (b) nodeDescribe(b.name, b.options, () => run.forEach((t) => nodeIt(t.name, t.options, t.fn)));
    else nodeIt(run[0].name, run[0].options, run[0].fn);
    i = j;
  }
}
