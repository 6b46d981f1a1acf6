//! The booking form, a booking's page and a series' page through HTTP on both databases:
//! a single booking made from the form, refusals next to their field with what was typed,
//! a series previewed (every date it skips, and why) before anything is written, then
//! confirmed with the same dates skipped, the pages another organisation cannot reach, and
//! the writes of the booking's and the series' pages. The writes are the API's use cases.

use actix_web::http::{header, StatusCode};
use chrono::{Duration, NaiveDate, Weekday};
use serde_json::json;

use crate::on_both_databases;
use crate::support::dates::{at, next};
use crate::support::web::{csrf_of, WebSession};
use crate::support::{self, station_booking, Reply, TestApp, PASSWORD};

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn location(reply: &Reply) -> String {
    reply
        .headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The body of the booking form, `extra` appended (`&name=value…`).
fn form(csrf: &str, platform: &str, day: NaiveDate, from: &str, to: &str, extra: &str) -> String {
    format!(
        "csrf={csrf}&plateau={platform}&equipement=&postes=4&groupe={}&niveau=CAP&scolaires=3&apprentis=1&encadrant=&objet={}&date={day}&debut={}&fin={}{extra}",
        encoded("CAP RICS 2"),
        encoded("Pièce d'examen"),
        encoded(from),
        encoded(to),
    )
}

/// The value of the hidden field `name` in a page.
fn hidden(reply: &Reply, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = reply
        .text
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}: {}", reply.text))
        + marker.len();
    let end = start + reply.text[start..].find('"').unwrap();
    reply.text[start..end].to_owned()
}

fn french(day: NaiveDate) -> String {
    plateaux::views::web::format::long_date(day)
}

async fn the_form_books_one_session_and_says_when_it_waits(app: TestApp) {
    let c = support::campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let mut jar = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;

    // The platform page links to the form.
    let platform = jar.get(&format!("/plateaux/{}", c.platform_id)).await;
    assert!(platform.text.contains(&format!(
        "href=\"/reservations/nouvelle?plateau={}\"",
        c.platform_id
    )));
    let page = jar
        .get(&format!("/reservations/nouvelle?plateau={}", c.platform_id))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for label in [
        "<label for=\"equipement\">Machine</label>",
        "<label for=\"postes\">",
        "<label for=\"scolaires\">scolaires</label>",
        "<label for=\"formation_continue\">formation continue</label>",
        "<label for=\"encadrant\">Encadrant</label>",
        "<label for=\"date\">Date</label>",
        "<label for=\"chaque_semaine\">Chaque semaine</label>",
        "Cabine TIG 1",
    ] {
        assert!(page.text.contains(label), "{label} missing: {}", page.text);
    }
    assert!(
        !page.text.contains("continuing_education"),
        "an API value shown"
    );
    let csrf = csrf_of(&page);

    // Without its token: refused, nothing booked.
    let body = form("x", &c.platform_id, tuesday, "08:00", "10:00", "");
    let refused = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("bookings").await, 0);

    let body = form(
        &csrf,
        &c.platform_id,
        tuesday,
        "08:00",
        "10:00",
        "&etape=verifier",
    );
    let done = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let target = location(&done);
    assert!(
        target.starts_with("/reservations/") && target.ends_with("?fait=creee"),
        "{target}"
    );
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM bookings WHERE stations = 4 AND status = 'confirmed' AND group_label = 'CAP RICS 2' AND starts_at = {}",
            chrono::DateTime::parse_from_rfc3339(&at(tuesday, "08:00")).unwrap().timestamp()
        ))
        .await,
        1
    );
    assert_eq!(app.count("booking_learners").await, 2);
    let sheet = jar.get(&target).await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert!(sheet.text.contains("Votre réservation est confirmée."));
    assert!(sheet
        .text
        .contains(&format!("{}, 08:00 – 10:00", french(tuesday))));
    assert!(
        // One apprentice is singular.
        sheet.text.contains("3 scolaires")
            && sheet.text.contains("1 apprenti")
            && !sheet.text.contains("1 apprentis"),
        "{}",
        sheet.text
    );
    assert!(sheet.text.contains(">confirmée<"));

    // Another lycée's teacher books the same platform: pending, and the page says so.
    let mut other = WebSession::logged_in(&app, "teacher@monteil.test", PASSWORD).await;
    let page = other
        .get(&format!("/reservations/nouvelle?plateau={}", c.platform_id))
        .await;
    let body = form(
        &csrf_of(&page),
        &c.platform_id,
        tuesday,
        "13:30",
        "15:30",
        "",
    );
    let done = other.post("/reservations/nouvelle", &body).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let sheet = other.get(&location(&done)).await;
    assert!(sheet.text.contains(">en attente<"));
    assert!(sheet.text.contains("Elle est en attente"), "{}", sheet.text);
    assert_eq!(app.count_where("bookings", "status = 'pending'").await, 1);
}

