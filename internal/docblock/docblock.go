// Package docblock keeps generated blocks of the documentation current: a
// test renders the block from code and Check compares it with the committed
// file, or rewrites the file when asked to (go test ... -update).
package docblock

import (
	"bytes"
	"os"
	"regexp"
	"testing"
)

// Check compares the block between "<!-- NAME begin -->" and
// "<!-- NAME end -->" in the file at path with want; with update set it
// writes want into the file instead. hint tells the reader how to refresh.
func Check(t testing.TB, path, name string, want []byte, update bool, hint string) {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)(<!-- ` + regexp.QuoteMeta(name) + ` begin -->\n)(.*?)(<!-- ` + regexp.QuoteMeta(name) + ` end -->)`)
	m := re.FindSubmatch(doc)
	if m == nil {
		t.Fatalf("%s has no %s block", path, name)
	}
	if update {
		fresh := append(append(append([]byte(nil), m[1]...), want...), m[3]...)
		doc = re.ReplaceAllLiteral(doc, fresh)
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(m[2], want) {
		t.Errorf("%s: the %s block is stale; %s\nwant:\n%s", path, name, hint, want)
	}
}
