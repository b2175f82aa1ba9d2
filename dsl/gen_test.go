package dsl

import "github.com/kumeo/kumeo/internal/workflowgen"

// genWorkflow returns a generated fraud-screening workflow with exactly n
// agents (see workflowgen.Fraud).
func genWorkflow(n int) []byte { return workflowgen.Fraud(n) }
