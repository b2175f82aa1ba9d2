// Package workflowgen writes large, valid Kumeo workflows for benchmarks,
// fuzz seeds and the browser performance runs.
package workflowgen

import (
	"bytes"
	"fmt"
)

// Fraud returns a fraud-screening workflow with exactly n agents, for
// benchmarks and fuzz seeds. Agents come in chains of four:
//
//	DataProcessor -> DecisionMatrix -> MLModel -> Router
//
// The first chain reads the source; every later chain reads the channel
// that the previous chain's Router sends suspicious events to. Inputs are
// written in every style the language allows (explicit channel string,
// default previous output, agent.output path, "agent.output" string),
// expressions differ from chain to chain, and the text carries line, block
// and trailing comments. The result parses and checks without diagnostics.
func Fraud(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 520)
	fmt.Fprintf(&b, `/*
 * Generated fraud screening workflow: %d agents.
 */
workflow GeneratedFraud {
  nats: "nats://nats.kumeo.svc:4222"

  source: NATS("payments.tx")
  target: [
    NATS("alerts.block"),   // confirmed fraud
    NATS("alerts.review"),  // a person looks at these
    NATS("payments.cleared")
  ]

  models: {
    scorer: { file: "models/scorer.onnx", type: "onnx", version: "1.0.0" }
  }

  config: {
    thresholds: { block: 0.92, review: 0.7 },
    limits: { amount: 5000 }
  }

  agents: [
`, n)
	chains := (n + 3) / 4
	for c := 0; c < chains; c++ {
		in := `"source"`
		if c > 0 {
			in = fmt.Sprintf(`"chain.%d"`, c)
		}
		left := n - 4*c // agents still to write, this chain included
		fmt.Fprintf(&b, "    // chain %d: validate, check, score and route\n", c)
		fmt.Fprintf(&b, `    DataProcessor(
      id: "prep_%d",
      input: %s,
      config: {
        required_fields: ["tx_id", "amount", "currency"],
        steps: ["trim"],
        features: ["amount", "currency", "hour", "night: hour >= 0 && hour < %d", "large: amount > %d"]
      }
    )`, c, in, 5+c%3, 1000+10*c)
		if left == 1 {
			b.WriteString("\n")
			break
		}
		fmt.Fprintf(&b, `,
    DecisionMatrix(
      id: "policy_%d", /* reads prep_%d by default */
      rules: [
        { name: "amount", condition: "amount > 0 && amount < config.limits.amount * %d", error: "amount out of range" },
        { name: "currency", condition: "currency in ['EUR', 'USD', 'GBP']", error: "unsupported currency" }
      ],
      on_failure: { action: "quarantine", retry: 1 }
    )`, c, c, 2+c%5)
		if left == 2 {
			b.WriteString("\n")
			break
		}
		fmt.Fprintf(&b, `,
    MLModel(id: "score_%d", input: policy_%d.output, model: "models.scorer", timeout: "%dms", retry: { attempts: 3, backoff: "exponential", initial: "50ms" })`, c, c, 200+c%7*50)
		if left == 3 {
			b.WriteString("\n")
			break
		}
		next := fmt.Sprintf(`"chain.%d"`, c+1)
		if left == 4 {
			next = `"target.alerts.review"`
		}
		fmt.Fprintf(&b, `,
    Router(
      id: "route_%d",
      input: "score_%d.output",
      rules: {
        "score >= config.thresholds.block": "target.alerts.block",
        "score >= config.thresholds.review || (large && night) || amount > %d": %s, // next chain
        "default": "target.payments.cleared"
      }
    )`, c, c, 20000+c, next)
		if left == 4 {
			b.WriteString("\n")
			break
		}
		b.WriteString(",\n\n")
	}
	b.WriteString(`  ]

  monitor: { metrics: ["processing_time", "error_rate"], dashboard: "fraud/generated" }

  deployment: {
    namespace: "fraud",
    resources: { default: { cpu: "250m", memory: "256Mi" } },
    scaling: { min_replicas: 1, max_replicas: 4 }
  }
}
`)
	return b.Bytes()
}