async fn refusals_show_next_to_their_field_with_what_was_typed(app: TestApp) {
    let c = support::campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let mut taken = station_booking(&c.platform_id, tuesday, "08:00", "10:00");
    taken["stations"] = 12.into();
    app.post("/api/v1/bookings", &c.teacher, taken)
        .await
        .expect(201);
    let mut jar = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    let page = jar
        .get(&format!("/reservations/nouvelle?plateau={}", c.platform_id))
        .await;
    let csrf = csrf_of(&page);

    // 4 stations where 2 are left: next to the stations, with the next free slot.
    let body = form(&csrf, &c.platform_id, tuesday, "08:00", "10:00", "");
    let refused = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    let start = refused
        .text
        .find("id=\"erreur-postes\">")
        .expect("the refusal next to the stations");
    let message = &refused.text[start..start + refused.text[start..].find("</p>").unwrap()];
    assert!(
        message.contains("Il reste 2 postes libres sur 14"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "Prochain créneau libre : {}, 10:00 – 12:00.",
            french(tuesday)
        )),
        "{message}"
    );
    assert!(refused
        .text
        .contains("aria-invalid=\"true\" aria-describedby=\"erreur-postes\""));
    // What was typed is kept.
    assert!(refused.text.contains(
        "name=\"postes\" type=\"number\" min=\"1\" max=\"1000\" inputmode=\"numeric\" value=\"4\""
    ));
    assert!(refused.text.contains("value=\"CAP RICS 2\""));
    assert!(refused.text.contains("id=\"scolaires\" name=\"scolaires\" type=\"number\" min=\"0\" max=\"1000\" inputmode=\"numeric\" value=\"3\""));
    assert!(refused.text.contains(&format!("value=\"{tuesday}\"")));
    assert!(
        refused.text.contains(">Pièce d&#x27;examen</textarea>")
            || refused.text.contains(">Pièce d&#39;examen</textarea>")
    );

    // Outside the opening hours: next to the start time.
    let body = form(&csrf, &c.platform_id, tuesday, "07:00", "09:00", "");
    let refused = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("id=\"erreur-debut\">Le créneau du"),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("sort des heures d&#x27;ouverture")
            || refused.text.contains("sort des heures d&#39;ouverture")
    );

    // What the form reads itself: a headcount in words, no date.
    let body = format!(
        "csrf={csrf}&plateau={}&postes=4&groupe=G&scolaires=douze&date=&debut=08%3A00&fin=10%3A00",
        c.platform_id
    );
    let refused = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("id=\"erreur-scolaires\">Un effectif s&#x27;écrit en chiffres")
            || refused
                .text
                .contains("id=\"erreur-scolaires\">Un effectif s&#39;écrit en chiffres"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("id=\"erreur-date\">Indiquez la date"));
    assert!(refused.text.contains("value=\"douze\""));
    // The API's own checks: a headcount out of its bounds, named on its field.
    let body = form(&csrf, &c.platform_id, tuesday, "10:00", "12:00", "")
        .replace("scolaires=3", "scolaires=5000");
    let refused = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("id=\"erreur-scolaires\">"),
        "{}",
        refused.text
    );
    // A machine that asks for a qualification nobody here holds: next to the supervisor.
    let body = form(&csrf, &c.platform_id, tuesday, "13:30", "15:30", "")
        .replace("equipement=&", &format!("equipement={}&", c.equipment_id));
    let refused = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let start = refused
        .text
        .find("id=\"erreur-encadrant\">")
        .expect("the refusal next to the supervisor");
    let message = &refused.text[start..start + refused.text[start..].find("</p>").unwrap()];
    assert!(
        message.contains("Cabine TIG 1") && message.contains("Choisissez un encadrant habilité"),
        "{message}"
    );
    assert!(refused.text.contains(&format!(
        "<option value=\"{}\" selected>Cabine TIG 1</option>",
        c.equipment_id
    )));
    // Today, past or within the platform's notice: next to the date.
    let today = crate::support::dates::today();
    let body = form(&csrf, &c.platform_id, today, "08:00", "10:00", "");
    let refused = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("id=\"erreur-date\">Le créneau du")
            || refused
                .text
                .contains("id=\"erreur-date\">« Atelier soudage » se réserve au moins"),
        "{}",
        refused.text
    );
    assert_eq!(app.count("bookings").await, 1, "nothing more was booked");
}

