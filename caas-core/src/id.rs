//! Identifiers: UUIDv7, time-ordered, with the time taken from a [`Clock`].

use std::sync::Mutex;

use uuid::timestamp::context::ContextV7;
use uuid::{Timestamp as UuidTimestamp, Uuid};

use crate::Clock;

/// One process-wide counter keeps ids generated in the same millisecond ordered.
static CONTEXT: Mutex<ContextV7> = Mutex::new(ContextV7::new());

/// A new UUIDv7 whose time part is `clock.now()`.
///
/// Ids sort by creation time (within one process, strictly), and their random
/// part (at least 42 bits besides the counter) comes from the operating system.
pub fn new_id(clock: &dyn Clock) -> Uuid {
    let ms = clock.now().as_millis().max(0).unsigned_abs();
    let secs = ms / 1000;
    // Below one billion by construction.
    let nanos = u32::try_from((ms % 1000) * 1_000_000).unwrap_or(0);
    Uuid::new_v7(UuidTimestamp::from_unix(&CONTEXT, secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, Timestamp};

    #[test]
    fn ids_are_v7_and_carry_the_clock_time() {
        let clock = ManualClock::new(Timestamp::from_millis(1_795_000_000_123));
        let id = new_id(&clock);
        assert_eq!(id.get_version_num(), 7);
        let (secs, nanos) = id.get_timestamp().unwrap().to_unix();
        assert_eq!(secs, 1_795_000_000);
        assert_eq!(nanos / 1_000_000, 123);
    }

    #[test]
    fn ids_from_one_millisecond_are_ordered_and_distinct() {
        let clock = ManualClock::new(Timestamp::from_millis(42_000));
        let ids: Vec<_> = (0..1000).map(|_| new_id(&clock)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }
}
