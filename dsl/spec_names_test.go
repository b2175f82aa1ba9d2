package dsl

import (
	"go/ast"
	goparser "go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specFiles are the files that declare the constructors of the language;
// only they may spell a type's name.
var specFiles = []string{"dsl/spec_builtin.go"}

// No Go code outside the spec declarations names a constructor type in a
// string literal: code asks the spec (a capability, a constant the spec
// file declares) instead of testing a name.
func TestTypeNamesOnlyInTheSpec(t *testing.T) {
	names := map[string]bool{}
	for _, n := range Builtin().TypeNames("") {
		names[n] = true
	}
	require.NotEmpty(t, names)
	found := typeNameLiterals(t, "..", names)
	assert.Empty(t, found, "type names written as string literals outside %v", specFiles)
}

// The walk finds a name written as a literal.
func TestTypeNamesOnlyInTheSpecDetects(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\nfunc f(t string) bool { return t == \"Router\" || t == `Timer` || t == \"Routers\" }\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x_test.go"), []byte("package x\n\nvar _ = \"Router\"\n"), 0o644))
	found := typeNameLiterals(t, dir, map[string]bool{"Router": true, "Timer": true})
	assert.Equal(t, []string{"x.go:3: \"Router\"", "x.go:3: `Timer`"}, found)
}

// typeNameLiterals walks the non-test Go files under root (the repository
// root: vendored, generated and frontend trees are skipped) and lists the
// string literals equal to one of names, outside specFiles.
func typeNameLiterals(t *testing.T, root string, names map[string]bool) []string {
	t.Helper()
	var found []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "frontend" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		for _, s := range specFiles {
			if rel == s {
				return nil
			}
		}
		f, err := goparser.ParseFile(fset, path, nil, goparser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if v, err := strconv.Unquote(lit.Value); err == nil && names[v] {
				found = append(found, rel+":"+strconv.Itoa(fset.Position(lit.Pos()).Line)+": "+lit.Value)
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	return found
}
