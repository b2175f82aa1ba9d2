package dsl

import (
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file holds the reference grammar of the Kumeo language: a participle
// grammar that is the executable form of the EBNF in the language reference.
// Parse is the production parser (hand-written, fast, lossless, with
// diagnostics); the reference grammar exists to document the language
// (ReferenceGrammar prints it) and to be checked against Parse by the
// differential tests and FuzzGrammar in grammar_test.go, so the two always
// agree on which texts are valid Kumeo.
//
// Tokens come from the production lexer (lex in lexer.go) through an adapter,
// so there is a single tokenizer; grammar_test.go checks that tokenizer
// against the lexical rules of the reference. Comments are elided.
//
// The grammar types are named after the productions of the reference
// because participle prints Go type names as production names. Each
// production records its source range in Pos and EndPos.
//
// An identifier is any word of the lexical rule, reserved words included:
// the reference reserves workflow, subworkflow and integration as block
// keywords at the top level, where nothing else may appear, and true, false
// and null as values, which the Value alternatives try before Call and Path.
// So a reserved word can be a property key (an integration's "workflow: A"),
// an argument name, a block name, a call name or part of a path, except that
// true, false and null cannot begin a path or name a call.
//
// Two limits hold for Parse and are enforced by ParseReference after the
// context-free parse, as they cannot be written in EBNF: values nest at most
// maxDepth levels (a block body counts as one level, and so does every
// object, array and call inside it), and every number must fit in a 64-bit
// float.

type file struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Blocks []*block `parser:"@@*"`
}

type block struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Workflow    *string  `parser:"(  'workflow' @Ident"`
	Subworkflow *string  `parser:" | 'subworkflow' @Ident"`
	Integration []string `parser:" | @'integration' @Ident? )"`
	Body        *body    `parser:"@@"`
}

// body is the braced list of properties of a block.
type body struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Props []*property `parser:"'{' ( @@ ( ',' | ';' )? )* '}'"`
}

type property struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Key   *key   `parser:"@@ ':'"`
	Value *value `parser:"@@"`
}

type key struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Ident  string `parser:"  @Ident"`
	String string `parser:"| @String"`
}

type value struct {
	Pos    lexer.Position
	EndPos lexer.Position

	String     *string `parser:"  @String"`
	LongString *string `parser:"| @LongString"`
	Number     *string `parser:"| @Number"`
	True       bool    `parser:"| @'true'"`
	False      bool    `parser:"| @'false'"`
	Null       bool    `parser:"| @'null'"`
	Call       *call   `parser:"| @@"`
	Path       *path   `parser:"| @@"`
	Object     *object `parser:"| @@"`
	Array      *array  `parser:"| @@"`
}

type call struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name string `parser:"@Ident '('"`
	Args []*arg `parser:"( @@ ( ',' @@ )* ','? )? ')'"`
}

type arg struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Name   string `parser:"( @Ident"`
	Assign string `parser:"  @( ':' | '=' ) )?"`
	Value  *value `parser:"@@"`
}

type object struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Props []*property `parser:"'{' ( @@ ','? )* '}'"`
}

type array struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Elems []*value `parser:"'[' ( @@ ( ',' @@ )* ','? )? ']'"`
}

type path struct {
	Pos    lexer.Position
	EndPos lexer.Position

	Parts []string `parser:"@Ident ( '.' @Ident )*"`
}

// kind returns the block keyword, name and properties; an integration
// may have no name.
func (b *block) kind() (BlockKind, string, []*property) {
	switch {
	case b.Workflow != nil:
		return KindWorkflow, *b.Workflow, b.Body.Props
	case b.Subworkflow != nil:
		return KindSubworkflow, *b.Subworkflow, b.Body.Props
	case len(b.Integration) == 2:
		return KindIntegration, b.Integration[1], b.Body.Props
	default:
		return KindIntegration, "", b.Body.Props
	}
}

// Token types the adapter gives participle. Punctuation shares one type;
// the grammar matches it by its text.
const (
	grammarIdent lexer.TokenType = -(iota + 2)
	grammarString
	grammarLongString
	grammarNumber
	grammarPunct
	grammarComment
)

// grammarLexer adapts the production lexer to participle.
type grammarLexer struct{}

