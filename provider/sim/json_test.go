package sim

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// aScore stands for any confidence in 0.50–0.99 in a want map.
const aScore = "<score>"

func TestJSONMode(t *testing.T) {
	const (
		classify = `Classify this ticket. Reply with JSON: {"intent": "refund|shipping|account|other", "urgency": "low|high", "confidence": 0.0}`
		extract  = `Extract the customer's details as JSON: {"name": "...", "order_id": "...", "email": "...", "first_name": "...", "lastName": "..."}`
		maria    = "Hi, I'm Maria Lopez (maria.lopez@example.com). My order ORD-77 never arrived."
	)
	tests := []struct {
		name          string
		model, system string
		content       string
		jsonFlag      bool
		want          map[string]any
		keys          []string // order the keys must appear in
	}{
		{
			name: "classify by cue", model: "gpt-4.1-mini", jsonFlag: true,
			content: classify + "\nTicket: Order 1182 arrived broken. I want my money back ASAP.",
			want:    map[string]any{"intent": "refund", "urgency": "high", "confidence": aScore},
			keys:    []string{"intent", "urgency", "confidence"},
		},
		{
			name: "named option beats cue", model: "gpt-4.1", jsonFlag: true,
			content: classify + "\nTicket: My package never arrived, so I want a refund. No rush.",
			want:    map[string]any{"intent": "refund", "urgency": "low", "confidence": aScore},
		},
		{
			name: "catch-all when nothing matches", model: "gpt-4.1", jsonFlag: true,
			content: classify + "\nTicket: What are your opening hours? Whenever you can.",
			want:    map[string]any{"intent": "other", "urgency": "low", "confidence": aScore},
		},
		{
			name: "options in the template are not evidence", model: "claude-3-5-haiku-latest", jsonFlag: true,
			content: `Reply with JSON: {"topic": "shipping|refund"}` + "\nMy package is lost.",
			want:    map[string]any{"topic": "shipping"},
		},
		{
			name: "extract entities", model: "gemini-2.5-flash", jsonFlag: true,
			content: extract + "\n" + maria,
			want: map[string]any{"name": "Maria Lopez", "order_id": "ORD-77", "email": "maria.lopez@example.com",
				"first_name": "Maria", "lastName": "Lopez"},
			keys: []string{"name", "order_id", "email", "first_name", "lastName"},
		},
		{
			name: "a terse model drops IDs", model: "gpt-4.1-nano", jsonFlag: true,
			content: extract + "\n" + maria,
			want: map[string]any{"name": "Maria Lopez", "order_id": "", "email": "maria.lopez@example.com",
				"first_name": "Maria", "lastName": "Lopez"},
		},
		{
			name: "template in the system prompt", model: "gpt-4.1", jsonFlag: true,
			system:  `Answer with JSON like {"order_number": 0, "refund_requested": true|false, "escalate": false}.`,
			content: "Order 1182 arrived broken. I want my money back.",
			want:    map[string]any{"order_number": 1182.0, "refund_requested": true, "escalate": false},
		},
		{
			name: "lenient template, no JSON flag", model: "gpt-4.1",
			content: "Return JSON {intent: refund|shipping|other, 'score': 0-1, tags: ['refund|shipping|account'],}\nI was charged twice and my parcel is late.",
			want:    map[string]any{"intent": "refund", "score": aScore, "tags": []any{"refund", "shipping"}},
		},
		{
			name: "nested objects and arrays", model: "gpt-4.1", jsonFlag: true,
			content: `JSON: {"customer": {"name": "", "email": ""}, "items": [{"sku": "", "qty": 0}], "keywords": [], "summary": "..."}` +
				"\nMaria Lopez (maria@example.com) ordered SKU-9 and it is broken.",
			want: map[string]any{
				"customer": map[string]any{"name": "Maria Lopez", "email": "maria@example.com"},
				"items":    []any{map[string]any{"sku": "SKU-9", "qty": 0.0}},
				"keywords": []any{"Maria Lopez", "maria@example.com", "ordered", "SKU-9", "broken"},
				"summary":  "The message is about Maria Lopez. It goes on to cover maria@example.com and ordered. It also mentions SKU-9 and broken.",
			},
		},
		{
			name: "no template", model: "gpt-4.1-mini", jsonFlag: true,
			content: "Order 1182 arrived broken.",
			want: map[string]any{
				"answer":   "In short, it covers order and 1182. It goes on to cover arrived and broken.",
				"keywords": []any{"order", "1182", "arrived", "broken"},
			},
		},
	}
	c := New(Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := userReq(tc.model, tc.content)
			req.System, req.JSON = tc.system, tc.jsonFlag
			text := complete(t, c, req).Text
			var got map[string]any
			if err := json.Unmarshal([]byte(text), &got); err != nil {
				t.Fatalf("output %q is not a JSON object: %v", text, err)
			}
			for k, w := range tc.want {
				if w != aScore {
					continue
				}
				if f, ok := got[k].(float64); !ok || f < 0.5 || f > 0.99 {
					t.Errorf("%s = %v; want a number in 0.50–0.99", k, got[k])
				}
				got[k] = aScore
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("output %s mismatch (-want +got):\n%s", text, diff)
			}
			last := -1
			for _, k := range tc.keys {
				i := strings.Index(text, `"`+k+`":`)
				if i < last {
					t.Errorf("key %q out of template order in %s", k, text)
				}
				last = i
			}
		})
	}
}

