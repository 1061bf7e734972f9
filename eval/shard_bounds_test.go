package eval

import "testing"

// A count too big for an int is refused, not read as the biggest int:
// --shard 1/99999999999999999999 would otherwise run a shard of
// practically nothing and report success.
func TestParseShardRefusesOutOfRange(t *testing.T) {
	for _, in := range []string{"1/99999999999999999999", "99999999999999999999/4", "1/b", "a/4", " 2 / 4x"} {
		if got, err := ParseShard(in); err == nil {
			t.Errorf("ParseShard(%q) = %v; want an error", in, got)
		}
	}
	if got, err := ParseShard(" 3 / 4 "); err != nil || got != (Shard{3, 4}) {
		t.Errorf("ParseShard(\" 3 / 4 \") = %v, %v; want 3/4", got, err)
	}
}
