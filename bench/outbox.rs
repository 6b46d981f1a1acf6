//! Outbox drain benchmark: queues `<messages>` e-mails at once (one transaction, through
//! `outbox::enqueue`, as use cases do) on the database of `PLATEAUX_DATABASE_URL`, then
//! waits until every one is marked sent by the running service(s), and prints the rate.
//! `bench/outbox.sh` starts the SMTP server and the service around it.
//!
//! Usage: plateaux-bench-outbox <messages>

use std::time::{Duration, Instant};

use diesel::prelude::*;

use plateaux::db;
use plateaux::db::schema::outbox_messages as om;
use plateaux::mail::content::{Facts, PasswordResetFacts};

fn main() {
    let messages: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("usage: plateaux-bench-outbox <messages>");
    let url = std::env::var("PLATEAUX_DATABASE_URL").expect("PLATEAUX_DATABASE_URL");
    let pool = db::build_pool(&url, 2).expect("pool");
    let mut conn = pool.get().expect("connection");
    let started = Instant::now();
    let now = plateaux::clock::Clock::now(&plateaux::clock::SystemClock);
    db::write_transaction(&mut conn, |conn| {
        let campus = db::campuses::CampusRow {
            id: db::new_id(),
            name: "Campus du banc d'essai".into(),
            timezone: "Europe/Paris".into(),
            created_at: now,
            updated_at: now,
        };
        db::campuses::insert(conn, &campus)?;
        let org = db::organisations::OrganisationRow {
            id: db::new_id(),
            name: "Lycée du banc d'essai".into(),
            kind: "lycee".into(),
            town: None,
            uai: None,
            siret: None,
            created_at: now,
            updated_at: now,
        };
        db::organisations::insert(conn, &org, std::slice::from_ref(&campus.id))?;
        for i in 0..messages {
            let user = db::users::UserRow {
                id: db::new_id(),
                email: format!("banc{i:06}-{}@plateaux.test", &campus.id[..8]),
                display_name: format!("Personne {i}"),
                password_hash: "none".into(),
                role: "teacher".into(),
                organisation_id: org.id.clone(),
                active: true,
                created_at: now,
                updated_at: now,
                awaiting_approval: false,
            };
            db::users::insert(conn, &user)?;
            plateaux::usecases::outbox::enqueue(
                conn,
                now,
                &user.id,
                &Facts::PasswordReset(PasswordResetFacts {
                    display_name: user.display_name.clone(),
                    token: format!("{i:064}"),
                    expires_at: now + 3600,
                }),
            )?;
        }
        Ok::<_, plateaux::error::ApiError>(())
    })
    .expect("queue the messages");
    let queued = Instant::now();
    eprintln!("{messages} messages queued in {:?}", queued - started);
    loop {
        let waiting: i64 = om::table
            .filter(om::state.ne("sent"))
            .count()
            .get_result(&mut **conn)
            .expect("count");
        if waiting == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = queued.elapsed();
    println!(
        "{messages} messages sent in {:.2} s: {:.0} messages a second",
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64()
    );
}
