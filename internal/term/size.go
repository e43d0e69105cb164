package term

import (
	"os"

	xterm "golang.org/x/term"
)

// Size returns the size of the terminal on stderr, in columns and lines:
// 80x24, the size every terminal starts at, when stderr is not a terminal
// or does not tell (test streams).
func (t *IO) Size() (cols, rows int) {
	if f, ok := t.Err.(*os.File); ok && t.ErrTTY {
		if c, r, err := xterm.GetSize(int(f.Fd())); err == nil && c > 0 && r > 0 {
			return c, r
		}
	}
	return 80, 24
}
