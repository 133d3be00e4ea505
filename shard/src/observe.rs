//! What operators watch: per-command statistics, latency histograms, the slow log and
//! the latency monitor. Core-local; INFO, SLOWLOG, LATENCY and /metrics merge them.
