package dsl

import "bytes"

const fmtIndentWidth = 2

var fmtBOM = []byte{0xEF, 0xBB, 0xBF}

// Format parses src and returns it in canonical style (`kumeo fmt`). When
// the file has syntax errors it returns nil and the diagnostics: a file that
// does not parse is never rewritten. Warnings are returned with the output.
//
// Formatting only moves whitespace: the tokens, comments included, are
// written as they are (but for trailing whitespace in a `// comment`) and
// only the gaps between them change. The result is
// stable: formatting it again returns it unchanged. The canonical style:
//
// Line breaks
//   - The user's line breaks between tokens are kept: no line break stays
//     none, one stays one, two or more become one blank line.
//   - No blank line right after an opening bracket or right before a closing
//     one; an empty pair is written `{}`, `[]`, `()` on one line, even when
//     the source had a line break inside it.
//   - The body of a workflow, subworkflow or integration block starts on a
//     new line after `{` (comments on the same line as `{` stay there), and
//     its `}` closes on a line of its own; a body with nothing in it is
//     written `{}`.
//   - Top-level blocks are separated by exactly one blank line: the first
//     token on a new line after a block's `}` (and after comments on that
//     same line) is preceded by one blank line.
//   - A `// comment` always ends its line. No leading blank lines; a file
//     ends with exactly one line break (an empty file stays empty).
//
// Indentation (two spaces per level, computed per line)
//   - A line is indented one level deeper than the line holding the
//     innermost bracket still open at its start, so several brackets opened
//     on one line (`HTTP("/x", {`) add a single level.
//   - A line that starts with a closing bracket gets the indentation of the
//     line holding its opening bracket.
//   - A line outside every bracket starts at column 0 (in a fragment: at the
//     fragment's first-line indentation, see FormatFragment).
//
// Spaces within a line
//   - None inside `()` and `[]`, one inside a non-empty `{ }`.
//   - None before `,` `:` `;` `)` `]`; one after `,` `:` `;`.
//   - None around `=` (named arguments are written `id="x"`) and `.`
//     (`a.b.c`), none between a call's name and its `(`.
//   - One before a `// comment`; block comments are spaced like any other
//     value. Everything else is separated by one space.
//
// Tokens are never altered, so long strings and block comments keep their
// text (and inner indentation) as written; the only exception is trailing
// whitespace at the end of a `// comment`, which is dropped. No line ends
// in whitespace except inside a long string or a block comment.
//
// Line endings: a file whose first line break is "\r\n" is written with
// "\r\n" between all tokens, any other file with "\n". Line breaks inside
// long strings and block comments are kept as written. A UTF-8 byte-order
// mark at the start of the file is kept.
func Format(filename string, src []byte) ([]byte, Diagnostics) {
	f, diags := Parse(filename, src)
	if diags.HasErrors() {
		return nil, diags
	}
	return FormatFile(f), diags
}

// FormatFile returns the parsed file f in canonical style. f should have
// parsed without errors; see Format.
func FormatFile(f *File) []byte {
	return formatTokens(f.Src, f.Tokens, false, 0)
}

// FormatFragment formats a single value, such as an agent call inserted by
// an edit operation, in the canonical style of a file, without a trailing
// line break and without indenting the first line, so the result can be
// spliced after existing text.
//
// indent is the nesting depth of the lines inside the value's outermost
// brackets: those lines are indented 2*indent spaces (deeper brackets add 2
// more per level), and a line that starts with the value's own closing
// bracket, or continues the value outside any bracket, is indented
// 2*(indent-1). Values less than 1 count as 1: the value's first line is at
// column 0, as for a value that starts a line at the top level. For example
//
//	FormatFragment("Router(id: \"r\",\nrules: {\"a > 1\": \"x\"})", 2)
//
// returns
//
//	Router(id: "r",
//	    rules: { "a > 1": "x" })
//
// which is exactly how the call is laid out as the value of a workflow
// property (a line indented 2 spaces); an agent in a workflow's
// `agents: [...]` list (a line indented 4 spaces) takes indent 3.
// FormatFragment(x, 0) gives the layout relative to column 0, to which the
// caller may add the target line's indentation.
//
// Line breaks are "\r\n" when the fragment's first line break is, "\n"
// otherwise. When the fragment ends with a `// comment` the caller must
// follow it with a line break. A fragment that does not parse returns its
// syntax diagnostics (a Diagnostics value) as the error.
func FormatFragment(src string, indent int) (string, error) {
	_, f, diags := ParseValue("fragment", []byte(src))
	if diags.HasErrors() {
		return "", diags.Errors()
	}
	return string(formatTokens(f.Src, f.Tokens, true, indent)), nil
}

