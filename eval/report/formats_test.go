package report

import (
	"reflect"
	"testing"
)

// TestFormatsNeedAllResults: asking for any one format keeps every result
// in memory; asking for none keeps only the terminal's failures.
func TestFormatsNeedAllResults(t *testing.T) {
	if (Formats{}).NeedsAllResults() {
		t.Error("no format: NeedsAllResults() = true; want false")
	}
	typ := reflect.TypeFor[Formats]()
	for i := range typ.NumField() {
		var f Formats
		field := reflect.ValueOf(&f).Elem().Field(i)
		switch field.Kind() {
		case reflect.String:
			field.SetString("out")
		case reflect.Bool:
			field.SetBool(true)
		default:
			t.Fatalf("Formats.%s: a %s; set it here", typ.Field(i).Name, field.Kind())
		}
		if !f.NeedsAllResults() {
			t.Errorf("only %s: NeedsAllResults() = false; want true", typ.Field(i).Name)
		}
	}
}
