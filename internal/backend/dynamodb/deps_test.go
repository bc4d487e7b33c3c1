package dynamodb

import (
	"os/exec"
	"strings"
	"testing"
)

// The Lambda functions must link only the DynamoDB store: the SQL drivers
// would double their size and cold start. An import of internal/backend (or
// of a SQL store) from the functions' dependency graph fails here.
func TestFunctionsLinkNoSQLDrivers(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH:", err)
	}
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc",
		"github.com/orrery-dev/orrery/functions/api", "github.com/orrery-dev/orrery/functions/scheduler").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"modernc.org/sqlite", "github.com/jackc/pgx", "internal/store/sqlite", "internal/store/postgres"} {
			if strings.Contains(pkg, banned) {
				t.Errorf("a Lambda function links %s", pkg)
			}
		}
	}
}
