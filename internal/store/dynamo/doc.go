// Package dynamo is the DynamoDB backend of store.Store (aws-sdk-go-v2),
// opened with dynamo.Open(ctx, "dynamodb://TABLE?region=R&endpoint=E",
// Options). A missing table is created from shared.DynamoTable
// (PAY_PER_REQUEST, TTL on "ttl") and waited for; Reset deletes every item.
//
// # Single-table design
//
// One table, key (pk, sk), five sparse KEYS_ONLY GSIs (names and attributes
// in shared/dynamotable.go). Every object's own item has sk "#" and carries
// its JSON document in "d" (S), or DEFLATE-compressed in "z" (B) when that
// is smaller, or — past Options.InlineLimit (300 KiB; items cap at 400 KB) —
// in Options.Blobs under payloads/<type>/<id>/<uuid> with the key in "b".
// Keys-only indexes mean an update that keeps an item's index keys writes no
// index; lists read keys from an index, then BatchGetItem (strongly
// consistent) the items.
//
//	item                 pk                  sk                         GSIs (pk / sk)
//	flow                 F#<id>              #                          type: flow/<id>
//	flow run             FR#<id>             #                          type; parent: F#<flow>/R#<id>; ref: D#<deployment>/<id>;
//	                                                                    state: ST#<type>/<order time>#<id>;
//	                                                                    queue: Q#<work queue>/<type>#<next scheduled>#<id>
//	                                                                    ("hs": its state ids, in write order)
//	flow run state       FS#<id>             #                          (none; "r" = FR#<run>)
//	log                  FR#<run>            L#<ts>#<id>                type: log/<ts>#<id>
//	task run             TR#<id>             #                          type; parent: FR#<flow run>/<id> ("hs" as above)
//	task run state       TS#<id>             #                          (none; "r" = TR#<run>)
//	cache entry          C#<cache key>       <ts>#<state id>            (none; "e" expiry, "ttl")
//	concurrency limit    CL#<id>             #                          type: concurrency_limit/<tag>
//	slot set             SL#<tag>            #                          (none; "h" holders, "sv" version)
//	deployment           D#<id>              #                          type; parent: F#<flow>/D#<id>
//	work queue           WQ#<id>             #                          type
//	block type / schema  BT#<id> / BS#<id>   #                          type; schema: parent BT#<type>/S#<id>, ref CK#<checksum>/<created>#<id>
//	block document       BD#<id>             #                          type; parent: BT#<type>/D#<id>
//	saved search         SS#<id>             #                          type
//	API key              AK#<key id>         #                          type: api_key/<created>#<id> (kept by Reset)
//	audit record         AU#<id>             #                          type: audit/<ts>#<id>, read newest first (kept by Reset)
//	unique value         U#<kind>#"v"...     U                          (none; "id" = owner)
//	notification policies NP                 #                          (none; "p" id -> document, "sv" version)
//	notification         NT#<id>             #                          type: notification/<created>#<id>;
//	                                                                    state: NQ/<claimable at>#<id> while pending
//
// Access patterns: by id = GetItem of <prefix><id>. Flow by name, deployment
// by (flow, name), work queue by name, block type by slug, schema by
// (checksum, version), document by (type, name), saved search by name,
// limit by tag, task run by (flow_run_id, task_key, dynamic_key) and flow
// run by (flow_id, idempotency_key) = GetItem of the unique item, then of
// the owner. Flow runs by flow = parent index (sort key "R#<id>"), by
// deployment = ref index, by state and time = state index, scheduled runs
// of a work queue by time = queue index (sort key "SCHEDULED#<time>"), all
// runs by id = type index;
// task runs by flow run = parent index; logs by run = Query of the run's
// item collection (strongly consistent, sorted by timestamp; a download
// pages it with ExclusiveStartKey at the last sort key, logs.go); log text
// search (logs.text.query) has no index here: it is per run only — a text
// query must come with flow_run_id any_ (at most maxFanout runs, and_),
// else a 422 says so — and the runs' logs are matched in Go while read
// (case folded as the SQL backends fold); state
// history = GetItem of the run (its "hs" list of state ids, a list of
// 16-byte binary ids) + BatchGetItem of FS#/TS#<id> (strongly consistent),
// sorted by timestamp, ties in write order; a state by id = GetItem of
// FS#/TS#<id>, then of its run ("r"), and it exists only if the run lists
// it (so a state whose run write never happened is never seen); cache by key
// = Query of C#<key>, newest first; schemas by checksum = ref index; schemas
// and documents by block type = parent index. Flow runs by tag have no
// index: a tag is multi-valued, and a per-tag index item per run would
// cost a write per tag on every create; tags are matched in Go on the
// candidates of another index (or the type partition, within the cap).
//
// # Writes
//
// Creates are one TransactWriteItems: the object (attribute_not_exists),
// its first state, and its unique items (attribute_not_exists, returning
// the holder's id on failure). A lost unique condition is create-or-get
// (flows, runs, task runs, schemas) or core.EConflict (block type slug,
// document name, work queue name, deployment rename). InsertScheduledRuns
// is that conditional put on (flow_id, idempotency_key) per run, so racing
// schedulers never duplicate a run.
//
// A transition without side effects (every flow-run transition, and a
// task-run one that claims no slot and writes no cache entry) is two plain
// writes (history.go): first PutItem of the new state item FS#/TS#<state
// id> — a fresh key nothing references yet — then UpdateItem of the run
// (every attribute SET, dropped optional ones REMOVEd, the state id
// appended to "hs" with list_append) on condition v = :expected (version
// + 1). Readers reach a state only through a run item that lists it, so
// they never see half a transition: before the run write the new state is
// unreachable, after it the run and its history change together. A writer
// that loses the version race deletes its state best-effort (only on a
// definite ConditionalCheckFailed; any other error may hide a successful
// update, so the state stays). A crash between the two writes leaves an
// invisible orphan state item (unlisted, so never read; only a sweep of
// FS#/TS# items no run lists would reclaim it — not written). The state
// put is conditioned on attribute_not_exists only so a state id a caller
// reuses is never deleted as if it were ours.
//
// A transition with side effects (a cache entry, slot claims) stays ONE
// TransactWriteItems: the same Update of the run (condition v =
// :expected), Put of the state item, Put of the cache entry, and a
// conditional Put per claimed slot set. A failed run condition is
// store.ErrVersionConflict (core.ENotFound if the run is gone);
// UpdateFlowRun and UpdateTaskRunName go through the same
// version-conditioned update (no state appended), so a PATCH and a
// transition never both win. Deleting a run deletes the states it lists.
// Throttling and transaction conflicts are retried with full-jitter
// exponential backoff (10 ms to 1 s, 10 tries) on top of the SDK retryer.
//
// # Concurrency slots (leases)
//
// Per tag, one slot-set item SL#<tag> holds a map holder -> acquired time and
// a version "sv". A claim reads it (strongly consistent), reads every other
// holder's task run and then those runs' flow runs (BatchGetItem, strongly
// consistent), keeps only holders whose run exists and is RUNNING or
// CANCELLING under a flow run not in a terminal state (pruning the rest), fails
// with ErrVersionConflict when Limit live holders remain, and otherwise adds
// itself to the pruned map in the transition's transaction, conditioned on
// sv being unchanged (attribute_not_exists for the first claim). Two
// claimers never both win: every change of the set is conditioned on its
// version. A claim that lost only the slot-set race (the run's version
// still holds) re-reads and retries inside the store. Releasing writes
// nothing: a holder that leaves RUNNING/CANCELLING, crashes, is deleted or
// whose flow run ends stops counting at once and is pruned at the next claim; ActiveSlots
// applies the same rule on read. Leases are bounded by their holder's state,
// not by time, so they carry no TTL: nothing here depends on TTL deletion.
// TTL is used for cache entries (expiry + 1 h) as housekeeping only —
// LookupCache skips expired entries itself ("e" <= now), since DynamoDB
// deletes expired items lazily (up to days later).
//
// # Notifications
//
// Every notification policy lives in ONE item, NP (a map of id -> JSON
// document and a version "sv"; policy writes are read-modify-write
// conditioned on sv). The orchestrator reads the active policies on every
// flow-run transition that appends a state, and with one item that read is
// one strongly consistent GetItem: 1 RCU while the policies fit in 4 KB
// (about a dozen; +1 RCU per further 4 KB; the item caps at 400 KB, about a
// thousand policies), and it never misses a policy created a moment ago, as
// an eventually consistent index query could. Policy reads by id and lists
// read the same item.
//
// A notification's id is core.NotificationID(policy, state), so its item
// NT#<id> is keyed by the pair and a duplicate is a failed
// attribute_not_exists. A transition that queues notifications is ONE
// TransactWriteItems: the run's version-conditioned update, the state's put
// and a conditional put per notification (2 WCU each, ~0.6 KB items, plus
// their index entries) instead of the two plain writes of a transition
// without side effects. A failed condition cancels the whole transaction,
// so the cancellation reasons decide: the run's means ErrVersionConflict
// (or not found); a notification's means that pair is queued already — it
// is dropped and the transaction retried, so a duplicate never costs the
// transition (and a delivered notification is never reset to pending);
// several notifications of one pair in one call are merged first (a
// transaction may not touch an item twice). 98 notifications fit the
// transaction (its limit is 100 items); any further ones follow in
// conditional puts right after it commits.
//
// Claiming: pending notifications sit in the state index partition NQ,
// sorted by the time each becomes claimable — its next attempt, or the end
// of its lease while leased — and leave it once delivered or given up
// (sparse index). A claim queries NQ for keys at or before now (keys only,
// eventually consistent, 0.5 RCU per page), reads those items strongly
// consistent (1 RCU each) and leases each with a put conditioned on its
// document being the one read (1 WCU + 2 for the index key moving): of two
// claimers only one put succeeds, the other skips the notification.
// Completing and failing are the same conditional rewrite. The API's list
// of notifications reads the type partition (bounded by the scan cap) and
// filters in Go: a view for operators, not a hot path. Reset deletes
// policies and notifications with every other item.
//
// # Queries and the scan cap
//
// Filters are evaluated in Go on decoded objects (filter.go mirrors the
// SQLite backend's criterion grouping and every 2.7 operator); cross-object
// RunFilters (EXISTS semantics) resolve the related objects' matching id
// sets first. The candidates come from the narrowest source the filter
// allows (AND-combined criteria only): ids -> BatchGetItem; flow runs by
// work queue (per required state type: sort-key prefix "<type>#"),
// deployment, flow (from a Flows filter), flow runs of matching task runs,
// state type -> their indexes; task runs by flow run; logs by flow run;
// otherwise the object's type partition. A time filter on the attribute a
// partition is ordered by becomes a key range (BETWEEN) on it.
//
// Long filter lists. No list is ever put in a FilterExpression or a key
// condition item by item (DynamoDB caps an expression at 4 KB and an IN
// at 100 values): every criterion is matched in Go, so a list of any length
// is correct. Lists only choose the source, within bounds: an id list is
// read by key only while its length fits the request's remaining item
// budget (a longer one would be refused by the budget), partition lists
// (deployment ids, work queues, flows, flow names, block types) only up to
// maxFanout (100) partitions; past that the plan narrows by the filter's
// other criteria or reads the type partition, under the same item cap. The
// conformance suite's BigFilterLists runs 33,000-item lists here as on the
// SQL backends.
//
// Ordered lists (stream.go). Sort keys are built so that a source's key
// order is a list order: ids are UUIDv7 (time-ordered) and the type,
// parent and ref partitions of runs are sorted by id; a state partition is
// sorted by next scheduled start for SCHEDULED and by expected start for
// every other type; a queue partition, within a state type, by next
// scheduled start; logs by timestamp (run collection and type partition).
// Missing times encode as "!" and sort first, like cmpTime. When the sort
// asked for is the source's order — flow runs ID_DESC (also the default)
// over the type, parent or ref index; EXPECTED_START_TIME_ASC/DESC over
// non-SCHEDULED state partitions; NEXT_SCHEDULED_START_TIME_ASC over the
// SCHEDULED state partition or queue partitions with required state types;
// task runs ID_DESC over the type or parent index; logs TIMESTAMP_ASC/DESC
// over one run's collection or the type partition — the list streams the
// source (several partitions merged k-way on their sort keys), Query page
// by page with ScanIndexForward and Limit, BatchGetItem per chunk of keys
// sized to the matches still missing, matches in Go, and stops once
// offset+limit matches are found plus any keys tied with the last one on
// the index (the page is then sorted in Go with the id tiebreak, so ties
// order exactly as in the unordered path). The cap counts only the items
// actually fetched, so `prefect flow-run ls` (ID_DESC, limit 15) reads ~15
// items whatever the table holds, while a filter matched in Go that finds
// too few matches still fails at the cap. Flow runs ID_DESC over an index
// ordered otherwise (state partitions, queue partitions) presort instead:
// the partitions' keys are read whole (keys only, no item; bounded like a
// count, below) and sorted by table key — FR#<UUIDv7> — descending, then
// the items are fetched in that order as above, so `flow-run ls` with a
// state-type or work-queue filter fetches ~limit items too (its key reads
// grow with the partition: ~0.5 RCU per 40 keys). Any other sort reads
// every candidate and sorts and pages in Go. Every list or count may fetch at
// most Options.MaxScanItems items (default 10000, across all its
// sub-queries); past it the call fails with core.EBadRequest ("narrow the
// filter"), never an unbounded scan.
//
// Counts whose filter is exactly an index key condition — no filter (type
// partition of flows, flow runs, task runs), flow-run state types (state
// partitions), state types within work queues (queue partitions with the
// type prefix), deployment ids (ref partitions) — run Query Select=COUNT
// on the keys-only index, paginated, and fetch no item. They do NOT spend
// the item cap: the cap bounds items fetched (1 RCU each, strongly
// consistent BatchGetItem) and decoded in Go, while a COUNT page returns
// one number for up to 1 MB of ~100-byte index entries (about 0.5 RCU per
// 40 entries, eventually consistent like every GSI read, as the key reads
// of lists already are). They are bounded separately, at 100 x
// MaxScanItems entries (one million by default), and fail with
// core.EBadRequest past it.
//
// # Request units
//
// Every call passes ReturnConsumedCapacity=TOTAL; Consumed() sums what
// DynamoDB reports. EstimatedUnits() computes units from item sizes with the
// documented rules: writes 1 WCU per started KB (x2 in transactions; an
// UpdateItem is sized by its new image, which it returns with ReturnValues
// ALL_NEW at no capacity cost), plus one per keys-only index entry created
// (two when a state/queue index key moves), conservatively doubled in
// transactions; reads 1 RCU per started 4 KB strongly consistent (0.5
// eventually), per item for BatchGetItem, per request for Query.
//
// Task-run transitions, BenchmarkTaskRunTransition (estimated units per
// transition, 200 task runs Pending -> Running -> Completed through the
// orchestrator, no tags, no cache key):
//
//	                        before (one transaction)   after (two plain writes)
//	Pending -> Running      2 RCU + 6 WCU = 8          2 RCU + 2 WCU = 4
//	Running -> Completed    1 RCU + 6 WCU = 7          1 RCU + 2 WCU = 3
//	mean                    1.5 RCU + 6 WCU = 7.5      1.5 RCU + 2 WCU = 3.5
//
// After: the strongly consistent GetItem of the task run (<4 KB: 1 RCU),
// PutItem of the state (<1 KB: 1 WCU, no index entry) and UpdateItem of
// the run (the DEFLATE-compressed document plus ~17 bytes of history per
// state stays under 1 KB: 1 WCU; its type and parent index keys never
// move, so no index write). Pending -> Running also reads the parent flow
// run (1 RCU), strongly consistent on purpose: the RUNNING rules abort the
// task unless that read shows the flow RUNNING (and track its run_count
// for retries), and the engine proposes a task's RUNNING right after its
// flow's RUNNING was acknowledged — an eventually consistent read could
// return the pre-RUNNING flow run and abort a healthy task. So Pending ->
// Running is 4 units, not 3. A transition with a cache entry or slot
// claims keeps the transaction: about 2 (run) + 2 (state) + 2 per cache
// entry or slot set WCU, plus the slot set and holder reads. A flow-run
// transition is the same two plain writes plus its state/queue index
// entries moving (2 WCU each, as before), plus the orchestrator's read of
// the notification policies (1 RCU; see Notifications), and is one
// transaction when it queues notifications.
//
// # Retention (ORRERY_RETENTION; prune.go)
//
// With a retention set (store.Expirer: the app calls SetRetention before
// serving), finished runs leave through DynamoDB's TTL on "ttl" (epoch
// seconds), whose deletes cost no write capacity. Every item a run owns
// gets a TTL, chosen so that it is set in a write that happens anyway
// wherever possible:
//
//   - the run item (flow or task run) when a write leaves it in a
//     terminal state: finished time (end time, or the terminal state's time
//     when it never started) + retention, SET in that same UpdateItem (free;
//     runUpdate REMOVEs the attribute whenever the run is not terminal, so a
//     run forced out of a terminal state stops expiring);
//   - the terminal state item, in its PutItem (free);
//   - each log item, in its BatchWriteItem: write time + retention (free).
//     Logs are never rewritten, so stamping them later would cost a write
//     each; the price is that a run still running after a whole retention
//     period loses its oldest lines while it runs (documented in README);
//   - the states written before the terminal one (Scheduled, Pending,
//     Running...): their ids are only known from the run's "hs" list, so
//     after the terminal write one GetItem of the run (1 RCU) and one
//     UpdateItem per earlier state (SET ttl = if_not_exists(ttl, :t),
//     conditioned on the item existing: 1 WCU each);
//   - task runs that never finished under a finished flow run (the flow
//     crashed under them): at the flow run's terminal write, a keys-only
//     Query of its task runs (parent index) and a BatchGetItem (1 RCU per
//     task run) find the ones without a TTL; each gets the flow run's TTL
//     and so do its states (1 WCU per item). Finished task runs already
//     carry theirs and cost no write here.
//
// If a follow-up write fails, the run's own TTL is REMOVEd again (1 WCU),
// so the run stays whole for PruneFlowRuns instead of leaving orphans.
//
// Cost, a flow run with 4 states, 10 task runs of 3 states each and 100
// log lines: TTL stamping costs about 23 WCU (3 earlier flow states + 2
// earlier states per task run) and 22 RCU (the run and task-run reads at
// their terminal writes); deleting the same run's 156 items with
// BatchWriteItem (PruneFlowRuns) costs 156 WCU plus the reads to find
// them (~60 RCU). Logs, usually most of the items, are always free.
//
// PruneFlowRuns still deletes with write units: `orrery database prune`
// (any cutoff), items written before retention was configured, and runs
// TTL has not reached. The retention service calls it with a cutoff of
// retention + TTLGrace (3 days, DynamoDB's "within a few days"), so in
// steady state it finds nothing and only pays a keys-only Query of the
// four terminal state partitions up to the cutoff. Its candidates come
// from those partitions (sorted by expected start time, then checked by
// finished time in Go): a run that ended before its expected start (a
// cancelled future run) is found once its expected start passes the
// cutoff. A run's items are deleted children first and the run item last,
// so a pass cut short leaves a run the next pass finds again; payloads
// offloaded to the results store are returned (PruneResult.ResultKeys)
// and deleted by the caller after the items. Queued notifications of the
// run's states are found by key (their id is a function of policy and
// state: one read per active policy and state) and deleted with it.
// Known gaps: payloads of items that TTL deletes are left in the results
// store (see Known limits below); a task run created after its flow run
// finished gets a TTL only if it finishes itself. Queued notifications
// carry a TTL of their creation plus the retention, set in the writes that
// queue, claim and settle them (no extra write).
//
// # moto (the emulator the tests use) and its gaps
//
//   - Conditions are not atomic across concurrent requests: moto serves on
//     threads with no lock around a table, so two conditional writes can
//     both pass. scripts/moto-local.sh runs moto_server's main with its WSGI
//     app behind one lock (requests applied one at a time).
//   - ConsumedCapacity is fixed, not size-based: PutItem 1.0, GetItem 0.5
//     even when strongly consistent, Query 1.0, BatchGetItem 1 per item, and
//     TransactWriteItems returns none (so Consumed() shows 0 WCU for
//     transitions); hence EstimatedUnits.
//   - Its x-amz-crc32 header does not match its bodies: response checksum
//     validation is off when an endpoint is configured.
//   - Binary attributes in transaction cancellation reasons come back as a
//     Python repr; the store only asks for ALL_OLD on unique items, which
//     hold strings only.
//   - TTL is accepted but expired items are not deleted promptly (as in
//     DynamoDB); nothing reads TTL as a deletion (the retention tests check
//     the stamps themselves, and PruneFlowRuns deletes what is still there).
//
// Known limits: superseded offloaded payloads are deleted only by the
// process that knew their key (read or wrote it); a payload orphaned by a
// crash or another process stays in the blob store until a retention sweep
// of payloads/ removes keys no item points to (not written yet). A state
// item written by a transition whose process crashed before its run write
// stays as an unlisted orphan (never read, ~0.5 KB) until a sweep of
// FS#/TS# items that no run's "hs" lists (not written yet).
package dynamo
