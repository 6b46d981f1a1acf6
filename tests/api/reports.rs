//! Usage reports and campus indicators, on a small campus whose right answers are worked
//! out by hand below.
//!
//! Two platforms, two weeks of autumn 2025 (week 43 ends with the change back to winter
//! time on Sunday 26 October).
//! - "Atelier soudage" (owner: Lycée La Découverte): 14 stations and one booth, "Cabine TIG
//!   1" (15 units), open Monday to Friday 08:00-12:00 and 13:30-17:30 (40 h a week). Closed
//!   on Friday 31 October (8 h); the booth is under maintenance on Tuesday 21 October
//!   08:00-12:00 (4 h).
//!   Open unit-hours: week 43 = 14 × 40 + (40 − 4) = 596; week 44 = 15 × 32 = 480.
//! - "Atelier usinage" (owner: Lycée Alexis Monteil): 12 stations, the same weekday hours
//!   plus Sunday 02:00-04:00 and 22:00-24:00. Sunday 26 October 02:00-04:00 lasts 3 hours
//!   (02:00-03:00 is lived twice). Open unit-hours: week 43 = 12 × (40 + 3 + 2) = 540;
//!   week 44 = 12 × (40 + 2 + 2) = 528.
//!
//! Sessions (booked learners; what was recorded):
//! - S1 soudage, Mon 20 Oct 08:00-12:00, 12 stations, school 12; used 08:00-12:00, school
//!   12: 4 h, 48 unit-hours, 48 school learner-hours.
//! - S7 booth, Wed 22 Oct 13:30-15:30, school 2; used fully: 2 h, 2 unit-hours, 4 school
//!   learner-hours.
//! - S2 soudage, Thu 23 Oct 13:30-17:30, 10 stations, school 6 + apprentice 4 (mixed); used
//!   13:30-17:00: 3.5 h, 35 unit-hours, school 21, apprentice 14.
//! - S8 soudage, Fri 24 Oct 08:00-12:00, 4 stations, cancelled.
//! - S3 soudage, Mon 27 Oct 08:00-12:00, 8 stations: no-show.
//! - S4 soudage, Tue 28 Oct 13:30-17:30, 6 stations: never recorded (unreported).
//! - S5 soudage, Wed 29 Oct 08:00-12:00, 8 stations, booked by Monteil (not the owner),
//!   apprentice 8; used 08:00-11:00: 3 h shared, 24 unit-hours, apprentice 24.
//! - S6 soudage, Thu 30 Oct 08:00-10:00, 1 station, booked by the company Usinages du Célé,
//!   company 1; used fully: 2 h shared and by a company, 2 unit-hours, company 2.
//! - S9 usinage, Mon 20 Oct 13:30-17:30, 12 stations, Monteil (the owner), school 12; used
//!   fully: 4 h, 48 unit-hours, school 48.
//! - S10 usinage, Sun 26 Oct 23:15-23:45 (winter time), 2 stations, school 2; used fully:
//!   0.5 h, 1 unit-hour, school 1. It belongs to week 43, which ends at midnight winter
//!   time.

use actix_web::http::Method;
use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::at;
use crate::support::{campus, Campus, TestApp};

fn oct(day: u32) -> NaiveDate {
    if day > 31 {
        NaiveDate::from_ymd_opt(2025, 11, day - 31).unwrap()
    } else {
        NaiveDate::from_ymd_opt(2025, 10, day).unwrap()
    }
}

fn learners(groups: &[(&str, i64)]) -> Value {
    groups
        .iter()
        .map(|(status, headcount)| json!({ "status": status, "headcount": headcount }))
        .collect()
}

/// Books the sessions through the API in September 2025, approving outside bookings.
struct Sessions<'a> {
    app: &'a TestApp,
    c: &'a Campus,
}

/// The October tests start on 15 September 2025 (`on_both_databases!` below), book the
/// sessions, then record and report them a year later, once October 2025 lies in a past
/// school year.
const AFTER: &str = "2026-10-05T08:00:00+02:00";

impl Sessions<'_> {
    async fn book(
        &mut self,
        token: &str,
        mut body: Value,
        day: NaiveDate,
        from: &str,
        to: &str,
    ) -> String {
        // Sunday 23:15-23:45 is given in the day's own offset by `at`.
        body["starts_at"] = json!(at(day, from));
        body["ends_at"] = json!(at(day, to));
        let reply = self.app.post("/api/v1/bookings", token, body.clone()).await;
        assert_eq!(reply.status.as_u16(), 201, "{body}: {}", reply.text);
        let booking = reply.json();
        let id = booking["id"].as_str().unwrap().to_owned();
        if booking["status"] == "pending" {
            self.app
                .post(
                    &format!("/api/v1/bookings/{id}/approve"),
                    &self.c.manager,
                    json!({}),
                )
                .await
                .expect(200);
        }
        id
    }
}

struct October {
    c: Campus,
    s2: String,
    s7: String,
}

