package search

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoDatabaseDriver: indexing and searching depend on no database
// driver; stores live in packages of their own (corpus/pgstore,
// web/sitestore).
func TestNoDatabaseDriver(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "yicha/index", "yicha/search").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "pgx") || strings.Contains(pkg, "sqlite") || strings.HasPrefix(pkg, "database/sql") {
			t.Errorf("index or search depends on %s", pkg)
		}
	}
}
