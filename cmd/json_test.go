package cmd

import (
	"bytes"
	"strings"
	"testing"
)

// Scripts read otpauth URIs from -o json; they must come out as written.
func TestWriteJSONKeepsURIReadable(t *testing.T) {
	var b bytes.Buffer
	uri := "otpauth://totp/authctl:alice?algorithm=SHA1&digits=6&issuer=authctl&secret=ABC"
	if err := writeJSON(&b, map[string]string{"uri": uri}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, uri) || !strings.HasSuffix(got, "}\n") {
		t.Fatalf("writeJSON = %q, want the URI verbatim on one line", got)
	}
}
