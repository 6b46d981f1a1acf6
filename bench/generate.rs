//! Bench data generator: a campus with a given number of bookings over three years (two and
//! a half past, half a year ahead), written straight into the database of
//! `PLATEAUX_DATABASE_URL` with multi-row inserts. Deterministic: the same arguments give the
//! same campus shape and the same booking pattern.
//!
//! Past confirmed sessions get usage records as in real life: about 85 % recorded (actual
//! times a little inside the booking, headcount by learner status, machine time), 3 % no
//! shows, the rest left unreported. The campus closes at Christmas and for three weeks in
//! August, each platform one day a year, and each equipment item has a maintenance
//! morning about every twelve weeks; no booking falls in them.
//!
//! Works on PostgreSQL and SQLite URLs alike (`sqlite:///tmp/bench.db`).
//!
//! Usage: plateaux-bench-data <bookings> <output directory>
//! Writes `<output>/equipment.txt`, `<output>/platforms.txt` (ids, one a line),
//! `<output>/first_free_day.txt` (the first date with no booking, YYYY-MM-DD) and
//! `<output>/report_school_year.txt` (the last school year fully in the past, `2025-2026`:
//! the report benchmarks use it), `<output>/slots.txt` (free equipment slots after the
//! generated period) and `<output>/pending.txt` (the ids of 10,000 requests of companies
//! awaiting approval, in the slots after the free ones: the morning load approves them).

use std::fmt::Write as _;
use std::io::Write as _;

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use diesel::connection::SimpleConnection;
use diesel::{QueryDsl, RunQueryDsl};

use plateaux::db::{self, DbConnection};
use plateaux::domain::accounts::AccountDraft;
use plateaux::domain::booking::LearnerStatus;
use plateaux::domain::time::date_at_minute;
use plateaux::domain::Role;
use plateaux::usecases::accounts::create_account;

const ORGANISATIONS: usize = 12;
const COMPANIES: usize = 3;
const PLATFORMS: usize = 40;
const EQUIPMENT_PER_PLATFORM: usize = 10;
const STATIONS: i32 = 14;
/// Equipment slots of a day, local minutes: 08–10, 10–12, 13:30–15:30, 15:30–17:30.
const SLOTS: [(i32, i32); 4] = [(480, 600), (600, 720), (810, 930), (930, 1050)];
const BATCH: usize = 500;
/// A maintenance morning, local minutes.
const MAINTENANCE: (i32, i32) = (480, 720);

pub const ADMIN_EMAIL: &str = "bench-admin@bench.test";
pub const ADMIN_PASSWORD: &str = "bench-password-2027";
/// A teacher of a school that owns no platform (`bench/notify_rate.sh`): on a platform that
/// asks outsiders for approval, each of its bookings waits and its managers are told.
pub const TEACHER_EMAIL: &str = "bench-teacher@bench.test";