// formatTokens is the shared core: it writes toks (in source order, an
// optional trailing TokEOF is ignored) with canonical gaps. In fragment mode
// there are no top-level blocks, the first line's indentation is
// 2*(indent-1) (at least 0) and no final line break is written. It does not require the
// tokens to parse and never panics on unbalanced brackets.
func formatTokens(src []byte, toks []Token, fragment bool, indent int) []byte {
	if n := len(toks); n > 0 && toks[n-1].Kind == TokEOF {
		toks = toks[:n-1]
	}
	out := make([]byte, 0, len(src)+len(src)/8+16)
	if bytes.HasPrefix(src, fmtBOM) {
		out = append(out, fmtBOM...)
	}
	if len(toks) == 0 {
		return out
	}
	eol := []byte("\n")
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		eol = []byte("\r\n")
	}
	match := fmtMatchBrackets(toks)
	breaks := fmtBreaks(src, toks, match, fragment)

	base := 0
	if fragment && indent > 1 {
		base = fmtIndentWidth * (indent - 1)
	}
	openIndent := make([]int, len(toks)) // line indentation of each opening bracket
	stack := make([]int, 0, 16)          // indexes of the open brackets
	line := base                         // indentation of the current line
	for i, t := range toks {
		if i > 0 {
			if nb := breaks[i]; nb == 0 {
				if fmtSpace(toks[i-1], t, match[i-1] == i) {
					out = append(out, ' ')
				}
			} else {
				for k := int8(0); k < nb; k++ {
					out = append(out, eol...)
				}
				switch {
				case fmtIsCloser(t.Kind) && match[i] >= 0:
					line = openIndent[match[i]]
				case len(stack) > 0:
					line = openIndent[stack[len(stack)-1]] + fmtIndentWidth
				default:
					line = base
				}
				for k := 0; k < line; k++ {
					out = append(out, ' ')
				}
			}
		}
		text := src[t.Start:t.End]
		if t.Kind == TokLineComment {
			text = bytes.TrimRight(text, " \t\r\f\v")
		}
		out = append(out, text...)
		switch {
		case fmtIsOpener(t.Kind):
			openIndent[i] = line
			stack = append(stack, i)
		case fmtIsCloser(t.Kind) && match[i] >= 0:
			stack = stack[:len(stack)-1] // match[i] is the top: brackets nest
		}
	}
	if !fragment {
		out = append(out, eol...)
	}
	return out
}

// fmtBreaks returns the number of line breaks (0, 1 or 2, where 2 means one
// blank line) to write before each token.
func fmtBreaks(src []byte, toks []Token, match []int, fragment bool) []int8 {
	n := len(toks)
	br := make([]int8, n)
	for i := 1; i < n; i++ {
		c := bytes.Count(src[toks[i-1].End:toks[i].Start], []byte{'\n'})
		if c > 2 {
			c = 2
		}
		if toks[i-1].Kind == TokLineComment && c == 0 {
			c = 1
		}
		if c > 1 && (fmtIsOpener(toks[i-1].Kind) || fmtIsCloser(toks[i].Kind)) {
			c = 1
		}
		br[i] = int8(c)
	}
	// sameLineEnd returns the index of the first token after i that is not
	// a comment on the same line as the token before it.
	sameLineEnd := func(i int) int {
		j := i + 1
		for j < n && toks[j].Kind.IsComment() && br[j] == 0 {
			j++
		}
		return j
	}
	if !fragment {
		depth := 0
		for i, t := range toks {
			switch {
			case fmtIsOpener(t.Kind):
				if depth == 0 && t.Kind == TokLBrace && match[i] > i {
					// A block body: its properties start on a new line and
					// its "}" closes on a line of its own.
					// (An empty body is joined again below.)
					j, cl := sameLineEnd(i), match[i]
					br[j] = max(br[j], 1)
					br[cl] = max(br[cl], 1)
				}
				depth++
			case fmtIsCloser(t.Kind) && match[i] >= 0:
				depth--
				if depth == 0 && t.Kind == TokRBrace {
					if j := sameLineEnd(i); j < n {
						br[j] = 2
					}
				}
			}
		}
	}
	for i := 0; i+1 < n; i++ {
		if match[i] == i+1 {
			br[i+1] = 0
		}
	}
	return br
}

// fmtSpace reports whether one space separates prev and cur on one line.
// empty is true when cur closes the bracket prev opens.
func fmtSpace(prev, cur Token, empty bool) bool {
	p, c := prev.Kind, cur.Kind
	switch {
	case empty:
		return false
	case c == TokLineComment:
		return true
	case p == TokLParen || p == TokLBracket:
		return false
	case p == TokLBrace || c == TokRBrace:
		return true
	case c == TokComma || c == TokColon || c == TokSemi || c == TokRParen || c == TokRBracket:
		return false
	case p == TokAssign || c == TokAssign || p == TokDot || c == TokDot:
		return false
	case c == TokLParen && p == TokIdent:
		return false
	}
	return true
}

// fmtMatchBrackets returns, for every bracket token, the index of its
// partner, and -1 for other tokens and unbalanced brackets.
func fmtMatchBrackets(toks []Token) []int {
	match := make([]int, len(toks))
	stack := make([]int, 0, 16)
	for i, t := range toks {
		match[i] = -1
		switch {
		case fmtIsOpener(t.Kind):
			stack = append(stack, i)
		case fmtIsCloser(t.Kind):
			if k := len(stack) - 1; k >= 0 && fmtCloserOf(toks[stack[k]].Kind) == t.Kind {
				match[i], match[stack[k]] = stack[k], i
				stack = stack[:k]
			}
		}
	}
	return match
}

func fmtIsOpener(k TokenKind) bool { return k == TokLBrace || k == TokLParen || k == TokLBracket }

func fmtIsCloser(k TokenKind) bool { return k == TokRBrace || k == TokRParen || k == TokRBracket }

func fmtCloserOf(k TokenKind) TokenKind {
	switch k {
	case TokLBrace:
		return TokRBrace
	case TokLParen:
		return TokRParen
	case TokLBracket:
		return TokRBracket
	}
	return TokInvalid
}
