package otp

import (
	"testing"
	"time"
)

func BenchmarkCheck(b *testing.B) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	now := time.Unix(1_800_000_000, 0)
	code, err := CodeAt(secret, Step(now), Digits, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(secret, code, now, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAny(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseAny("ABCDE-FGHJK"); err != nil {
			b.Fatal(err)
		}
	}
}
