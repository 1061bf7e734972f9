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
	ncalls := 0
	for i := range msgs {
		ncalls += len(msgs[i].ToolCalls)
	}
	// Every kept call goes into one backing array, and ids into one map,
	// so that a long history costs a handful of allocations.
	n := normalizer{validID: validID, used: make(map[string]bool, ncalls), calls: make([]ToolCall, 0, ncalls)}
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
	calls   []ToolCall
}

// turn appends an assistant message with calls and the results after it.
func (n *normalizer) turn(out []Message, m Message, results []Message) []Message {
	// answer[ci] is 1 + the index in results of call ci's result, 0 for
	// none; matched[ri] says result ri answers a call.
	var small [16]int
	var answer, matched []int
	if k := len(m.ToolCalls) + len(results); k <= len(small) {
		answer, matched = small[:len(m.ToolCalls)], small[len(m.ToolCalls):k]
	} else {
		answer, matched = make([]int, len(m.ToolCalls)), make([]int, len(results))
	}
	for ri := range results {
		if ci := matchCall(m.ToolCalls, answer, results[ri].ToolCallID); ci >= 0 {
			answer[ci], matched[ri] = ri+1, 1
		}
	}
	orig := m.ToolCalls
	start := len(n.calls)
	for ci, c := range orig {
		if answer[ci] != 0 {
			c.ID = n.id(c.ID)
			n.calls = append(n.calls, c)
		}
	}
	calls := n.calls[start:len(n.calls):len(n.calls)]
	if len(calls) > 0 || m.Content != "" || len(m.Parts) > 0 {
		m.ToolCalls = calls
		out = append(out, m)
	}
	k := 0
	for ci := range orig {
		if answer[ci] == 0 {
			continue
		}
		r := results[answer[ci]-1]
		r.ToolCallID = calls[k].ID
		k++
		out = append(out, r)
	}
	for ri := range results {
		if matched[ri] == 0 {
			out = append(out, orphan(results[ri]))
		}
	}
	return out
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
