package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func init() {
	// Generate the docs once for all tests (TestDocsAreCurrent and the
	// documented `simulate docs --check`): each generation re-runs every study.
	type result struct {
		files map[string][]byte
		err   error
	}
	var mu sync.Mutex
	memo := map[string]result{}
	generate = func(dir string) (map[string][]byte, error) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		skipDocs["conformance.md"] = testing.Short()
		if r, ok := memo[abs]; ok {
			return r.files, r.err
		}
		files, err := generateDocs(abs)
		memo[abs] = result{files, err}
		return files, err
	}
}

// The committed documents and charts are what the code produces now.
func TestDocsAreCurrent(t *testing.T) {
	files, err := generate(filepath.Join(root, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < len(docFiles)+2 {
		t.Fatalf("generated %d files, want the documents and their charts", len(files))
	}
	for _, name := range sortedKeys(files) {
		old, err := os.ReadFile(filepath.Join("../docs", name))
		if err != nil || !bytes.Equal(old, files[name]) {
			t.Errorf("docs/%s is stale (%v): run go generate ./... and commit", name, err)
		}
	}
	// Every block kind is used, and a counterexample that no longer is one
	// fails generation.
	if _, err := docBlock("counterexample", `run --variant qos2-b --messages 1 --faults "break after-send PUBREC#1"`, "", map[string][]byte{}); err == nil ||
		!strings.Contains(err.Error(), "not a counterexample") {
		t.Errorf("a run without a violation was accepted as a counterexample: %v", err)
	}
}

var shBlockRe = regexp.MustCompile("(?s)```sh\n(.*?)```")

// Every command in a sh block of the guide and the design document runs
// without error, in a scratch directory; the GNU parallel line runs once
// per argument, and the Kubernetes Job's args run once per index, and
// their shards merge.
func TestDocCommandsRun(t *testing.T) {
	ran := 0
	for _, name := range []string{"guide.md", "why-four-packets.md"} {
		doc, err := os.ReadFile(filepath.Join(root, "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, m := range shBlockRe.FindAllSubmatch(doc, -1) {
			lines = append(lines, strings.Split(strings.TrimSpace(string(m[1])), "\n")...)
		}
		// Commands quoted inline in the prose too; an inline `docs` only checks.
		for _, m := range regexp.MustCompile("`(go run \\./cmd/simulate[^`]*)`").FindAllSubmatch(doc, -1) {
			line := string(m[1])
			if strings.HasPrefix(line, "go run ./cmd/simulate docs") && !strings.Contains(line, "--check") {
				line += " --check"
			}
			lines = append(lines, line)
		}
		t.Chdir(t.TempDir())
		for _, line := range lines {
			// A trailing "# exit N" comment gives the expected exit status.
			want := 0
			if m := regexp.MustCompile(`#\s*exit (\d+)`).FindStringSubmatch(line); m != nil {
				want = atoi(t, m[1])
			}
			line = strings.TrimSpace(regexp.MustCompile(`\s+#.*$`).ReplaceAllString(line, ""))
			line = regexp.MustCompile(`\s+>\s*\S+$`).ReplaceAllString(line, "") // "> page.html": the output is not kept
			switch {
			case strings.Contains(line, "simulate serve"):
				continue // serves until interrupted; TestServeInBrowser drives it
			case line == "go generate ./...", line == "go build -o simulate ./cmd/simulate":
				continue // the go tool itself; `simulate docs --check` covers the first
			case strings.HasPrefix(line, "parallel ./simulate "):
				cmd, argList, ok := strings.Cut(strings.TrimPrefix(line, "parallel ./simulate "), " ::: ")
				if !ok {
					t.Fatalf("%s: %q: no ::: list", name, line)
				}
				for _, a := range strings.Fields(argList) {
					mustRunLine(t, name, strings.ReplaceAll(cmd, "{}", a), want)
					ran++
				}
			case strings.HasPrefix(line, "./simulate "):
				mustRunLine(t, name, strings.TrimPrefix(line, "./simulate "), want)
				ran++
			case strings.HasPrefix(line, "go run ./cmd/simulate"):
				args := strings.TrimSpace(strings.TrimPrefix(line, "go run ./cmd/simulate"))
				if strings.HasPrefix(args, "docs") {
					args += " --dir " + filepath.Join(root, "docs")
				}
				mustRunLine(t, name, args, want)
				ran++
			default:
				t.Errorf("%s: sh line %q is not a simulate command this test knows how to run", name, line)
			}
		}
		// Each Kubernetes Job's container args, with the index Kubernetes
		// fills in; then the files the pods wrote merge.
		for _, job := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1) {
			m := regexp.MustCompile(`(?m)^\s*args: (\[.*\])$`).FindSubmatch(job[1])
			if m == nil {
				continue
			}
			var args []string
			if err := json.Unmarshal(m[1], &args); err != nil {
				t.Fatalf("%s: job args: %v", name, err)
			}
			completions := regexp.MustCompile(`completions: (\d+)`).FindSubmatch(job[1])
			var files []string
			for i := 0; i < atoi(t, string(completions[1])); i++ {
				var a []string
				for _, w := range args {
					w = strings.ReplaceAll(w, "$(JOB_COMPLETION_INDEX)", string(rune('0'+i)))
					a = append(a, strings.ReplaceAll(w, "/results/", "./"))
				}
				if _, errOut, code := runArgs(t, a...); code != 0 {
					t.Fatalf("%s: job index %d %v: %s", name, i, a, errOut)
				}
				for k := range a {
					if a[k] == "--out" {
						files = append(files, a[k+1])
					}
				}
				ran++
			}
			if _, errOut, code := runArgs(t, append([]string{"merge"}, files...)...); code != 0 {
				t.Fatalf("%s: merging the job's files %v: %s", name, files, errOut)
			}
		}
	}
	if ran < 10 {
		t.Fatalf("ran %d documented commands, want at least 10", ran)
	}
}

func mustRunLine(t *testing.T, doc, args string, want int) {
	t.Helper()
	if _, errOut, code := runArgs(t, splitCommand(t, args)...); code != want {
		t.Errorf("%s: simulate %s: exit %d, want %d: %s", doc, args, code, want, errOut)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// root is the repository, found before any test changes directory.
var root = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "..")
}()
