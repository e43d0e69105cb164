package account

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/authctl/authctl/internal/importer"
)

// skipKind is why a line of an import file is not imported.
type skipKind uint8

// The order matters: a line that is both a duplicate and a user that
// exists is reported as the duplicate (the first line of the name carries
// the "exists").
const (
	skipInvalid skipKind = iota // the line on its own: unreadable, a bad name, password or hash
	skipDup                     // a later line of a name already in the file
	skipExists                  // the name is in the database
)

// skipMark is a line not to import, in 8 bytes: what the write pass needs
// to leave it out. Its problem in words is held while few lines are
// skipped, and read again from the file when many are.
type skipMark struct {
	line uint32
	kind skipKind
}

// dupMark is a duplicate line and the first line of its name.
type dupMark struct{ line, first uint32 }

// heldProblem is a problem in full, kept while they fit heldBudget.
type heldProblem struct {
	kind skipKind
	p    importer.Problem
}

// heldBudget bounds the problems an import holds in full (their names and
// messages). Past it, a million lines of users that already exist would
// hold hundreds of MiB, so only the marks stay and the problems are worded
// again from a new read of the file when they are listed. (A variable for
// the tests.)
var heldBudget = 4 << 20

// skipList is what an import knows of the lines it does not import.
type skipList struct {
	marks []skipMark // one per line, sorted by line once the check is done
	dups  []dupMark  // sorted by line once the check is done
	held  []heldProblem
	// heldBytes is about what held takes; over heldBudget, held is dropped
	// and stays nil.
	heldBytes int
	overflow  bool
	// first is the first problem of each kind found, which is the one of
	// the lowest line (lines are checked in order): the problem an import
	// that imports nothing reports, without a new read of the file.
	first [3]*importer.Problem
	// taken are the valid lines whose name another process added while
	// the batches were written, in the order found; they need another
	// process racing the import, so they are few and held.
	taken []importer.Problem

	// src and recheck word the problems again: the file, and the check
	// that refused a line on its own.
	src     ImportSource
	recheck func(importer.Record) (name, problem string)
}

// add records that line is not imported, and why.
func (l *skipList) add(kind skipKind, p importer.Problem) {
	l.marks = append(l.marks, skipMark{line: uint32(p.Line), kind: kind})
	if kind != skipDup && l.first[kind] == nil {
		first := p
		l.first[kind] = &first
	}
	if l.overflow {
		return
	}
	l.heldBytes += 64 + len(p.Name) + len(p.Err)
	if l.heldBytes > heldBudget {
		l.held, l.overflow = nil, true
		return
	}
	l.held = append(l.held, heldProblem{kind, p})
}

// addDup records that line repeats the name of line first.
func (l *skipList) addDup(line, first int) {
	l.dups = append(l.dups, dupMark{uint32(line), uint32(first)})
	l.add(skipDup, importer.Problem{Line: line, Err: fmt.Sprintf("duplicate of line %d", first)})
}

// sort puts the marks (and the held problems) in line order, one per line.
func (l *skipList) sort() {
	byLine := func(a, b skipMark) int {
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.kind, b.kind))
	}
	slices.SortFunc(l.marks, byLine)
	l.marks = slices.CompactFunc(l.marks, func(a, b skipMark) bool { return a.line == b.line })
	slices.SortFunc(l.dups, func(a, b dupMark) int { return cmp.Compare(a.line, b.line) })
	mark := func(h heldProblem) skipMark { return skipMark{uint32(h.p.Line), h.kind} }
	slices.SortFunc(l.held, func(a, b heldProblem) int { return byLine(mark(a), mark(b)) })
	l.held = slices.CompactFunc(l.held, func(a, b heldProblem) bool { return a.p.Line == b.p.Line })
}

// count returns how many lines are skipped of each kind.
func (l *skipList) count(kind skipKind) int {
	n := 0
	for _, m := range l.marks {
		if m.kind == kind {
			n++
		}
	}
	return n
}

// skips reports whether line is not to be imported.
func (l *skipList) skips(line int) bool {
	_, found := slices.BinarySearchFunc(l.marks, uint32(line), func(m skipMark, line uint32) int { return cmp.Compare(m.line, line) })
	return found
}

// firstProblem is the problem of the lowest line, which a refused import
// reports. It reads the file again only when that line is a duplicate,
// whose name the check does not keep.
func (l *skipList) firstProblem() (importer.Problem, error) {
	m := l.marks[0]
	if m.kind != skipDup {
		if p := l.first[m.kind]; p != nil && p.Line == int(m.line) {
			return *p, nil
		}
	}
	var first importer.Problem
	errFound := errors.New("found")
	err := l.each(func(p importer.Problem) error {
		first = p
		return errFound
	})
	if errors.Is(err, errFound) {
		err = nil
	}
	return first, err
}

// each calls fn with the problem of every skipped line, in line order, then
// with the names taken meanwhile, and stops at fn's first error. The
// problems come from memory when they were held and none is a duplicate
// (whose name is not kept); otherwise the file is read once more.
func (l *skipList) each(fn func(importer.Problem) error) error {
	if !l.overflow && len(l.dups) == 0 {
		for _, h := range l.held {
			if err := fn(h.p); err != nil {
				return err
			}
		}
	} else if len(l.marks) > 0 {
		if err := l.reword(fn); err != nil {
			return err
		}
	}
	for _, p := range l.taken {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// reword reads the file again and words the problem of each marked line as
// the check did: a line unreadable or refused on its own gets the same
// problem from the same parser and check, a duplicate the name on its line,
// a user that exists its normalised name.
func (l *skipList) reword(fn func(importer.Problem) error) error {
	at, last := 0, 0
	var stop error
	next := func(line int) (skipMark, bool) {
		if stop != nil {
			return skipMark{}, false
		}
		if line <= last {
			stop = errImportChanged // the source is not in line order
			return skipMark{}, false
		}
		last = line
		if at == len(l.marks) || int(l.marks[at].line) != line {
			return skipMark{}, false
		}
		at++
		return l.marks[at-1], true
	}
	emit := func(p importer.Problem) {
		if err := fn(p); err != nil {
			stop = err
		}
	}
	err := l.src(func(r importer.Record) {
		m, ok := next(r.Line)
		if !ok {
			return
		}
		switch m.kind {
		case skipInvalid:
			if _, msg := l.recheck(r); msg != "" {
				emit(importer.Problem{Line: r.Line, Name: r.Name, Err: msg})
				return
			}
		case skipDup:
			i, ok := slices.BinarySearchFunc(l.dups, m.line, func(d dupMark, line uint32) int { return cmp.Compare(d.line, line) })
			if ok {
				emit(importer.Problem{Line: r.Line, Name: r.Name, Err: fmt.Sprintf("duplicate of line %d", l.dups[i].first)})
				return
			}
		case skipExists:
			if name, err := NormalizeName(r.Name); err == nil {
				emit(importer.Problem{Line: r.Line, Name: name, Err: "user already exists"})
				return
			}
		}
		stop = errImportChanged
	}, func(p importer.Problem) {
		if m, ok := next(p.Line); ok {
			if m.kind != skipInvalid {
				stop = errImportChanged
				return
			}
			emit(p)
		}
	})
	if err == nil {
		err = stop
	}
	if err == nil && at != len(l.marks) {
		err = errImportChanged
	}
	return err
}
