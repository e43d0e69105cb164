//go:build linux

package e2e

import (
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"
	"unicode/utf8"
)

// What a person sees is not the transcript but the terminal's screen: the
// last rows lines, after wrapping at the last column, scrolling and
// redrawing. vt is a model of a VT100-style terminal (xterm, tmux, VTE,
// the Linux console) for what authctl prints: text with the deferred wrap
// of the last column, CR, LF (scrolling at the bottom), BS, SGR colours,
// cursor movement and erasing. A sequence it does not know is recorded, and
// checkScreen fails on it, so the model never guesses.
// TestTmuxAgreesWithScreenModel checks it against tmux, a real emulator.
type vt struct {
	cols, rows int
	cells      [][]vtCell
	x, y       int
	wrapNext   bool // a character was written in the last column: the next one starts a new line
	pen        vtCell

	wraps   int      // lines the terminal wrapped because text went past the last column
	unknown []string // sequences the model does not know
}

// vtCell is one character cell: its character (0 when never written) and
// its colours, -1 for the terminal's default, else an index in the 16
// colours of the palette.
type vtCell struct {
	r       rune
	fg, bg  int
	reverse bool
}

var blankCell = vtCell{fg: -1, bg: -1}

func newVT(cols, rows int) *vt {
	s := &vt{cols: cols, rows: rows, pen: blankCell}
	s.cells = make([][]vtCell, rows)
	for y := range s.cells {
		s.cells[y] = s.blankRow(blankCell)
	}
	return s
}

func (s *vt) blankRow(c vtCell) []vtCell {
	row := make([]vtCell, s.cols)
	for x := range row {
		row[x] = vtCell{fg: c.fg, bg: c.bg, reverse: c.reverse}
	}
	return row
}

// erased is what erasing leaves: blanks in the current background colour
// (xterm's and tmux's back-colour erase).
func (s *vt) erased() vtCell { return vtCell{fg: -1, bg: s.pen.bg, reverse: s.pen.reverse} }

func (s *vt) lineFeed() {
	s.wrapNext = false
	if s.y < s.rows-1 {
		s.y++
		return
	}
	copy(s.cells, s.cells[1:])
	s.cells[s.rows-1] = s.blankRow(s.erased())
}

// write feeds the terminal what the program (and the echo of what was
// typed) sent it.
func (s *vt) write(b []byte) {
	for len(b) > 0 {
		switch c := b[0]; {
		case c == '\x1b':
			b = b[s.escape(b):]
			continue
		case c == '\r':
			s.x, s.wrapNext = 0, false
		case c == '\n':
			s.lineFeed()
		case c == '\b':
			if s.x > 0 && !s.wrapNext {
				s.x--
			}
			s.wrapNext = false
		case c == '\a' || c == 0:
		case c < 0x20 || c == 0x7f:
			s.unknown = append(s.unknown, fmt.Sprintf("control character %q", c))
		default:
			r, size := utf8.DecodeRune(b)
			s.put(r)
			b = b[size:]
			continue
		}
		b = b[1:]
	}
}

func (s *vt) put(r rune) {
	if s.wrapNext {
		s.x = 0
		s.lineFeed()
		s.wraps++
	}
	c := s.pen
	c.r = r
	s.cells[s.y][s.x] = c
	if s.x == s.cols-1 {
		s.wrapNext = true
	} else {
		s.x++
	}
}

// escape applies the escape sequence at the start of b and returns its
// length.
func (s *vt) escape(b []byte) int {
	if len(b) < 2 || b[1] != '[' {
		s.unknown = append(s.unknown, fmt.Sprintf("escape %q", b[:min(len(b), 2)]))
		return min(len(b), 2)
	}
	end := 2
	for end < len(b) && (b[end] < 0x40 || b[end] > 0x7e) {
		end++
	}
	if end == len(b) {
		s.unknown = append(s.unknown, fmt.Sprintf("unterminated %q", b))
		return len(b)
	}
	params, final := string(b[2:end]), b[end]
	var n []int
	for _, p := range strings.Split(params, ";") {
		v, err := strconv.Atoi(p)
		if err != nil && p != "" {
			s.unknown = append(s.unknown, fmt.Sprintf("CSI %q%c", params, final))
			return end + 1
		}
		n = append(n, v)
	}
	arg := func(i, def int) int {
		if i < len(n) && n[i] != 0 {
			return n[i]
		}
		return def
	}
	s.wrapNext = s.wrapNext && final == 'm'
	switch final {
	case 'm':
		s.sgr(n, params)
	case 'A':
		s.y = max(s.y-arg(0, 1), 0)
	case 'B':
		s.y = min(s.y+arg(0, 1), s.rows-1)
	case 'C':
		s.x = min(s.x+arg(0, 1), s.cols-1)
	case 'D':
		s.x = max(s.x-arg(0, 1), 0)
	case 'H', 'f':
		s.y = min(arg(0, 1), s.rows) - 1
		s.x = min(arg(1, 1), s.cols) - 1
	case 'J', 'K':
		s.erase(final, arg(0, 0))
	default:
		s.unknown = append(s.unknown, fmt.Sprintf("CSI %q%c", params, final))
	}
	return end + 1
}

