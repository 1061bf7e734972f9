package sim_test

import (
	"context"
	"fmt"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sim"
)

// Two links of a chain answer the same ticket: related text, the same key
// terms, and the nano model leaves out the order number.
func Example() {
	req := &provider.Request{Messages: []provider.Message{{
		Role:    provider.RoleUser,
		Content: "Summarise this ticket:\nOrder 1182 arrived broken. I want my money back.",
	}}}
	p := sim.New(sim.Config{Name: "openai"})
	for _, model := range []string{"gpt-4.1-mini", "gpt-4.1-nano"} {
		req.Model = model
		resp, err := p.Complete(context.Background(), req)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %s\n", model, resp.Text)
	}
	// Output:
	// gpt-4.1-mini: The message is about order, 1182 and arrived. It goes on to cover broken, money, back and refund.
	// gpt-4.1-nano: This request concerns order, arrived, broken and refund.
}

// JSON mode fills the template the prompt shows.
func Example_json() {
	req := &provider.Request{
		Model: "claude-3-5-haiku-latest",
		JSON:  true,
		Messages: []provider.Message{{
			Role: provider.RoleUser,
			Content: `Classify this ticket. Reply with JSON: {"intent": "refund|shipping|account|other", "order_id": "..."}` +
				"\nTicket: Order 1182 arrived broken. I want my money back.",
		}},
	}
	resp, err := sim.New(sim.Config{}).Complete(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text)
	// Output:
	// {"intent":"refund","order_id":"1182"}
}