// TestJSONOptionsAlwaysValid runs templates through every style and checks
// that the answer is valid JSON choosing only offered options.
func TestJSONOptionsAlwaysValid(t *testing.T) {
	c := New(Config{})
	options := []string{"alpha", "beta", "gamma"}
	for _, model := range []string{"gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "claude-sonnet-4-5", "gemini-2.5-pro"} {
		for _, content := range []string{"Nothing relevant here.", `Quote "this" \ and a tab	and ünïcode.`, "", "Beta testers only."} {
			req := userReq(model, `Reply in JSON: {"pick": "alpha|beta|gamma", "text": "..."}`+"\n"+content)
			req.JSON = true
			text := complete(t, c, req).Text
			var got struct{ Pick, Text string }
			if err := json.Unmarshal([]byte(text), &got); err != nil {
				t.Fatalf("%s: %q is not JSON: %v", model, text, err)
			}
			if !strings.Contains(strings.Join(options, "|"), got.Pick) || got.Pick == "" {
				t.Errorf("%s: pick = %q; want one of %v", model, got.Pick, options)
			}
			if content == "Beta testers only." && got.Pick != "beta" {
				t.Errorf("%s: pick = %q; want beta, named in the content", model, got.Pick)
			}
		}
	}
}

func TestBracesWithoutJSONStayProse(t *testing.T) {
	req := userReq("gpt-4.1", "Explain what {name: value} means in this refund form.")
	text := complete(t, New(Config{}), req).Text
	if json.Valid([]byte(text)) {
		t.Errorf("output %q is JSON; want prose when neither the flag nor the word JSON asks for it", text)
	}
}

func TestFindTemplate(t *testing.T) {
	tests := []struct {
		in       string
		wantKeys []string
		wantSpan string
	}{
		{`Reply with {"a": "x|y", "b": 1}.`, []string{"a", "b"}, `{"a": "x|y", "b": 1}`},
		{`Use {braces} loosely, then {"k": [1, 2], 'q': {"n": null}}`, []string{"k", "q"}, `{"k": [1, 2], 'q': {"n": null}}`},
		{"{a: b,\n c: d,}", []string{"a", "c"}, "{a: b,\n c: d,}"},
		{`{"unterminated": "x`, nil, ""},
		{`{}`, nil, ""},
		{strings.Repeat("{", 50) + `"deep": 1` + strings.Repeat("}", 50), []string{"deep"}, `{"deep": 1}`},
		{strings.Repeat(`{"a": `, 20) + "1" + strings.Repeat("}", 20), []string{"a"}, strings.Repeat(`{"a": `, maxDepth) + "1" + strings.Repeat("}", maxDepth)},
	}
	for _, tc := range tests {
		o, from, to := findTemplate(tc.in)
		var keys []string
		span := ""
		if o != nil {
			for _, f := range o.fields {
				keys = append(keys, f.key)
			}
			span = tc.in[from:to]
		}
		if !cmp.Equal(keys, tc.wantKeys) || span != tc.wantSpan {
			t.Errorf("findTemplate(%q) = %v %q; want %v %q", tc.in, keys, span, tc.wantKeys, tc.wantSpan)
		}
	}
}

func TestKeyWords(t *testing.T) {
	tests := map[string][]string{
		"order_id":     {"order", "id"},
		"orderId":      {"order", "id"},
		"ID":           {"id"},
		"customer-Eml": {"customer", "eml"},
		"confidence":   {"confidence"},
	}
	for key, want := range tests {
		if got := keyWords(key); !cmp.Equal(got, want) {
			t.Errorf("keyWords(%q) = %v; want %v", key, got, want)
		}
	}
}

// A confidence key must not be read as an id key ("conf-id-ence").
func TestConfidenceIsNotAnID(t *testing.T) {
	req := userReq("gpt-4.1", `JSON: {"confidence": "", "valid": true}`+"\nOrder 1182.")
	req.JSON = true
	var got map[string]any
	if err := json.Unmarshal([]byte(complete(t, New(Config{}), req).Text), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["confidence"].(float64); !ok {
		t.Errorf("confidence = %#v; want a number", got["confidence"])
	}
}

func TestJSONTruncatedIsLength(t *testing.T) {
	req := userReq("gpt-4.1", `JSON: {"summary": "..."}`+"\n"+ticket)
	req.JSON, req.MaxTokens = true, 5
	resp, err := New(Config{}).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != provider.FinishLength || json.Valid([]byte(resp.Text)) {
		t.Errorf("Text, FinishReason = %q, %q; want cut JSON, length", resp.Text, resp.FinishReason)
	}
}
