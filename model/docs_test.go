package model

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/spec-table.md lists every normative statement cited in model/, and
// every test it names exists.
func TestSpecTableCoversEveryCitation(t *testing.T) {
	table, err := os.ReadFile("../docs/spec-table.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(table), "\n") {
		if strings.HasPrefix(line, "| MQTT-") {
			first := strings.Split(line, "|")[1]
			for _, id := range regexp.MustCompile(`MQTT-[0-9.]+-[0-9]+`).FindAllString(first, -1) {
				rows[id] = true
			}
		}
	}
	files, _ := filepath.Glob("*.go")
	cite := regexp.MustCompile(`\[(MQTT-[0-9.]+-[0-9]+)\]`)
	cited := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range cite.FindAllStringSubmatch(string(src), -1) {
			cited++
			if !rows[m[1]] {
				t.Errorf("%s cites [%s], which docs/spec-table.md does not list", f, m[1])
			}
		}
	}
	// Guards: with no rows parsed or no citation found the loops above
	// would check nothing.
	if len(rows) < 10 || cited < 10 {
		t.Fatalf("parsed %d table rows and %d citations; the table's or the code's format changed", len(rows), cited)
	}
	var tests []byte
	for _, pattern := range []string{"*_test.go", "../sim/*_test.go"} {
		fs, _ := filepath.Glob(pattern)
		for _, f := range fs {
			b, _ := os.ReadFile(f)
			tests = append(tests, b...)
		}
	}
	named := regexp.MustCompile("`(Test[A-Za-z0-9_]+)`").FindAllStringSubmatch(string(table), -1)
	if len(named) < 10 {
		t.Fatalf("docs/spec-table.md names %d tests", len(named))
	}
	for _, m := range named {
		if !strings.Contains(string(tests), "func "+m[1]+"(") {
			t.Errorf("docs/spec-table.md names %s, which does not exist in model/ or sim/", m[1])
		}
	}
}

// The worked example of docs/variants.md is the compiled code of
// example_variant_test.go, word for word.
func TestVariantsGuideExampleIsCompiled(t *testing.T) {
	guide, err := os.ReadFile("../docs/variants.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_variant_test.go")
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`(?s)// --- example variant begins ---\n\n(.*?)\n// --- example variant ends ---`).FindSubmatch(src)
	block := regexp.MustCompile("(?s)<!-- code: model/example_variant_test.go -->\n```go\npackage model\n\n(.*?)```").FindSubmatch(guide)
	if code == nil || block == nil {
		t.Fatalf("example markers missing: code %v, guide %v", code != nil, block != nil)
	}
	if string(code[1]) != string(block[1]) {
		t.Errorf("docs/variants.md's example differs from model/example_variant_test.go; paste the code between the markers:\n%s", code[1])
	}
}
