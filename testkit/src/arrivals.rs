//! When token requests arrived, and the question a quota promise is about: how many of them
//! arrived inside any one rolling window.
//!
//! The rate limiter only says whether the mock refused someone; a client that keeps its own
//! count by *send* time can still land six requests in one server window (a slow network, a
//! retry that leaves late). Recording arrivals lets a test hold a client to the server's
//! arithmetic instead of its own. Kept apart from the HTTP code so the counting is unit-tested
//! alone.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A test tool: past this many arrivals the oldest are forgotten, so a long demo run stays small.
pub(crate) const MAX_ARRIVALS: usize = 100_000;

/// Arrival times in the order they were recorded, at most [`MAX_ARRIVALS`] of them.
#[derive(Debug, Default)]
pub(crate) struct Arrivals {
    times: VecDeque<Instant>,
}

impl Arrivals {
    pub(crate) fn record(&mut self, at: Instant) {
        if self.times.len() >= MAX_ARRIVALS {
            self.times.pop_front();
        }
        self.times.push_back(at);
    }

    /// Every recorded arrival, sorted (handlers record concurrently, so the order they were
    /// recorded in may be off by a hair).
    pub(crate) fn sorted(&self) -> Vec<Instant> {
        let mut v: Vec<Instant> = self.times.iter().copied().collect();
        v.sort_unstable();
        v
    }

    pub(crate) fn clear(&mut self) {
        self.times.clear();
    }
}

/// The largest number of `arrivals` inside any half-open window `[t, t + window)`.
///
/// A window holding the most arrivals can always be slid to start at one of them, so a
/// two-pointer scan over the sorted times finds it: for each arrival as the window's last one,
/// drop arrivals from the front until the first is less than `window` before it. The input need
/// not be sorted (a sorted copy is scanned). A zero window holds nothing.
pub fn max_in_window(arrivals: &[Instant], window: Duration) -> u64 {
    if window.is_zero() {
        return 0;
    }
    let mut times = arrivals.to_vec();
    times.sort_unstable();
    let mut first = 0;
    let mut best = 0;
    for (last, &t) in times.iter().enumerate() {
        while t.duration_since(times[first]) >= window {
            first += 1;
        }
        best = best.max(last - first + 1);
    }
    best as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, ms: &[u64]) -> Vec<Instant> {
        ms.iter().map(|&m| t0 + Duration::from_millis(m)).collect()
    }

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn empty_and_single() {
        let t0 = Instant::now();
        assert_eq!(max_in_window(&[], SEC), 0);
        assert_eq!(max_in_window(&at(t0, &[5]), SEC), 1);
    }

    #[test]
    fn the_window_is_half_open() {
        let t0 = Instant::now();
        // Exactly one window apart: never in the same [t, t + window).
        assert_eq!(max_in_window(&at(t0, &[0, 1000, 2000]), SEC), 1);
        // A hair less: together.
        assert_eq!(max_in_window(&at(t0, &[0, 999, 1998]), SEC), 2);
    }

    #[test]
    fn finds_the_densest_window_anywhere() {
        let t0 = Instant::now();
        let times = at(t0, &[0, 100, 900, 1500, 1600, 1700, 1800, 2499, 2500, 4000]);
        // [1500, 2500) holds 1500, 1600, 1700, 1800, 2499.
        assert_eq!(max_in_window(&times, SEC), 5);
        assert_eq!(max_in_window(&times, Duration::from_millis(101)), 2);
        assert_eq!(max_in_window(&times, Duration::from_secs(10)), 10);
    }

    #[test]
    fn order_and_duplicates() {
        let t0 = Instant::now();
        let times = at(t0, &[1800, 0, 1500, 1500, 100, 1600]);
        assert_eq!(max_in_window(&times, SEC), 4);
        assert_eq!(
            max_in_window(&at(t0, &[7, 7, 7]), Duration::from_nanos(1)),
            3
        );
    }

    #[test]
    fn zero_window_holds_nothing() {
        let t0 = Instant::now();
        assert_eq!(max_in_window(&at(t0, &[0, 0, 1]), Duration::ZERO), 0);
    }

    #[test]
    fn keeps_at_most_the_newest_arrivals() {
        let t0 = Instant::now();
        let mut a = Arrivals::default();
        for i in 0..(MAX_ARRIVALS as u64 + 10) {
            a.record(t0 + Duration::from_micros(i));
        }
        let kept = a.sorted();
        assert_eq!(kept.len(), MAX_ARRIVALS);
        assert_eq!(kept[0], t0 + Duration::from_micros(10));
        a.clear();
        assert!(a.sorted().is_empty());
    }
}