var grammarSymbols = map[string]lexer.TokenType{
	"EOF":        lexer.EOF,
	"Ident":      grammarIdent,
	"String":     grammarString,
	"LongString": grammarLongString,
	"Number":     grammarNumber,
	"Punct":      grammarPunct,
	"Comment":    grammarComment,
}

func (grammarLexer) Symbols() map[string]lexer.TokenType { return grammarSymbols }

func (d grammarLexer) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexBytes(filename, src)
}

func (d grammarLexer) LexString(filename string, src string) (lexer.Lexer, error) {
	return d.LexBytes(filename, []byte(src))
}

// LexBytes tokenizes src with lex. Any lexical error fails the parse, as it
// does in Parse.
func (grammarLexer) LexBytes(filename string, src []byte) (lexer.Lexer, error) {
	toks, errs := lex(src)
	pos := func(t Token) lexer.Position {
		return lexer.Position{Filename: filename, Offset: t.Start, Line: t.Line, Column: t.Col}
	}
	if len(errs) > 0 {
		e := errs[0]
		for _, t := range toks {
			if t.Start == e.start {
				return nil, participle.Errorf(pos(t), "%s", e.summary)
			}
		}
		return nil, fmt.Errorf("%s: %s", filename, e.summary)
	}
	out := make([]lexer.Token, len(toks))
	for i, t := range toks {
		var typ lexer.TokenType
		switch t.Kind {
		case TokEOF:
			typ = lexer.EOF
		case TokIdent:
			typ = grammarIdent
		case TokString:
			typ = grammarString
		case TokLongString:
			typ = grammarLongString
		case TokNumber:
			typ = grammarNumber
		case TokLineComment, TokBlockComment:
			typ = grammarComment
		default:
			typ = grammarPunct
		}
		out[i] = lexer.Token{Type: typ, Value: string(src[t.Start:t.End]), Pos: pos(t)}
	}
	return &tokenList{toks: out}, nil
}

type tokenList struct {
	toks []lexer.Token
	i    int
}

func (l *tokenList) Next() (lexer.Token, error) {
	t := l.toks[l.i]
	if l.i < len(l.toks)-1 {
		l.i++
	}
	return t, nil
}

var referenceParser = sync.OnceValue(func() *participle.Parser[file] {
	return participle.MustBuild[file](
		participle.Lexer(grammarLexer{}),
		participle.Elide("Comment"),
	)
})

// ReferenceGrammar returns the EBNF of the reference grammar as participle
// prints it.
func ReferenceGrammar() string { return referenceParser().String() }

// ParseReference parses src with the reference grammar and reports whether
// it is valid Kumeo: nil if it is, otherwise the first error found. It is
// slow and builds no usable syntax tree; use Parse.
func ParseReference(filename string, src []byte) error {
	_, err := parseReference(filename, src)
	return err
}

func parseReference(filename string, src []byte) (*file, error) {
	f, err := referenceParser().ParseBytes(filename, src)
	if err != nil {
		return nil, err
	}
	for _, b := range f.Blocks {
		_, _, props := b.kind()
		if err := checkProps(props, 1); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// checkProps checks the limits on the properties of a block body or object
// at nesting level depth.
func checkProps(props []*property, depth int) error {
	for _, p := range props {
		if err := checkValue(p.Value, depth); err != nil {
			return err
		}
	}
	return nil
}

// checkValue checks the limits on v, found inside a container at nesting
// level depth.
func checkValue(v *value, depth int) error {
	if v.Object != nil || v.Array != nil || v.Call != nil {
		depth++
		if depth > maxDepth {
			return participle.Errorf(v.Pos, "values may nest at most %d levels", maxDepth)
		}
	}
	switch {
	case v.Number != nil:
		if _, err := strconv.ParseFloat(*v.Number, 64); err != nil {
			return participle.Errorf(v.Pos, "number %s does not fit in a 64-bit float", *v.Number)
		}
	case v.Object != nil:
		return checkProps(v.Object.Props, depth)
	case v.Array != nil:
		for _, e := range v.Array.Elems {
			if err := checkValue(e, depth); err != nil {
				return err
			}
		}
	case v.Call != nil:
		for _, a := range v.Call.Args {
			if err := checkValue(a.Value, depth); err != nil {
				return err
			}
		}
	}
	return nil
}
