// Package metrics measures agents: event counters with the ledger
// in == out + filtered + dead_lettered + in_flight, a lock-free latency
// histogram, a rate meter, and a Publisher that sends every registered
// agent's Snapshot as JSON on kumeo.metrics.<workflow>.<agent>.
//
// An agent's handler records into its Agent:
//
//	m, _ := metrics.NewAgent("orders", "fraud_check")
//	_ = pub.Register(m)
//	...
//	start := time.Now()
//	m.Received()
//	// ... handle; then exactly one of:
//	m.Emitted() // or m.Filtered(), m.DeadLettered()
//	m.Latency.Since(start)
//
// The same Snapshot schema (SnapshotSchema) is produced by the local engine
// and by agents running in a cluster, so consumers decode one format.
package metrics
