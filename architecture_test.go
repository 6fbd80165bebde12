package msgkit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The contract packages stay leaves: channel imports only the standard library, store only channel and
// the standard library.
func TestContractPackagesAreLeaves(t *testing.T) {
	t.Parallel()
	for pkg, allowed := range map[string][]string{
		"./channel": {"github.com/msgkit/msgkit/channel"},
		"./store":   {"github.com/msgkit/msgkit/channel", "github.com/msgkit/msgkit/store"},
	} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
		require.NoError(t, err)
		require.ElementsMatch(t, allowed, strings.Fields(string(out)), "%s may import only %v beyond the standard library", pkg, allowed)
	}
}

// lineSDK is the LINE SDK's module path (spelled in two parts so that a text search for imports of it
// finds only real ones).
const lineSDK = "github.com/line/line-bot" + "-sdk-go"

// Only the LINE adapter (and the examples that wire it up, and the performance suite, whose baselines are
// the SDK) may import the LINE SDK.
func TestOnlyTheLINEAdapterImportsTheSDK(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}} {{join .TestImports \" \"}} {{join .XTestImports \" \"}}", "./...").Output()
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if strings.HasPrefix(pkg, "github.com/msgkit/msgkit/channel/line") || strings.HasPrefix(pkg, "github.com/msgkit/msgkit/examples/") ||
			strings.HasPrefix(pkg, "github.com/msgkit/msgkit/internal/perf") {
			continue
		}
		require.NotContains(t, imports, lineSDK, "%s imports the LINE SDK", pkg)
	}
}

// Every exported identifier outside generated code has a doc comment.
func TestExportedIdentifiersAreDocumented(t *testing.T) {
	t.Parallel()
	var missing []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || path == filepath.Join("internal", "mocks")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		missing = append(missing, undocumented(path, f)...)
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, missing, "exported identifiers without a doc comment")
}

func undocumented(path string, f *ast.File) []string {
	var out []string
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && d.Doc == nil && (d.Recv == nil || exportedRecv(d.Recv)) {
				out = append(out, path+": "+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
						out = append(out, path+": type "+s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						// A name in a documented group (const/var block with a doc comment) counts as documented.
						if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
							out = append(out, path+": "+n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

func exportedRecv(recv *ast.FieldList) bool {
	t := recv.List[0].Type
	if star, ok := t.(*ast.StarExpr); ok {
		t = star.X
	}
	if idx, ok := t.(*ast.IndexExpr); ok {
		t = idx.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}
