package fallback

// Target is one link of a chain: a configured provider and the model it
// serves for a category.
type Target struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
}

// String is "provider/model", the form used in logs and reports.
func (t Target) String() string { return t.Provider + "/" + t.Model }