/// A small deterministic generator (64-bit LCG): no dependency, the same data every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn chance(&mut self, per_thousand: u64) -> bool {
        self.next() % 1000 < per_thousand
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let out = std::path::PathBuf::from(args.get(2).cloned().unwrap_or_else(|| "bench/out".into()));
    std::fs::create_dir_all(&out).expect("output directory");
    let url = std::env::var("PLATEAUX_DATABASE_URL").expect("PLATEAUX_DATABASE_URL");
    let pool = db::build_pool(&url, 2).expect("database");
    let mut conn = pool.get().expect("connection");
    db::run_migrations(&mut conn).expect("migrations");
    let started = std::time::Instant::now();
    let tz = chrono_tz::Europe::Paris;
    let BenchCampus {
        campus_id,
        platforms,
        equipment,
        organisations,
        admin_id,
    } = campus(&mut conn);
    outsiders(&mut conn, &campus_id, &platforms, &organisations);
    std::fs::write(out.join("platforms.txt"), platforms.join("\n") + "\n").unwrap();
    std::fs::write(
        out.join("equipment.txt"),
        equipment
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
            .join("\n")
            + "\n",
    )
    .unwrap();

    let today = plateaux::clock::Clock::now_utc(&plateaux::clock::SystemClock)
        .with_timezone(&tz)
        .date_naive();
    let first_day = today - Duration::days(913);
    let last_day = today + Duration::days(182);
    let weekdays: Vec<NaiveDate> = (0..=(last_day - first_day).num_days())
        .map(|d| first_day + Duration::days(d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let Closed {
        campus: campus_closed,
        platform: platform_closed,
    } = closures(
        &mut conn, &campus_id, &platforms, first_day, last_day, &tz, &admin_id,
    );
    let days: Vec<NaiveDate> = weekdays
        .into_iter()
        .filter(|d| !campus_closed.contains(d))
        .collect();
    let maintenance = maintenance(&mut conn, &equipment, &days, &tz, &admin_id);
    let today_school_year = if today.month() >= 9 {
        today.year()
    } else {
        today.year() - 1
    };
    std::fs::write(
        out.join("report_school_year.txt"),
        format!("{}-{}\n", today_school_year - 1, today_school_year),
    )
    .unwrap();
    // About 6 % of the bookings hold stations (class sessions), the rest equipment items,
    // spread evenly over the three years.
    let open_platform_days = days.len() * PLATFORMS - platform_closed.len();
    let station_sessions = open_platform_days * 2;
    let wanted_stations = (total as f64 * 0.06).min(station_sessions as f64);
    let station_per_thousand = ((wanted_stations / station_sessions as f64) * 1000.0).ceil() as u64;
    // Maintenance mornings take two slots; closed platform days take them all.
    let equipment_slots =
        open_platform_days * EQUIPMENT_PER_PLATFORM * SLOTS.len() - maintenance.len() * 2;
    let wanted_equipment = total as f64 - wanted_stations;
    let per_thousand = ((wanted_equipment / equipment_slots as f64) * 1000.0).ceil() as u64;
    assert!(
        per_thousand <= 1000,
        "{total} bookings do not fit in three years of this campus"
    );
    std::fs::write(
        out.join("first_free_day.txt"),
        format!("{}\n", last_day + Duration::days(1)),
    )
    .unwrap();
    let after_free_slots = write_free_slots(
        &out.join("slots.txt"),
        &equipment,
        last_day + Duration::days(1),
        &tz,
    );
    pending_requests(
        &mut conn,
        &out.join("pending.txt"),
        &equipment,
        &organisations,
        after_free_slots,
        &tz,
        &admin_id,
    );

    let mut rng = Lcg(2027);
    let now = plateaux::clock::Clock::now(&plateaux::clock::SystemClock);
    let mut rows = Rows {
        admin_id: admin_id.clone(),
        ..Rows::default()
    };
    let mut written = 0usize;
    'days: for (d, day) in days.iter().enumerate() {
        for (p, platform_id) in platforms.iter().enumerate() {
            if platform_closed.contains(&(p, *day)) {
                continue;
            }
            for (half, (start, end)) in [(480, 720), (810, 1050)].into_iter().enumerate() {
                if written >= total {
                    break 'days;
                }
                if !rng.chance(station_per_thousand) {
                    continue;
                }
                // Mostly the owner's classes, two in five another member's.
                let org = if rng.chance(600) {
                    &organisations[p % ORGANISATIONS]
                } else {
                    &organisations[(p + half * 5 + day.ordinal() as usize) % ORGANISATIONS]
                };
                let slot = Slot {
                    platform_id,
                    equipment_id: None,
                    stations: Some(12),
                    start: date_at_minute(*day, start, &tz),
                    end: date_at_minute(*day, end, &tz),
                    organisation_id: org,
                    machine_id: &equipment
                        [p * EQUIPMENT_PER_PLATFORM + (d + half) % EQUIPMENT_PER_PLATFORM]
                        .0,
                };
                rows.push(&mut rng, slot, now);
                written += 1;
            }
            for (e, (equipment_id, _)) in equipment
                .iter()
                .enumerate()
                .skip(p * EQUIPMENT_PER_PLATFORM)
                .take(EQUIPMENT_PER_PLATFORM)
            {
                let serviced = maintenance.contains(&(e, d));
                for (start, end) in SLOTS {
                    if written >= total {
                        break 'days;
                    }
                    if serviced && start < MAINTENANCE.1 {
                        continue;
                    }
                    if !rng.chance(per_thousand) {
                        continue;
                    }
                    // 5 % companies, a quarter other members, the rest the owner.
                    let org = if rng.chance(50) {
                        &organisations[ORGANISATIONS + e % COMPANIES]
                    } else if rng.chance(260) {
                        &organisations[(p + e % 11 + 1) % ORGANISATIONS]
                    } else {
                        &organisations[p % ORGANISATIONS]
                    };
                    let slot = Slot {
                        platform_id,
                        equipment_id: Some(equipment_id),
                        stations: None,
                        start: date_at_minute(*day, start, &tz),
                        end: date_at_minute(*day, end, &tz),
                        organisation_id: org,
                        machine_id: equipment_id,
                    };
                    rows.push(&mut rng, slot, now);
                    written += 1;
                }
            }
            if rows.count >= BATCH * 20 {
                rows.flush(&mut conn);
                print!("\r{written} bookings");
                std::io::stdout().flush().ok();
            }
        }
    }
    rows.flush(&mut conn);
    println!("\r{written} bookings on {} platforms and {} equipment items, {} weekdays from {first_day} to {last_day}, in {:.1} s", platforms.len(), equipment.len(), days.len(), started.elapsed().as_secs_f64());
}

