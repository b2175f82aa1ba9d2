package dsl

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkSrcOffset returns the source offset of byte i of s.Value. Quoted
// strings are walked through their escapes exactly as the parser decoded
// them (see parser.unquote); long strings keep their text as written, and a
// String standing for an unquoted key (Quote 0) starts at its range.
func checkSrcOffset(src []byte, s *String, i int) int {
	start, end := s.Range.Start.Offset, s.Range.End.Offset
	if i < 0 {
		i = 0
	}
	switch s.Quote {
	case 0:
		return checkClamp(start+i, start, end)
	case 'L':
		return checkClamp(start+3+i, start, end)
	}
	if end-1 < start+1 || end > len(src) {
		return start
	}
	raw := src[start+1 : end-1]
	return start + 1 + checkRawOffset(raw, i)
}

func checkClamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// checkRawOffset maps byte i of the decoded value of a quoted string to the
// offset in raw, the bytes between the quotes. A position inside the
// expansion of one escape maps to the escape's backslash.
func checkRawOffset(raw []byte, i int) int {
	v := 0 // decoded bytes so far
	for j := 0; j < len(raw); {
		if v >= i {
			return j
		}
		if raw[j] != '\\' || j+1 >= len(raw) {
			v++
			j++
			continue
		}
		var vn, sn int // decoded and source bytes of this escape
		switch e := raw[j+1]; e {
		case '"', '\'', '\\', '/', 'n', 'r', 't':
			vn, sn = 1, 2
		case 'u':
			vn, sn = 2, 2 // kept as written when not followed by four hex digits
			if j+5 < len(raw) {
				if r, err := strconv.ParseUint(string(raw[j+2:j+6]), 16, 32); err == nil {
					vn, sn = len(string(rune(r))), 6
				}
			}
		default:
			vn, sn = 2, 2
		}
		if i < v+vn {
			if vn == sn { // kept as written: bytes map one to one
				return j + (i - v)
			}
			return j
		}
		v += vn
		j += sn
	}
	return len(raw)
}

// checkStrRange is the source range of bytes [from, to) of s.Value.
func (c *checkCtx) strRange(s *String, from, to int) Range {
	a := checkSrcOffset(c.src, s, from)
	b := checkSrcOffset(c.src, s, to)
	if b < a {
		b = a
	}
	return c.f.Range(a, b)
}

// afterPrefix is the range of a string's text after prefix (the subject of
// "target.<subject>"), trailing blanks excluded.
func (c *checkCtx) afterPrefix(s *String, prefix string) Range {
	i := strings.Index(s.Value, prefix)
	if i < 0 {
		return s.Range
	}
	end := len(strings.TrimRight(s.Value, " \t\r\n"))
	if end < i+len(prefix) {
		end = i + len(prefix)
	}
	return c.strRange(s, i+len(prefix), end)
}

