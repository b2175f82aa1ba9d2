package dsl

import (
	"fmt"
	"unicode/utf8"
)

// TokenKind classifies a token.
type TokenKind uint8

// Token kinds. Whitespace is not a token: it is the gap between tokens, so
// the source is exactly the concatenation of gaps and token texts.
const (
	TokEOF TokenKind = iota
	TokIdent
	TokString     // "..." or '...'
	TokLongString // """..."""
	TokNumber
	TokLBrace   // {
	TokRBrace   // }
	TokLParen   // (
	TokRParen   // )
	TokLBracket // [
	TokRBracket // ]
	TokComma    // ,
	TokSemi     // ;
	TokColon    // :
	TokAssign   // =
	TokDot      // .
	TokLineComment
	TokBlockComment
	TokInvalid
)

var tokenNames = [...]string{
	TokEOF:          "end of file",
	TokIdent:        "identifier",
	TokString:       "string",
	TokLongString:   "long string",
	TokNumber:       "number",
	TokLBrace:       `"{"`,
	TokRBrace:       `"}"`,
	TokLParen:       `"("`,
	TokRParen:       `")"`,
	TokLBracket:     `"["`,
	TokRBracket:     `"]"`,
	TokComma:        `","`,
	TokSemi:         `";"`,
	TokColon:        `":"`,
	TokAssign:       `"="`,
	TokDot:          `"."`,
	TokLineComment:  "comment",
	TokBlockComment: "comment",
	TokInvalid:      "invalid character",
}

func (k TokenKind) String() string {
	if int(k) < len(tokenNames) {
		return tokenNames[k]
	}
	return fmt.Sprintf("token(%d)", k)
}

// IsComment reports whether the kind is a line or block comment.
func (k TokenKind) IsComment() bool { return k == TokLineComment || k == TokBlockComment }

// Token is one lexical token. Start and End are byte offsets into the source.
type Token struct {
	Kind  TokenKind
	Start int
	End   int
	Line  int // 1-based line of Start
	Col   int // 1-based byte column of Start
}

// Text returns the token's source bytes.
func (t Token) Text(src []byte) string { return string(src[t.Start:t.End]) }

// lexError is a lexical problem found while scanning.
type lexError struct {
	start, end int
	summary    string
	detail     string
}