/// Days without bookings: the campus's (Christmas, three weeks in August) and each
/// platform's own one day a year, as `(platform index, day)`.
struct Closed {
    campus: HashSet<NaiveDate>,
    platform: HashSet<(usize, NaiveDate)>,
}

/// Writes the closures of the generated period: campus holidays every year and one day a
/// year for each platform (a weekday, none of the campus's).
fn closures(
    conn: &mut DbConnection,
    campus_id: &str,
    platforms: &[String],
    first: NaiveDate,
    last: NaiveDate,
    tz: &chrono_tz::Tz,
    admin_id: &str,
) -> Closed {
    let now = plateaux::clock::Clock::now(&plateaux::clock::SystemClock);
    let mut values = Vec::new();
    let mut closed = Closed {
        campus: HashSet::new(),
        platform: HashSet::new(),
    };
    let close = |values: &mut Vec<String>,
                 scope: &str,
                 scope_id: &str,
                 name: &str,
                 from: NaiveDate,
                 to: NaiveDate| {
        values.push(format!(
            "('{}','{scope}','{scope_id}','{name}',{},{},NULL,'{admin_id}',{now})",
            db::new_id(),
            date_at_minute(from, 0, tz),
            date_at_minute(to + Duration::days(1), 0, tz),
        ));
    };
    for year in first.year() - 1..=last.year() {
        let spans = [
            (
                "Vacances de Noël",
                NaiveDate::from_ymd_opt(year, 12, 24).unwrap(),
                NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap(),
            ),
            (
                "Fermeture estivale",
                NaiveDate::from_ymd_opt(year, 8, 1).unwrap(),
                NaiveDate::from_ymd_opt(year, 8, 21).unwrap(),
            ),
        ];
        for (name, from, to) in spans {
            if to < first || from > last {
                continue;
            }
            close(&mut values, "campus", campus_id, name, from, to);
            let mut day = from;
            while day <= to {
                closed.campus.insert(day);
                day += Duration::days(1);
            }
        }
    }
    for (p, platform_id) in platforms.iter().enumerate() {
        // A weekday in late spring, another for each platform.
        let mut year = first.year();
        while year <= last.year() {
            let mut day = NaiveDate::from_ymd_opt(year, 5, 2).unwrap() + Duration::days(p as i64);
            while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                day += Duration::days(1);
            }
            if day >= first && day <= last {
                close(&mut values, "platform", platform_id, "Inventaire", day, day);
                closed.platform.insert((p, day));
            }
            year += 1;
        }
    }
    conn.batch_execute(&format!("INSERT INTO closures VALUES {}", values.join(",")))
        .expect("closures");
    closed
}

