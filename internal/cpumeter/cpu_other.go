//go:build !unix

package cpumeter

func processCPU() (int64, bool) { return 0, false }