fn stations(platform: &str, count: i64, groups: &[(&str, i64)]) -> Value {
    json!({ "platform_id": platform, "stations": count, "group_label": "BTS CPRP 1", "learners": learners(groups) })
}

fn used(booking: &str, day: NaiveDate, from: &str, to: &str, groups: &[(&str, i64)]) -> Value {
    json!({ "booking_id": booking, "actual_start": at(day, from), "actual_end": at(day, to), "learners": learners(groups) })
}

/// The October campus, its sessions recorded; the clock then stands at `AFTER`.
async fn october(app: &TestApp) -> October {
    let mut c = campus(app).await;
    // Usinage opens on Sunday nights too.
    let mut hours: Vec<Value> = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .iter()
        .flat_map(|d| {
            [
                json!({ "weekday": d, "opens": "08:00", "closes": "12:00" }),
                json!({ "weekday": d, "opens": "13:30", "closes": "17:30" }),
            ]
        })
        .collect();
    hours.push(json!({ "weekday": "sunday", "opens": "02:00", "closes": "04:00" }));
    hours.push(json!({ "weekday": "sunday", "opens": "22:00", "closes": "24:00" }));
    app.patch(
        &format!("/api/v1/platforms/{}", c.other_platform_id),
        &c.admin,
        json!({ "opening_hours": hours }),
    )
    .await
    .expect(200);
    // Companies may book the welding workshop, with approval.
    app.patch(&format!("/api/v1/platforms/{}", c.platform_id), &c.manager, json!({
        "booking_policy": { "who_may_book": "anyone", "outside_requires_approval": true, "min_notice_hours": 24,
                            "max_horizon_days": 365, "max_duration_minutes": 480, "bookers_record_usage": false },
    }))
    .await
    .expect(200);
    app.post(
        "/api/v1/closures",
        &c.manager,
        json!({
            "scope": "platform", "scope_id": c.platform_id, "name": "Pont de la Toussaint",
            "starts_at": at(oct(31), "00:00"), "ends_at": at(oct(32), "00:00"),
        }),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/maintenance-windows",
        &c.manager,
        json!({
            "equipment_id": c.equipment_id, "reason": "Remplacement de la torche",
            "starts_at": at(oct(21), "08:00"), "ends_at": at(oct(21), "12:00"),
        }),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/users/{}/qualifications", c.teacher_id),
        &c.manager,
        json!({ "qualification_id": c.qualification_id, "awarded_on": "2025-09-01" }),
    )
    .await
    .expect(200);

    let (soudage, usinage) = (c.platform_id.clone(), c.other_platform_id.clone());
    let mut sessions = Sessions { app, c: &c };
    let s1 = sessions
        .book(
            &c.teacher,
            stations(&soudage, 12, &[("school", 12)]),
            oct(20),
            "08:00",
            "12:00",
        )
        .await;
    let s7 = sessions
        .book(
            &c.teacher,
            json!({ "equipment_id": c.equipment_id, "group_label": "BTS CPRP 1", "learners": learners(&[("school", 2)]) }),
            oct(22),
            "13:30",
            "15:30",
        )
        .await;
    let s2 = sessions
        .book(
            &c.teacher,
            stations(&soudage, 10, &[("school", 6), ("apprentice", 4)]),
            oct(23),
            "13:30",
            "17:30",
        )
        .await;
    let s8 = sessions
        .book(
            &c.teacher,
            stations(&soudage, 4, &[("school", 4)]),
            oct(24),
            "08:00",
            "12:00",
        )
        .await;
    app.post(
        &format!("/api/v1/bookings/{s8}/cancel"),
        &c.teacher,
        json!({ "reason": "Sortie pédagogique" }),
    )
    .await
    .expect(200);
    let s3 = sessions
        .book(
            &c.teacher,
            stations(&soudage, 8, &[("school", 8)]),
            oct(27),
            "08:00",
            "12:00",
        )
        .await;
    let _s4 = sessions
        .book(
            &c.teacher,
            stations(&soudage, 6, &[("school", 6)]),
            oct(28),
            "13:30",
            "17:30",
        )
        .await;
    let s5 = sessions
        .book(
            &c.other_teacher,
            stations(&soudage, 8, &[("apprentice", 8)]),
            oct(29),
            "08:00",
            "12:00",
        )
        .await;
    let s6 = sessions
        .book(
            &c.company,
            stations(&soudage, 1, &[("company", 1)]),
            oct(30),
            "08:00",
            "10:00",
        )
        .await;
    let s9 = sessions
        .book(
            &c.other_teacher,
            stations(&usinage, 12, &[("school", 12)]),
            oct(20),
            "13:30",
            "17:30",
        )
        .await;
    let s10 = sessions
        .book(
            &c.other_teacher,
            stations(&usinage, 2, &[("school", 2)]),
            oct(26),
            "23:15",
            "23:45",
        )
        .await;

    // A year later: October 2025 is past, its usage is recorded.
    app.set_time(AFTER);
    c.log_in_again(app).await;
    // The manager records each week of the welding workshop in one request.
    app.post(
        "/api/v1/usage-records",
        &c.manager,
        json!({ "records": [
        used(&s1, oct(20), "08:00", "12:00", &[("school", 12)]),
        used(&s7, oct(22), "13:30", "15:30", &[("school", 2)]),
        used(&s2, oct(23), "13:30", "17:00", &[("school", 6), ("apprentice", 4)]),
    ] }),
    )
    .await
    .expect(200);
    app.post(
        "/api/v1/usage-records",
        &c.manager,
        json!({ "records": [
        { "booking_id": s3, "no_show": true },
        used(&s5, oct(29), "08:00", "11:00", &[("apprentice", 8)]),
        used(&s6, oct(30), "08:00", "10:00", &[("company", 1)]),
    ] }),
    )
    .await
    .expect(200);
    for record in [
        used(&s9, oct(20), "13:30", "17:30", &[("school", 12)]),
        used(&s10, oct(26), "23:15", "23:45", &[("school", 2)]),
    ] {
        let id = record["booking_id"].as_str().unwrap().to_owned();
        let mut body = record;
        body.as_object_mut().unwrap().remove("booking_id");
        app.call(
            Method::PUT,
            &format!("/api/v1/bookings/{id}/usage"),
            Some(&c.admin),
            Some(body),
            &[],
        )
        .await
        .expect(200);
    }
    October { c, s2, s7 }
}