/// Writes a maintenance morning for each equipment item about every 61 weekdays (offset by
/// item) and returns them as `(equipment index, day index)`.
fn maintenance(
    conn: &mut DbConnection,
    equipment: &[(String, String)],
    days: &[NaiveDate],
    tz: &chrono_tz::Tz,
    admin_id: &str,
) -> HashSet<(usize, usize)> {
    let now = plateaux::clock::Clock::now(&plateaux::clock::SystemClock);
    let mut windows = HashSet::new();
    let mut values = Vec::new();
    for (e, (equipment_id, _)) in equipment.iter().enumerate() {
        for (d, day) in days.iter().enumerate() {
            if (d + e * 7) % 61 != 0 {
                continue;
            }
            values.push(format!(
                "('{}','{equipment_id}',{},{},'Entretien préventif','{admin_id}',{now})",
                db::new_id(),
                date_at_minute(*day, MAINTENANCE.0, tz),
                date_at_minute(*day, MAINTENANCE.1, tz),
            ));
            windows.insert((e, d));
        }
    }
    for chunk in values.chunks(BATCH) {
        conn.batch_execute(&format!(
            "INSERT INTO maintenance_windows VALUES {}",
            chunk.join(",")
        ))
        .expect("maintenance windows");
    }
    windows
}

/// Equipment slots after the generated bookings, for the booking-creation load:
/// `equipment_id starts_at ends_at` a line, day by day, so that concurrent clients taking
/// lines in turn ask for distinct slots (whole days). Answers the day after the last one.
fn write_free_slots(
    path: &std::path::Path,
    equipment: &[(String, String)],
    first: NaiveDate,
    tz: &chrono_tz::Tz,
) -> NaiveDate {
    const LINES: usize = 300_000;
    let mut text = String::with_capacity(LINES * 110);
    let mut day = first;
    let mut lines = 0;
    while lines < LINES {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            for (start, end) in SLOTS {
                for (id, _) in equipment {
                    let s = plateaux::views::instant(date_at_minute(day, start, tz), tz);
                    let e = plateaux::views::instant(date_at_minute(day, end, tz), tz);
                    let _ = writeln!(text, "{id} {s} {e}");
                    lines += 1;
                }
            }
        }
        day += Duration::days(1);
    }
    std::fs::write(path, text).expect("slots");
    day
}

/// Requests of the companies awaiting the managers' approval, one per equipment slot from
/// `first` on (after the free slots, so that booking them and approving these never
/// collide), written as pending bookings; their ids go to `path`, in the order of the slots.
fn pending_requests(
    conn: &mut DbConnection,
    path: &std::path::Path,
    equipment: &[(String, String)],
    organisations: &[String],
    first: NaiveDate,
    tz: &chrono_tz::Tz,
    admin_id: &str,
) {
    const PENDING: usize = 10_000;
    let now = plateaux::clock::Clock::now(&plateaux::clock::SystemClock);
    let mut ids = Vec::with_capacity(PENDING);
    let mut bookings = Vec::new();
    let mut learners = Vec::new();
    let mut day = first;
    'days: loop {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            for (start, end) in SLOTS {
                for (e, (equipment_id, platform_id)) in equipment.iter().enumerate() {
                    if ids.len() == PENDING {
                        break 'days;
                    }
                    let id = db::new_id();
                    let company = &organisations[ORGANISATIONS + e % COMPANIES];
                    bookings.push(format!(
                        "('{id}','{platform_id}','{equipment_id}',NULL,{},{},'pending','{admin_id}','{company}',NULL,'Demande de mesure','','',NULL,NULL,NULL,NULL,NULL,{now},{now})",
                        date_at_minute(day, start, tz),
                        date_at_minute(day, end, tz),
                    ));
                    learners.push(format!("('{id}','company',1)"));
                    ids.push(id);
                }
            }
        }
        day += Duration::days(1);
    }
    for (rows, table) in [(&bookings, "bookings"), (&learners, "booking_learners")] {
        for chunk in rows.chunks(BATCH) {
            conn.batch_execute(&format!("INSERT INTO {table} VALUES {}", chunk.join(",")))
                .expect("pending requests");
        }
    }
    std::fs::write(path, ids.join("\n") + "\n").expect("pending ids");
}

