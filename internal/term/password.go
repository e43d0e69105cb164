package term

import (
	"io"
	"unicode/utf8"
)

// Keys readPassword acts on. The terminal is in raw mode while it reads,
// so they arrive as bytes instead of being handled by the terminal driver.
const (
	keyInterrupt = 0x03 // Ctrl-C
	keyEOF       = 0x04 // Ctrl-D
	keyBackspace = 0x08 // Ctrl-H
	keyKillLine  = 0x15 // Ctrl-U
	keyDelete    = 0x7f // Backspace on most terminals
)

// readPassword reads one line typed at a terminal in raw mode. It exists
// because x/term's ReadPassword retries the empty read that Ctrl-D makes in
// canonical mode, so Ctrl-D at a password prompt did nothing and authctl
// kept waiting. Enter ends the line, Backspace and Ctrl-U edit it, Ctrl-C
// is ErrInterrupted (raw mode sends no SIGINT), Ctrl-D on an empty line is
// io.EOF. At most MaxLine+1 bytes are kept, enough for the caller to see
// that the line is too long.
func readPassword(r io.Reader) (string, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 {
			switch c := b[0]; c {
			case '\r', '\n':
				return string(line), nil
			case keyInterrupt:
				return "", ErrInterrupted
			case keyEOF:
				if len(line) == 0 {
					return "", io.EOF
				}
			case keyBackspace, keyDelete:
				if len(line) > 0 {
					_, size := utf8.DecodeLastRune(line)
					line = line[:len(line)-size]
				}
			case keyKillLine:
				line = line[:0]
			default:
				if len(line) <= MaxLine {
					line = append(line, c)
				}
			}
			continue
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return string(line), nil
			}
			return "", err
		}
	}
}
