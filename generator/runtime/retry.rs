//! When a call is sent again: the retry policy, its backoff with jitter, and `Retry-After`.

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::Method;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When and how often a call is tried again.
///
/// A call is retried when the connection could not be made, or when the server answers
/// `429 Too Many Requests` or `503 Service Unavailable`; any other answer, and any other
/// failure (a timeout included), ends the call. Only idempotent methods (`GET`, `HEAD`, `PUT`,
/// `DELETE`, `OPTIONS`, `TRACE`) are retried unless
/// [`retry_non_idempotent`](Self::retry_non_idempotent) says otherwise, because a `POST` or
/// `PATCH` that reached the server may already have had its effect.
///
/// Before retry `n` (1 for the first retry) the call waits for the server's `Retry-After`
/// when it sent one, otherwise for an exponential backoff: `initial_backoff * 2^(n-1)`, at most
/// `max_backoff`, of which jitter keeps a random share between half and all (see
/// [`backoff_bounds`](Self::backoff_bounds)). No retry starts once the wait would end later
/// than `max_elapsed` after the first attempt began; a `Retry-After` beyond that ends the call
/// at once with the server's answer.
///
/// The default policy makes at most 3 attempts within 30 seconds, starting at 100 ms of
/// backoff and never waiting longer than 5 seconds between attempts unless the server asks
/// for it. Set a policy for every call with
/// [`ClientBuilder::retry`](crate::ClientBuilder::retry), or for one call with
/// [`Call::retry`](crate::Call::retry).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use __crate__::RetryPolicy;
///
/// let patient = RetryPolicy::new()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(200))
///     .max_elapsed(Duration::from_secs(60));
/// assert_eq!(patient.backoff_bounds(1), (Duration::from_millis(100), Duration::from_millis(200)));
/// assert_eq!(patient.backoff_bounds(3), (Duration::from_millis(400), Duration::from_millis(800)));
///
/// let never = RetryPolicy::none();
/// assert_eq!(never.get_max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    non_idempotent: bool,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
            non_idempotent: false,
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy: 3 attempts, idempotent methods only (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// One attempt and no retry.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// Makes at most `attempts` attempts in all, the first included (0 counts as 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff before the first retry; it doubles with each retry after that.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff between two attempts (a server's `Retry-After` may ask for more).
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Starts no retry that would begin later than `elapsed` after the first attempt began.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Also retries `POST`, `PATCH` and other methods that are not idempotent. Only ask for this
    /// when sending the same request twice does no harm.
    pub fn retry_non_idempotent(mut self, retry: bool) -> Self {
        self.non_idempotent = retry;
        self
    }

    /// Waits a random share (between half and all) of each backoff, so that many clients that
    /// failed together do not retry together. On by default.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The most attempts this policy makes, the first included.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The shortest and longest wait before retry `retry` (1 for the first retry) when the
    /// server sends no `Retry-After`. Without jitter both are the same.
    pub fn backoff_bounds(&self, retry: u32) -> (Duration, Duration) {
        let doublings = retry.saturating_sub(1).min(31);
        let full = self.initial_backoff.saturating_mul(1 << doublings).min(self.max_backoff);
        if self.jitter {
            (full / 2, full)
        } else {
            (full, full)
        }
    }

    /// Whether calls with this method may be retried at all.
    pub(crate) fn allows(&self, method: &Method) -> bool {
        self.max_attempts > 1 && (self.non_idempotent || is_idempotent(method))
    }

    /// How long to wait before the next attempt, when there should be one: `attempts` were
    /// made so far, `elapsed` since the first began, and the server may have said when.
    pub(crate) fn next_delay(
        &self,
        attempts: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let delay = retry_after.unwrap_or_else(|| {
            let (shortest, longest) = self.backoff_bounds(attempts);
            shortest + (longest - shortest).mul_f64(random_fraction())
        });
        (elapsed.saturating_add(delay) <= self.max_elapsed).then_some(delay)
    }
}

fn is_idempotent(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::PUT, Method::DELETE, Method::OPTIONS, Method::TRACE].contains(method)
}

/// A number in `[0, 1)`, different on every call. Jitter needs spread, not secrecy, so the
/// standard library's randomly keyed hasher suffices.
fn random_fraction() -> f64 {
    let bits = std::collections::hash_map::RandomState::new().hash_one(SystemTime::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The `Retry-After` header: a number of seconds, or an HTTP date (then the time left until
/// it, zero when it has passed). Anything else counts as absent.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110 requires senders
/// to use.
fn http_date(text: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = text.split_ascii_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts.as_slice() else { return None };
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    let mut clock = time.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if clock.next().is_some() || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
