// Package postgres is the PostgreSQL backend of store.Store, on
// github.com/jackc/pgx/v5 (its native interface and pgxpool, not
// database/sql, so jsonb, uuid, arrays and batches need no adapters).
//
// Open takes a postgres:// or postgresql:// URL. Any parameter pgx does not
// know is sent to the server as a run-time setting, so
// "?search_path=orrery" puts every table in the schema orrery; the tests
// give each store a schema of its own that way.
//
// Layout: as in the SQLite backend, every row keeps its whole JSON document
// in a jsonb `doc` column and copies the fields that filters, sorts and
// unique constraints need into typed, indexed columns (uuid, timestamptz,
// jsonb tags). Reading is one unmarshal; a new document field needs no
// migration unless it is queried. Tag filters use jsonb containment (@>),
// which a GIN index serves. jsonb reformats what it stores (spaces after
// colons, keys reordered, duplicate keys dropped), so documents are
// compacted before they are decoded: raw fields such as parameters and
// state data come back without the spaces, but with jsonb's key order, as
// Prefect's own PostgreSQL backend returns them.
//
// Concurrency: there is no writer queue; PostgreSQL takes row locks, and
// every store call is one statement or one READ COMMITTED transaction.
//   - Transitions are compare-and-set: UPDATE ... WHERE id = $1 AND
//     version = $2. A racing writer blocks on the row lock, then re-checks
//     the version and matches no row, which is store.ErrVersionConflict.
//   - Slot claims take a transaction-scoped advisory lock per tag (in tag
//     order, so two claims never deadlock) before counting the live slots
//     and inserting theirs. Counting without it is not enough under READ
//     COMMITTED: two claimers would each see the other's slot missing. An
//     advisory lock works whether or not the tag's limit row exists.
//   - Idempotent creates (flows by name, runs by idempotency key, task runs
//     by key, scheduled runs) are INSERT ... ON CONFLICT DO NOTHING against
//     unique indexes, which wait for a racing insert to commit.
//   - Cascading deletes are single statements of data-modifying CTEs, so
//     they need no transaction and cannot half-apply.
//
// There are no foreign keys: the contract, shared with DynamoDB, does not
// require a run's flow to exist, and the explicit cascades above do the rest.
//
// Migrations are embedded SQL files applied in order inside one transaction
// under an advisory lock, so servers starting together apply them once.
// Reset drops Orrery's tables in the current schema (and nothing else) and
// re-applies the migrations in that same transaction: other sessions wait
// and then see the new, empty schema, never a missing one.
package postgres
