package shared

// The DynamoDB table of the serverless shape, defined once: infra/ creates
// it from TableDefinition, internal/store/dynamo reads and writes it and
// creates it in emulators. Plain data only (no AWS SDK import), so infra and
// the runtime agree without sharing dependencies. The access patterns each
// key and index serves are documented in internal/store/dynamo/doc.go.

// Table attribute names.
const (
	DynamoPK  = "pk" // partition key of the table: "<kind>#<id>" or a unique-value key
	DynamoSK  = "sk" // sort key of the table: "#" for the object itself, "S#..." states, "L#..." logs
	DynamoTTL = "ttl"

	// GSI key attributes (all strings). An item sets only the ones it is
	// indexed under; items without them are absent from the index (sparse).
	DynamoG1PK = "g1pk"
	DynamoG1SK = "g1sk"
	DynamoG2PK = "g2pk"
	DynamoG2SK = "g2sk"
	DynamoG3PK = "g3pk"
	DynamoG3SK = "g3sk"
	DynamoG4PK = "g4pk"
	DynamoG4SK = "g4sk"
	DynamoG5PK = "g5pk"
	DynamoG5SK = "g5sk"
)

// GSI names.
const (
	// DynamoGSIType partitions items by object type ("flow", "flow_run",
	// "log", ...), sorted by id (UUIDv7, so by creation; logs by
	// timestamp): listing a type, newest first without reading it all.
	DynamoGSIType = "gsi1-type"
	// DynamoGSIParent groups children by parent, sorted by id: flow runs
	// ("R#<id>") and deployments ("D#<id>") by flow, task runs by flow run,
	// block schemas and documents by type.
	DynamoGSIParent = "gsi2-parent"
	// DynamoGSIRef groups objects by a secondary reference: flow runs by
	// deployment (sorted by id), block schemas by checksum.
	DynamoGSIRef = "gsi3-ref"
	// DynamoGSIState holds flow runs by state type, sorted by next
	// scheduled start (SCHEDULED) or expected start (other types).
	DynamoGSIState = "gsi4-state"
	// DynamoGSIQueue holds flow runs by work queue, sorted by state type and
	// next scheduled start time (the agent's "scheduled runs due" query).
	DynamoGSIQueue = "gsi5-queue"
)

// DynamoKeyElement is one key attribute of a key schema.
type DynamoKeyElement struct {
	AttributeName string
	KeyType       string // "HASH" or "RANGE"
}

// DynamoGSI is one global secondary index.
type DynamoGSI struct {
	IndexName      string
	KeySchema      []DynamoKeyElement
	ProjectionType string // "KEYS_ONLY": updates that keep index keys cost no index write
}

// DynamoTableDef is everything CreateTable needs, as plain data.
type DynamoTableDef struct {
	TableName string
	// AttributeDefinitions maps each key attribute to its type ("S").
	AttributeDefinitions map[string]string
	KeySchema            []DynamoKeyElement
	GSIs                 []DynamoGSI
	BillingMode          string // "PAY_PER_REQUEST"
	TTLAttribute         string
}

func dynamoKeys(pk, sk string) []DynamoKeyElement {
	return []DynamoKeyElement{{AttributeName: pk, KeyType: "HASH"}, {AttributeName: sk, KeyType: "RANGE"}}
}

// DynamoTable returns the definition of the table named name.
func DynamoTable(name string) DynamoTableDef {
	attrs := map[string]string{DynamoPK: "S", DynamoSK: "S"}
	gsis := []DynamoGSI{
		{IndexName: DynamoGSIType, KeySchema: dynamoKeys(DynamoG1PK, DynamoG1SK)},
		{IndexName: DynamoGSIParent, KeySchema: dynamoKeys(DynamoG2PK, DynamoG2SK)},
		{IndexName: DynamoGSIRef, KeySchema: dynamoKeys(DynamoG3PK, DynamoG3SK)},
		{IndexName: DynamoGSIState, KeySchema: dynamoKeys(DynamoG4PK, DynamoG4SK)},
		{IndexName: DynamoGSIQueue, KeySchema: dynamoKeys(DynamoG5PK, DynamoG5SK)},
	}
	for i := range gsis {
		gsis[i].ProjectionType = "KEYS_ONLY"
		for _, k := range gsis[i].KeySchema {
			attrs[k.AttributeName] = "S"
		}
	}
	return DynamoTableDef{
		TableName:            name,
		AttributeDefinitions: attrs,
		KeySchema:            dynamoKeys(DynamoPK, DynamoSK),
		GSIs:                 gsis,
		BillingMode:          "PAY_PER_REQUEST",
		TTLAttribute:         DynamoTTL,
	}
}
