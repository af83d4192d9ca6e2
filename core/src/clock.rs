//! Time, injectable. Expiry runs on a monotonic clock (immune to wall-clock jumps); wall time is
//! kept beside it for callers and shared stores. Tests use [`ManualClock`] to move time instead
//! of sleeping.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// A source of monotonic and wall-clock time, and of pauses between retries.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic now.
    fn now(&self) -> Instant;
    /// Wall-clock now.
    fn wall(&self) -> SystemTime;
    /// Pauses the calling thread (retry backoff). A test clock advances itself instead.
    fn sleep(&self, d: Duration);
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d)
    }
}

/// The clock a client uses: the system clock without an indirect call on the hot path, or an
/// injected one.
#[derive(Clone, Debug)]
pub(crate) enum TimeSource {
    System,
    Custom(Arc<dyn Clock>),
}

impl TimeSource {
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        match self {
            TimeSource::System => Instant::now(),
            TimeSource::Custom(c) => c.now(),
        }
    }
    pub(crate) fn wall(&self) -> SystemTime {
        match self {
            TimeSource::System => SystemTime::now(),
            TimeSource::Custom(c) => c.wall(),
        }
    }
    pub(crate) fn sleep(&self, d: Duration) {
        match self {
            TimeSource::System => std::thread::sleep(d),
            TimeSource::Custom(c) => c.sleep(d),
        }
    }
}

/// A clock that only moves when told to (or when something "sleeps" on it). Cheap to clone;
/// clones share the same time.
#[derive(Clone)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

struct ManualInner {
    base: Instant,
    wall_base: SystemTime,
    offset_nanos: AtomicU64,
}

impl ManualClock {
    /// A clock starting at the real current time.
    pub fn new() -> Self {
        ManualClock {
            inner: Arc::new(ManualInner {
                base: Instant::now(),
                wall_base: SystemTime::now(),
                offset_nanos: AtomicU64::new(0),
            }),
        }
    }

    /// Moves time forward.
    pub fn advance(&self, d: Duration) {
        self.inner
            .offset_nanos
            .fetch_add(d.as_nanos() as u64, Ordering::SeqCst);
    }

    fn offset(&self) -> Duration {
        Duration::from_nanos(self.inner.offset_nanos.load(Ordering::SeqCst))
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("offset", &self.offset())
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.base + self.offset()
    }
    fn wall(&self) -> SystemTime {
        self.inner.wall_base + self.offset()
    }
    fn sleep(&self, d: Duration) {
        self.advance(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new();
        let t0 = c.now();
        let w0 = c.wall();
        c.advance(Duration::from_secs(30));
        assert_eq!(c.now() - t0, Duration::from_secs(30));
        assert_eq!(
            c.wall().duration_since(w0).unwrap(),
            Duration::from_secs(30)
        );
        c.sleep(Duration::from_secs(1));
        assert_eq!(c.now() - t0, Duration::from_secs(31));
    }
}
