package serve

import (
	"encoding/json"
	"io"
	"net/http"
)

// modelEntry is one entry of GET /v1/models, in OpenAI's shape.
type modelEntry struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// models lists the categories (owned by llmfall: they fall back) and then
// every link as provider/model (owned by its provider: no fallback).
func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	eng := s.cfg.Engine
	list := struct {
		Object string       `json:"object"`
		Data   []modelEntry `json:"data"`
	}{Object: "list", Data: []modelEntry{}}
	for _, c := range eng.Categories() {
		list.Data = append(list.Data, modelEntry{ID: c, Object: "model", OwnedBy: "llmfall"})
	}
	for _, t := range links(eng) {
		list.Data = append(list.Data, modelEntry{ID: t.String(), Object: "model", OwnedBy: t.Provider})
	}
	writeJSON(w, http.StatusOK, list)
}

// orderRequest is the body of POST /admin/order.
type orderRequest struct {
	// Category is the category to reorder; "" sets the global order.
	Category string `json:"category"`
	// Order lists provider names, first tried first; empty removes the
	// override.
	Order []string `json:"order"`
}

// order serves POST /admin/order: the manual switchover, in force until
// the next one or a restart (a reload keeps it).
func (s *Server) order(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	var req orderRequest
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "invalid_request_error",
			msg: `the body must be {"category": "fast" (or omitted for the global order), "order": ["anthropic", "openai"]}: ` + err.Error()})
		return
	}
	eng := s.cfg.Engine
	if err := eng.SetOrder(req.Category, req.Order); err != nil {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", param: "order", msg: err.Error()})
		return
	}
	chains := make(map[string][]string)
	for _, c := range eng.Categories() {
		chain, _ := eng.Chain(c)
		names := make([]string, len(chain))
		for i, t := range chain {
			names[i] = t.String()
		}
		chains[c] = names
	}
	writeJSON(w, http.StatusOK, map[string]any{"chains": chains})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, &apiError{status: http.StatusInternalServerError, typ: "server_error", msg: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
