//! Criterion benchmarks of CAAS; see README.md for how to run them.
