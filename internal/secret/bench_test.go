package secret

import "testing"

func BenchmarkHashDefault(b *testing.B) {
	h := Hasher{Params: DefaultParams}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash("correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := Hasher{Params: DefaultParams}
	phc, err := h.Hash("correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Verify(phc, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashCode(b *testing.B) {
	salt := make([]byte, 16)
	for b.Loop() {
		HashCode(CodeParams, salt, "abcdefghjk")
	}
}

func BenchmarkParsePHC(b *testing.B) {
	phc, _ := Hasher{Params: Params{Memory: 64, Time: 1, Threads: 1}}.Hash("x")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePHC(phc); err != nil {
			b.Fatal(err)
		}
	}
}