/// Learner-hours in the order school, apprentice, company (the others are 0).
fn learner_hours(school: f64, apprentice: f64, company: f64) -> Value {
    json!({ "school": school, "apprentice": apprentice, "continuing_education": 0.0,
            "higher_education": 0.0, "company": company, "research": 0.0 })
}

const PERIOD: &str = "from=2025-10-20&to=2025-11-02";

fn labels(group: &Value) -> Vec<&str> {
    group["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["label"].as_str().unwrap())
        .collect()
}

async fn figures_by_platform_and_week(app: TestApp) {
    let October { c, .. } = october(&app).await;
    let report = app
        .get(
            &format!("/api/v1/reports/usage?{PERIOD}&group_by=platform,week"),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(report["from"], "2025-10-20");
    assert_eq!(report["to"], "2025-11-02");
    assert_eq!(report["group_by"], json!(["platform", "week"]));
    let groups = report["groups"].as_array().unwrap();
    let keys: Vec<Vec<&str>> = groups.iter().map(labels).collect();
    assert_eq!(
        keys,
        [
            ["Atelier soudage", "2025-W43"],
            ["Atelier soudage", "2025-W44"],
            ["Atelier usinage", "2025-W43"],
            ["Atelier usinage", "2025-W44"],
        ]
    );
    assert_eq!(groups[0]["keys"][0]["id"], c.platform_id.as_str());
    assert_eq!(groups[0]["keys"][1]["id"], Value::Null);
    // Occupancy 85 / 596.
    assert_eq!(
        groups[0]["figures"],
        json!({
            "sessions_booked": 3, "sessions_cancelled": 1, "sessions_no_show": 0, "sessions_unreported": 0,
            "mixed_sessions": 1, "hours_booked": 10.0, "hours_used": 9.5, "open_hours": 596.0,
            "occupied_hours": 85.0, "occupancy": 0.1426, "shared_hours_used": 0.0, "company_hours_used": 0.0, "sessions_recorded_after_the_fact": 0, "hours_recorded_after_the_fact": 0.0,
            "learner_hours": learner_hours(73.0, 14.0, 0.0),
        })
    );
    // Occupancy 26 / 480.
    assert_eq!(
        groups[1]["figures"],
        json!({
            "sessions_booked": 4, "sessions_cancelled": 0, "sessions_no_show": 1, "sessions_unreported": 1,
            "mixed_sessions": 0, "hours_booked": 14.0, "hours_used": 5.0, "open_hours": 480.0,
            "occupied_hours": 26.0, "occupancy": 0.0542, "shared_hours_used": 5.0, "company_hours_used": 2.0, "sessions_recorded_after_the_fact": 0, "hours_recorded_after_the_fact": 0.0,
            "learner_hours": learner_hours(0.0, 24.0, 2.0),
        })
    );
    // Occupancy 49 / 540, the Sunday-night session of the change of clocks included.
    assert_eq!(
        groups[2]["figures"],
        json!({
            "sessions_booked": 2, "sessions_cancelled": 0, "sessions_no_show": 0, "sessions_unreported": 0,
            "mixed_sessions": 0, "hours_booked": 4.5, "hours_used": 4.5, "open_hours": 540.0,
            "occupied_hours": 49.0, "occupancy": 0.0907, "shared_hours_used": 0.0, "company_hours_used": 0.0, "sessions_recorded_after_the_fact": 0, "hours_recorded_after_the_fact": 0.0,
            "learner_hours": learner_hours(49.0, 0.0, 0.0),
        })
    );
    // Open but unused: the group is shown, with nothing in it.
    assert_eq!(
        groups[3]["figures"],
        json!({
            "sessions_booked": 0, "sessions_cancelled": 0, "sessions_no_show": 0, "sessions_unreported": 0,
            "mixed_sessions": 0, "hours_booked": 0.0, "hours_used": 0.0, "open_hours": 528.0,
            "occupied_hours": 0.0, "occupancy": 0.0, "shared_hours_used": 0.0, "company_hours_used": 0.0, "sessions_recorded_after_the_fact": 0, "hours_recorded_after_the_fact": 0.0,
            "learner_hours": learner_hours(0.0, 0.0, 0.0),
        })
    );
    // Occupancy 160 / 2144.
    assert_eq!(
        report["total"],
        json!({
            "sessions_booked": 9, "sessions_cancelled": 1, "sessions_no_show": 1, "sessions_unreported": 1,
            "mixed_sessions": 1, "hours_booked": 28.5, "hours_used": 19.0, "open_hours": 2144.0,
            "occupied_hours": 160.0, "occupancy": 0.0746, "shared_hours_used": 5.0, "company_hours_used": 2.0, "sessions_recorded_after_the_fact": 0, "hours_recorded_after_the_fact": 0.0,
            "learner_hours": learner_hours(122.0, 38.0, 2.0),
        })
    );
    // The same period without grouping has the same total and no groups.
    let whole = app
        .get(&format!("/api/v1/reports/usage?{PERIOD}"), &c.observer)
        .await
        .expect(200)
        .json();
    assert_eq!(whole["total"], report["total"]);
    assert_eq!(whole["groups"], json!([]));
}

async fn groups_by_learner_status_organisation_and_equipment(app: TestApp) {
    let October { c, s2, s7 } = october(&app).await;
    let get = |query: String| {
        let admin = c.admin.clone();
        let app = &app;
        async move {
            app.get(&format!("/api/v1/reports/usage?{PERIOD}&{query}"), &admin)
                .await
                .expect(200)
                .json()
        }
    };
    let pick = |report: &Value, fields: &[&str]| -> Vec<Vec<Value>> {
        report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let mut row = vec![json!(labels(g).join(" / "))];
                row.extend(fields.iter().map(|f| g["figures"][f].clone()));
                row
            })
            .collect()
    };
    // By learner status, as booked: the mixed session S2 is in two groups, once in the total.
    let by_status = get("group_by=learner_status".into()).await;
    assert_eq!(
        pick(
            &by_status,
            &[
                "sessions_booked",
                "sessions_cancelled",
                "mixed_sessions",
                "hours_used"
            ]
        ),
        [
            vec![json!("apprentis"), json!(2), json!(0), json!(1), json!(6.5)],
            vec![
                json!("salariés d'entreprise"),
                json!(1),
                json!(0),
                json!(0),
                json!(2.0)
            ],
            vec![
                json!("scolaires"),
                json!(7),
                json!(1),
                json!(1),
                json!(14.0)
            ],
        ]
    );
    assert_eq!(by_status["total"]["sessions_booked"], 9);
    assert_eq!(by_status["total"]["mixed_sessions"], 1);
    assert_eq!(by_status["total"]["hours_used"], 19.0);
    // Filtering on a status keeps the sessions whose group includes it.
    let apprentices = get("learner_status=apprentice".into()).await;
    assert_eq!(apprentices["total"]["sessions_booked"], 2);
    assert_eq!(apprentices["total"]["open_hours"], 2144.0);

    // By booking organisation, each measured against all the open time (2144 h).
    let by_organisation = get("group_by=organisation".into()).await;
    assert_eq!(
        pick(
            &by_organisation,
            &[
                "sessions_booked",
                "hours_used",
                "occupied_hours",
                "occupancy",
                "shared_hours_used",
                "company_hours_used"
            ]
        ),
        [
            vec![
                json!("Lycée Alexis Monteil"),
                json!(3),
                json!(7.5),
                json!(73.0),
                json!(0.034),
                json!(3.0),
                json!(0.0)
            ],
            vec![
                json!("Lycée La Découverte"),
                json!(5),
                json!(9.5),
                json!(85.0),
                json!(0.0396),
                json!(0.0),
                json!(0.0)
            ],
            vec![
                json!("Usinages du Célé"),
                json!(1),
                json!(2.0),
                json!(2.0),
                json!(0.0009),
                json!(2.0),
                json!(2.0)
            ],
        ]
    );
    // By owner organisation and by domain: one platform each here.
    let by_owner = get("group_by=owner_organisation,domain".into()).await;
    assert_eq!(
        pick(
            &by_owner,
            &["sessions_booked", "open_hours", "occupied_hours"]
        ),
        [
            vec![
                json!("Lycée Alexis Monteil / usinage"),
                json!(2),
                json!(1068.0),
                json!(49.0)
            ],
            vec![
                json!("Lycée La Découverte / soudage"),
                json!(7),
                json!(1076.0),
                json!(111.0)
            ],
        ]
    );

    // By equipment on the welding workshop: the booth (80 h open, minus 8 h of closure and
    // 4 h of maintenance) and the stations (14 × 72 h).
    let by_equipment = get(format!("platform_id={}&group_by=equipment", c.platform_id)).await;
    assert_eq!(
        pick(
            &by_equipment,
            &[
                "sessions_booked",
                "sessions_cancelled",
                "hours_used",
                "open_hours",
                "occupied_hours",
                "occupancy"
            ]
        ),
        [
            vec![
                json!("Cabine TIG 1"),
                json!(1),
                json!(0),
                json!(2.0),
                json!(68.0),
                json!(2.0),
                json!(0.0294)
            ],
            vec![
                json!("Postes de travail : Atelier soudage"),
                json!(6),
                json!(1),
                json!(12.5),
                json!(1008.0),
                json!(109.0),
                json!(0.1081)
            ],
        ]
    );
    assert_eq!(
        by_equipment["groups"][0]["keys"][0]["id"],
        c.equipment_id.as_str()
    );
    assert_eq!(by_equipment["groups"][1]["keys"][0]["id"], Value::Null);
    // One equipment item: its own open time only.
    let booth = get(format!("equipment_id={}", c.equipment_id)).await;
    assert_eq!(
        (
            booth["total"]["sessions_booked"].clone(),
            booth["total"]["open_hours"].clone()
        ),
        (json!(1), json!(68.0))
    );

    // By month: October holds 20-31 (soudage 1076 h, usinage 12 × 85 h), November only
    // Sunday 2 (usinage 12 × 4 h).
    let by_month = get("group_by=month".into()).await;
    assert_eq!(
        pick(&by_month, &["sessions_booked", "open_hours"]),
        [
            vec![json!("2025-10"), json!(9), json!(2096.0)],
            vec![json!("2025-11"), json!(0), json!(48.0)],
        ]
    );
    // A correction shows at once: S2 becomes a no-show, S7 a shorter session.
    app.call(
        Method::PUT,
        &format!("/api/v1/bookings/{s2}/usage"),
        Some(&c.manager),
        Some(json!({ "no_show": true })),
        &[],
    )
    .await
    .expect(200);
    app.call(Method::PUT, &format!("/api/v1/bookings/{s7}/usage"), Some(&c.manager), Some(json!({
        "actual_start": at(oct(22), "13:30"), "actual_end": at(oct(22), "14:30"), "learners": learners(&[("school", 2)]),
    })), &[])
        .await
        .expect(200);
    let corrected = get("group_by=school_year".into()).await;
    assert_eq!(
        pick(
            &corrected,
            &[
                "sessions_no_show",
                "mixed_sessions",
                "hours_used",
                "occupied_hours"
            ]
        ),
        [vec![
            json!("2025-2026"),
            json!(2),
            json!(0),
            json!(14.5),
            json!(124.0)
        ]]
    );
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let body = text.strip_prefix('\u{feff}').expect("byte-order mark");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.expect("CSV record").iter().map(str::to_owned).collect())
        .collect()
}

