//go:build !unix

package jsonx

func processCPU() (int64, bool) { return 0, false }
