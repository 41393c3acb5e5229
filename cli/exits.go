package cli

import (
	"fmt"
	"sort"
	"strings"
)

// The exit statuses every command shares; a command's exits add its own
// (docs/guide.md shows the table, generated from these).
const (
	exitOK          = 0
	exitViolation   = 1 // a property violated, a counterexample or a mismatch found; also any other error (a file not written)
	exitUsage       = 2
	exitIncomplete  = 3   // explore stopped at a bound: nothing proven
	exitInterrupted = 130 // Ctrl-C: 128 + SIGINT, as a shell reports it
)

// exitCodes are the columns of the exit status table.
var exitCodes = []int{exitOK, exitViolation, exitUsage, exitIncomplete, exitInterrupted}

// exits is what each status means for one command; a command without its
// own entry has the generic meanings.
var exits = map[string]map[int]string{
	"": {exitOK: "the headline table printed", exitViolation: "an error", exitInterrupted: "Ctrl-C; nothing printed"},
	"run": {exitOK: "the run was made (with `--check`: and the property held; with `--scenario`: every expectation met)",
		exitViolation: "`--check`: the property was violated; `--scenario`: an expectation was not met"},
	"variants":  {exitOK: "the list printed"},
	"compare":   {exitOK: "the table written", exitViolation: "an output file could not be written", exitInterrupted: "Ctrl-C; nothing written"},
	"sweep":     {exitOK: "the table and charts written", exitViolation: "an output file could not be written", exitInterrupted: "Ctrl-C; nothing written"},
	"merge":     {exitOK: "the merged table written (check parts: the property held)", exitViolation: "an output file could not be written (check parts: a counterexample found)"},
	"check":     {exitOK: "the property held (with `--shard`: the part ran and its report was written)", exitViolation: "a counterexample found", exitInterrupted: "Ctrl-C; the schedules tried so far printed (with `--shard`: nothing written)"},
	"explore":   {exitOK: "proven within the bounds", exitViolation: "a violation found", exitIncomplete: "stopped at a bound, or random walks without a violation: nothing proven", exitInterrupted: "Ctrl-C; the states and the depth explored completely printed"},
	"states":    {exitOK: "the state machines drawn", exitInterrupted: "Ctrl-C; nothing drawn"},
	"serve":     {exitOK: "stopped by Ctrl-C", exitViolation: "the address could not be listened on"},
	"scenarios": {exitOK: "listed; with `--check`, every expectation met", exitViolation: "`--check`: an expectation not met"},
	"docs":      {exitOK: "written, or with `--check` current", exitViolation: "`--check`: a generated part is stale"},
}

// exitMeaning is what status code means for the command name.
func exitMeaning(name string, code int) string {
	if m, ok := exits[name][code]; ok {
		return m
	}
	switch code {
	case exitOK:
		return "done"
	case exitViolation:
		return "an error"
	case exitUsage:
		return "bad usage"
	}
	return ""
}

// exitTable renders the exit statuses of every command as markdown.
func exitTable() string {
	var b strings.Builder
	b.WriteString("| command |")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, " %d |", c)
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---|", len(exitCodes)))
	b.WriteString("\n")
	names := append([]string{""}, commandNames()...)
	sort.Strings(names[1:])
	for _, n := range names {
		label := "`simulate " + n + "`"
		if n == "" {
			label = "`simulate` (no command)"
		}
		b.WriteString("| " + label + " |")
		for _, c := range exitCodes {
			b.WriteString(" " + exitMeaning(n, c) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}
