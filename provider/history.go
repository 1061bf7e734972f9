package provider

import (
	"strconv"
	"strings"
)

// NormalizeHistory returns msgs in the shape every provider's API accepts
// for tool use, whichever provider (or caller) produced the history, so that
// a conversation begun on one link continues on any other:
//
//   - every tool call has an id that validID accepts and that no other call
//     of the conversation has: a missing, foreign (toolu_… to a provider
//     with other rules) or duplicate id is replaced by call_N, and the
//     results answering it follow;
//   - the RoleTool messages right after an assistant message answer its
//     calls, in the order of the calls: a result with no ToolCallID (a
//     Gemini history, matched by order) takes the first call not yet
//     answered;
//   - a result that answers no call of the assistant message just before it
//     (an orphan, which every API rejects) becomes a user text message, so
//     its content is not lost;
//   - a call that no result answers is dropped (every API rejects it), and an
//     assistant message left with nothing in it goes too.
//
// validID nil accepts any non-empty id. msgs is not modified; when there is
// nothing to change it is returned as is.
func NormalizeHistory(msgs []Message, validID func(string) bool) []Message {
	if !hasToolTraffic(msgs) {
		return msgs
	}
	n := normalizer{validID: validID, used: make(map[string]bool)}
	out := make([]Message, 0, len(msgs))
	for i := 0; i < len(msgs); i++ {
		m := msgs[i]
		switch {
		case m.Role == RoleTool:
			out = append(out, orphan(m))
		case m.Role == RoleAssistant && len(m.ToolCalls) > 0:
			j := i + 1
			for j < len(msgs) && msgs[j].Role == RoleTool {
				j++
			}
			out = n.turn(out, m, msgs[i+1:j])
			i = j - 1
		default:
			out = append(out, m)
		}
	}
	return out
}

func hasToolTraffic(msgs []Message) bool {
	for i := range msgs {
		if msgs[i].Role == RoleTool || len(msgs[i].ToolCalls) > 0 {
			return true
		}
	}
	return false
}

type normalizer struct {
	validID func(string) bool
	used    map[string]bool
	next    int
}

// turn appends an assistant message with calls and the results after it.
func (n *normalizer) turn(out []Message, m Message, results []Message) []Message {
	answer := make([]int, len(m.ToolCalls)) // call → index in results+1; 0: none
	var orphans []Message
	for ri := range results {
		ci := matchCall(m.ToolCalls, answer, results[ri].ToolCallID)
		if ci < 0 {
			orphans = append(orphans, orphan(results[ri]))
			continue
		}
		answer[ci] = ri + 1
	}
	calls := make([]ToolCall, 0, len(m.ToolCalls))
	answered := make([]Message, 0, len(results))
	for ci, c := range m.ToolCalls {
		if answer[ci] == 0 {
			continue
		}
		c.ID = n.id(c.ID)
		calls = append(calls, c)
		r := results[answer[ci]-1]
		r.ToolCallID = c.ID
		answered = append(answered, r)
	}
	m.ToolCalls = calls
	if len(calls) > 0 || m.Content != "" || len(m.Parts) > 0 {
		out = append(out, m)
	}
	out = append(out, answered...)
	return append(out, orphans...)
}

// matchCall is the call a result with this id answers: the first
// unanswered call with the id, or with no id the first unanswered call.
func matchCall(calls []ToolCall, answer []int, id string) int {
	for ci, c := range calls {
		if answer[ci] == 0 && (id == "" || c.ID == id) {
			return ci
		}
	}
	return -1
}

// id is the id a call keeps or gets.
func (n *normalizer) id(id string) string {
	if id != "" && !n.used[id] && (n.validID == nil || n.validID(id)) {
		n.used[id] = true
		return id
	}
	for {
		n.next++
		c := "call_" + strconv.Itoa(n.next)
		if !n.used[c] && (n.validID == nil || n.validID(c)) {
			n.used[c] = true
			return c
		}
	}
}

// orphan turns a tool result that answers no call into user text.
func orphan(m Message) Message {
	label := "Tool result"
	if m.IsError {
		label = "Tool error"
	}
	if m.ToolCallID != "" {
		label += " for call " + m.ToolCallID
	}
	return Message{Role: RoleUser, Content: label + ": " + m.Text()}
}

// ToolName is the name of the tool the call with this id called, searched
// in the assistant messages of msgs, latest first; "" if none did.
func ToolName(msgs []Message, id string) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, c := range msgs[i].ToolCalls {
			if c.ID == id {
				return c.Name
			}
		}
	}
	return ""
}

// IDAlphabet reports whether id is non-empty, at most max bytes (0: no
// limit) and made of ASCII letters, digits, '_' and '-' only: the rule of
// Anthropic's tool_use ids, and a safe one anywhere.
func IDAlphabet(id string, max int) bool {
	if id == "" || (max > 0 && len(id) > max) {
		return false
	}
	return strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) < 0
}