async fn a_series_is_previewed_then_confirmed_with_the_same_dates_skipped(app: TestApp) {
    let c = support::campus(&app).await;
    let first = next(Weekday::Tue, 7);
    let closed = first + Duration::days(14);
    let last = first + Duration::days(35);
    app.post(
        "/api/v1/closures",
        &c.admin,
        json!({ "scope": "campus", "scope_id": c.campus_id, "name": "Vacances d'hiver",
                "starts_at": at(closed - Duration::days(1), "00:00"), "ends_at": at(closed + Duration::days(3), "00:00") }),
    )
    .await
    .expect(201);
    let mut jar = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    let page = jar
        .get(&format!("/reservations/nouvelle?plateau={}", c.platform_id))
        .await;
    let csrf = csrf_of(&page);
    let weekly = format!("&chaque_semaine=oui&jusqu_au={last}&mode=sauter");
    let body = form(&csrf, &c.platform_id, first, "08:00", "10:00", &weekly);
    let preview = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert!(preview
        .text
        .contains("Les dates de la série, avant confirmation"));
    assert!(
        preview
            .text
            .contains("5 séances seront réservées ; 1 date sautée. Mode : sauter les conflits."),
        "{}",
        preview.text
    );
    let skipped = format!(
        "<strong>{}, 08:00 – 10:00</strong> · fermeture : Le plateau est fermé",
        french(closed)
    );
    assert!(preview.text.contains(&skipped), "{}", preview.text);
    assert!(
        preview.text.contains("Vacances d&#x27;hiver")
            || preview.text.contains("Vacances d&#39;hiver")
    );
    assert!(preview
        .text
        .contains("value=\"confirmer\">Confirmer</button>"));
    // The closure is also offered as the end of a term.
    let term_start = closed - Duration::days(1);
    assert!(
        preview
            .text
            .contains(&format!("<option value=\"{term_start}\">"))
            && preview
                .text
                .contains(&format!("(fermé à partir du {})", french(term_start))),
        "{}",
        preview.text
    );
    // Nothing was written.
    assert_eq!(app.count("bookings").await, 0);
    assert_eq!(app.count("booking_series").await, 0);
    assert_eq!(
        app.count_where(
            "audit_events",
            "entity_type IN ('booking', 'booking_series')"
        )
        .await,
        0
    );

    // Confirming other fields than those previewed previews them first.
    let fingerprint = hidden(&preview, "apercu");
    let changed = form(&csrf, &c.platform_id, first, "08:00", "11:00", &weekly)
        + &format!("&etape=confirmer&apercu={fingerprint}");
    let again = jar.post("/reservations/nouvelle", &changed).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(
        again.text.contains("Rien n&#x27;a encore été réservé")
            || again.text.contains("Rien n&#39;a encore été réservé")
    );
    assert_eq!(app.count("booking_series").await, 0);
    // Nor is a single session booked when « chaque semaine » was unticked since.
    let unticked = form(&csrf, &c.platform_id, first, "08:00", "10:00", "")
        + &format!("&etape=confirmer&apercu={fingerprint}");
    let again = jar.post("/reservations/nouvelle", &unticked).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(app.count("bookings").await, 0);

    let confirm = body + &format!("&etape=confirmer&apercu={fingerprint}");
    let done = jar.post("/reservations/nouvelle", &confirm).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let target = location(&done);
    assert!(
        target.starts_with("/series/") && target.ends_with("?fait=creee"),
        "{target}"
    );
    assert_eq!(app.count("booking_series").await, 1);
    assert_eq!(app.count_where("bookings", "status = 'confirmed'").await, 5);
    assert_eq!(app.count("booking_series_skips").await, 1);
    let closed_start = chrono::DateTime::parse_from_rfc3339(&at(closed, "08:00"))
        .unwrap()
        .timestamp();
    assert_eq!(
        app.count_sql(format!("SELECT COUNT(*) AS n FROM booking_series_skips WHERE code = 'closed' AND starts_at = {closed_start}"))
            .await,
        1,
        "the date previewed is the date skipped"
    );
    let series = jar.get(&target).await;
    assert_eq!(series.status, StatusCode::OK);
    assert!(series.text.contains("La série est enregistrée"));
    assert!(series.text.contains("Dates sautées (1)"));
    assert!(series.text.contains(&skipped), "{}", series.text);
    assert!(series.text.contains("Séances (5)"));
    assert!(series.text.contains(&format!(
        "{}, 08:00 – 10:00</a> · <span class=\"status\">confirmée</span>",
        french(first)
    )));

    // All or nothing, with a date taken: the conflict is listed and nothing can be confirmed.
    let mut taken = station_booking(&c.platform_id, first + Duration::days(7), "13:30", "15:30");
    taken["stations"] = 12.into();
    app.post("/api/v1/bookings", &c.teacher, taken)
        .await
        .expect(201);
    let strict = format!("&chaque_semaine=oui&jusqu_au={last}&mode=tout_ou_rien");
    let body = form(&csrf, &c.platform_id, first, "13:30", "15:30", &strict);
    let preview = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert!(preview.text.contains("Dates en conflit"));
    assert!(
        preview.text.contains(&format!(
            "<strong>{}, 13:30 – 15:30</strong> · postes insuffisants",
            french(first + Duration::days(7))
        )),
        "{}",
        preview.text
    );
    assert!(
        !preview.text.contains("value=\"confirmer\""),
        "nothing to confirm"
    );
    assert_eq!(app.count("booking_series").await, 1);

    // Up to the closure chosen as the end of the term: the day before it, no date skipped.
    let by_term = format!("&chaque_semaine=oui&jusqu_au=&periode={term_start}&mode=sauter");
    let body = form(&csrf, &c.platform_id, first, "10:00", "12:00", &by_term);
    let preview = jar.post("/reservations/nouvelle", &body).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert!(
        preview
            .text
            .contains("2 séances seront réservées ; aucune date sautée."),
        "{}",
        preview.text
    );
    assert!(preview
        .text
        .contains(&format!("<option value=\"{term_start}\" selected>")));
}