func (s *vt) erase(final byte, mode int) {
	blank := s.erased()
	clear := func(y, from, to int) {
		for x := from; x < to; x++ {
			s.cells[y][x] = blank
		}
	}
	switch {
	case final == 'K' && mode == 0:
		clear(s.y, s.x, s.cols)
	case final == 'K' && mode == 1:
		clear(s.y, 0, s.x+1)
	case final == 'K' && mode == 2:
		clear(s.y, 0, s.cols)
	case final == 'J' && mode == 0:
		clear(s.y, s.x, s.cols)
		for y := s.y + 1; y < s.rows; y++ {
			clear(y, 0, s.cols)
		}
	case final == 'J' && mode == 1:
		for y := 0; y < s.y; y++ {
			clear(y, 0, s.cols)
		}
		clear(s.y, 0, s.x+1)
	case final == 'J' && mode == 2:
		for y := range s.rows {
			clear(y, 0, s.cols)
		}
	default:
		s.unknown = append(s.unknown, fmt.Sprintf("CSI %d%c", mode, final))
	}
}

func (s *vt) sgr(n []int, params string) {
	if len(n) == 0 {
		n = []int{0}
	}
	for _, v := range n {
		switch {
		case v == 0:
			s.pen = blankCell
		case v == 1 || v == 22:
			// Bold: the same colours here.
		case v == 7:
			s.pen.reverse = true
		case v == 27:
			s.pen.reverse = false
		case v >= 30 && v <= 37:
			s.pen.fg = v - 30
		case v == 39:
			s.pen.fg = -1
		case v >= 40 && v <= 47:
			s.pen.bg = v - 40
		case v == 49:
			s.pen.bg = -1
		case v >= 90 && v <= 97:
			s.pen.fg = v - 90 + 8
		case v >= 100 && v <= 107:
			s.pen.bg = v - 100 + 8
		default:
			s.unknown = append(s.unknown, fmt.Sprintf("SGR %q", params))
		}
	}
}

// lines is the text on the screen, one string a row, without trailing
// blanks.
func (s *vt) lines() []string {
	out := make([]string, s.rows)
	for y, row := range s.cells {
		var b strings.Builder
		for _, c := range row {
			if c.r == 0 {
				b.WriteRune(' ')
			} else {
				b.WriteRune(c.r)
			}
		}
		out[y] = strings.TrimRight(b.String(), " ")
	}
	return out
}

func (s *vt) String() string {
	return strings.Join(s.lines(), "\n")
}

// theme is a terminal's default colours, which text and cells without
// colours of their own take.
type theme struct {
	name   string
	fg, bg color.Gray
}

var (
	darkTheme  = theme{"dark", color.Gray{Y: 0xd0}, color.Gray{Y: 0x1c}}
	lightTheme = theme{"light", color.Gray{Y: 0x24}, color.Gray{Y: 0xf8}}
)

// palette is xterm's 16 colours, as grey levels (ITU-R BT.601 luma).
var palette = func() [16]color.Gray {
	rgb := [16][3]uint8{
		{0, 0, 0}, {205, 0, 0}, {0, 205, 0}, {205, 205, 0}, {0, 0, 238}, {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
		{127, 127, 127}, {255, 0, 0}, {0, 255, 0}, {255, 255, 0}, {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
	}
	var p [16]color.Gray
	for i, c := range rgb {
		p[i] = color.GrayModel.Convert(color.RGBA{c[0], c[1], c[2], 255}).(color.Gray)
	}
	return p
}()

// colours returns the cell's foreground and background on th.
func (th theme) colours(c vtCell) (fg, bg color.Gray) {
	fg, bg = th.fg, th.bg
	if c.fg >= 0 {
		fg = palette[c.fg]
	}
	if c.bg >= 0 {
		bg = palette[c.bg]
	}
	if c.reverse {
		fg, bg = bg, fg
	}
	return fg, bg
}

// Pixels of a character cell in the screen images given to zbarimg: one QR
// module wide and two high, as half blocks draw them; and the terminal's
// padding around the screen, in cells.
const (
	cellW, cellH = 8, 16
	padCells     = 2
)

// image paints the screen as the terminal shows it on th: half blocks fill
// their halves with the foreground colour, a space is background, and any
// other character is a letter-sized stroke of foreground colour, as dense
// as text, so that the text beside the code is in the picture a phone sees.
func (s *vt) image(th theme) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, (s.cols+2*padCells)*cellW, (s.rows+2*padCells)*cellH))
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			img.SetGray(x, y, th.bg)
		}
	}
	for cy, row := range s.cells {
		for cx, c := range row {
			fg, bg := th.colours(c)
			x0, y0 := (cx+padCells)*cellW, (cy+padCells)*cellH
			for py := range cellH {
				for px := range cellW {
					ink := false
					switch c.r {
					case '█':
						ink = true
					case '▀':
						ink = py < cellH/2
					case '▄':
						ink = py >= cellH/2
					case 0, ' ':
					default:
						// The outline of a small letter: "o".
						inBox := px >= 1 && px <= 5 && py >= 5 && py <= 12
						ink = inBox && (px == 1 || px == 5 || py == 5 || py == 12)
					}
					if ink {
						img.SetGray(x0+px, y0+py, fg)
					} else {
						img.SetGray(x0+px, y0+py, bg)
					}
				}
			}
		}
	}
	return img
}

// paintedBox returns the smallest rectangle of cells (x0, y0 inclusive; x1,
// y1 exclusive) holding every cell with a colour of its own: the extent of
// a drawing in explicit colours, quiet zone included.
func (s *vt) paintedBox() (x0, y0, x1, y1 int, ok bool) {
	x0, y0 = s.cols, s.rows
	for y, row := range s.cells {
		for x, c := range row {
			if c.bg >= 0 || c.fg >= 0 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
				ok = true
			}
		}
	}
	return x0, y0, x1, y1, ok
}
