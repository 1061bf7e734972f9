// Command llmfall keeps LLM features up when a provider fails and proves that
// every prompt works on every model it may fall back to.
package main

import (
	"os"

	"github.com/llmfall/llmfall/cmd"
)

func main() { os.Exit(cmd.Execute()) }
