package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/qoslab/qoslab/properties"
)

// checkPartFormat names the layout of check's part files (check --shard),
// so that a file from an incompatible version is refused rather than
// misread.
const checkPartFormat = "qoslab-check-part-1"

// checkPartFile is what check --shard i/n writes: the flags that define
// the search, and what the part found, shard by shard. simulate merge
// parses the flags again to rebuild the search, and merges the parts.
type checkPartFile struct {
	Format string   `json:"format"`
	Args   []string `json:"args"`
	properties.PartReport
}

// checkPart runs part c.part of the search and writes its file. A part
// that found a counterexample exits 0 like one that did not (a batch
// system would otherwise retry it): simulate merge gives the verdict.
func checkPart(stdout io.Writer, c *checkSetup, search properties.Search) error {
	search.Part = c.part
	part, err := search.RunPart()
	if err != nil {
		return usageError{err.Error()}
	}
	if part.Interrupted {
		return interruptedError{fmt.Sprintf("interrupted: part %s did not finish; nothing written", part.Part)}
	}
	file := checkPartFile{Format: checkPartFormat, Args: c.args, PartReport: part}
	return writeOut(stdout, c.out, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(file)
	})
}

// isCheckPart reports whether the file at path is a check part file (by
// its format field; anything else is left to the study merge).
func isCheckPart(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var head struct {
		Format string `json:"format"`
	}
	return json.Unmarshal(b, &head) == nil && head.Format == checkPartFormat
}

// mergeCheckParts merges the part files of one check search and writes
// what the unsharded check writes, with its exit status.
func mergeCheckParts(stdout io.Writer, names []string, format, out string) error {
	switch format {
	case "text", "json", "mermaid", "html":
	default:
		return usagef("--format %q: check part files merge to text, json, mermaid or html", format)
	}
	var files []checkPartFile
	var parts []properties.PartReport
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return usageError{err.Error()}
		}
		var f checkPartFile
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return usagef("%s: not a check part file: %v", name, err)
		}
		if f.Format != checkPartFormat {
			return usagef("%s: format %q, want %q (a compare or sweep result cannot merge with check parts)", name, f.Format, checkPartFormat)
		}
		if len(files) > 0 && !reflect.DeepEqual(f.Args, files[0].Args) {
			return usagef("%s: a different search from %s: its flags are %s, not %s", name, names[0],
				strings.Join(f.Args, " "), strings.Join(files[0].Args, " "))
		}
		files = append(files, f)
		parts = append(parts, f.PartReport)
	}
	c, err := parseCheck(io.Discard, files[0].Args)
	if err != nil {
		return usagef("%s: its flags do not make a search: %v", names[0], err)
	}
	rep, err := c.search.Merge(parts)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := writeOut(stdout, out, func(w io.Writer) error { return writeCheckAs(w, rep, format) }); err != nil {
		return err
	}
	return checkExit(rep)
}
