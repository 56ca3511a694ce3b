//! What the in-process benchmarks report of their timed runs.

use std::time::Duration;

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median, best and worst of some runs, in milliseconds.
pub fn median(mut runs: Vec<Duration>) -> (f64, f64, f64) {
    runs.sort();
    (ms(runs[runs.len() / 2]), ms(runs[0]), ms(runs[runs.len() - 1]))
}
