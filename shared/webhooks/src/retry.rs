//! When a failed delivery is tried again: after `first`, doubling, at most `cap` (SQS delays a
//! message by 15 minutes at most), until `give_up` after its first attempt; then it is
//! dead-lettered. The defaults retry for 24 hours, the first retry within a minute; the local
//! stack's tests compress them to seconds.

use oneroster_model::Timestamp;
use std::time::Duration;

/// The longest delay SQS puts on a message (`DelaySeconds`).
pub const MAX_DELAY: Duration = Duration::from_secs(900);

/// The retry policy of webhook deliveries (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay after the first failed attempt.
    pub first: Duration,
    /// The longest delay (at most [`MAX_DELAY`]).
    pub cap: Duration,
    /// How long after the first attempt a batch is given up on.
    pub give_up: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { first: Duration::from_secs(30), cap: MAX_DELAY, give_up: Duration::from_secs(24 * 3600) }
    }
}

impl RetryPolicy {
    /// The delay after `attempts` failed attempts (1: the first failed).
    pub fn delay(&self, attempts: u32) -> Duration {
        let doubled = self.first.saturating_mul(1 << attempts.saturating_sub(1).min(20));
        doubled.min(self.cap).min(MAX_DELAY)
    }

    /// When to try again after `attempts` failed attempts, the first made at `first`, now
    /// being `now`; `None`: give up (the next attempt would come after the give-up window).
    pub fn next(&self, attempts: u32, first: Timestamp, now: Timestamp) -> Option<Duration> {
        let delay = self.delay(attempts);
        let elapsed = Duration::from_millis((now.0 - first.0).num_milliseconds().max(0).unsigned_abs());
        (elapsed + delay <= self.give_up).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_thirty_seconds_to_the_sqs_cap() {
        let policy = RetryPolicy::default();
        let delays: Vec<u64> = (1..=8).map(|n| policy.delay(n).as_secs()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(policy.delay(1000), MAX_DELAY, "no overflow");
        let wide = RetryPolicy { cap: Duration::from_secs(3600), ..policy };
        assert_eq!(wide.delay(10), MAX_DELAY, "never past what SQS takes");
    }

    #[test]
    fn a_batch_is_retried_for_24_hours_then_given_up_on() {
        let policy = RetryPolicy::default();
        let first = Timestamp::from_millis(1_700_000_000_000);
        let mut now = first;
        let mut attempts = 1;
        while let Some(delay) = policy.next(attempts, first, now) {
            now = Timestamp::from_millis(now.0.timestamp_millis() + delay.as_millis() as i64);
            attempts += 1;
        }
        let elapsed = (now.0 - first.0).num_seconds();
        assert!(elapsed <= 24 * 3600 && elapsed > 24 * 3600 - 900, "{elapsed}");
        assert!(attempts > 90 && attempts < 110, "{attempts}");
        assert_eq!(policy.next(1, first, first), Some(Duration::from_secs(30)), "the first retry within a minute");
    }
}
