// A small, error-tolerant scanner over .kumeo text for editor features
// that need to know where the cursor is (completion, hover, inspector).
// Go owns parsing and diagnostics; this only reads tokens and brackets, so
// it works on half-typed text too.

export type TokenType = 'ident' | 'string' | 'number' | 'punct' | 'comment';

export interface Token {
  type: TokenType;
  from: number;
  to: number;
  /** Identifier name, string contents (without quotes), number text or punctuation. */
  value: string;
  /** For strings: true when the closing quote is missing. */
  open?: boolean;
}

export function tokenize(text: string, end = text.length): Token[] {
  return [...tokens(text, 0, end)];
}

/**
 * The tokens of text from `from` (which must not be inside a string or
 * comment) until end, lazily: a caller that stops early scans no further.
 */
export function* tokens(text: string, from = 0, end = text.length): Generator<Token> {
  let i = from;
  while (i < end) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      yield { type: 'comment', from: start, to: i, value: '' };
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
      yield { type: 'comment', from: start, to: i, value: '' };
      continue;
    }
    if (c === '"' && text.startsWith('"""', i)) {
      const close = text.indexOf('"""', i + 3);
      const open = close < 0;
      i = open ? text.length : close + 3;
      yield { type: 'string', from: start, to: i, value: text.slice(start + 3, open ? i : i - 3), open };
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      let open = true;
      while (j < text.length) {
        const d = text[j];
        if (d === '\\' && j + 1 < text.length) {
          value += text[j + 1];
          j += 2;
          continue;
        }
        if (d === c) {
          open = false;
          j++;
          break;
        }
        if (d === '\n') break;
        value += d;
        j++;
      }
      i = j;
      yield { type: 'string', from: start, to: i, value, open };
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j])) j++;
      yield { type: 'ident', from: start, to: j, value: text.slice(start, j) };
      i = j;
      continue;
    }
    const num = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 40));
    if (num && (c !== '-' || /[0-9]/.test(text[i + 1] ?? ''))) {
      i += num[0].length;
      yield { type: 'number', from: start, to: i, value: num[0] };
      continue;
    }
    i++;
    yield { type: 'punct', from: start, to: i, value: c };
  }
}

export type FrameKind = 'block' | 'call' | 'object' | 'array' | 'paren';

export interface Frame {
  kind: FrameKind;
  /** Call or block name ('workflow Name' gives 'workflow'). */
  name: string;
  /** For blocks: the block's own name. */
  blockName?: string;
  /** The key this value belongs to (property or named argument), if any. */
  key: string;
  from: number;
  /** Keys / named arguments seen so far in this frame. */
  keys: string[];
}

export interface CursorContext {
  /** Enclosing frames, outermost first. */
  frames: Frame[];
  /** The innermost call around the cursor, if any. */
  call: Frame | null;
  /** The cursor is where a key or named argument may start. */
  keyPosition: boolean;
  /** The key (or named argument) whose value the cursor is in. */
  valueOf: string | null;
  /** The token under the cursor when it is a string. */
  string: Token | null;
  /** The dotted word before the cursor (`config.thr`), and where it starts. */
  word: string;
  wordFrom: number;
  /** Keys from the outermost block down to the cursor's object. */
  path: string[];
}

const BLOCK_WORDS = new Set(['workflow', 'subworkflow', 'integration']);

