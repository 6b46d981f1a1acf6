//! Bench data generator: a campus with a given number of bookings over three years (two and
//! a half past, half a year ahead), written straight into the database of
//! `PLATEAUX_DATABASE_URL` with multi-row inserts. Deterministic: the same arguments give the
//! same campus shape and the same booking pattern.
//!
//! Usage: plateaux-bench-data <bookings> <output directory>
//! Writes `<output>/equipment.txt`, `<output>/platforms.txt` (ids, one a line) and
//! `<output>/first_free_day.txt` (the first date with no booking, YYYY-MM-DD).

use std::fmt::Write as _;
use std::io::Write as _;

use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use diesel::connection::SimpleConnection;

use plateaux::db::{self, DbConnection};
use plateaux::domain::time::date_at_minute;
use plateaux::domain::Role;
use plateaux::routes::users::{create_account, AccountDraft};

const ORGANISATIONS: usize = 12;
const COMPANIES: usize = 3;
const PLATFORMS: usize = 40;
const EQUIPMENT_PER_PLATFORM: usize = 10;
const STATIONS: i32 = 14;
/// Equipment slots of a day, local minutes: 08–10, 10–12, 13:30–15:30, 15:30–17:30.
const SLOTS: [(i32, i32); 4] = [(480, 600), (600, 720), (810, 930), (930, 1050)];
const BATCH: usize = 500;

pub const ADMIN_EMAIL: &str = "bench-admin@bench.test";
pub const ADMIN_PASSWORD: &str = "bench-password-2027";

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
        platforms,
        equipment,
        organisations,
        admin_id,
    } = campus(&mut conn);
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

    let today = Utc::now().with_timezone(&tz).date_naive();
    let first_day = today - Duration::days(913);
    let last_day = today + Duration::days(182);
    let days: Vec<NaiveDate> = (0..=(last_day - first_day).num_days())
        .map(|d| first_day + Duration::days(d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    // About 6 % of the bookings hold stations (class sessions), the rest equipment items,
    // spread evenly over the three years.
    let station_sessions = days.len() * PLATFORMS * 2;
    let wanted_stations = (total as f64 * 0.06).min(station_sessions as f64);
    let station_per_thousand = ((wanted_stations / station_sessions as f64) * 1000.0).ceil() as u64;
    let equipment_slots = days.len() * equipment.len() * SLOTS.len();
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
    write_free_slots(
        &out.join("slots.txt"),
        &equipment,
        last_day + Duration::days(1),
        &tz,
    );

    let mut rng = Lcg(2027);
    let now = db::now();
    let mut rows = Rows {
        admin_id,
        ..Rows::default()
    };
    let mut written = 0usize;
    'days: for day in &days {
        for (p, platform_id) in platforms.iter().enumerate() {
            for (half, (start, end)) in [(480, 720), (810, 1050)].into_iter().enumerate() {
                if written >= total {
                    break 'days;
                }
                if !rng.chance(station_per_thousand) {
                    continue;
                }
                let org = &organisations[(p + half * 5 + day.ordinal() as usize) % ORGANISATIONS];
                let slot = Slot {
                    platform_id,
                    equipment_id: None,
                    stations: Some(12),
                    start: date_at_minute(*day, start, &tz),
                    end: date_at_minute(*day, end, &tz),
                    organisation_id: org,
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
                for (start, end) in SLOTS {
                    if written >= total {
                        break 'days;
                    }
                    if !rng.chance(per_thousand) {
                        continue;
                    }
                    let org = if rng.chance(50) {
                        &organisations[ORGANISATIONS + e % COMPANIES]
                    } else {
                        &organisations[(p + e) % ORGANISATIONS]
                    };
                    let slot = Slot {
                        platform_id,
                        equipment_id: Some(equipment_id),
                        stations: None,
                        start: date_at_minute(*day, start, &tz),
                        end: date_at_minute(*day, end, &tz),
                        organisation_id: org,
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

/// Equipment slots after the generated bookings, for the booking-creation load:
/// `equipment_id starts_at ends_at` a line, day by day, so that concurrent clients taking
/// lines in turn ask for distinct slots.
fn write_free_slots(
    path: &std::path::Path,
    equipment: &[(String, String)],
    first: NaiveDate,
    tz: &chrono_tz::Tz,
) {
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
}

/// Organisations, platforms, equipment, one qualification and the bench administrator.
struct BenchCampus {
    platforms: Vec<String>,
    /// `(equipment id, platform id)`.
    equipment: Vec<(String, String)>,
    organisations: Vec<String>,
    admin_id: String,
}

fn campus(conn: &mut DbConnection) -> BenchCampus {
    let now = db::now();
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
            let (admin, _) = create_account(
                conn,
                None,
                AccountDraft {
                    email: ADMIN_EMAIL.into(),
                    display_name: "Mesure".into(),
                    password: ADMIN_PASSWORD.into(),
                    role: Role::Admin,
                    organisation_id: organisations[0].clone(),
                    managed_platform_ids: Vec::new(),
                },
            )
            .expect("bench administrator");
            admin.id
        }
    };
    db::users::award_qualification(
        conn,
        &admin_id,
        &qualification_id,
        NaiveDate::from_ymd_opt(2024, 1, 8).unwrap(),
        None,
    )
    .expect("qualification");
    BenchCampus {
        platforms,
        equipment,
        organisations,
        admin_id,
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
    sum % 10 == 0
}

#[derive(Default)]
struct Rows {
    admin_id: String,
    bookings: String,
    learners: String,
    count: usize,
    statements: Vec<String>,
}

const STATUSES: [&str; 6] = [
    "school",
    "apprentice",
    "continuing_education",
    "higher_education",
    "company",
    "research",
];

/// One booking to write.
struct Slot<'a> {
    platform_id: &'a str,
    equipment_id: Option<&'a str>,
    stations: Option<i32>,
    start: i64,
    end: i64,
    organisation_id: &'a str,
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
        let first = STATUSES[(rng.next() % 4) as usize];
        let headcount = if stations.as_str() == "NULL" { 1 } else { 12 };
        if !self.learners.is_empty() {
            self.learners.push(',');
        }
        if headcount > 1 && rng.chance(150) {
            write!(self.learners, "('{id}','school',8),('{id}','apprentice',4)").unwrap();
        } else {
            write!(self.learners, "('{id}','{first}',{headcount})").unwrap();
        }
        self.count += 1;
        if self.count % BATCH == 0 {
            self.cut();
        }
    }

    fn cut(&mut self) {
        if !self.bookings.is_empty() {
            self.statements.push(format!(
                "INSERT INTO bookings VALUES {}",
                std::mem::take(&mut self.bookings)
            ));
            self.statements.push(format!(
                "INSERT INTO booking_learners VALUES {}",
                std::mem::take(&mut self.learners)
            ));
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
