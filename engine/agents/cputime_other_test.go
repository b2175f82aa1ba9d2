//go:build !unix

package agents

func processCPU() (int64, bool) { return 0, false }