/** Walks the tokens up to pos and reports what surrounds it. */
export function contextAt(text: string, pos: number): CursorContext {
  const toks = tokenize(text, pos);
  const frames: Frame[] = [];
  let pendingKey = '';
  let blockWord: string | null = null;
  let blockName: string | undefined;
  let expectKey = false;
  let stringTok: Token | null = null;
  let prev: Token | null = null;

  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.from >= pos) break;
    if (t.type === 'string' && t.from < pos && (pos < t.to || (t.open && pos <= t.to))) {
      stringTok = t;
      break;
    }
    if (t.type === 'comment') {
      if (pos <= t.to) return emptyContext(frames, pos, text);
      continue;
    }
    const top = frames.at(-1);
    if (t.type === 'ident' && frames.length === 0 && BLOCK_WORDS.has(t.value)) {
      blockWord = t.value;
      blockName = undefined;
    } else if (t.type === 'ident' && blockWord && frames.length === 0) {
      blockName = t.value;
    }
    if (t.type === 'punct') {
      const v = t.value;
      if (v === '{' || v === '(' || v === '[') {
        let kind: FrameKind;
        let name = '';
        if (v === '{' && frames.length === 0) {
          kind = 'block';
          name = blockWord ?? '';
        } else if (v === '{') kind = 'object';
        else if (v === '[') kind = 'array';
        else if (prev?.type === 'ident') {
          kind = 'call';
          name = prev.value;
        } else kind = 'paren';
        // A call's own key is the key before its name.
        frames.push({ kind, name, blockName: kind === 'block' ? blockName : undefined, key: pendingKey, from: t.from, keys: [] });
        if (kind === 'block') blockWord = null;
        pendingKey = '';
        expectKey = kind !== 'array' && kind !== 'paren';
      } else if (v === '}' || v === ')' || v === ']') {
        frames.pop();
        pendingKey = '';
        expectKey = false;
      } else if (v === ',' || v === ';') {
        pendingKey = '';
        expectKey = !!top && top.kind !== 'array' && top.kind !== 'paren';
      } else if ((v === ':' || v === '=') && prev && (prev.type === 'ident' || prev.type === 'string') && top && top.kind !== 'array') {
        pendingKey = prev.value;
        top.keys.push(prev.value);
        expectKey = false;
      }
    } else if (t.type === 'ident') {
      if (expectKey) expectKey = false;
    } else {
      expectKey = false;
    }
    prev = t;
  }

  // The dotted word ending at pos.
  let wordFrom = pos;
  while (wordFrom > 0 && /[A-Za-z0-9_.]/.test(text[wordFrom - 1])) wordFrom--;
  const word = stringTok ? '' : text.slice(wordFrom, pos);
  // A key is expected right after '(' '{' ',' or a newline in a block/object.
  let keyPosition = false;
  if (!stringTok) {
    const top = frames.at(-1);
    if (top && (top.kind === 'call' || top.kind === 'object' || top.kind === 'block')) {
      let j = wordFrom - 1;
      while (j >= 0 && /\s/.test(text[j])) j--;
      const before = j >= 0 ? text[j] : '';
      const newlineBetween = /\n/.test(text.slice(j + 1, wordFrom));
      keyPosition = before === '(' || before === '{' || before === ',' || before === ';' ||
        (newlineBetween && top.kind !== 'call' && before !== ':' && before !== '=');
    }
  }
  const call = [...frames].reverse().find((f) => f.kind === 'call') ?? null;
  const path: string[] = [];
  for (const f of frames) if (f.key) path.push(f.key);
  if (!keyPosition && pendingKey) path.push(pendingKey);
  return {
    frames,
    call,
    keyPosition,
    valueOf: keyPosition ? null : pendingKey || null,
    string: stringTok,
    word,
    wordFrom,
    path,
  };
}

function emptyContext(frames: Frame[], pos: number, _text: string): CursorContext {
  return { frames, call: null, keyPosition: false, valueOf: null, string: null, word: '', wordFrom: pos, path: ['//'] };
}

export interface Arg {
  /** Argument name; '' for a positional one. */
  name: string;
  /** Position among positional arguments, -1 for named ones. */
  index: number;
  /** Range of the value. */
  from: number;
  to: number;
  value: string;
}

/**
 * The top-level arguments of the call that starts at or after `from`
 * (an agent's range, which starts outside any string or comment): named
 * ones with their raw value text. Only text from `from` to `to` is read.
 */
