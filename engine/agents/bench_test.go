package agents

import (
	"context"
	"encoding/json"
	"maps"
	"testing"

	"github.com/kumeo/kumeo/engine/flow"
	"github.com/kumeo/kumeo/internal/cpumeter"
)

// Benchmarks run on ~200-byte card transactions (tx). Agents that modify
// the event in place get the same map every iteration, so steps find
// nothing left to clean after the first: the numbers are the steady-state
// cost of checking, not of rewriting strings.
//
// On a shared, busy machine the wall-clock ns/op mostly measures how often
// the benchmark was descheduled, so each benchmark also reports cpu-ns/op:
// the CPU time the whole process used per operation, garbage collection
// included.

func startCPU(b *testing.B) cpumeter.Meter { return cpumeter.Start(b) }

const (
	benchGlobals  = `config: { thresholds: { block: 0.92, review: 0.7, large: 2500 }, currencies: ["EUR", "USD", "GBP"] }`
	benchValidate = `DataProcessor(id: "validate", config: { required_fields: ["tx_id", "amount", "currency", "merchant"], steps: ["trim"] })`
	benchFeatures = `DataProcessor(id: "features", config: { features: ["tx_id", "amount", "currency", "merchant", "night: hour >= 0 && hour < 6", "large: amount > config.thresholds.large", "score: amount / 10000"] })`
	benchPolicy   = `DecisionMatrix(id: "policy", rules: [
        { name: "score_range", condition: "score >= 0 && score <= 1", error: "score out of range" },
        { name: "currency", condition: "currency in config.currencies", error: "unsupported currency" }
      ])`
	benchRouter = `Router(id: "route", rules: {
        "score >= config.thresholds.block": "target.alerts.block",
        "score >= config.thresholds.review || (large && night)": "target.alerts.review",
        "default": "target.out.cleared"
      })`
)

func benchTx() map[string]any {
	data := tx()
	data["score"] = 0.42
	data["large"] = false
	data["night"] = true
	return data
}

func TestBenchEventSize(t *testing.T) {
	b, err := json.Marshal(tx())
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 170 || len(b) > 230 {
		t.Fatalf("benchmark event is %d bytes, want about 200", len(b))
	}
}