// lex splits src into tokens (comments included, whitespace excluded). It
// never fails: malformed input yields TokInvalid tokens and lexErrors, and
// lexing continues so positions after the problem stay meaningful.
func lex(src []byte) ([]Token, []lexError) {
	toks := make([]Token, 0, len(src)/6+16)
	var errs []lexError
	line, lineStart := 1, 0
	i := 0
	n := len(src)
	for i < n {
		c := src[i]
		switch c {
		case '\n':
			i++
			line++
			lineStart = i
			continue
		case ' ', '\t', '\r', '\f', '\v':
			i++
			continue
		}
		if c == 0xEF && i+2 < n && src[i+1] == 0xBB && src[i+2] == 0xBF && i == 0 {
			i += 3 // byte-order mark: treated as whitespace
			continue
		}
		start := i
		tok := Token{Start: start, Line: line, Col: start - lineStart + 1}
		switch {
		case isIdentStart(c):
			i++
			for i < n && isIdentPart(src[i]) {
				i++
			}
			tok.Kind = TokIdent
		case c >= '0' && c <= '9' || c == '-' && i+1 < n && src[i+1] >= '0' && src[i+1] <= '9':
			i = scanNumber(src, i)
			tok.Kind = TokNumber
		case c == '"' && i+2 < n && src[i+1] == '"' && src[i+2] == '"':
			tok.Kind = TokLongString
			j := indexLongEnd(src, i+3)
			if j < 0 {
				errs = append(errs, lexError{start, n, "Unterminated long string", `A string opened with """ must be closed with """.`})
				tok.Kind = TokInvalid
				i = n
			} else {
				i = j + 3
			}
			line, lineStart = countLines(src[:i], start, line, lineStart)
		case c == '"' || c == '\'':
			tok.Kind = TokString
			j := i + 1
			closed := false
			for j < n {
				b := src[j]
				if b == '\\' && j+1 < n && src[j+1] != '\n' {
					j += 2
					continue
				}
				if b == '\n' {
					break
				}
				if b == c {
					closed = true
					j++
					break
				}
				j++
			}
			if !closed {
				errs = append(errs, lexError{start, j, "Unterminated string",
					fmt.Sprintf("A string opened with %c must be closed with %c on the same line; use \"\"\" for text that spans lines.", c, c)})
				tok.Kind = TokInvalid
			}
			i = j
		case c == '/' && i+1 < n && src[i+1] == '/':
			i += 2
			for i < n && src[i] != '\n' {
				i++
			}
			// A line comment does not include a trailing \r of a CRLF ending.
			if i > start+2 && src[i-1] == '\r' {
				i--
			}
			tok.Kind = TokLineComment
		case c == '/' && i+1 < n && src[i+1] == '*':
			tok.Kind = TokBlockComment
			j := i + 2
			closed := false
			for j+1 < n {
				if src[j] == '*' && src[j+1] == '/' {
					closed = true
					j += 2
					break
				}
				j++
			}
			if !closed {
				j = n
				errs = append(errs, lexError{start, n, "Unterminated comment", "A comment opened with /* must be closed with */."})
				tok.Kind = TokInvalid
			}
			line, lineStart = countLines(src[:j], start, line, lineStart)
			i = j
		default:
			i++
			if k := punctKinds[c]; k != TokEOF {
				tok.Kind = k
			} else {
				tok.Kind = TokInvalid
				if c >= utf8.RuneSelf {
					_, size := utf8.DecodeRune(src[start:])
					i = start + size
				}
				errs = append(errs, lexError{start, i, "Invalid character",
					fmt.Sprintf("The character %q cannot appear here; identifiers and punctuation are ASCII, and text belongs in quotes.", string(src[start:i]))})
			}
		}
		tok.End = i
		toks = append(toks, tok)
	}
	toks = append(toks, Token{Kind: TokEOF, Start: n, End: n, Line: line, Col: n - lineStart + 1})
	return toks, errs
}

// punctKinds maps single-character punctuation to its token kind; other
// bytes map to TokEOF (the zero kind).
var punctKinds = [256]TokenKind{
	'{': TokLBrace, '}': TokRBrace, '(': TokLParen, ')': TokRParen, '[': TokLBracket, ']': TokRBracket,
	',': TokComma, ';': TokSemi, ':': TokColon, '=': TokAssign, '.': TokDot,
}

// countLines advances the line count over the newlines in src[from:],
// returning the new line number and the offset where the last line starts.
func countLines(src []byte, from, line, lineStart int) (int, int) {
	for k := from; k < len(src); k++ {
		if src[k] == '\n' {
			line++
			lineStart = k + 1
		}
	}
	return line, lineStart
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func scanNumber(src []byte, i int) int {
	n := len(src)
	if src[i] == '-' {
		i++
	}
	for i < n && isDigit(src[i]) {
		i++
	}
	if i+1 < n && src[i] == '.' && isDigit(src[i+1]) {
		i++
		for i < n && isDigit(src[i]) {
			i++
		}
	}
	if i < n && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < n && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < n && isDigit(src[j]) {
			for j < n && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func indexLongEnd(src []byte, from int) int {
	for j := from; j+2 < len(src); j++ {
		if src[j] == '"' && src[j+1] == '"' && src[j+2] == '"' {
			// A run of more than three quotes closes at its last three, so
			// a long string may end with a quote character.
			for j+3 < len(src) && src[j+3] == '"' {
				j++
			}
			return j
		}
	}
	return -1
}