// checkRuneToByte converts a rune offset in s to a byte offset.
func checkRuneToByte(s string, r int) int {
	if r <= 0 {
		return 0
	}
	n := 0
	for i := 0; i < len(s); {
		if n == r {
			return i
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return len(s)
}

// checkIsDuration reports whether s is a Go duration (time.ParseDuration)
// that may also use "d" for days: "500ms", "30s", "1h30m", "7d". Signs are
// not allowed: every duration in a workflow is a length of time.
func checkIsDuration(s string) bool {
	if s == "0" {
		return true
	}
	if s == "" {
		return false
	}
	for s != "" {
		i, digits := 0, 0
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
		if i < len(s) && s[i] == '.' {
			i++
			for i < len(s) && isDigit(s[i]) {
				i++
				digits++
			}
		}
		if digits == 0 {
			return false
		}
		j := i
		for j < len(s) && !isDigit(s[j]) && s[j] != '.' {
			j++
		}
		switch s[i:j] {
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h", "d":
		default:
			return false
		}
		s = s[j:]
	}
	return true
}

const checkDurationHelp = `a duration such as "500ms", "30s", "5m", "1h30m" or "7d" (a number followed by ns, us, ms, s, m, h or d)`

// checkDuration validates a duration value: a string in duration syntax
// (interpolated strings are checked when they are resolved, not here).
func (c *checkCtx) checkDuration(n Node, what checkWhat) {
	switch v := n.(type) {
	case *String:
		s := v.Text()
		if strings.Contains(s, "${") || checkIsDuration(s) {
			return
		}
		c.errorAt(CodeInvalidDuration, v.Range, fmt.Sprintf("Invalid duration %q", s), fmt.Sprintf("%s must be %s.", what, checkDurationHelp))
	case *Number:
		c.errorAt(CodeInvalidDuration, v.Range, "Duration without a unit", fmt.Sprintf("%s must be %s; write %q for %s seconds.", what, checkDurationHelp, v.Text+"s", v.Text))
	case *Path:
		// a config/data reference, checked by the path walk
	case nil:
	default:
		c.errorAt(CodeWrongKind, n.Rng(), "Expected a duration", fmt.Sprintf("%s must be %s, not %s.", what, checkDurationHelp, describeNode(n)))
	}
}

// checkQuantityRE is Kubernetes' resource.Quantity syntax without a sign:
// a decimal number with an optional binary (Ki..Ei), decimal (n, u, m, k,
// M..E) or exponent suffix.
var checkQuantityRE = regexp.MustCompile(`^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$`)

func (c *checkCtx) checkQuantity(key string, n Node) {
	switch v := n.(type) {
	case *String:
		s := v.Text()
		if strings.Contains(s, "${") || checkQuantityRE.MatchString(s) {
			return
		}
		example := `"256Mi", "1Gi" or "512M"`
		if key == "cpu" {
			example = `"250m" (a quarter of a core), "2" or "1.5"`
		}
		c.errorAt(CodeInvalidQuantity, v.Range, fmt.Sprintf("Invalid %s quantity %q", key, s),
			fmt.Sprintf("Expected a Kubernetes quantity such as %s: a number with an optional suffix Ki, Mi, Gi, Ti (powers of 1024), k, M, G, T (powers of 1000) or m (thousandths).", example))
	case *Number:
		if v.Value < 0 {
			c.errorAt(CodeInvalidQuantity, v.Range, fmt.Sprintf("Negative %s quantity", key), "Resource quantities must not be negative.")
		}
	case *Path, *Bool, nil:
		// gpu: true and references are fine
	default:
		c.errorAt(CodeWrongKind, n.Rng(), fmt.Sprintf("Expected a %s quantity", key), fmt.Sprintf("Expected a string such as \"250m\" or \"1Gi\", not %s.", describeNode(n)))
	}
}

// checkWhat names a value in messages, as `"timeout" of LLM`; the text is
// built only when a message needs it.
type checkWhat struct{ name, owner string }

func (w checkWhat) String() string {
	if w.owner == "" {
		return strconv.Quote(w.name)
	}
	return strconv.Quote(w.name) + " of " + w.owner
}

// checkInt reports a value that is not a non-negative integer. It returns
// the value and whether it is one.
func (c *checkCtx) checkInt(n Node, what checkWhat) (int, bool) {
	switch v := n.(type) {
	case *Number:
		if v.Value != float64(int64(v.Value)) || v.Value < 0 || v.Value > 1<<31 {
			c.errorAt(CodeNotInteger, v.Range, fmt.Sprintf("%s must be a whole number", what),
				fmt.Sprintf("Expected a non-negative integer such as 3, not %s.", v.Text))
			return 0, false
		}
		return int(v.Value), true
	case *Path, nil:
		return 0, false
	default:
		c.errorAt(CodeWrongKind, n.Rng(), fmt.Sprintf("%s must be a number", what),
			fmt.Sprintf("Expected a non-negative integer such as 3, not %s.", describeNode(n)))
		return 0, false
	}
}

func checkUpperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// isIdent reports whether s is an identifier.
func isIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	return true
}

// checkInterpolations validates every ${...} in a string: ${env.NAME},
// ${env.NAME:-default} and ${deployment.a.b}. "${{" is a dollar sign
// followed by a {{template}}, not an interpolation.
func (c *checkCtx) checkInterpolations(s *String, deploy *Object, inIntegration bool) {
	v := s.Value
	for i := 0; ; {
		k := strings.Index(v[i:], "${")
		if k < 0 {
			return
		}
		at := i + k
		if at+2 < len(v) && v[at+2] == '{' {
			i = at + 3
			continue
		}
		end := strings.IndexByte(v[at+2:], '}')
		if end < 0 {
			c.errorAt(CodeInvalidInterp, c.strRange(s, at, at+2), "Unclosed ${",
				"Expected ${env.NAME}, ${env.NAME:-default} or ${deployment.path} closed by \"}\".")
			return
		}
		end += at + 2
		c.checkInterpolation(s, at, end+1, deploy, inIntegration)
		i = end + 1
	}
}

func (c *checkCtx) checkInterpolation(s *String, from, to int, deploy *Object, inIntegration bool) {
	body := s.Value[from+2 : to-1]
	rng := c.strRange(s, from, to)
	bad := func(summary string) {
		c.errorAt(CodeInvalidInterp, rng, summary,
			"Expected ${env.NAME}, ${env.NAME:-default} (NAME a letter or _ followed by letters, digits or _) or ${deployment.path} naming a value of the deployment block.")
	}
	ns, rest, dotted := strings.Cut(body, ".")
	switch {
	case ns == "env" && dotted:
		name, def, hasDef := strings.Cut(rest, ":")
		if !isIdent(name) {
			bad(fmt.Sprintf("Invalid environment variable name in %q", "${"+body+"}"))
			return
		}
		if hasDef && !strings.HasPrefix(def, "-") {
			bad(fmt.Sprintf("Invalid default in %q", "${"+body+"}"))
		}
	case ns == "deployment" && dotted:
		parts := strings.Split(rest, ".")
		for _, p := range parts {
			if !isIdent(p) {
				bad(fmt.Sprintf("Invalid deployment reference %q", "${"+body+"}"))
				return
			}
		}
		if inIntegration {
			return
		}
		if deploy == nil {
			c.warnAt(CodeUnknownDeployRef, rng, fmt.Sprintf("Unknown deployment value %q", "deployment."+rest),
				"The workflow has no deployment block to take the value from.")
			return
		}
		if i, at := checkLookup(deploy, parts); i >= 0 {
			c.warnAt(CodeUnknownDeployRef, rng, fmt.Sprintf("Unknown deployment value %q", "deployment."+rest),
				fmt.Sprintf("%s has no key %q; it defines %s.", "deployment"+checkJoinPrefix(parts[:i]), parts[i], checkAll(checkKeys(at))),
				suggest(parts[i], checkKeys(at))...)
		}
	default:
		bad(fmt.Sprintf("Unknown interpolation %q", "${"+body+"}"))
	}
}

func checkJoinPrefix(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return "." + strings.Join(parts, ".")
}

// checkLookup follows keys through nested objects. It returns the index of
// the first key that is missing and the object lacking it, or -1 when every
// key resolves or the walk reaches a value that is not an object (whose
// fields cannot be known).
func checkLookup(o *Object, keys []string) (int, *Object) {
	for i, k := range keys {
		p := o.Get(k)
		if p == nil {
			return i, o
		}
		next, ok := p.Value.(*Object)
		if !ok {
			return -1, nil
		}
		o = next
	}
	return -1, nil
}

func checkKeys(o *Object) []string {
	if o == nil {
		return nil
	}
	out := make([]string, len(o.Props))
	for i, p := range o.Props {
		out[i] = p.Key
	}
	return out
}

// checkNamespaces are the named objects of a block that paths refer to.
type checkNamespaces struct {
	block                                     *Block
	config, models, schemas, data             *Object
	hasConfig, hasModels, hasSchemas, hasData bool
}

// checkNamespacePath checks a path rooted at config, models, schemas or
// data. A config path resolves in the workflow's config or in the config
// object of the call it is written in. A subworkflow without the namespace
// may receive it from the workflow using it, so nothing is reported there.
func (c *checkCtx) checkNamespacePath(p *Path, ns *checkNamespaces, local *Object) {
	if len(p.Parts) < 2 {
		return
	}
	root := p.Parts[0]
	ranges := p.PartRanges
	switch root {
	case "config":
		c.checkConfigRef(p.Parts[1:], func(i int) Range { return ranges[i+1] }, ns, local)
	case "models", "schemas", "data":
		var obj *Object
		var has bool
		code := CodeUnknownModel
		switch root {
		case "models":
			obj, has = ns.models, ns.hasModels
		case "schemas":
			obj, has, code = ns.schemas, ns.hasSchemas, CodeUnknownSchema
		case "data":
			obj, has, code = ns.data, ns.hasData, CodeUnknownData
		}
		c.checkNamedRef(root, p.Parts[1], ranges[1], obj, has, ns.block, code)
	}
}

// checkNamedRef checks that name is a key of the block's models, schemas
// or data object.
func (c *checkCtx) checkNamedRef(root, name string, rng Range, obj *Object, has bool, b *Block, code string) {
	if obj != nil {
		if obj.Get(name) == nil {
			keys := checkKeys(obj)
			c.errorAt(code, rng, fmt.Sprintf("Unknown %s %q", strings.TrimSuffix(root, "s"), root+"."+name),
				fmt.Sprintf("%s defines %s.", root, checkAll(keys)), suggest(name, keys)...)
		}
		return
	}
	if !has && b.Kind == KindWorkflow {
		c.errorAt(code, rng, fmt.Sprintf("Unknown %s %q", strings.TrimSuffix(root, "s"), root+"."+name),
			fmt.Sprintf("The workflow has no %s block; expected %s: { %s: ... } in workflow %s.", root, root, name, b.Name))
	}
}

// checkConfigRef checks config.<keys...>; rangeOf gives the range of key i.
func (c *checkCtx) checkConfigRef(keys []string, rangeOf func(int) Range, ns *checkNamespaces, local *Object) {
	if len(keys) == 0 {
		return
	}
	if ns.config == nil {
		if local != nil {
			if i, at := checkLookup(local, keys); i >= 0 {
				c.unknownConfig(keys, i, at, rangeOf(i))
			}
			return
		}
		if !ns.hasConfig && ns.block.Kind == KindWorkflow {
			c.errorAt(CodeUnknownConfig, rangeOf(0), fmt.Sprintf("Unknown config value %q", "config."+strings.Join(keys, ".")),
				fmt.Sprintf("Workflow %s has no config block; expected config: { %s: ... }.", ns.block.Name, keys[0]))
		}
		return
	}
	i, at := checkLookup(ns.config, keys)
	if i < 0 {
		return
	}
	if local != nil {
		if j, _ := checkLookup(local, keys); j < 0 {
			return
		}
	}
	c.unknownConfig(keys, i, at, rangeOf(i))
}

func (c *checkCtx) unknownConfig(keys []string, i int, at *Object, rng Range) {
	known := checkKeys(at)
	detail := fmt.Sprintf("config%s has no key %q", checkJoinPrefix(keys[:i]), keys[i])
	if len(known) > 0 {
		detail += "; it defines " + checkAll(known)
	}
	c.errorAt(CodeUnknownConfig, rng, fmt.Sprintf("Unknown config value %q", "config."+strings.Join(keys, ".")), detail+".", suggest(keys[i], known)...)
}