async fn another_organisation_gets_the_404_page(app: TestApp) {
    let c = support::campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let booking = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            station_booking(&c.platform_id, tuesday, "08:00", "10:00"),
        )
        .await
        .expect(201)
        .json();
    let series = app
        .post(
            "/api/v1/booking-series",
            &c.teacher,
            json!({ "first_occurrence": station_booking(&c.platform_id, tuesday, "13:30", "15:30"),
                    "rrule": "FREQ=WEEKLY;COUNT=3", "mode": "skip_conflicts" }),
        )
        .await
        .expect(201)
        .json();
    let pages = [
        format!("/reservations/{}", booking["id"].as_str().unwrap()),
        format!("/series/{}", series["id"].as_str().unwrap()),
    ];
    let mut mine = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    for page in &pages {
        let reply = mine.get(page).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}: {}", reply.text);
    }
    for who in [
        "teacher@monteil.test",
        "contact@cele.test",
        "copil@campus.test",
    ] {
        let mut jar = WebSession::logged_in(&app, who, PASSWORD).await;
        for page in pages.iter().cloned().chain([
            format!("/reservations/{}", uuid::Uuid::now_v7()),
            "/series/pas-un-id".to_owned(),
        ]) {
            let reply = jar.get(&page).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{who} {page}");
            assert!(reply.text.contains("<h1>Page introuvable</h1>"));
            assert!(!reply.text.contains("CAP RICS 1"));
        }
    }
    // Nor can they cancel: the 404 page, nothing changed.
    let mut other = WebSession::logged_in(&app, "teacher@monteil.test", PASSWORD).await;
    let home = other.get("/reservations").await;
    let reply = other
        .post(
            &format!("{}/annulation", pages[1]),
            &format!("csrf={}&motif=Pas+la+mienne", csrf_of(&home)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count_where("bookings", "status = 'cancelled'").await, 0);
    // Observers book nothing: the form is out of their scope too.
    let mut observer = WebSession::logged_in(&app, "copil@campus.test", PASSWORD).await;
    let reply = observer
        .get(&format!("/reservations/nouvelle?plateau={}", c.platform_id))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

async fn the_booking_page_changes_times_and_cancels(app: TestApp) {
    let c = support::campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let booking = app
        .post(
            "/api/v1/bookings",
            &c.teacher,
            station_booking(&c.platform_id, tuesday, "08:00", "10:00"),
        )
        .await
        .expect(201)
        .json();
    let id = booking["id"].as_str().unwrap().to_owned();
    let page_path = format!("/reservations/{id}");
    let mut jar = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    let list = jar.get("/reservations").await;
    assert!(
        list.text.contains(&format!("href=\"{page_path}\"")),
        "linked from « Mes réservations »"
    );
    assert!(list.text.contains("href=\"/reservations/nouvelle\""));
    let page = jar.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Changer la date ou l'horaire"));
    assert!(
        page.text.contains("Créée le"),
        "the history's summary: {}",
        page.text
    );
    let csrf = csrf_of(&page);
    let times = format!("/reservations/{id}/horaires");

    // Outside the opening hours: refused next to the start, what was typed kept.
    let refused = jar
        .post(
            &times,
            &format!("csrf={csrf}&date={tuesday}&debut=18%3A00&fin=19%3A00"),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("id=\"erreur-debut\">Le créneau du"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("value=\"18:00\""));
    // Without its token: refused.
    let forged = jar
        .post(&times, &format!("date={tuesday}&debut=10%3A00&fin=12%3A00"))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let start = |hm: &str| {
        chrono::DateTime::parse_from_rfc3339(&at(tuesday, hm))
            .unwrap()
            .timestamp()
    };
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM bookings WHERE id = '{id}' AND starts_at = {}",
            start("08:00")
        ))
        .await,
        1
    );

    let done = jar
        .post(
            &times,
            &format!("csrf={csrf}&date={tuesday}&debut=10%3A00&fin=12%3A00"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(location(&done), format!("{page_path}?fait=modifiee"));
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM bookings WHERE id = '{id}' AND starts_at = {}",
            start("10:00")
        ))
        .await,
        1
    );

    // The manager reads the whole history.
    let mut manager = WebSession::logged_in(&app, "manager@campus.test", PASSWORD).await;
    let page = manager.get(&page_path).await;
    assert!(
        page.text.contains(": création par teacher@campus.test"),
        "{}",
        page.text
    );
    assert!(page.text.contains(": modification par teacher@campus.test"));

    // Cancelling needs a reason, said on this page; then it is cancelled.
    let cancel = format!("/reservations/{id}/annulation");
    let refused = jar
        .post(&cancel, &format!("csrf={csrf}&retour=fiche&motif=+"))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("id=\"erreur-motif\">Indiquez le motif.</p>"),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("Changer la date"),
        "the booking's own page"
    );
    let done = jar
        .post(
            &cancel,
            &format!("csrf={csrf}&retour=fiche&motif=Sortie+scolaire"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&done), format!("{page_path}?fait=annulation"));
    assert_eq!(
        app.count_sql(format!(
            "SELECT COUNT(*) AS n FROM bookings WHERE id = '{id}' AND status = 'cancelled'"
        ))
        .await,
        1
    );
    let page = jar.get(&location(&done)).await;
    assert!(page.text.contains("La réservation est annulée."));
    assert!(page.text.contains(">annulée<") && page.text.contains("Sortie scolaire"));
    assert!(
        !page.text.contains(&format!("action=\"{cancel}\"")),
        "nothing left to cancel"
    );
    assert!(
        !page.text.contains(&format!("action=\"{times}\"")),
        "nothing left to change"
    );
}

