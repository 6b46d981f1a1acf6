//! What the threads of one instance tell one another of its load. The booking writer says
//! when bookings queue behind one another (it took more than one request at a time); the
//! mail worker then gives way for a while, since sending a message costs the machine more
//! than the booking that caused it (bench/README.md, booking creation with notifications).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long one queued batch of bookings counts as pressing.
const PRESSING_FOR: Duration = Duration::from_millis(250);

pub struct Load {
    started: Instant,
    /// Until when (milliseconds since `started`) bookings are pressing.
    bookings_pressing_until: AtomicU64,
}

impl Default for Load {
    fn default() -> Self {
        Load {
            started: Instant::now(),
            bookings_pressing_until: AtomicU64::new(0),
        }
    }
}

impl Load {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The booking writer took `requests` at once: more than one means they waited for
    /// one another.
    pub fn booking_batch(&self, requests: usize) {
        if requests > 1 {
            let until = self.now_ms() + PRESSING_FOR.as_millis() as u64;
            self.bookings_pressing_until
                .fetch_max(until, Ordering::Relaxed);
        }
    }

    /// Whether bookings have queued up in the last moments.
    pub fn bookings_pressing(&self) -> bool {
        self.now_ms() < self.bookings_pressing_until.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bookings_waiting_for_one_another_press_and_only_for_a_moment() {
        let load = Load::default();
        assert!(!load.bookings_pressing());
        load.booking_batch(1);
        assert!(!load.bookings_pressing(), "a lone booking waits for nobody");
        load.booking_batch(3);
        assert!(load.bookings_pressing());
        std::thread::sleep(PRESSING_FOR + Duration::from_millis(50));
        assert!(!load.bookings_pressing(), "over once the queue is gone");
    }
}