func benchAgent(b *testing.B, agent string, data map[string]any) {
	a := mustBuild(b, agent, benchGlobals, "")
	ctx := context.Background()
	ev := &flow.Event{Data: data}
	cpu := startCPU(b)
	for b.Loop() {
		ev.Data = data
		if _, err := a.Process(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Stop(b, 0)
}

func BenchmarkDataProcessorValidate(b *testing.B) { benchAgent(b, benchValidate, tx()) }

func BenchmarkDataProcessorSteps(b *testing.B) {
	benchAgent(b, `DataProcessor(id: "clean", config: { steps: ["trim", "lowercase", "remove_special_chars"] })`, map[string]any{
		"tx_id": "tx7f3a9c2e41b84d6a9e0f2b5c8d1a7e34", "amount": 1234.56, "currency": "eur", "merchant": "acme online store gmbh",
		"hour": 3.0, "card": "4111xxxxxxxx1111", "country": "de",
	})
}

func BenchmarkDataProcessorSchema(b *testing.B) {
	benchAgent(b, `DataProcessor(id: "schema", config: { schema: {
        type: "object", required: ["tx_id", "amount", "currency"],
        properties: { tx_id: { type: "string" }, amount: { type: "number", minimum: 0 }, currency: { enum: ["EUR", "USD", "GBP"] }, hour: { type: "number", minimum: 0, maximum: 23 } } } })`, tx())
}

// BenchmarkDataProcessorFeatures makes the features in place of the event's
// fields, as the engine does with the event it decoded for the agent, so
// every iteration gets a fresh copy of tx: the copy is counted too.
func BenchmarkDataProcessorFeatures(b *testing.B) {
	a := mustBuild(b, benchFeatures, benchGlobals, "")
	ctx := context.Background()
	data := tx()
	ev := &flow.Event{}
	cpu := startCPU(b)
	for b.Loop() {
		ev.Data = maps.Clone(data)
		if _, err := a.Process(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Stop(b, 0)
}

func BenchmarkDecisionMatrix(b *testing.B) { benchAgent(b, benchPolicy, benchTx()) }

func BenchmarkRouter(b *testing.B) { benchAgent(b, benchRouter, benchTx()) }

func BenchmarkDataNormalizerMinMax(b *testing.B) {
	a := mustBuild(b, `DataNormalizer(id: "n", config: { fields: { amount: { min: 0, max: 10000 }, hour: { min: 0, max: 23 } } })`, "", "")
	benchStateful(b, a, func(d map[string]any) { d["amount"], d["hour"] = 1234.56, 3.0 })
}

func BenchmarkDataNormalizerZScore(b *testing.B) {
	a := mustBuild(b, `DataNormalizer(id: "n", config: { fields: ["amount", "hour"] })`, "", "")
	benchStateful(b, a, func(d map[string]any) { d["amount"], d["hour"] = 1234.56, 3.0 })
}

// Half of the events miss the amount field.
func benchImputer(b *testing.B, strategy string) {
	a := mustBuild(b, `MissingValueHandler(id: "m", strategy: "`+strategy+`", config: { fields: ["amount", "hour"] })`, "", "")
	if strategy == StrategyMode {
		a = mustBuild(b, `MissingValueHandler(id: "m", strategy: "mode_imputation", config: { fields: ["country", "currency"] })`, "", "")
	}
	i := 0
	benchStateful(b, a, func(d map[string]any) {
		i++
		if i%2 == 0 {
			delete(d, "amount")
			delete(d, "hour")
			delete(d, "country")
		} else {
			d["amount"], d["hour"], d["country"] = 1234.56, 3.0, "DE"
		}
	})
}

func BenchmarkMissingValueHandlerMean(b *testing.B)   { benchImputer(b, StrategyMean) }
func BenchmarkMissingValueHandlerMedian(b *testing.B) { benchImputer(b, StrategyMedian) }
func BenchmarkMissingValueHandlerMode(b *testing.B)   { benchImputer(b, StrategyMode) }

func benchStateful(b *testing.B, a flow.Agent, reset func(map[string]any)) {
	ctx := context.Background()
	data := tx()
	ev := &flow.Event{Data: data}
	cpu := startCPU(b)
	for b.Loop() {
		reset(data)
		ev.Data = data
		if _, err := a.Process(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Stop(b, 0)
}

// BenchmarkPipeline runs validate → features → DecisionMatrix → Router on
// every core (RunParallel), the in-memory part of the fraud example. With
// the cores to itself it handles 1e9 / (ns/op) events per second; with
// cpu-ns/op the CPU time of both cores together, that is
// GOMAXPROCS·1e9 / (cpu-ns/op). Each event is a fresh copy of tx (features
// are made in place of its fields), the copy counted too.
func BenchmarkPipeline(b *testing.B) {
	chain := []flow.Agent{
		mustBuild(b, benchValidate, benchGlobals, ""),
		mustBuild(b, benchFeatures, benchGlobals, ""),
		mustBuild(b, `DecisionMatrix(id: "policy", rules: [
        { name: "score_range", condition: "score >= 0 && score <= 1", error: "score out of range" },
        { name: "currency", condition: "currency in config.currencies", error: "unsupported currency" }
      ])`, benchGlobals, ""),
		mustBuild(b, benchRouter, benchGlobals, ""),
	}
	cpu := startCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		data := tx()
		ev := &flow.Event{}
		for pb.Next() {
			ev.Data = maps.Clone(data)
			for _, a := range chain {
				out, err := a.Process(ctx, ev)
				if err != nil {
					b.Fatal(err)
				}
				if out.Action != flow.Emit && out.Action != flow.Route {
					b.Fatal(out)
				}
			}
		}
	})
	cpu.Stop(b, 0)
}
