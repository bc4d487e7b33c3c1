package auth

import "github.com/orrery-dev/orrery/internal/core"

// View is an API key as the API answers and the CLI prints it: every field
// but the hash.
type View struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scope     core.Scope `json:"scope"`
	Created   core.Time  `json:"created"`
	Expires   *core.Time `json:"expires"`
	Revoked   *core.Time `json:"revoked"`
	LastUsed  *core.Time `json:"last_used"`
	CreatedBy string     `json:"created_by"`
	// Key is set only in the answer to create: it is shown once.
	Key string `json:"key,omitempty"`
}

// ViewOf returns k's View (without the key itself).
func ViewOf(k *core.APIKey) View {
	return View{ID: k.ID, Name: k.Name, Scope: k.Scope, Created: k.Created, Expires: k.Expires, Revoked: k.Revoked,
		LastUsed: k.LastUsed, CreatedBy: k.CreatedBy}
}
