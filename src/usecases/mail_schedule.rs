//! The scheduled messages, queued by the scheduler's ticks (`crate::mail::Scheduler`): the
//! day-before reminders of confirmed sessions, the platform managers' morning digest, and
//! qualifications about to expire. Each message is recorded (`notification_sends`: kind,
//! subject, recipient, day) in the transaction that queues it, so that a second tick, a
//! restart or another instance queues it no more. Recipients who turned a kind off get
//! nothing (`outbox::enqueue_many`).

use std::collections::HashSet;

use chrono::{Days, NaiveDate, Timelike};
use chrono_tz::Tz;

use crate::config::ScheduleConfig;
use crate::db::{self, DbConnection};
use crate::domain::notifications::NotificationKind;
use crate::domain::time::{date_at_minute, local};
use crate::error::ApiResult;
use crate::mail::content::Facts;
use crate::mail::notices::{DigestFacts, QualificationFacts};
use crate::usecases::bookings::notify::{facts, session_line};

/// How long before its expiry a qualification's holder is told.
pub const EXPIRY_NOTICE_DAYS: u64 = 30;

/// What one tick queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub reminders: usize,
    pub digests: usize,
    pub expiring: usize,
}

/// Queues what is due at `now`: the reminders of today's sessions that have not started yet
/// and were missed (no instance ran over yesterday's reminder hour) and, from the reminder
/// hour, those of tomorrow's sessions; from the digest hour, today's digests and the
/// notices of qualifications expiring within 30 days (any not told yet, so a day without
/// ticks is caught up by the next). Each part commits on its own.
pub fn run_due(
    conn: &mut DbConnection,
    now: i64,
    tz: Tz,
    schedule: ScheduleConfig,
) -> ApiResult<Queued> {
    let here = local(now, &tz);
    let today = here.date_naive();
    let mut queued = Queued {
        reminders: remind(conn, now, &tz, today, here.hour() >= schedule.reminder_hour)?,
        ..Queued::default()
    };
    if here.hour() >= schedule.digest_hour {
        queued.digests = digests(conn, now, &tz, today)?;
        queued.expiring = expiring(conn, now, today)?;
    }
    Ok(queued)
}

fn midnight(day: NaiveDate, tz: &Tz) -> i64 {
    date_at_minute(day, 0, tz)
}

/// Keeps the `(subject, recipient)` pairs of `candidates` not yet recorded for `kind` on
/// `day`, and records them: one read, then one insert per new pair. Looked up in sets: a
/// day's reminders are a thousand pairs or more on a large campus.
fn first_sends<'a>(
    conn: &mut DbConnection,
    now: i64,
    kind: NotificationKind,
    day: NaiveDate,
    candidates: Vec<(&'a str, &'a str)>,
) -> ApiResult<Vec<(&'a str, &'a str)>> {
    let already = db::schedule::sent_on(conn, kind.as_str(), day)?;
    let already: HashSet<(&str, &str)> = already
        .iter()
        .map(|(s, u)| (s.as_str(), u.as_str()))
        .collect();
    let mut seen = HashSet::new();
    let mut fresh = Vec::new();
    for (subject, user) in candidates {
        if already.contains(&(subject, user)) || !seen.insert((subject, user)) {
            continue;
        }
        if db::schedule::record_send(conn, now, kind.as_str(), subject, user, day)? {
            fresh.push((subject, user));
        }
    }
    Ok(fresh)
}

/// The reminders of confirmed sessions, to their booker and supervisor, recorded under the
/// session's day: those of the day after `today` once `tomorrow_due` (the reminder hour has
/// come), and those of `today` not started at `now` that stood as they are before midnight,
/// which yesterday evening's ticks queued unless no instance ran then. A session booked,
/// approved or changed today was told of by that event's message and gets none.
fn remind(
    conn: &mut DbConnection,
    now: i64,
    tz: &Tz,
    today: NaiveDate,
    tomorrow_due: bool,
) -> ApiResult<usize> {
    let Some(tomorrow) = today.checked_add_days(Days::new(1)) else {
        return Ok(0);
    };
    let after = tomorrow.checked_add_days(Days::new(1)).unwrap_or(tomorrow);
    let kind = NotificationKind::BookingReminder;
    db::write_transaction(conn, |conn| {
        let midnight_today = midnight(today, tz);
        let mut days = vec![(
            today,
            db::schedule::confirmed_starting(
                conn,
                now + 1,
                midnight(tomorrow, tz),
                Some(midnight_today),
            )?,
        )];
        if tomorrow_due {
            let rows = db::schedule::confirmed_starting(
                conn,
                midnight(tomorrow, tz),
                midnight(after, tz),
                None,
            )?;
            days.push((tomorrow, rows));
        }
        let mut queued = 0;
        for (day, rows) in &days {
            let candidates: Vec<(&str, &str)> = rows
                .iter()
                .flat_map(|row| {
                    std::iter::once(row.booker_id.as_str())
                        .chain(row.supervisor_id.as_deref())
                        .map(move |user| (row.id.as_str(), user))
                })
                .collect();
            let fresh = first_sends(conn, now, kind, *day, candidates)?;
            if fresh.is_empty() {
                continue;
            }
            let names = db::bookings::names_for(conn, rows)?;
            let messages: Vec<(&str, Facts)> = fresh
                .iter()
                .filter_map(|(booking, user)| {
                    let row = rows.iter().find(|r| r.id == *booking)?;
                    let mut said = facts(row, &names);
                    said.same_day = *day == today;
                    Some((*user, Facts::Booking(kind, said)))
                })
                .collect();
            queued += crate::usecases::outbox::enqueue_many(conn, now, &messages)?;
        }
        Ok(queued)
    })
}

