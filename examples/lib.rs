//! Runnable examples of CAAS; see the files next to this one and README.md.
