package problems_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/problems"
)

var update = flag.Bool("update", false, "rewrite docs/errors.md from the catalogue")

// catalogueFile is the error catalogue of the manual, generated from
// problems.Kinds and problems.Constraints.
const catalogueFile = "../docs/errors.md"

func TestCatalogueIsComplete(t *testing.T) {
	titles := map[string]int{}
	for i, k := range problems.Kinds {
		if i > 0 && k.Status <= problems.Kinds[i-1].Status {
			t.Errorf("%d is listed after %d: keep the kinds in ascending order, once each", k.Status, problems.Kinds[i-1].Status)
		}
		if k.Status < 400 || k.Status > 599 || k.Title == "" || !strings.HasSuffix(k.Description, ".") {
			t.Errorf("kind %d: title %q, description %q", k.Status, k.Title, k.Description)
		}
		if other, dup := titles[k.Title]; dup {
			t.Errorf("%d and %d share the title %q: a title says which kind of problem it is", k.Status, other, k.Title)
		}
		titles[k.Title] = k.Status
		if k.Type() != "/errors/"+strconv.Itoa(k.Status) {
			t.Errorf("kind %d: type %q", k.Status, k.Type())
		}
	}
	if _, dup := titles[problems.ValidationTitle]; dup {
		t.Errorf("the validation title %q is a status's title too", problems.ValidationTitle)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for _, c := range problems.Constraints {
		if !uuid.MatchString(c.Code) || seen[c.Code] || c.Name == "" || !strings.HasSuffix(c.Description, ".") {
			t.Errorf("constraint %+v: a UUID code, listed once, with a name and a description", c)
		}
		seen[c.Code] = true
	}
}

// TestEveryStatusIsCatalogued reads the server's source: every status a
// problem is made with (problems.New, Newf, or a Problem literal) has a
// kind in the catalogue, so that no problem document goes out with a
// fallback title and a type whose page is a 404.
func TestEveryStatusIsCatalogued(t *testing.T) {
	statusConst := map[string]int{}
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			statusConst["Status"+strings.NewReplacer(" ", "", "-", "", "'", "").Replace(text)] = code
		}
	}
	statusOf := func(e ast.Expr) (int, bool) {
		if sel, ok := e.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "http" {
				code, known := statusConst[sel.Sel.Name]
				return code, known
			}
		}
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.INT {
			code, err := strconv.Atoi(lit.Value)
			return code, err == nil
		}
		return 0, false
	}
	used := map[int][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "ent" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && path != "..") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		inProblems := f.Name.Name == "problems"
		ast.Inspect(f, func(n ast.Node) bool {
			var status ast.Expr
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					if pkg, ok := fn.X.(*ast.Ident); ok && pkg.Name == "problems" {
						name = fn.Sel.Name
					}
				case *ast.Ident:
					if inProblems {
						name = fn.Name
					}
				}
				if (name == "New" || name == "Newf") && len(n.Args) > 0 {
					status = n.Args[0]
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Problem" && inProblems {
					for _, elt := range n.Elts {
						if kv, ok := elt.(*ast.KeyValueExpr); ok && fmt.Sprint(kv.Key) == "Status" {
							status = kv.Value
						}
					}
				}
			}
			if status == nil {
				return true
			}
			where := fset.Position(status.Pos()).String()
			if code, ok := statusOf(status); ok {
				used[code] = append(used[code], where)
			} else if !(inProblems || examples[filepath.Base(path)]) || !isParam(status) {
				t.Errorf("%s: a problem whose status cannot be read from the source: use an http.Status constant", where)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 10 {
		t.Fatalf("only %d statuses found in the source: the scan is broken", len(used))
	}
	for code, where := range used {
		if _, ok := problems.KindOf(code); !ok {
			t.Errorf("status %d (%s) has no kind in the catalogue", code, strings.Join(where, ", "))
		}
	}
}

// examples are the files that make problems of every catalogued kind,
// whatever its status: the OpenAPI document's examples.
var examples = map[string]bool{"openapi_examples.go": true}

// isParam says whether a status is a plain identifier: the parameter of
// New and Newf themselves, whose callers the scan reads.
func isParam(e ast.Expr) bool {
	_, ok := e.(*ast.Ident)
	return ok
}

