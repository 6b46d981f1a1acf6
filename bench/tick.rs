//! The scheduler's tick on a large database: runs `<ticks>` ticks one after another, as the
//! service's scheduler thread does once a minute, on the database of
//! `PLATEAUX_DATABASE_URL` at the system's time (Europe/Paris), with the reminder and
//! digest hours at 0 so that every part runs whatever the hour. The first tick queues what
//! is due (tomorrow's reminders, the digests); the next ones find it recorded and queue
//! nothing: what every minute costs. Prints each tick's time and what it queued.
//!
//! Usage: plateaux-bench-tick <ticks>

use std::time::Instant;

use plateaux::clock::SystemClock;
use plateaux::config::ScheduleConfig;
use plateaux::db;
use plateaux::mail::scheduler::tick;

fn main() {
    let ticks: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("usage: plateaux-bench-tick <ticks>");
    let url = std::env::var("PLATEAUX_DATABASE_URL").expect("PLATEAUX_DATABASE_URL");
    let pool = db::build_pool(&url, 2).expect("pool");
    let schedule = ScheduleConfig {
        reminder_hour: 0,
        digest_hour: 0,
    };
    for n in 1..=ticks {
        let started = Instant::now();
        let queued = tick(&pool, &SystemClock, chrono_tz::Europe::Paris, schedule).expect("tick");
        println!(
            "tick {n}: {:.1} ms, queued {} reminders, {} digests, {} expiry notices",
            started.elapsed().as_secs_f64() * 1000.0,
            queued.reminders,
            queued.digests,
            queued.expiring
        );
    }
}
