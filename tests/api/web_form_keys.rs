//! A write form sent twice writes once, through HTTP on both databases: each page's form
//! carries a one-time key (`cle`), and a second sending of the same form (a double click,
//! one after the other or both at once) answers the first one's redirect instead of booking,
//! filing or recording again. The same key with other fields is refused; a refused sending
//! frees its key for the corrected form.

use actix_web::http::{header, Method, StatusCode};
use chrono::{Duration, NaiveDate, Weekday};

use crate::on_both_databases;
use crate::support::dates::next;
use crate::support::{self, Reply, TestApp, PASSWORD};
use crate::web::{browse, csrf_of, log_in, Jar};
use crate::web_usage::{iso_week, past_monday, past_sessions};

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

/// The booking form's body: `key` as its one-time key, `extra` appended.
fn booking(
    csrf: &str,
    key: &str,
    platform: &str,
    day: NaiveDate,
    hours: (&str, &str),
    extra: &str,
) -> String {
    format!(
        "csrf={csrf}&cle={key}&plateau={platform}&equipement=&postes=4&groupe={}&niveau=CAP&scolaires=4&objet=&date={day}&debut={}&fin={}{extra}",
        encoded("CAP RICS 2"),
        encoded(hours.0),
        encoded(hours.1),
    )
}

/// The same form sent twice at once, as a double click sends it.
async fn twice_at_once(app: &TestApp, jar: &Jar, path: &str, body: &str) -> (Reply, Reply) {
    let (mut one, mut two) = (jar.clone(), jar.clone());
    futures_util::future::join(
        browse(app, &mut one, Method::POST, path, body),
        browse(app, &mut two, Method::POST, path, body),
    )
    .await
}