async fn csv_export_reads_back(app: TestApp) {
    let October { c, .. } = october(&app).await;
    let path = format!("/api/v1/reports/usage?{PERIOD}&group_by=platform,week");
    let by_header = app
        .call(
            Method::GET,
            &path,
            Some(&c.admin),
            None,
            &[("accept", "text/csv")],
        )
        .await
        .expect(200);
    assert_eq!(by_header.content_type(), "text/csv; charset=utf-8");
    let by_format = app
        .get(&format!("{path}&format=csv"), &c.admin)
        .await
        .expect(200);
    assert_eq!(by_header.text, by_format.text);
    let rows = parse_csv(&by_format.text);
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(
        rows[0][..6],
        [
            "plateau",
            "semaine",
            "séances réservées",
            "séances annulées",
            "absences",
            "séances non renseignées"
        ]
    );
    assert_eq!(rows[0].len(), 22);
    assert_eq!(
        rows[1],
        [
            "Atelier soudage",
            "2025-W43",
            "3",
            "1",
            "0",
            "0",
            "1",
            "10",
            "9,5",
            "596",
            "85",
            "14,26",
            "0",
            "0",
            "73",
            "14",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0"
        ]
    );
    assert_eq!(
        rows[3][..12],
        [
            "Atelier usinage",
            "2025-W43",
            "2",
            "0",
            "0",
            "0",
            "0",
            "4,5",
            "4,5",
            "540",
            "49",
            "9,07"
        ]
    );
    assert_eq!(
        rows[5],
        [
            "Total", "", "9", "1", "1", "1", "1", "28,5", "19", "2144", "160", "7,46", "5", "2",
            "122", "38", "0", "0", "2", "0", "0", "0"
        ]
    );
    app.get(&format!("{path}&format=xlsx"), &c.admin)
        .await
        .problem(422, "validation_failed");
}