/// Organisations, platforms, equipment, one qualification and the bench administrator.
struct BenchCampus {
    campus_id: String,
    platforms: Vec<String>,
    /// `(equipment id, platform id)`.
    equipment: Vec<(String, String)>,
    organisations: Vec<String>,
    admin_id: String,
}

fn campus(conn: &mut DbConnection) -> BenchCampus {
    let now = plateaux::clock::Clock::now(&plateaux::clock::SystemClock);
    let exec = |conn: &mut DbConnection, sql: String| conn.batch_execute(&sql).expect("insert");
    let campus_id = db::new_id();
    exec(conn, format!("INSERT INTO campuses VALUES ('{campus_id}', 'Campus de mesure {campus_id}', 'Europe/Paris', {now}, {now})"));
    let mut organisations = Vec::new();
    for i in 0..ORGANISATIONS + COMPANIES {
        let id = db::new_id();
        let (kind, siret) = if i < ORGANISATIONS {
            ("lycee", "NULL".to_owned())
        } else {
            ("company", format!("'{}'", siret(i)))
        };
        exec(conn, format!("INSERT INTO organisations (id, name, kind, siret, created_at, updated_at) VALUES ('{id}', 'Organisation {i} {id}', '{kind}', {siret}, {now}, {now})"));
        exec(
            conn,
            format!("INSERT INTO campus_memberships VALUES ('{campus_id}', '{id}')"),
        );
        organisations.push(id);
    }
    let qualification_id = db::new_id();
    exec(conn, format!("INSERT INTO qualifications (id, name, description, validity_months, created_at, updated_at) VALUES ('{qualification_id}', 'Habilitation banc {qualification_id}', '', NULL, {now}, {now})"));
    let mut platforms = Vec::new();
    let mut equipment = Vec::new();
    for p in 0..PLATFORMS {
        let id = db::new_id();
        exec(conn, format!(
            "INSERT INTO platforms VALUES ('{id}', '{campus_id}', '{}', 'Plateau {p}', 'machining', '', NULL, {STATIONS}, 'anyone', false, 0, 1095, 480, {now}, {now}, false)",
            organisations[p % ORGANISATIONS]
        ));
        for day in 1..=5 {
            for (opens, closes) in [(480, 720), (810, 1050)] {
                exec(conn, format!("INSERT INTO platform_opening_intervals VALUES ('{}', '{id}', {day}, {opens}, {closes})", db::new_id()));
            }
        }
        for e in 0..EQUIPMENT_PER_PLATFORM {
            let equipment_id = db::new_id();
            exec(conn, format!(
                "INSERT INTO equipment (id, platform_id, name, kind, status, hourly_rate_cents, notes, created_at, updated_at) VALUES ('{equipment_id}', '{id}', 'Machine {p}-{e}', 'centre d''usinage', 'available', 6000, '', {now}, {now})"
            ));
            if e % 4 == 0 {
                exec(conn, format!("INSERT INTO equipment_qualifications VALUES ('{equipment_id}', '{qualification_id}')"));
            }
            equipment.push((equipment_id, id.clone()));
        }
        platforms.push(id);
    }
    let admin_id = match db::users::find_by_email(conn, ADMIN_EMAIL).expect("lookup") {
        Some(admin) => admin.id,
        None => {
            let admin = create_account(
                conn,
                None,
                now,
                AccountDraft {
                    email: ADMIN_EMAIL.into(),
                    display_name: "Mesure".into(),
                    password: Some(ADMIN_PASSWORD.into()),
                    role: Role::Admin,
                    organisation_id: organisations[0].clone(),
                    managed_platform_ids: Vec::new(),
                },
            )
            .expect("bench administrator");
            admin.row.id
        }
    };
    db::users::award_qualification(
        conn,
        now,
        &admin_id,
        &qualification_id,
        NaiveDate::from_ymd_opt(2024, 1, 8).unwrap(),
        None,
        None,
    )
    .expect("qualification");
    BenchCampus {
        campus_id,
        platforms,
        equipment,
        organisations,
        admin_id,
    }
}