func TestParseViolationID(t *testing.T) {
	a, b := problems.CodeNotBlank, problems.CodeTooLong
	for _, codes := range [][]string{{a}, {a, b}, {b, a, a}} {
		vs := make([]problems.Violation, len(codes))
		for i, c := range codes {
			vs[i] = problems.Violation{PropertyPath: "name", Message: "m", Code: c}
		}
		raw, _ := json.Marshal(problems.Validation(vs).Document(false, ""))
		var doc struct{ Type string }
		_ = json.Unmarshal(raw, &doc)
		id := strings.TrimPrefix(doc.Type, problems.ValidationErrorsPath)
		got, ok := problems.ParseViolationID(id)
		if !ok || !slices.Equal(got, codes) {
			t.Errorf("ParseViolationID(%q) = %v %v, want %v", id, got, ok, codes)
		}
	}
	for _, id := range []string{"", "0=" + a, "1=" + a + ";0=" + b, "0=" + a + ";2=" + b, "0=" + a + ";1=", "0=" + a + ";;1=" + b, "0=" + a + ";1"} {
		if codes, ok := problems.ParseViolationID(id); ok {
			t.Errorf("ParseViolationID(%q) = %v, want no list: not an id the server writes", id, codes)
		}
	}
}

// TestCatalogueDocument: docs/errors.md is the catalogue as the manual
// shows it; `go test ./problems -run TestCatalogueDocument -update`
// rewrites it after a change to the catalogue.
func TestCatalogueDocument(t *testing.T) {
	want := catalogueMarkdown()
	if *update {
		if err := os.MkdirAll(filepath.Dir(catalogueFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(catalogueFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(catalogueFile)
	if err != nil {
		t.Fatalf("%v: run go test ./problems -run TestCatalogueDocument -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not the catalogue: run go test ./problems -run TestCatalogueDocument -update and review the diff", catalogueFile)
	}
}

func catalogueMarkdown() []byte {
	var b bytes.Buffer
	b.WriteString(`# Error catalogue

<!-- Generated from problems/catalogue.go by ` + "`go test ./problems -run TestCatalogueDocument -update`" + `: edit the catalogue, not this file. -->

Every error answer is an RFC 9457 problem document (` + "`Content-Type: application/problem+json`" + `), in
its JSON-LD form (a Hydra ` + "`Error`" + ` or ` + "`ConstraintViolation`" + `) unless the client prefers
` + "`application/json`" + ` or ` + "`application/problem+json`" + `. Its ` + "`type`" + ` says which kind of problem
it is and is a URL: open it (relative to the server) for a page that describes the kind, in HTML in a
browser and in JSON-LD otherwise. The document's ` + "`@id`" + ` (under ` + "`/api`" + `) answers the same way. Each
kind has one ` + "`title`" + `; ` + "`detail`" + ` says what went wrong with this request, and ` + "`request_id`" + ` identifies
the request in the server's logs.

` + "```json" + `
{
  "@context": "/api/contexts/Error",
  "@id": "/api/errors/404",
  "@type": "Error",
  "title": "Resource not found",
  "detail": "Not Found",
  "status": 404,
  "type": "/errors/404",
  "description": "Not Found",
  "request_id": "req_5f2b9c0e1a7d4e3f8b6c2a19"
}
` + "```" + `

## Kinds of problem

| Status | Type | Title |
|---|---|---|
`)
	for _, k := range problems.Kinds {
		fmt.Fprintf(&b, "| %d | [`%s`](#%d) | %s |\n", k.Status, k.Type(), k.Status, k.Title)
	}
	fmt.Fprintf(&b, "| 422 | [`%s{codes}`](#constraint-violations) | %s |\n", problems.ValidationErrorsPath, problems.ValidationTitle)
	for _, k := range problems.Kinds {
		fmt.Fprintf(&b, "\n### %d\n\n**%s** (`type`: `%s`)\n\n%s\n", k.Status, k.Title, k.Type(), k.Description)
	}
	fmt.Fprintf(&b, `
## Constraint violations

**%s** (status 422, `+"`type`"+`: `+"`%s{codes}`"+`)

%s

With one violation the type ends with its code (`+"`%s%s`"+`); with several, it lists them
as API Platform does: `+"`%s0=<code>;1=<code>`"+`. Symfony's constraint codes are kept, so that API
Platform clients recognise them; Orgraph's business rules have codes of the same form.

| Code | Constraint | Meaning |
|---|---|---|
`, problems.ValidationTitle, problems.ValidationErrorsPath, problems.ValidationDescription,
		problems.ValidationErrorsPath, problems.CodeNotBlank, problems.ValidationErrorsPath)
	for _, c := range problems.Constraints {
		origin := "Orgraph"
		if c.Symfony {
			origin = "Symfony"
		}
		// A pipe would end the table cell (the email rule lists "|").
		fmt.Fprintf(&b, "| `%s` | %s (%s) | %s |\n", c.Code, c.Name, origin, strings.ReplaceAll(c.Description, "|", `\|`))
	}
	return b.Bytes()
}