async fn occupancy_chart_draws_one_line_per_platform(app: TestApp) {
    let October { c, .. } = october(&app).await;
    let reply = app
        .get(
            "/api/v1/reports/usage?from=2025-09-01&to=2025-12-31&format=svg",
            &c.observer,
        )
        .await
        .expect(200);
    assert_eq!(reply.content_type(), "image/svg+xml; charset=utf-8");
    let svg = roxmltree::Document::parse(&reply.text).expect("well-formed XML");
    assert_eq!(svg.root_element().tag_name().name(), "svg");
    // Series are the thick lines; axes and ticks are thin.
    let series = svg
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
        .count();
    assert_eq!(series, 2);
    let texts: Vec<String> = svg
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().trim().to_owned())
        .collect();
    for expected in ["Atelier soudage", "Atelier usinage", "2025-09", "2025-12"] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} in {texts:?}"
        );
    }
    // One platform selected: one line.
    let one = app
        .get(
            &format!(
                "/api/v1/reports/usage?from=2025-09-01&to=2025-12-31&format=svg&platform_id={}",
                c.other_platform_id
            ),
            &c.admin,
        )
        .await
        .expect(200);
    let svg = roxmltree::Document::parse(&one.text).expect("well-formed XML");
    assert_eq!(
        svg.descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
            .count(),
        1
    );
}

