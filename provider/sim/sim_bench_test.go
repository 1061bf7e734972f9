package sim

import (
	"context"
	"testing"
)

func BenchmarkComplete(b *testing.B) {
	c := New(Config{})
	req := userReq("gpt-4.1-mini", ticket)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Complete(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompleteJSON(b *testing.B) {
	c := New(Config{})
	req := userReq("gpt-4.1-mini", `Reply with JSON: {"intent": "refund|shipping|account|other", "name": "...", "order_id": "...", "confidence": 0.0}`+"\n"+ticket)
	req.JSON = true
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Complete(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStream(b *testing.B) {
	c := New(Config{})
	req := userReq("gpt-4.1-mini", ticket)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, err := c.Stream(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		for s.Next() {
		}
		if err := s.Err(); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
