package model

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The protocol core is pure: no clock, no random source, no goroutines or
// locks, no I/O. The simulator and the explorer own all of those, which is
// what makes a run reproducible from its seed and a state hashable.
func TestModelIsPure(t *testing.T) {
	forbidden := map[string]bool{"time": true, "math/rand": true, "math/rand/v2": true, "net": true,
		"sync": true, "sync/atomic": true, "os": true, "io": true, "crypto/rand": true}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbidden[path] {
				t.Errorf("%s imports %q: model must stay pure", f, path)
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("no source files found")
	}
}
