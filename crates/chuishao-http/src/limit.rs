//! Per-client rate limits for public writes: a token bucket per client address (see
//! [`crate::client`]) and purpose, in memory on each node. Refusals are 429 with `Retry-After`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A bucket: `burst` requests at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: f64,
    pub per_minute: f64,
}

/// Limits for each kind of public write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Filing a report from the web form.
    pub report: Rate,
    /// Answering a callback (also guards the phone check against guessing).
    pub callback: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { report: Rate { burst: 20.0, per_minute: 10.0 }, callback: Rate { burst: 5.0, per_minute: 2.0 } }
    }
}

/// Tokens left and when they were counted, per (purpose, address).
type Buckets = HashMap<(&'static str, IpAddr), (f64, Instant)>;

/// The node's buckets.
#[derive(Debug, Clone, Default)]
pub struct RateLimiter {
    pub limits: Limits,
    buckets: Arc<Mutex<Buckets>>,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> Self {
        RateLimiter { limits, buckets: Arc::default() }
    }

    /// Takes one token for `purpose` from the caller's bucket; `Err(seconds)` to wait.
    pub fn check(&self, purpose: &'static str, rate: Rate, ip: IpAddr) -> Result<(), u64> {
        self.check_at(purpose, rate, ip, Instant::now())
    }

    /// Whether the caller's bucket for `purpose` still holds a token, without taking it: the
    /// check before a body is read. `Err(seconds)` to wait.
    pub fn peek(&self, purpose: &'static str, rate: Rate, ip: IpAddr) -> Result<(), u64> {
        let Ok(map) = self.buckets.lock() else { return Ok(()) };
        let Some((tokens, at)) = map.get(&(purpose, ip)) else { return Ok(()) };
        let tokens =
            (tokens + Instant::now().duration_since(*at).as_secs_f64() * rate.per_minute / 60.0).min(rate.burst);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(((1.0 - tokens) * 60.0 / rate.per_minute.max(0.001)).ceil().max(1.0) as u64)
        }
    }

    fn check_at(&self, purpose: &'static str, rate: Rate, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let Ok(mut map) = self.buckets.lock() else { return Ok(()) };
        if map.len() > 100_000 {
            map.retain(|_, (tokens, at)| *tokens < rate.burst || now.duration_since(*at).as_secs() < 600);
        }
        let (tokens, at) = map.entry((purpose, ip)).or_insert((rate.burst, now));
        let refill = now.duration_since(*at).as_secs_f64() * rate.per_minute / 60.0;
        *tokens = (*tokens + refill).min(rate.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) * 60.0 / rate.per_minute.max(0.001);
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::time::Duration;

    #[test]
    fn buckets_refill_and_are_per_address() {
        let l = RateLimiter::default();
        let rate = Rate { burst: 2.0, per_minute: 60.0 };
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let t0 = Instant::now();
        assert_eq!(l.check_at("x", rate, a, t0), Ok(()));
        assert_eq!(l.check_at("x", rate, a, t0), Ok(()));
        assert_eq!(l.check_at("x", rate, a, t0), Err(1));
        assert!(l.peek("x", rate, a).is_err(), "an empty bucket is seen without taking from it");
        assert_eq!(l.peek("x", rate, b), Ok(()));
        assert_eq!(l.check_at("x", rate, b, t0), Ok(()), "another address has its own bucket");
        assert_eq!(l.check_at("y", rate, a, t0), Ok(()), "another purpose has its own bucket");
        assert_eq!(l.check_at("x", rate, a, t0 + Duration::from_secs(1)), Ok(()));
    }
}
