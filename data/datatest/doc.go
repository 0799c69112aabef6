// Package datatest holds what geo311's tests and benchmarks share: finding
// the real data in the shared folder (../shared beside the repository, or
// $GEO311_SHARED), and measuring CPU time beside wall time: the process's own (StartCPU), or a
// process tree's, such as a PostgreSQL server's (TreeCPU), and the CPU time the
// host of a virtual machine gave to other guests meanwhile (StolenCPU), which
// slows a run for reasons outside the code.
//
// Real-data tests follow one rule: under CI=true missing data fails the test,
// elsewhere the test skips with a message saying where the data is expected.
package datatest
