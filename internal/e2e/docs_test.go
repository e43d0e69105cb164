package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testedBlocks returns the shell blocks of a guide that follow a
// "<!-- tested: NAME -->" line, joined in order, for each NAME.
func testedBlocks(t *testing.T, guide string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", guide))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- tested: ([a-z-]+) -->\n```sh\n(.*?)```")
	blocks := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		blocks[m[1]] += m[2]
	}
	return blocks
}

// The oathtool examples of docs/scripting.md work as printed: a script that
// copies them gets a 2FA user, a login with a code and one with a backup
// code.
func TestScriptingGuideExamples(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "jq", "oathtool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the guide's examples: %v", tool, err)
		}
	}
	script, ok := testedBlocks(t, "scripting.md")["oathtool"]
	if !ok || !strings.Contains(script, "oathtool") {
		t.Fatalf("docs/scripting.md has no tested oathtool example")
	}
	e := newEnv(t)
	// Leave room in the current 30 s step, so that "the next step's code"
	// the example computes is the one after the step its confirm used.
	stepWithRoom(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	c.Dir = e.dir
	c.Env = append(e.environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("the guide's example failed: %v\nstdout:\n%s\nstderr:\n%s\nscript:\n%s", err, out.String(), errb.String(), script)
	}
	if got := out.String(); !strings.Contains(got, "login ok\n") || !strings.Contains(got, `"factor":"backup code","backup_codes_left":7}`) {
		t.Errorf("the guide's example printed:\n%s", got)
	}
}