async fn school_year_indicators(app: TestApp) {
    let October { c, .. } = october(&app).await;
    let indicators = app
        .get(
            "/api/v1/reports/indicators?school_year=2025-2026",
            &c.observer,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        (
            indicators["school_year"].as_str(),
            indicators["from"].as_str(),
            indicators["to"].as_str()
        ),
        (Some("2025-2026"), Some("2025-09-01"), Some("2026-08-31"))
    );
    // 1 September 2025 to 31 August 2026: 261 weekdays of 8 h and 52 Sundays of 4 h, but
    // for 26 October (5 h) and 29 March (3 h: 02:00-03:00 does not exist).
    // Soudage: 14 × (2088 − 8) + (2088 − 8 − 4) = 31196; usinage: 12 × (2088 + 208) = 27552.
    let campus = &indicators["campus"];
    assert_eq!(
        (
            campus["sessions_booked"].clone(),
            campus["hours_used"].clone(),
            campus["open_hours"].clone(),
            campus["occupied_hours"].clone(),
            campus["occupancy"].clone(),
        ),
        (
            json!(9),
            json!(19.0),
            json!(58748.0),
            json!(160.0),
            json!(0.0027)
        )
    );
    let members: Vec<(Value, Value, Value, Value)> = indicators["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].clone(),
                m["platforms"]["open_hours"].clone(),
                m["platforms"]["occupied_hours"].clone(),
                m["as_user"].clone(),
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            (
                json!("Lycée Alexis Monteil"),
                json!(27552.0),
                json!(49.0),
                json!({ "sessions_booked": 3, "hours_booked": 8.5, "hours_used": 7.5 })
            ),
            (
                json!("Lycée La Découverte"),
                json!(31196.0),
                json!(111.0),
                json!({ "sessions_booked": 5, "hours_booked": 18.0, "hours_used": 9.5 })
            ),
        ]
    );
    let ranked = |list: &str| -> Vec<(Value, Value, Value)> {
        indicators[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].clone(),
                    p["occupancy"].clone(),
                    p["shared_hours_used"].clone(),
                )
            })
            .collect()
    };
    // 111 / 31196 and 49 / 27552.
    assert_eq!(
        ranked("top_platforms_by_occupancy"),
        [
            (json!("Atelier soudage"), json!(0.0036), json!(5.0)),
            (json!("Atelier usinage"), json!(0.0018), json!(0.0)),
        ]
    );
    assert_eq!(
        ranked("top_platforms_by_shared_use"),
        [(json!("Atelier soudage"), json!(0.0036), json!(5.0))]
    );
    // No request was submitted that year.
    assert_eq!(indicators["service_requests"]["received"], 0);

    // The CSV holds the same figures, one a row.
    let text = app
        .get(
            "/api/v1/reports/indicators?school_year=2025-2026&format=csv",
            &c.admin,
        )
        .await
        .expect(200)
        .text;
    let rows = parse_csv(&text);
    assert_eq!(
        rows[0],
        [
            "année scolaire",
            "rubrique",
            "élément",
            "indicateur",
            "valeur"
        ]
    );
    let value = |section: &str, element: &str, indicator: &str| -> String {
        rows.iter()
            .find(|r| r[1] == section && r[2] == element && r[3] == indicator)
            .unwrap_or_else(|| panic!("{section} / {element} / {indicator} in {rows:?}"))[4]
            .clone()
    };
    assert_eq!(
        value("campus", "tout le campus", "heures ouvertes (unités)"),
        "58748"
    );
    assert_eq!(
        value("campus", "tout le campus", "taux d'occupation (%)"),
        "0,27"
    );
    assert_eq!(
        value(
            "plateaux du membre",
            "Lycée La Découverte",
            "heures occupées (unités)"
        ),
        "111"
    );
    assert_eq!(
        value(
            "usage par le membre",
            "Lycée Alexis Monteil",
            "heures utilisées"
        ),
        "7,5"
    );
    assert_eq!(
        value(
            "plateaux les plus partagés",
            "1. Atelier soudage",
            "heures utilisées par d'autres organisations"
        ),
        "5"
    );
    assert_eq!(value("demandes de prestation", "toutes", "reçues"), "0");
}

