package fallback

import "sort"

// Categories lists the configured categories' names, sorted: what a gateway
// offers as models.
func (e *Engine) Categories() []string {
	cats := e.state.Load().cats
	out := make([]string, 0, len(cats))
	for name := range cats {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Target is the link serving the stream once its first token arrived (Next
// returned true), and the zero Target before.
func (s *Stream) Target() Target {
	if s.win == nil {
		return Target{}
	}
	return s.win.l.target
}
