package gemini

import (
	"context"
	"errors"
	"testing"

	"github.com/llmfall/llmfall/provider"
)

// An error body that is an empty JSON array (Google's error documents come
// in an array on some endpoints) says nothing: the status decides.
func TestEmptyArrayErrorBody(t *testing.T) {
	c := serve(t, respond(503, []byte("[]")))
	_, err := c.Complete(context.Background(), fullRequest())
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Class != provider.ClassOverloaded || pe.Status != 503 {
		t.Errorf("Complete() error = %v; want an overloaded error with HTTP 503", err)
	}
}

// An error object inside a 200 stream names its own code: a 400 there is
// the request's fault even when its status string is one this adapter does
// not know, and is not retried elsewhere as a server failure.
func TestStreamErrorObjectWithItsOwnCode(t *testing.T) {
	stream := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"}}]}\r\n\r\n" +
		"data: {\"error\":{\"code\":400,\"message\":\"bad thing\",\"status\":\"SOMETHING_NEW\"}}\r\n\r\n"
	c := serve(t, respond(200, []byte(stream)))
	s, err := c.Stream(context.Background(), fullRequest())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
	}
	var pe *provider.Error
	if err := s.Err(); !errors.As(err, &pe) || pe.Class != provider.ClassInvalidRequest || pe.Status != 400 {
		t.Errorf("stream error = %v; want an invalid request with code 400", err)
	}
}
