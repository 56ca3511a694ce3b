//! What the in-process benchmarks report of their timed runs.

use std::time::Duration;

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `q` quantile of sorted latencies, in milliseconds (the nearest rank; 0 when none).
pub fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    ms(sorted[i])
}

/// The median, best and worst of some runs, in milliseconds.
pub fn median(mut runs: Vec<Duration>) -> (f64, f64, f64) {
    runs.sort();
    (ms(runs[runs.len() / 2]), ms(runs[0]), ms(runs[runs.len() - 1]))
}