/// Each platform manager's digest of `today`: the bookings waiting for approval on the
/// platforms they manage, and those platforms' sessions of the last seven days still
/// without a usage record. Nothing for a manager with nothing to read.
fn digests(conn: &mut DbConnection, now: i64, tz: &Tz, today: NaiveDate) -> ApiResult<usize> {
    let kind = NotificationKind::ManagerDigest;
    let week_ago = today.checked_sub_days(Days::new(7)).unwrap_or(today);
    db::write_transaction(conn, |conn| {
        let pending = db::schedule::pending_after(conn, now)?;
        let unrecorded =
            db::schedule::unrecorded_between(conn, midnight(week_ago, tz), midnight(today, tz))?;
        if pending.is_empty() && unrecorded.is_empty() {
            return Ok(0);
        }
        let mut platform_ids: Vec<String> = pending
            .iter()
            .chain(&unrecorded)
            .map(|r| r.platform_id.clone())
            .collect();
        platform_ids.sort_unstable();
        platform_ids.dedup();
        let managers = db::platforms::managers_of(conn, &platform_ids)?;
        let mut manager_ids: Vec<&str> = managers.iter().map(|(_, u)| u.as_str()).collect();
        manager_ids.sort_unstable();
        manager_ids.dedup();
        let fresh = first_sends(
            conn,
            now,
            kind,
            today,
            manager_ids.iter().map(|m| (*m, *m)).collect(),
        )?;
        if fresh.is_empty() {
            return Ok(0);
        }
        let all: Vec<_> = pending.iter().chain(&unrecorded).cloned().collect();
        let names = db::bookings::names_for(conn, &all)?;
        let manages = |manager: &str, platform: &str| {
            managers.iter().any(|(p, u)| p == platform && u == manager)
        };
        let messages: Vec<(&str, Facts)> = fresh
            .iter()
            .map(|(manager, _)| {
                let lines = |rows: &[db::bookings::BookingRow]| {
                    rows.iter()
                        .filter(|r| manages(manager, &r.platform_id))
                        .map(|r| session_line(r, &names))
                        .collect()
                };
                let digest = DigestFacts {
                    day: today,
                    pending: lines(&pending),
                    unrecorded: lines(&unrecorded),
                };
                (*manager, Facts::Digest(digest))
            })
            .collect();
        crate::usecases::outbox::enqueue_many(conn, now, &messages)
    })
}

/// The qualifications expiring within 30 days: their holder is told, and whoever awarded
/// them (the managers of the platforms whose equipment requires them when nobody is
/// recorded), once for each expiry date.
fn expiring(conn: &mut DbConnection, now: i64, today: NaiveDate) -> ApiResult<usize> {
    let kind = NotificationKind::QualificationExpiring;
    let until = today
        .checked_add_days(Days::new(EXPIRY_NOTICE_DAYS))
        .unwrap_or(today);
    db::write_transaction(conn, |conn| {
        let rows = db::schedule::expiring_between(conn, today, until)?;
        let mut messages: Vec<(String, Facts)> = Vec::new();
        for row in &rows {
            let mut recipients = vec![(row.user_id.clone(), true)];
            let awarders = match &row.awarded_by {
                Some(awarder) => vec![awarder.clone()],
                None => db::schedule::managers_requiring(conn, &row.qualification_id)?,
            };
            for awarder in awarders {
                if !recipients.iter().any(|(u, _)| *u == awarder) {
                    recipients.push((awarder, false));
                }
            }
            let candidates: Vec<(&str, &str)> = recipients
                .iter()
                .map(|(u, _)| (row.id.as_str(), u.as_str()))
                .collect();
            let fresh = first_sends(conn, now, kind, row.expires_on, candidates)?;
            for (_, user) in fresh {
                let to_holder = user == row.user_id;
                messages.push((
                    user.to_owned(),
                    Facts::QualificationExpiring(QualificationFacts {
                        holder: row.holder.clone(),
                        qualification: row.qualification.clone(),
                        expires_on: row.expires_on,
                        to_holder,
                    }),
                ));
            }
        }
        let borrowed: Vec<(&str, Facts)> = messages
            .iter()
            .map(|(u, f)| (u.as_str(), f.clone()))
            .collect();
        crate::usecases::outbox::enqueue_many(conn, now, &borrowed)
    })
}
