package study

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
)

// Results is what a study (or one shard of it) produced: the study, which
// shard, and one exact accumulator per cell. Shard files are Results in
// JSON; Merge combines them into the Results of the whole study.
type Results struct {
	Format string `json:"format"` // FileFormat
	Study  Study  `json:"study"`
	Shard  string `json:"shard"` // "i/n"
	Done   int64  `json:"done"`  // runs made
	Cells  []Acc  `json:"cells"`
	shard  Shard
}

// FileFormat names the layout of result files, so that a file from an
// incompatible version is refused rather than misread.
const FileFormat = "qoslab-study-2" // 2: lost counts silent losses only; abandoned apart

// NewResults wraps a study's accumulators.
func NewResults(st Study, sh Shard, done int64, accs []Acc) *Results {
	sh = sh.norm()
	return &Results{Format: FileFormat, Study: st, Shard: sh.String(), Done: done, Cells: accs, shard: sh}
}

// Encode writes r as indented JSON; identical results give identical bytes.
func (r *Results) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(r)
}

// ReadResults reads a file written by Encode.
func ReadResults(rd io.Reader, name string) (*Results, error) {
	var r Results
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: not a result file: %v", name, err)
	}
	if r.Format != FileFormat {
		return nil, fmt.Errorf("%s: format %q, want %q", name, r.Format, FileFormat)
	}
	sh, err := ParseShard(r.Shard)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(r.Cells) != len(r.Study.Cells) {
		return nil, fmt.Errorf("%s: %d accumulators for %d cells", name, len(r.Cells), len(r.Study.Cells))
	}
	want := int64(sh.Runs(r.Study.Runs) * len(r.Study.Cells))
	if r.Done != want {
		return nil, fmt.Errorf("%s: shard %s made %d of its %d runs (interrupted?)", name, r.Shard, r.Done, want)
	}
	r.shard = sh
	return &r, nil
}

// Merge combines the shard results of one study. Every shard i/n must be
// present exactly once and all must describe the same study; the result
// equals an unsharded run's exactly.
func Merge(parts []*Results, names []string) (*Results, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no result files")
	}
	n := parts[0].shard.Count
	seen := make([]string, n)
	accs := make([]Acc, len(parts[0].Cells))
	for i := range accs {
		accs[i] = NewAcc()
	}
	var done int64
	for k, p := range parts {
		if !reflect.DeepEqual(p.Study, parts[0].Study) {
			return nil, fmt.Errorf("%s: a different study from %s (variants, profiles, values, runs, seed or settings differ)", names[k], names[0])
		}
		if p.shard.Count != n {
			return nil, fmt.Errorf("%s: shard %s, but %s is shard %s: all shards must split the same way", names[k], p.Shard, names[0], parts[0].Shard)
		}
		if seen[p.shard.Index] != "" {
			return nil, fmt.Errorf("%s: shard %s already given by %s", names[k], p.Shard, seen[p.shard.Index])
		}
		seen[p.shard.Index] = names[k]
		for i := range accs {
			accs[i].Merge(p.Cells[i])
		}
		done += p.Done
	}
	for i, s := range seen {
		if s == "" {
			return nil, fmt.Errorf("shard %d/%d missing", i, n)
		}
	}
	return NewResults(parts[0].Study, Shard{0, 1}, done, accs), nil
}

// WriteFile writes what write produces to path whole or not at all: to a
// temporary file in the same directory, then renamed over path.
func WriteFile(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
