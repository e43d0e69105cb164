// Package term is authctl's terminal layer: the standard streams, whether
// they are terminals, prompts without echo that survive Ctrl-C, and the
// enrollment QR code.
package term

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	xterm "golang.org/x/term"

	"github.com/authctl/authctl/internal/apperr"
)

// MaxLine bounds one line read from standard input or a prompt.
const MaxLine = 4096

// ErrInterrupted is returned when the user presses Ctrl-C at a prompt; the
// terminal has been restored by then.
var ErrInterrupted = &apperr.Error{Kind: apperr.Interrupted, Msg: "interrupted"}

// IO holds the three standard streams and what they are connected to.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	// InTTY and ErrTTY say whether stdin and stderr are terminals; prompting
	// needs both (prompts go to stderr).
	InTTY  bool
	ErrTTY bool

	inFd  int // valid when In is a real terminal
	realT bool
	in    *bufio.Reader
}

// System returns the process's streams.
func System() *IO {
	inFd := int(os.Stdin.Fd())
	inTTY := xterm.IsTerminal(inFd)
	return &IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY: inTTY, ErrTTY: xterm.IsTerminal(int(os.Stderr.Fd())),
		inFd: inFd, realT: inTTY,
	}
}

// Test returns streams over buffers. tty makes prompts read lines from in as
// if a person typed them.
func Test(in string, tty bool) (*IO, *bytes.Buffer, *bytes.Buffer) {
	out, errb := new(bytes.Buffer), new(bytes.Buffer)
	return &IO{In: strings.NewReader(in), Out: out, Err: errb, InTTY: tty, ErrTTY: tty}, out, errb
}

// CanPrompt reports whether a person can answer a prompt.
func (t *IO) CanPrompt() bool { return t.InTTY && t.ErrTTY }

func (t *IO) reader() *bufio.Reader {
	if t.in == nil {
		t.in = bufio.NewReaderSize(t.In, MaxLine)
	}
	return t.in
}

// ErrNoInput means standard input ended before the expected line.
var ErrNoInput = errors.New("standard input closed")

// Line reads one line from standard input, without its line ending. A line
// longer than MaxLine is an Invalid error (the rest is not read into memory).
func (t *IO) Line() (string, error) {
	r := t.reader()
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if contentLen(buf) > MaxLine {
			return "", apperr.New(apperr.Invalid, "input line is longer than %d bytes", MaxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(buf) == 0 {
				return "", ErrNoInput
			}
			break
		}
		if err != nil {
			return "", apperr.Wrap(apperr.Env, err, "reading standard input")
		}
		break
	}
	s := strings.TrimSuffix(string(buf), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

// contentLen is the length of a line without its line ending, which does
// not count towards MaxLine.
func contentLen(b []byte) int {
	n := len(b)
	if n > 0 && b[n-1] == '\n' {
		n--
		if n > 0 && b[n-1] == '\r' {
			n--
		}
	}
	return n
}

// Password prompts on stderr and reads a password without echo. Ctrl-C
// restores the terminal and returns ErrInterrupted; Ctrl-D on an empty
// line returns ErrNoInput.
func (t *IO) Password(prompt string) (string, error) {
	fmt.Fprint(t.Err, prompt)
	defer fmt.Fprintln(t.Err)
	if !t.realT {
		return t.Line()
	}
	// Echo goes off here, before the read starts in its own goroutine, so
	// that a Ctrl-C can never restore the terminal before it is changed.
	state, err := xterm.MakeRaw(t.inFd)
	if err != nil {
		return "", apperr.Wrap(apperr.Env, err, "turning off terminal echo")
	}
	restore := func() { _ = xterm.Restore(t.inFd, state) }
	defer restore()
	s, err := interruptible(restore, func() (string, error) { return readPassword(t.In) })
	switch {
	case errors.Is(err, io.EOF):
		return "", ErrNoInput
	case err == nil && len(s) > MaxLine:
		return "", apperr.New(apperr.Invalid, "input line is longer than %d bytes", MaxLine)
	}
	return s, err
}

// Prompt asks a question on stderr and reads the answer with echo. When
// the answer never comes (Ctrl-C, Ctrl-D) it ends the prompt's line, so
// that what is printed next starts a line of its own.
func (t *IO) Prompt(prompt string) (string, error) {
	fmt.Fprint(t.Err, prompt)
	var s string
	var err error
	if t.realT {
		s, err = interruptible(func() {}, t.Line)
	} else {
		s, err = t.Line()
	}
	if errors.Is(err, ErrInterrupted) || errors.Is(err, ErrNoInput) {
		fmt.Fprintln(t.Err)
	}
	return s, err
}

// interruptible runs read and waits for it or for SIGINT/SIGTERM. On a
// signal it restores the terminal and returns ErrInterrupted; the blocked
// read is abandoned, as the process is about to exit.
func interruptible(restore func(), read func() (string, error)) (string, error) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := read()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-sig:
		restore()
		return "", ErrInterrupted
	}
}
