package sse

import "testing"

// TestScanLinesConsumesTheLineEnd: each line ending is consumed with its
// line, and a lone "\r" at the end of the bytes so far waits for the next
// byte (it may be the first half of "\r\n"). A split that consumed less
// than the line would make Next spin on the same bytes for ever, which the
// framing tests could only see as a hang; this file sorts before
// sse_test.go so that its test runs first.
func TestScanLinesConsumesTheLineEnd(t *testing.T) {
	tests := []struct {
		data    string
		atEOF   bool
		advance int
		token   string // "<nil>" for none
	}{
		{"data: a\ndata: b", false, 8, "data: a"},
		{"data: a\r\ndata: b", false, 9, "data: a"},
		{"data: a\rdata: b", false, 8, "data: a"},
		{"\n\n", false, 1, ""},
		{"\r\n\r\n", false, 2, ""},
		{"\r\r", false, 1, ""},
		{"data: a\r", false, 0, "<nil>"}, // "\r" or "\r\n"? ask for more
		{"data: a\r", true, 8, "data: a"},
		{"data: a", false, 0, "<nil>"},
		{"data: a", true, 7, "data: a"},
		{"", true, 0, "<nil>"},
	}
	for _, tc := range tests {
		advance, token, err := scanLines([]byte(tc.data), tc.atEOF)
		got := "<nil>"
		if token != nil {
			got = string(token)
		}
		if err != nil || advance != tc.advance || got != tc.token {
			t.Errorf("scanLines(%q, atEOF %v) = %d, %q, %v; want %d, %q, nil", tc.data, tc.atEOF, advance, got, err, tc.advance, tc.token)
		}
	}
}
