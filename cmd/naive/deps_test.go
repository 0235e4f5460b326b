package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoTestPackagesInTheBinary: what ships is production code only — no
// package of the binary imports testing or net/http/httptest (test helpers
// live in packages only tests import, such as storetest and pgtest).
func TestNoTestPackagesInTheBinary(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is needed to list the binary's packages")
	}
	out, err := exec.Command(goBin, "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		for _, imp := range strings.Fields(imports) {
			if imp == "testing" || imp == "net/http/httptest" {
				t.Errorf("%s imports %s, so the binary carries it", pkg, imp)
			}
		}
	}
}