async fn the_booking_form_sent_twice_books_once(app: TestApp) {
    let c = support::campus(&app).await;
    let tuesday = next(Weekday::Tue, 7);
    let mut jar = Jar::default();
    log_in(&app, &mut jar, "teacher@campus.test", PASSWORD).await;
    let form_path = format!("/reservations/nouvelle?plateau={}", c.platform_id);
    let page = browse(&app, &mut jar, Method::GET, &form_path, "").await;
    let (csrf, key) = (csrf_of(&page), hidden(&page, "cle"));
    let again = browse(&app, &mut jar, Method::GET, &form_path, "").await;
    assert_ne!(hidden(&again, "cle"), key, "each page its own key");

    // One after the other: the second answers the first booking.
    let body = booking(&csrf, &key, &c.platform_id, tuesday, ("08:00", "10:00"), "");
    let first = browse(
        &app,
        &mut jar,
        Method::POST,
        "/reservations/nouvelle",
        &body,
    )
    .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
    let booked = location(&first);
    assert!(booked.ends_with("?fait=creee"), "{booked}");
    let second = browse(
        &app,
        &mut jar,
        Method::POST,
        "/reservations/nouvelle",
        &body,
    )
    .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.text);
    assert_eq!(location(&second), booked);
    assert_eq!(app.count("bookings").await, 1);

    // Both at once: one booking, both sent to it.
    let key = hidden(&again, "cle");
    let body = booking(&csrf, &key, &c.platform_id, tuesday, ("14:00", "16:00"), "");
    let (one, two) = twice_at_once(&app, &jar, "/reservations/nouvelle", &body).await;
    assert_eq!(one.status, StatusCode::SEE_OTHER, "{}", one.text);
    assert_eq!(two.status, StatusCode::SEE_OTHER, "{}", two.text);
    assert_eq!(location(&one), location(&two));
    assert_ne!(location(&one), booked);
    assert_eq!(app.count("bookings").await, 2);

    // The same key with other fields: refused, nothing booked.
    let other = booking(&csrf, &key, &c.platform_id, tuesday, ("10:00", "12:00"), "");
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        "/reservations/nouvelle",
        &other,
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(
        refused
            .text
            .contains("Ce formulaire a déjà été envoyé, avec d&#x27;autres valeurs")
            || refused
                .text
                .contains("Ce formulaire a déjà été envoyé, avec d&#39;autres valeurs"),
        "{}",
        refused.text
    );
    assert_eq!(app.count("bookings").await, 2);

    // A refused sending frees its key: the corrected form books with it.
    let page = browse(&app, &mut jar, Method::GET, &form_path, "").await;
    let key = hidden(&page, "cle");
    let wrong = booking(&csrf, &key, &c.platform_id, tuesday, ("11:00", "10:00"), "");
    let refused = browse(
        &app,
        &mut jar,
        Method::POST,
        "/reservations/nouvelle",
        &wrong,
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert_eq!(app.count("bookings").await, 2);
    let right = booking(&csrf, &key, &c.platform_id, tuesday, ("10:00", "12:00"), "");
    let done = browse(
        &app,
        &mut jar,
        Method::POST,
        "/reservations/nouvelle",
        &right,
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert_eq!(app.count("bookings").await, 3);

    // Keys are each account's: another teacher's form with the same key books its own.
    let mut other = Jar::default();
    log_in(&app, &mut other, "teacher@monteil.test", PASSWORD).await;
    let page = browse(&app, &mut other, Method::GET, &form_path, "").await;
    let body = booking(
        &csrf_of(&page),
        &key,
        &c.platform_id,
        next(Weekday::Wed, 7),
        ("08:00", "10:00"),
        "",
    );
    let theirs = browse(
        &app,
        &mut other,
        Method::POST,
        "/reservations/nouvelle",
        &body,
    )
    .await;
    assert_eq!(theirs.status, StatusCode::SEE_OTHER, "{}", theirs.text);
    assert_ne!(location(&theirs), location(&done));
    assert_eq!(app.count("bookings").await, 4);
}

async fn a_series_confirmed_twice_is_created_once(app: TestApp) {
    let c = support::campus(&app).await;
    let first = next(Weekday::Tue, 7);
    let last = first + Duration::days(21);
    let mut jar = Jar::default();
    log_in(&app, &mut jar, "teacher@campus.test", PASSWORD).await;
    let page = browse(
        &app,
        &mut jar,
        Method::GET,
        &format!("/reservations/nouvelle?plateau={}", c.platform_id),
        "",
    )
    .await;
    let weekly = format!("&chaque_semaine=oui&jusqu_au={last}&mode=sauter");
    let body = booking(
        &csrf_of(&page),
        &hidden(&page, "cle"),
        &c.platform_id,
        first,
        ("08:00", "10:00"),
        &weekly,
    );
    let preview = browse(
        &app,
        &mut jar,
        Method::POST,
        "/reservations/nouvelle",
        &body,
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert_eq!(app.count("bookings").await, 0);

    let confirm = booking(
        &csrf_of(&preview),
        &hidden(&preview, "cle"),
        &c.platform_id,
        first,
        ("08:00", "10:00"),
        &format!(
            "{weekly}&etape=confirmer&apercu={}",
            hidden(&preview, "apercu")
        ),
    );
    let (one, two) = twice_at_once(&app, &jar, "/reservations/nouvelle", &confirm).await;
    assert_eq!(one.status, StatusCode::SEE_OTHER, "{}", one.text);
    assert_eq!(two.status, StatusCode::SEE_OTHER, "{}", two.text);
    assert!(location(&one).starts_with("/series/"), "{}", location(&one));
    assert_eq!(location(&one), location(&two));
    assert_eq!(app.count("booking_series").await, 1);
    assert_eq!(app.count("bookings").await, 4);
}

async fn the_public_request_form_sent_twice_files_one_request(app: TestApp) {
    support::campus(&app).await;
    let before = app.count("service_requests").await;
    let mut jar = Jar::default();
    let page = browse(&app, &mut jar, Method::GET, "/demandes/nouvelle", "").await;
    let fields = [
        ("csrf", csrf_of(&page)),
        ("cle", hidden(&page, "cle")),
        ("company_name", "Moules et Composites du Lot".to_owned()),
        ("siret", "40483304800022".to_owned()),
        ("contact_name", "Claire Vayssié".to_owned()),
        ("email", "claire@moules-lot.fr".to_owned()),
        ("phone", "+33 5 65 00 00 00".to_owned()),
        ("title", "Prototype de carter en composite".to_owned()),
        (
            "description",
            "Trois pièces en fibre de carbone.".to_owned(),
        ),
        ("domains", "composites".to_owned()),
        ("platform_id", String::new()),
    ];
    let body = fields
        .iter()
        .map(|(n, v)| format!("{n}={}", encoded(v)))
        .collect::<Vec<_>>()
        .join("&");
    let (one, two) = twice_at_once(&app, &jar, "/demandes/nouvelle", &body).await;
    assert_eq!(one.status, StatusCode::SEE_OTHER, "{}", one.text);
    assert_eq!(two.status, StatusCode::SEE_OTHER, "{}", two.text);
    assert_eq!(location(&two), "/demandes/nouvelle/envoyee");
    let three = browse(&app, &mut jar, Method::POST, "/demandes/nouvelle", &body).await;
    assert_eq!(three.status, StatusCode::SEE_OTHER, "{}", three.text);
    assert_eq!(app.count("service_requests").await, before + 1);
    assert_eq!(
        app.count_sql(
            "SELECT COUNT(*) AS n FROM users WHERE email = 'claire@moules-lot.fr'".to_owned()
        )
        .await,
        1
    );
}

async fn a_week_of_usage_sent_twice_is_recorded_once(app: TestApp) {
    let c = support::campus(&app).await;
    let monday = past_monday();
    let ids = past_sessions(&app, &c, monday, &[(0, "08:00", "12:00")]).await;
    let mut manager = Jar::default();
    log_in(&app, &mut manager, "manager@campus.test", PASSWORD).await;
    let path = format!(
        "/plateaux/{}/suivi?semaine={}",
        c.platform_id,
        iso_week(monday)
    );
    let page = browse(&app, &mut manager, Method::GET, &path, "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let id = &ids[0];
    let body = format!(
        "csrf={}&cle={}&etat-{id}=tenue&debut-{id}=08%3A10&fin-{id}=11%3A50&effectif-school-{id}=7&effectif-apprentice-{id}=4",
        csrf_of(&page),
        hidden(&page, "cle"),
    );
    let recorded = "entity_type = 'booking' AND action IN ('usage_recorded', 'usage_corrected')";
    let (one, two) = twice_at_once(&app, &manager, &path, &body).await;
    assert_eq!(one.status, StatusCode::SEE_OTHER, "{}", one.text);
    assert_eq!(two.status, StatusCode::SEE_OTHER, "{}", two.text);
    // Both say what the first recorded (sent again without its key, the week would read
    // « nothing changed »).
    assert_eq!(location(&one), format!("{path}&enregistrees=1"));
    assert_eq!(location(&two), location(&one));
    assert_eq!(app.count_where("audit_events", recorded).await, 1);
    let three = browse(&app, &mut manager, Method::POST, &path, &body).await;
    assert_eq!(location(&three), location(&one));
    assert_eq!(app.count("booking_usages").await, 1);
    assert_eq!(app.count_where("audit_events", recorded).await, 1);
}

on_both_databases!(
    the_booking_form_sent_twice_books_once,
    a_series_confirmed_twice_is_created_once,
    the_public_request_form_sent_twice_files_one_request,
    a_week_of_usage_sent_twice_is_recorded_once,
);