async fn the_series_page_cancels_what_remains(app: TestApp) {
    let c = support::campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let series = app
        .post(
            "/api/v1/booking-series",
            &c.teacher,
            json!({ "first_occurrence": station_booking(&c.platform_id, tuesday, "13:30", "15:30"),
                    "rrule": "FREQ=WEEKLY;COUNT=3", "mode": "skip_conflicts" }),
        )
        .await
        .expect(201)
        .json();
    let path = format!("/series/{}", series["id"].as_str().unwrap());
    let mut jar = WebSession::logged_in(&app, "teacher@campus.test", PASSWORD).await;
    let page = jar.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Séances (3)"));
    assert!(page.text.contains("Aucune date n'a été sautée"));
    let csrf = csrf_of(&page);
    let refused = jar
        .post(
            &format!("{path}/annulation"),
            &format!("csrf={csrf}&motif="),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("id=\"erreur-motif\">Ne doit pas être vide.</p>"),
        "{}",
        refused.text
    );
    assert_eq!(app.count_where("bookings", "status = 'cancelled'").await, 0);
    let done = jar
        .post(
            &format!("{path}/annulation"),
            &format!("csrf={csrf}&motif=Fin+du+module"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count_where("bookings", "status = 'cancelled'").await, 3);
    let page = jar.get(&location(&done)).await;
    assert!(page
        .text
        .contains("Les séances à venir de la série sont annulées."));
    assert!(
        !page.text.contains("/annulation\""),
        "nothing left to cancel"
    );
}

/// The preview of the pages, in the API: what creating the series would book and skip, the
/// same as creating it then does, and nothing written.
async fn the_api_previews_a_series_and_writes_nothing(app: TestApp) {
    let c = support::campus(&app).await;
    let first = next(Weekday::Tue, 7);
    let closed = first + Duration::days(7);
    app.post(
        "/api/v1/closures",
        &c.admin,
        json!({ "scope": "campus", "scope_id": c.campus_id, "name": "Pont",
                "starts_at": at(closed, "00:00"), "ends_at": at(closed + Duration::days(1), "00:00") }),
    )
    .await
    .expect(201);
    let body = json!({ "first_occurrence": station_booking(&c.platform_id, first, "08:00", "10:00"),
                       "rrule": "FREQ=WEEKLY;COUNT=3", "mode": "all_or_nothing" });
    let preview = app
        .post(
            "/api/v1/booking-series/preview",
            &c.other_teacher,
            body.clone(),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        preview["occurrences"].as_array().unwrap().len(),
        2,
        "{preview}"
    );
    assert_eq!(preview["skipped"][0]["code"], "closed", "{preview}");
    assert_eq!(preview["skipped"][0]["starts_at"], at(closed, "08:00"));
    assert_eq!(preview["conflicts"], json!([]));
    assert_eq!(
        preview["status"], "pending",
        "another lycée's booking waits"
    );
    assert_eq!(app.count("bookings").await, 0);
    assert_eq!(app.count("booking_series").await, 0);

    let created = app
        .post("/api/v1/booking-series", &c.other_teacher, body.clone())
        .await
        .expect(201)
        .json();
    assert_eq!(
        created["skipped"][0]["starts_at"],
        preview["skipped"][0]["starts_at"]
    );
    assert_eq!(
        created["occurrences"].as_array().unwrap().len(),
        preview["occurrences"].as_array().unwrap().len()
    );
    // Now every date is taken by the series itself: all or nothing would refuse it.
    let again = app
        .post("/api/v1/booking-series/preview", &c.other_teacher, {
            let mut b = body.clone();
            b["first_occurrence"]["stations"] = 13.into();
            b
        })
        .await
        .expect(200)
        .json();
    assert_eq!(again["conflicts"].as_array().unwrap().len(), 2, "{again}");
    assert_eq!(again["conflicts"][0]["code"], "not_enough_stations");
    assert_eq!(app.count("booking_series").await, 1);
    let mut bad = body;
    bad["rrule"] = "FREQ=SOMETIMES".into();
    let problem = app
        .post("/api/v1/booking-series/preview", &c.other_teacher, bad)
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "rrule");
}

on_both_databases!(
    the_form_books_one_session_and_says_when_it_waits,
    refusals_show_next_to_their_field_with_what_was_typed,
    a_series_is_previewed_then_confirmed_with_the_same_dates_skipped,
    another_organisation_gets_the_404_page,
    the_booking_page_changes_times_and_cancels,
    the_series_page_cancels_what_remains,
    the_api_previews_a_series_and_writes_nothing,
);