async fn service_request_indicators(app: TestApp) {
    let mut c = campus(&app).await;
    // Three requests submitted ten days before the rest: one delivered and invoiced, one
    // quoted, one still waiting.
    let submit = |title: &'static str| {
        let company = c.company.clone();
        let app = &app;
        async move {
            app.post("/api/v1/service-requests", &company, json!({
                "title": title, "description": "Pièces d'essai", "domains": ["welding"], "confidential": false,
            }))
            .await
            .expect(201)
            .json()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let delivered = submit("Cordons d'essai").await;
    let quoted = submit("Qualification de soudeurs").await;
    let _waiting = submit("Réparation de bâti").await;
    app.advance(Duration::days(10));
    c.log_in_again(&app).await;
    let step = |id: String, token: String, body: Value| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/service-requests/{id}/transitions"),
                &token,
                body,
            )
            .await
            .expect(200);
        }
    };
    let quote = |id: String, hours: f64| {
        let manager = c.manager.clone();
        let app = &app;
        async move {
            app.post(&format!("/api/v1/service-requests/{id}/quotes"), &manager, json!({
                "valid_until": (app.today() + Duration::days(30)).to_string(),
                "lines": [{ "label": "Soudage", "quantity": hours, "unit": "hour", "unit_price_cents": 10000, "vat_rate_bp": 2000 }],
            }))
            .await
            .expect(201);
        }
    };
    for id in [&delivered, &quoted] {
        step(
            id.clone(),
            c.manager.clone(),
            json!({ "action": "take", "platform_id": c.platform_id }),
        )
        .await;
    }
    quote(delivered.clone(), 3.0).await;
    quote(quoted.clone(), 1.5).await;
    step(
        delivered.clone(),
        c.company.clone(),
        json!({ "action": "accept", "quote_version": 1 }),
    )
    .await;
    step(delivered.clone(), c.manager.clone(), json!({ "action": "sign_agreement", "agreement_reference": "CONV-1", "signed_on": app.today().to_string() })).await;
    step(
        delivered.clone(),
        c.manager.clone(),
        json!({ "action": "start_work" }),
    )
    .await;
    step(
        delivered.clone(),
        c.manager.clone(),
        json!({ "action": "deliver", "delivery_note": "Rapport remis" }),
    )
    .await;
    step(
        delivered.clone(),
        c.manager.clone(),
        json!({ "action": "invoice", "invoice_reference": "F-1", "amount_cents": 36000 }),
    )
    .await;

    let submitted_on = app.today() - Duration::days(10);
    let first = school_year_starting(submitted_on);
    let indicators = app
        .get(
            &format!(
                "/api/v1/reports/indicators?school_year={first}-{}",
                first + 1
            ),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    // Quoted: 3 h and 1.5 h at 100 € excl. VAT.
    assert_eq!(
        indicators["service_requests"],
        json!({
            "received": 3, "quoted": 2, "accepted": 1, "delivered": 1,
            "median_days_to_quote": 10.0, "median_days_to_delivery": 10.0,
            "quoted_excl_vat_cents": 45000, "invoiced_cents": 36000,
        })
    );
    // The year before holds none of them.
    let before = app
        .get(
            &format!(
                "/api/v1/reports/indicators?school_year={}-{first}",
                first - 1
            ),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(before["service_requests"]["received"], 0);
    assert_eq!(
        before["service_requests"]["median_days_to_quote"],
        Value::Null
    );
}

async fn scopes_and_bad_input(app: TestApp) {
    let October { c, .. } = october(&app).await;
    let total = |token: String, query: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/reports/usage?{PERIOD}{query}"), &token)
                .await
                .expect(200)
                .json()["total"]
                .clone()
        }
    };
    // A company sees its own sessions only, measured against all the open time.
    let company = total(c.company.clone(), "").await;
    assert_eq!(
        (
            company["sessions_booked"].clone(),
            company["hours_used"].clone(),
            company["open_hours"].clone()
        ),
        (json!(1), json!(2.0), json!(2144.0))
    );
    let other_company = total(c.other_company.clone(), "").await;
    assert_eq!(other_company["sessions_booked"], 0);
    // A teacher: its organisation's sessions (Monteil booked S5, S9 and S10).
    let monteil = total(c.other_teacher.clone(), "").await;
    assert_eq!(monteil["sessions_booked"], 3);
    // A manager: the platforms it runs.
    let manager = total(c.manager.clone(), "").await;
    assert_eq!(
        (
            manager["sessions_booked"].clone(),
            manager["open_hours"].clone()
        ),
        (json!(7), json!(1076.0))
    );
    // Out of reach: 404, as for any resource.
    app.get(
        &format!(
            "/api/v1/reports/usage?{PERIOD}&organisation_id={}",
            c.company_id
        ),
        &c.other_company,
    )
    .await
    .problem(404, "not_found");
    app.get(
        &format!(
            "/api/v1/reports/usage?{PERIOD}&platform_id={}",
            c.other_platform_id
        ),
        &c.manager,
    )
    .await
    .problem(404, "not_found");
    app.get(
        &format!("/api/v1/reports/usage?{PERIOD}&platform_id={}", uuid_like()),
        &c.admin,
    )
    .await
    .problem(404, "not_found");
    // Indicators are for the director and the steering committee.
    for token in [&c.manager, &c.teacher, &c.company] {
        app.get("/api/v1/reports/indicators", token)
            .await
            .problem(403, "forbidden");
    }
    app.call(Method::GET, "/api/v1/reports/indicators", None, None, &[])
        .await
        .problem(401, "unauthenticated");

    // Bad input names the parameter at fault.
    for (query, field) in [
        ("group_by=colour", "group_by"),
        ("group_by=week,month", "group_by"),
        ("group_by=platform,%20month", "group_by"),
        ("group_by=platform,", "group_by"),
        ("group_by=platform,equipment,domain,month", "group_by"),
        // Checked for a chart too, although a chart has its own grouping.
        ("group_by=colour&format=svg", "group_by"),
        ("school_year=2025", "school_year"),
        ("school_year=2025-2027", "school_year"),
        ("school_year=1999-2000", "school_year"),
        (
            "school_year=2025-2026&from=2025-10-01&to=2025-10-31",
            "school_year",
        ),
        ("from=2025-10-01", "to"),
        ("from=2020-01-01&to=2025-01-01", "to"),
        ("from=01/10/2025&to=2025-10-31", "from"),
        ("platform_id=soudage", "platform_id"),
        (
            &format!("platform_id={},%20{}", c.platform_id, c.other_platform_id),
            "platform_id",
        ),
        ("format=pdf", "format"),
    ] {
        let problem = app
            .get(&format!("/api/v1/reports/usage?{query}"), &c.admin)
            .await
            .problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    app.get("/api/v1/reports/usage?domain=cooking", &c.admin)
        .await
        .problem(400, "invalid_query");
    app.get("/api/v1/reports/indicators?school_year=2025-2027", &c.admin)
        .await
        .problem(422, "validation_failed");
    // What the document allows is answered: a name given twice counts once, and a period
    // that ends before it starts is empty.
    let twice = app
        .get("/api/v1/reports/usage?group_by=platform,platform", &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(twice["group_by"], json!(["platform"]), "{twice}");
    let empty = app
        .get(
            "/api/v1/reports/usage?from=2025-10-31&to=2025-10-01&group_by=platform,week",
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(empty["from"], "2025-10-31", "{empty}");
    assert_eq!(empty["to"], "2025-10-01", "{empty}");
    assert_eq!(empty["total"]["open_hours"], 0.0, "{empty}");
    assert_eq!(empty["total"]["sessions_booked"], 0, "{empty}");
    for format in ["csv", "svg"] {
        app.get(
            &format!("/api/v1/reports/usage?from=2025-10-31&to=2025-10-01&format={format}"),
            &c.admin,
        )
        .await
        .expect(200);
    }
    app.get(
        &format!(
            "/api/v1/reports/usage?platform_id={},{}&school_year=2100-2101",
            c.platform_id, c.other_platform_id
        ),
        &c.admin,
    )
    .await
    .expect(200);
    app.get("/api/v1/reports/indicators?format=svg", &c.admin)
        .await
        .problem(422, "validation_failed");
    // The current school year by default.
    let current = app
        .get("/api/v1/reports/indicators", &c.admin)
        .await
        .expect(200)
        .json();
    let year = school_year_starting(app.today());
    assert_eq!(current["school_year"], format!("{year}-{}", year + 1));
}

/// The first calendar year of the school year (September to August) holding `day`.
fn school_year_starting(day: NaiveDate) -> i32 {
    use chrono::Datelike;
    if day.month() >= 9 {
        day.year()
    } else {
        day.year() - 1
    }
}

fn uuid_like() -> &'static str {
    "0190f0e0-0000-7000-8000-000000000000"
}

on_both_databases!(at "2025-09-15T08:00:00+02:00":
    figures_by_platform_and_week,
    groups_by_learner_status_organisation_and_equipment,
    csv_export_reads_back,
    occupancy_chart_draws_one_line_per_platform,
    school_year_indicators,
    scopes_and_bad_input,
);

on_both_databases!(at "2026-09-25T08:00:00+02:00": service_request_indicators);
