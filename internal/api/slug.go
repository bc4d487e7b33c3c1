package api

import "math/rand/v2"

// Run names like the client's: "adjective-animal".
var (
	adjectives = []string{"amber", "ancient", "bold", "brave", "bright", "calm", "clever", "cosmic", "crimson",
		"daring", "eager", "electric", "emerald", "fearless", "fiery", "gentle", "golden", "graceful", "hidden",
		"humble", "icy", "jolly", "keen", "lively", "lucky", "mellow", "merry", "mighty", "misty", "nimble",
		"noble", "olive", "patient", "proud", "quick", "quiet", "rapid", "rustic", "sapphire", "scarlet",
		"silent", "silver", "smart", "spry", "stellar", "sturdy", "swift", "tactful", "tidy", "vivid", "wise", "zealous"}
	animals = []string{"albatross", "alligator", "badger", "bat", "beaver", "bison", "buffalo", "camel", "caracal",
		"cheetah", "cobra", "condor", "coyote", "crane", "dingo", "dolphin", "eagle", "falcon", "ferret", "finch",
		"fox", "gazelle", "gecko", "heron", "hyena", "ibex", "jackal", "jaguar", "koala", "lemur", "lion", "lynx",
		"marmot", "mink", "moose", "newt", "ocelot", "orca", "otter", "owl", "panda", "pelican", "puffin", "quail",
		"raven", "seal", "sparrow", "tapir", "tiger", "toucan", "walrus", "wolf", "wombat", "yak", "zebra"}
)

// Slug returns a random two-word run name.
func Slug() string {
	return adjectives[rand.IntN(len(adjectives))] + "-" + animals[rand.IntN(len(animals))]
}
