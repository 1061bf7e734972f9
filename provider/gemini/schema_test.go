package gemini

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider/wiretest"
)

// Each JSON Schema construct a caller's tool or response format may use
// becomes the Gemini Schema that means the same, or the nearest looser one,
// and the API accepts the result.
func TestSchemaTranslations(t *testing.T) {
	type m = map[string]any
	tests := []struct {
		name   string
		schema string
		want   m
	}{
		{"true accepts anything", `{"type":"object","properties":{"note":true}}`,
			m{"type": "OBJECT", "properties": m{"note": m{}}}},
		{"a type list with null is nullable", `{"type":["string","null"]}`,
			m{"type": "STRING", "nullable": true}},
		{"null alone", `{"type":"null"}`,
			m{"type": "NULL", "nullable": true}},
		{"several types become anyOf", `{"type":["string","integer"]}`,
			m{"anyOf": []any{m{"type": "STRING"}, m{"type": "INTEGER"}}}},
		{"items", `{"type":"array","items":{"type":"string","minLength":1},"minItems":1}`,
			m{"type": "ARRAY", "items": m{"type": "STRING", "minLength": json.Number("1")}, "minItems": json.Number("1")}},
		{"oneOf and anyOf together", `{"oneOf":[{"type":"string"}],"anyOf":[{"type":"integer"}]}`,
			m{"anyOf": []any{m{"type": "INTEGER"}, m{"type": "STRING"}}}},
		{"allOf of one is inlined, the outer keywords win", `{"description":"outer","allOf":[{"type":"string","description":"inner"}]}`,
			m{"type": "STRING", "description": "outer"}},
		{"const is a one-value enum", `{"const":"report"}`,
			m{"type": "STRING", "enum": []any{"report"}}},
		{"an enum keeps its type", `{"type":"string","enum":["a","b"]}`,
			m{"type": "STRING", "enum": []any{"a", "b"}}},
		{"the first example", `{"type":"string","examples":["Paris","Rome"]}`,
			m{"type": "STRING", "example": "Paris"}},
		{"no examples", `{"type":"string","examples":[]}`,
			m{"type": "STRING"}},
		{"a format of the type is kept", `{"type":"string","format":"date-time"}`,
			m{"type": "STRING", "format": "date-time"}},
		{"a format of another type is dropped", `{"type":"integer","format":"date-time"}`,
			m{"type": "INTEGER"}},
		{"constraints Gemini lacks are dropped", `{"type":"number","exclusiveMinimum":0,"multipleOf":2,"minimum":1}`,
			m{"type": "NUMBER", "minimum": json.Number("1")}},
		{"definitions as well as $defs", `{"type":"object","properties":{"a":{"$ref":"#/definitions/a"}},"definitions":{"a":{"type":"boolean"}}}`,
			m{"type": "OBJECT", "properties": m{"a": m{"type": "BOOLEAN"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := geminiSchema(json.RawMessage(tc.schema))
			if err != nil {
				t.Fatalf("geminiSchema(%s) error = %v", tc.schema, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("geminiSchema(%s) mismatch (-want +got):\n%s", tc.schema, diff)
			}
			if err := wiretest.GeminiSchema("parameters", got); err != nil {
				t.Errorf("translated schema rejected: %v", err)
			}
		})
	}
}