/// The accounts of `bench/notify_rate.sh`: a qualified teacher of a school of the campus that
/// owns no platform, and a manager for each platform (of its owner), all with the
/// administrator's password. The platforms keep booking confirmed for everybody until the
/// script asks outsiders for approval.
fn outsiders(
    conn: &mut DbConnection,
    campus_id: &str,
    platforms: &[String],
    organisations: &[String],
) {
    let now = plateaux::clock::Clock::now(&plateaux::clock::SystemClock);
    let school = db::new_id();
    conn.batch_execute(&format!(
        "INSERT INTO organisations (id, name, kind, siret, created_at, updated_at) VALUES ('{school}', 'Lycée extérieur {school}', 'lycee', NULL, {now}, {now}); \
         INSERT INTO campus_memberships VALUES ('{campus_id}', '{school}')"
    ))
    .expect("outside school");
    let account = |conn: &mut DbConnection, email: String, role, organisation: &str, managed| {
        create_account(
            conn,
            None,
            now,
            AccountDraft {
                email,
                display_name: "Mesure".into(),
                password: Some(ADMIN_PASSWORD.into()),
                role,
                organisation_id: organisation.to_owned(),
                managed_platform_ids: managed,
            },
        )
        .expect("bench account")
        .row
        .id
    };
    let teacher = account(
        conn,
        TEACHER_EMAIL.into(),
        Role::Teacher,
        &school,
        Vec::new(),
    );
    let qualification: String = db::schema::qualifications::table
        .select(db::schema::qualifications::id)
        .first(conn)
        .expect("qualification");
    db::users::award_qualification(
        conn,
        now,
        &teacher,
        &qualification,
        NaiveDate::from_ymd_opt(2024, 1, 8).unwrap(),
        None,
        None,
    )
    .expect("qualification");
    for (p, platform) in platforms.iter().enumerate() {
        account(
            conn,
            format!("bench-manager-{p}@bench.test"),
            Role::Manager,
            &organisations[p % ORGANISATIONS],
            vec![platform.parse().expect("platform id")],
        );
    }
}

/// A valid SIRET (Luhn) for company `i`.
fn siret(i: usize) -> String {
    let base = format!("{:013}", 4_200_000_000_000u64 + i as u64);
    (0..10)
        .map(|d| format!("{base}{d}"))
        .find(|s| luhn(s))
        .unwrap()
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[derive(Default)]
struct Rows {
    admin_id: String,
    bookings: String,
    learners: String,
    usages: String,
    usage_learners: String,
    usage_equipment: String,
    count: usize,
    statements: Vec<String>,
}

fn append(list: &mut String, row: std::fmt::Arguments) {
    if !list.is_empty() {
        list.push(',');
    }
    list.write_fmt(row).unwrap();
}

/// One booking to write.
struct Slot<'a> {
    platform_id: &'a str,
    equipment_id: Option<&'a str>,
    stations: Option<i32>,
    start: i64,
    end: i64,
    organisation_id: &'a str,
    /// The equipment item whose machine time a record notes: the booked one, or one of the
    /// platform's for a class session.
    machine_id: &'a str,
}

impl Rows {
    fn push(&mut self, rng: &mut Lcg, slot: Slot, now: i64) {
        let Slot {
            platform_id,
            equipment_id,
            stations,
            start,
            end,
            organisation_id,
            machine_id,
        } = slot;
        let id = db::new_id();
        let status = if start > now {
            "confirmed"
        } else if rng.chance(40) {
            "cancelled"
        } else {
            "confirmed"
        };
        let equipment = equipment_id
            .map(|e| format!("'{e}'"))
            .unwrap_or_else(|| "NULL".into());
        let stations = stations
            .map(|s| s.to_string())
            .unwrap_or_else(|| "NULL".into());
        if !self.bookings.is_empty() {
            self.bookings.push(',');
        }
        write!(
            self.bookings,
            "('{id}','{platform_id}',{equipment},{stations},{start},{end},'{status}','{}','{organisation_id}',NULL,'Groupe de mesure','','',NULL,NULL,NULL,NULL,NULL,{now},{now})",
            self.admin_id
        )
        .unwrap();
        let first = LearnerStatus::ALL[(rng.next() % 4) as usize].as_str();
        let headcount = if stations.as_str() == "NULL" { 1 } else { 12 };
        let group: &[(&str, u64)] = if headcount > 1 && rng.chance(150) {
            &[("school", 8), ("apprentice", 4)]
        } else {
            &[(first, headcount)]
        };
        for (status, count) in group {
            append(
                &mut self.learners,
                format_args!("('{id}','{status}',{count})"),
            );
        }
        if status == "confirmed" && end <= now {
            self.record(rng, &id, start, end, group, machine_id, headcount == 1);
        }
        self.count += 1;
        if self.count.is_multiple_of(BATCH) {
            self.cut();
        }
    }

