//! Doing something at most once per period across the threads of a function: re-reading keys
//! that may have been rotated (the gate's published keys, the auth function's ring).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A period, and when the action last ran.
#[derive(Debug)]
pub struct AtMostEvery {
    period: Duration,
    last: Mutex<Option<Instant>>,
}

impl AtMostEvery {
    /// The first [`AtMostEvery::due`] is true at once.
    pub fn due_now(period: Duration) -> Self {
        Self { period, last: Mutex::new(None) }
    }

    /// The first [`AtMostEvery::due`] is true a period from now (the action has just run).
    pub fn starting_now(period: Duration) -> Self {
        Self { period, last: Mutex::new(Some(Instant::now())) }
    }

    /// Whether the action may run now; if so, it counts as run.
    pub fn due(&self) -> bool {
        let Ok(mut last) = self.last.lock() else { return false };
        if last.is_some_and(|at| at.elapsed() < self.period) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_is_due_once_per_period() {
        let now = AtMostEvery::due_now(Duration::from_secs(60));
        assert!(now.due());
        assert!(!now.due());
        let later = AtMostEvery::starting_now(Duration::from_secs(60));
        assert!(!later.due());
        let always = AtMostEvery::starting_now(Duration::ZERO);
        assert!(always.due() && always.due());
    }
}