export function callArgs(text: string, from: number, to: number = text.length): { name: string; args: Arg[] } | null {
  const toks = [...tokens(text, from, to)].filter((t) => t.type !== 'comment');
  let k = toks.findIndex((t, i) => t.type === 'ident' && toks[i + 1]?.value === '(' && toks[i + 1]?.type === 'punct');
  if (k < 0) return null;
  const name = toks[k].value;
  k += 2;
  const args: Arg[] = [];
  let depth = 0;
  let argStart = -1;
  let argName = '';
  let positional = 0;
  let valueFrom = -1;
  const finish = (end: number) => {
    if (valueFrom >= 0) {
      const value = text.slice(valueFrom, end).trim();
      args.push({ name: argName, index: argName ? -1 : positional++, from: valueFrom, to: valueFrom + text.slice(valueFrom, end).trimEnd().length, value });
    }
    argName = '';
    valueFrom = -1;
    argStart = -1;
  };
  for (; k < toks.length; k++) {
    const t = toks[k];
    if (t.type === 'punct' && '({['.includes(t.value)) {
      if (valueFrom < 0) valueFrom = t.from;
      depth++;
      continue;
    }
    if (t.type === 'punct' && ')}]'.includes(t.value)) {
      if (depth === 0) {
        finish(t.from);
        break;
      }
      depth--;
      continue;
    }
    if (depth > 0) continue;
    if (t.type === 'punct' && t.value === ',') {
      finish(t.from);
      continue;
    }
    if (argStart < 0) argStart = t.from;
    const next = toks[k + 1];
    if (valueFrom < 0 && !argName && (t.type === 'ident' || t.type === 'string') && next?.type === 'punct' && (next.value === ':' || next.value === '=')) {
      argName = t.value;
      k++;
      continue;
    }
    if (valueFrom < 0) valueFrom = t.from;
  }
  return { name, args };
}

/**
 * Dotted paths defined under the named top-level properties of every
 * block: collectPaths(text, ['config']) gives config.thresholds,
 * config.thresholds.block, ...
 */
export function collectPaths(text: string, roots: readonly string[] = ['config', 'models', 'data', 'schemas']): string[] {
  const toks = tokenize(text).filter((t) => t.type !== 'comment');
  const out = new Set<string>();
  // Stack of key paths for open brackets; null for brackets that are not objects under a root.
  const stack: (string[] | null)[] = [];
  let depthBlock = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    const next = toks[k + 1];
    if (t.type === 'punct' && '{(['.includes(t.value)) {
      const prevKey = keyBefore(toks, k);
      const top = stack.at(-1);
      if (stack.length === 0) {
        stack.push([]);
        depthBlock++;
      } else if (t.value === '{' && top && prevKey !== null && (top.length > 0 || (stack.length === 1 && roots.includes(prevKey)))) {
        stack.push([...top, prevKey]);
      } else stack.push(null);
      continue;
    }
    if (t.type === 'punct' && '})]'.includes(t.value)) {
      stack.pop();
      continue;
    }
    const top = stack.at(-1);
    if (top && (t.type === 'ident' || t.type === 'string') && next?.type === 'punct' && next.value === ':') {
      if (top.length > 0) out.add([...top, t.value].join('.'));
    }
  }
  void depthBlock;
  return [...out].sort();
}

function keyBefore(toks: Token[], k: number): string | null {
  const colon = toks[k - 1];
  const key = toks[k - 2];
  if (colon?.type === 'punct' && colon.value === ':' && key && (key.type === 'ident' || key.type === 'string')) return key.value;
  return null;
}

/** The identifier (or dotted path) at pos, with its range. */
export function wordAt(text: string, pos: number): { word: string; from: number; to: number } | null {
  let from = pos;
  let to = pos;
  while (from > 0 && /[A-Za-z0-9_]/.test(text[from - 1])) from--;
  while (to < text.length && /[A-Za-z0-9_]/.test(text[to])) to++;
  if (from === to) return null;
  return { word: text.slice(from, to), from, to };
}
