package shared

import "testing"

func TestDynamoTableIsConsistent(t *testing.T) {
	d := DynamoTable("orrery")
	if d.TableName != "orrery" || d.BillingMode != "PAY_PER_REQUEST" || d.TTLAttribute != DynamoTTL {
		t.Fatalf("table %+v", d)
	}
	used := map[string]bool{}
	check := func(ks []DynamoKeyElement) {
		if len(ks) != 2 || ks[0].KeyType != "HASH" || ks[1].KeyType != "RANGE" {
			t.Fatalf("key schema %+v", ks)
		}
		for _, k := range ks {
			if d.AttributeDefinitions[k.AttributeName] != "S" {
				t.Fatalf("%s is not defined as a string attribute", k.AttributeName)
			}
			if used[k.AttributeName] {
				t.Fatalf("%s is a key of two indexes", k.AttributeName)
			}
			used[k.AttributeName] = true
		}
	}
	check(d.KeySchema)
	names := map[string]bool{}
	for _, g := range d.GSIs {
		if names[g.IndexName] {
			t.Fatalf("duplicate index %s", g.IndexName)
		}
		names[g.IndexName] = true
		if g.ProjectionType != "KEYS_ONLY" {
			t.Fatalf("%s projection %s", g.IndexName, g.ProjectionType)
		}
		check(g.KeySchema)
	}
	if len(used) != len(d.AttributeDefinitions) {
		t.Fatal("an attribute definition is not a key (CreateTable rejects it)")
	}
	if len(d.GSIs) > 20 {
		t.Fatal("DynamoDB allows 20 GSIs per table")
	}
}