    /// The usage record of a past session: 85 % recorded, 3 % no-shows, the rest none.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        rng: &mut Lcg,
        id: &str,
        start: i64,
        end: i64,
        group: &[(&str, u64)],
        machine_id: &str,
        equipment_slot: bool,
    ) {
        let admin = &self.admin_id;
        let draw = rng.next() % 1000;
        if draw >= 880 {
            return;
        }
        let recorded_at = end + 600 + (rng.next() % 7200) as i64;
        if draw < 30 {
            append(
                &mut self.usages,
                format_args!(
                    "('{id}',TRUE,NULL,NULL,'',FALSE,'','{admin}',{recorded_at},{recorded_at},0,0,0,0,0,0,0)"
                ),
            );
            return;
        }
        let actual_start = start + (rng.next() % 4) as i64 * 300;
        let actual_end = end - (rng.next() % 5) as i64 * 300;
        let incident = rng.chance(10);
        let (incident, note) = if incident {
            ("TRUE", "Arrêt d''urgence déclenché")
        } else {
            ("FALSE", "")
        };
        let consumables = if rng.chance(200) {
            "Plaques, forets"
        } else {
            ""
        };
        // A few learners of a class are missing.
        let present: Vec<(&str, u64)> = group
            .iter()
            .map(|(status, count)| (*status, count - rng.next() % (count / 4 + 1)))
            .collect();
        // Headcount by status on the record too, in the order of the migration's columns.
        let by_status = LearnerStatus::ALL
            .iter()
            .map(|status| {
                present
                    .iter()
                    .filter(|(s, _)| *s == status.as_str())
                    .map(|(_, n)| *n)
                    .sum::<u64>()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join(",");
        let statuses = present.len();
        append(
            &mut self.usages,
            format_args!("('{id}',FALSE,{actual_start},{actual_end},'{consumables}',{incident},'{note}','{admin}',{recorded_at},{recorded_at},{by_status},{statuses})"),
        );
        for (status, count) in &present {
            append(
                &mut self.usage_learners,
                format_args!("('{id}','{status}',{count})"),
            );
        }
        let minutes = (actual_end - actual_start) / 60;
        let machine = if equipment_slot {
            Some(minutes * (60 + (rng.next() % 36) as i64) / 100)
        } else if rng.chance(300) {
            Some(30 + (rng.next() % 91) as i64)
        } else {
            None
        };
        if let Some(machine) = machine {
            append(
                &mut self.usage_equipment,
                format_args!("('{id}','{machine_id}',{})", machine.max(1)),
            );
        }
    }

    fn cut(&mut self) {
        for (table, rows) in [
            ("bookings", &mut self.bookings),
            ("booking_learners", &mut self.learners),
            ("booking_usages", &mut self.usages),
            ("booking_usage_learners", &mut self.usage_learners),
            ("booking_usage_equipment", &mut self.usage_equipment),
        ] {
            if !rows.is_empty() {
                self.statements.push(format!(
                    "INSERT INTO {table} VALUES {}",
                    std::mem::take(rows)
                ));
            }
        }
    }

    fn flush(&mut self, conn: &mut DbConnection) {
        self.cut();
        if self.statements.is_empty() {
            return;
        }
        let mut sql = String::from("BEGIN;\n");
        for s in self.statements.drain(..) {
            sql.push_str(&s);
            sql.push_str(";\n");
        }
        sql.push_str("COMMIT;");
        conn.batch_execute(&sql).expect("insert bookings");
        self.count = 0;
    }
}
