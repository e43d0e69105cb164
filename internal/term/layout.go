package term

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Width is the number of terminal columns s takes: escape sequences (SGR
// colours) take none, East Asian wide and fullwidth characters two,
// combining marks and format characters none.
func Width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == '\x1b' {
			i += escapeLen(s[i:])
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += runeWidth(r)
		i += size
	}
	return n
}

// escapeLen is the length of the escape sequence at the start of s: a CSI
// sequence (ESC [ parameters final byte) or ESC and one more byte.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	if s[1] != '[' {
		return 2
	}
	for i := 2; i < len(s); i++ {
		if s[i] >= 0x40 && s[i] <= 0x7e {
			return i + 1
		}
	}
	return len(s)
}

func runeWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// Wrap breaks text into lines of at most cols columns, at spaces, so that
// no word is split across lines by the terminal. A word wider than cols
// (a long path, say) is cut where it must be.
func Wrap(text string, cols int) []string {
	cols = max(cols, 1)
	var lines []string
	var line strings.Builder
	lineW := 0
	flush := func() {
		lines = append(lines, line.String())
		line.Reset()
		lineW = 0
	}
	for _, word := range strings.Fields(text) {
		w := Width(word)
		if lineW > 0 && lineW+1+w > cols {
			flush()
		}
		if lineW > 0 {
			line.WriteByte(' ')
			lineW++
		}
		for w > cols {
			// A word wider than a whole line, which starts one (the
			// line was flushed above).
			head, rest := cut(word, cols)
			line.WriteString(head)
			flush()
			word, w = rest, Width(rest)
		}
		line.WriteString(word)
		lineW += w
	}
	if lineW > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// Cut splits s into pieces of at most cols columns each, for a value that
// has no spaces to wrap at (a user name). A piece ends after a separator
// (".@-_~+") where that keeps it at least half a line wide, so that the
// parts of the name stay whole; else where the line ends. A character
// wider than cols gets a piece of its own.
func Cut(s string, cols int) []string {
	var pieces []string
	for Width(s) > cols {
		head, rest := cut(s, cols)
		if i := strings.LastIndexAny(head, ".@-_~+"); i >= 0 && 2*Width(head[:i+1]) >= cols {
			head, rest = s[:i+1], s[i+1:]
		}
		pieces = append(pieces, head)
		s = rest
	}
	return append(pieces, s)
}

// cut returns the longest prefix of s that fits in cols columns (at least
// one character) and the rest.
func cut(s string, cols int) (string, string) {
	w := 0
	for i, r := range s {
		rw := runeWidth(r)
		if w+rw > cols && i > 0 {
			return s[:i], s[i:]
		}
		w += rw
	}
	return s, ""
}

// Beside puts two blocks of lines side by side: each line of left padded
// to leftCols columns, gap spaces, then the line of right. The block is as
// tall as the taller one; a missing left line is blank. Lines carry no
// trailing spaces.
func Beside(left []string, leftCols, gap int, right []string) []string {
	n := max(len(left), len(right))
	out := make([]string, n)
	for i := range n {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		if r == "" {
			out[i] = strings.TrimRight(l, " ")
			continue
		}
		out[i] = l + strings.Repeat(" ", max(leftCols-Width(l), 0)+gap) + r
	}
	return out
}
