package document

import (
	"encoding/json"
	"errors"
)

// Code is the stable name of an error the window tells apart from others;
// the message may change, the code does not.
type Code string

// The codes the window receives. The window branches on them, never on a
// message's text.
const (
	CodeStale         Code = "stale"           // an edit made on an older version
	CodeSyntax        Code = "syntax"          // the text does not parse
	CodeNoPath        Code = "no_path"         // no file given
	CodeNotOpen       Code = "not_open"        // the document is not open
	CodeNotFile       Code = "not_file"        // not a regular file
	CodeTooLarge      Code = "too_large"       // the file is too large
	CodeExists        Code = "exists"          // a file would be replaced
	CodeInvalidName   Code = "invalid_name"    // a name or choice that cannot be used
	CodeNoConflict    Code = "no_conflict"     // nothing to resolve
	CodeChangedOnDisk Code = "changed_on_disk" // a save found another program's change
)

// Codes lists every code, for the window's generated types.
var Codes = []Code{CodeStale, CodeSyntax, CodeNoPath, CodeNotOpen, CodeNotFile, CodeTooLarge,
	CodeExists, CodeInvalidName, CodeNoConflict, CodeChangedOnDisk}

// Error is a sentinel error with a code. Wrap it with %w to say where and
// what was expected; CodeOf finds the code through the wrapping.
type Error struct {
	Code Code
	msg  string
}

// NewError returns a sentinel error with code and message msg.
func NewError(code Code, msg string) *Error { return &Error{Code: code, msg: msg} }

func (e *Error) Error() string { return e.msg }

// CodeOf returns the code of the first coded error in err's chain, or "".
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// WireError is how an error crosses to the window, which receives only a
// string: a coded error becomes the JSON {"code": ..., "message": ...} (the
// window's api layer decodes it), any other error its message.
func WireError(err error) string {
	code := CodeOf(err)
	if code == "" {
		return err.Error()
	}
	b, _ := json.Marshal(struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
	}{code, err.Error()})
	return string(b)
}
