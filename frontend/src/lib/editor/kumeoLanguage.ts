import { StreamLanguage, type StreamParser } from '@codemirror/language';

// Token-level highlighting for .kumeo text. Structure (graph, diagnostics)
// comes from Go; this only colours what the user reads.

interface State {
  inBlockComment: boolean;
  inLongString: boolean;
}

const keywords = new Set(['workflow', 'subworkflow', 'integration']);
const atoms = new Set(['true', 'false', 'null']);

const parser: StreamParser<State> = {
  name: 'kumeo',
  startState: () => ({ inBlockComment: false, inLongString: false }),
  token(stream, state) {
    if (state.inBlockComment) {
      if (stream.skipTo('*/')) {
        stream.match('*/');
        state.inBlockComment = false;
      } else {
        stream.skipToEnd();
      }
      return 'comment';
    }
    if (state.inLongString) {
      if (stream.skipTo('"""')) {
        stream.match('"""');
        state.inLongString = false;
      } else {
        stream.skipToEnd();
      }
      return 'string';
    }
    if (stream.eatSpace()) return null;
    if (stream.match('//')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match('/*')) {
      state.inBlockComment = true;
      return 'comment';
    }
    if (stream.match('"""')) {
      state.inLongString = true;
      return 'string';
    }
    const quote = stream.peek();
    if (quote === '"' || quote === "'") {
      stream.next();
      let escaped = false;
      let ch: string | void;
      while ((ch = stream.next()) != null) {
        if (ch === quote && !escaped) break;
        escaped = !escaped && ch === '\\';
      }
      return stream.match(/^\s*:/, false) ? 'propertyName' : 'string';
    }
    if (stream.match(/^-?\d+(\.\d+)?([eE][+-]?\d+)?/)) return 'number';
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/) as RegExpMatchArray | null;
    if (word) {
      const w = word[0];
      if (keywords.has(w)) return 'keyword';
      if (atoms.has(w)) return 'atom';
      if (stream.match(/^\s*\(/, false)) return 'typeName';
      if (stream.match(/^\s*[:=]/, false)) return 'propertyName';
      return 'variableName';
    }
    stream.next();
    return null;
  },
  languageData: {
    commentTokens: { line: '//', block: { open: '/*', close: '*/' } },
  },
};

export const kumeoLanguage = StreamLanguage.define(parser);
