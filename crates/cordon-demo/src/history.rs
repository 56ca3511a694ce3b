//! A month behind the demo's today: an outbreak that rose, peaked about two weeks ago and is
//! falling, so the dashboard's charts and a past day's briefing have something true to show.
//! The curve is drawn here (deterministic from the seed); the binary writes it through the
//! store and the services, each record at its own past moment.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::Scale;

/// What one past day adds.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryDay {
    /// 1: yesterday.
    pub days_ago: u32,
    pub asymptomatic: u32,
    pub confirmed: u32,
    /// Asymptomatic cases of earlier days reclassified as confirmed on this day.
    pub reclassified: u32,
    /// Requests residents raise (all handled the same day or the next).
    pub requests: u32,
    /// Residents going out and in at the compound's gates.
    pub gate_decisions: u32,
    /// Share of the workers who reported in (more as the outbreak grows).
    pub on_hand_share: f64,
}

/// The days before today, oldest first: `days` of them.
pub fn demo_history(seed: u64, scale: Scale, days: u32) -> Vec<HistoryDay> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4849_5354);
    let peak = match scale {
        Scale::Tiny => 5.0,
        Scale::District => 24.0,
        Scale::City => 60.0,
    };
    let peak_day = (days as f64 * 0.55).round();
    let mut out = Vec::with_capacity(days as usize);
    let mut asymptomatic_so_far = 0u32;
    let mut reclassified_so_far = 0u32;
    for days_ago in (1..=days).rev() {
        // A bell over the month: rising to the peak, falling after it.
        let x = (days_ago as f64 - peak_day) / (days as f64 / 5.0);
        let level = (-x * x).exp();
        let expected = peak * level;
        let positives = (expected + rng.random_range(-0.5..0.5) * expected.sqrt()).round().max(0.0) as u32;
        let confirmed = (positives as f64 * rng.random_range(0.1..0.25)).round() as u32;
        let asymptomatic = positives - confirmed;
        // About one asymptomatic case in ten is reclassified, a few days later.
        let reclassify =
            ((asymptomatic_so_far as f64 * 0.1) as u32).saturating_sub(reclassified_so_far).min(2);
        asymptomatic_so_far += asymptomatic;
        reclassified_so_far += reclassify;
        let requests = (3.0 + 10.0 * level + rng.random_range(0.0..3.0)).round() as u32;
        let gate_decisions = (12.0 + 20.0 * level + rng.random_range(0.0..8.0)).round() as u32;
        out.push(HistoryDay {
            days_ago,
            asymptomatic,
            confirmed,
            reclassified: reclassify,
            requests,
            gate_decisions,
            on_hand_share: 0.45 + 0.5 * level,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_rises_and_falls_and_is_the_same_for_a_seed() {
        let h = demo_history(2022, Scale::District, 30);
        assert_eq!(h.len(), 30);
        assert_eq!((h[0].days_ago, h[29].days_ago), (30, 1), "oldest first");
        let positives = |d: &HistoryDay| d.asymptomatic + d.confirmed;
        let peak = h.iter().map(positives).max().unwrap();
        assert!(peak >= 15, "a peak worth a chart: {peak}");
        assert!(positives(&h[0]) < peak / 3 && positives(&h[29]) < peak / 2, "rise and fall");
        let asymptomatic: u32 = h.iter().map(|d| d.asymptomatic).sum();
        let reclassified: u32 = h.iter().map(|d| d.reclassified).sum();
        assert!(reclassified > 0 && reclassified <= asymptomatic / 5, "{reclassified} of {asymptomatic}");
        assert_eq!(h, demo_history(2022, Scale::District, 30));
    }
}
