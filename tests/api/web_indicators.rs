//! « Indicateurs » through HTTP on both databases, over the demo campus and its past term:
//! the director and observers read the API's figures in French, with the chart and the
//! table of its figures, and download the API's CSV; anyone else gets the 404 page; bad
//! input is refused in French and changes nothing.

use actix_web::http::{header, Method, StatusCode};
use serde_json::Value;

use crate::demo::seed;
use crate::on_both_databases;
use crate::support::TestApp;
use crate::web::{browse, log_in, Jar};

const DIRECTOR: (&str, &str) = ("directeur@demo.plateaux.test", "demo-directeur-2027");
const OBSERVER: (&str, &str) = ("copil@demo.plateaux.test", "demo-copil-2027");
const TEACHER: (&str, &str) = ("enseignant.soudage@demo.plateaux.test", "demo-soudage-2027");
const MANAGER: (&str, &str) = (
    "responsable.usinage@demo.plateaux.test",
    "demo-usinage-2027",
);

/// A figure as the page writes it: thousands grouped with no-break spaces, a decimal comma.
fn french(value: f64, decimals: i32) -> String {
    plateaux::views::web::indicators::decimal(value, decimals)
}

fn row(label: &str, value: &str) -> String {
    format!("<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>")
}

async fn session(app: &TestApp, who: (&str, &str)) -> Jar {
    let mut jar = Jar::default();
    let reply = log_in(app, &mut jar, who.0, who.1).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    jar
}

async fn the_director_and_observers_read_the_indicators(app: TestApp) {
    seed(&app).await;
    let token = app.login(DIRECTOR.0, DIRECTOR.1).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let api: Value = app
        .get("/api/v1/reports/indicators?school_year=2026-2027", &token)
        .await
        .expect(200)
        .json();
    let campus = &api["campus"];
    let sessions = campus["sessions_booked"].as_i64().unwrap();
    assert!(sessions > 0, "the demo's past term: {campus}");

    let mut director = session(&app, DIRECTOR).await;
    // The current school year by default (the clock is in March 2027).
    let page = browse(&app, &mut director, Method::GET, "/indicateurs", "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let text = &page.text;
    eprintln!("/indicateurs: {} bytes of HTML", text.len());
    assert!(
        text.len() < 100_000,
        "pages are held under 100 KB: {}",
        text.len()
    );
    assert!(text.contains("<h1>Indicateurs du campus, année scolaire 2026-2027</h1>"));
    assert!(
        text.contains("aria-current=\"page\">Indicateurs</a>"),
        "in the navigation"
    );
    // The API's figures, in French.
    assert!(
        text.contains(&row("Séances réservées", &french(sessions as f64, 0))),
        "{text}"
    );
    let used = campus["hours_used"].as_f64().unwrap();
    assert!(
        text.contains(&row(
            "Heures utilisées",
            &format!("{}\u{a0}h", french(used, 1))
        )),
        "{text}"
    );
    let occupancy = campus["occupancy"].as_f64().unwrap();
    let percent = format!("{}\u{a0}%", french(occupancy * 100.0, 1));
    assert!(percent.contains(','), "a decimal comma: {percent}");
    assert!(
        text.contains(&row("Taux d&#x27;occupation", &percent))
            || text.contains(&row("Taux d&#39;occupation", &percent)),
        "{percent}: {text}"
    );
    let unreported = campus["sessions_unreported"].as_i64().unwrap();
    assert!(text.contains(&row(
        "Séances passées sans usage renseigné",
        &french(unreported as f64, 0)
    )));
    let apprentices = campus["learner_hours"]["apprentice"].as_f64().unwrap();
    assert!(text.contains(&row(
        "Apprentis",
        &format!("{}\u{a0}h", french(apprentices, 1))
    )));
    let invoiced = api["service_requests"]["invoiced_cents"].as_i64().unwrap();
    assert!(invoiced > 0);
    assert!(text.contains(&row(
        "Montant facturé (TTC)",
        &plateaux::labels::euros(invoiced)
    )));
    // Every member and platform has its line.
    for member in api["members"].as_array().unwrap() {
        let name = member["name"].as_str().unwrap().replace('\'', "&#x27;");
        assert!(
            text.contains(&name) || text.contains(&name.replace("&#x27;", "&#39;")),
            "{name}"
        );
    }
    // The chart, named and described, and the table of its figures.
    assert!(text
        .contains("<svg role=\"img\" aria-labelledby=\"graphique-titre graphique-description\""));
    assert!(text.contains(
        "<title id=\"graphique-titre\">Taux d'occupation par mois, année 2026-2027</title>"
    ));
    assert!(text.contains("(chiffres du graphique)"));
    assert!(
        text.contains("<th scope=\"col\">sept. 2026</th>")
            && text.contains("<th scope=\"col\">mars 2027</th>")
    );
    assert!(
        !text.contains("<th scope=\"col\">avr. 2027</th>"),
        "no month to come"
    );
    assert!(
        !text.contains("style="),
        "no inline style: the page's policy forbids it"
    );
    // French words only: no API value of an enumeration shows.
    for api_value in [
        "continuing_education",
        "higher_education",
        "technology_platform",
        "training_centre",
        "\"school\"",
    ] {
        assert!(!text.contains(api_value), "{api_value} shown");
    }
    assert!(text.contains("href=\"/indicateurs/export.csv?annee=2026-2027\""));

    // The CSV download is the API's export.
    let csv = browse(
        &app,
        &mut director,
        Method::GET,
        "/indicateurs/export.csv?annee=2026-2027",
        "",
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert_eq!(
        csv.headers.get(header::CONTENT_DISPOSITION).unwrap(),
        "attachment; filename=\"indicateurs-2026-2027.csv\""
    );
    let from_api = app
        .get(
            "/api/v1/reports/indicators?school_year=2026-2027&format=csv",
            &token,
        )
        .await
        .expect(200);
    assert_eq!(csv.text, from_api.text);
    assert!(csv
        .text
        .contains("2026-2027;campus;tout le campus;séances réservées;"));

    // Another year: its own figures (none then), the filters keep what was chosen.
    let before = browse(
        &app,
        &mut director,
        Method::GET,
        "/indicateurs?annee=2025-2026",
        "",
    )
    .await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.text.contains(&row("Séances réservées", "0")));
    assert!(before
        .text
        .contains("<option value=\"2025-2026\" selected>"));
    // One campus.
    let campuses = app.get("/api/v1/campuses", &token).await.expect(200).json();
    let campus_id = campuses["items"][0]["id"].as_str().unwrap().to_owned();
    let one = browse(
        &app,
        &mut director,
        Method::GET,
        &format!("/indicateurs?annee=2026-2027&campus={campus_id}"),
        "",
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one
        .text
        .contains(&format!("<option value=\"{campus_id}\" selected>")));
    let link =
        |amp: &str| format!("/indicateurs/export.csv?annee=2026-2027{amp}campus={campus_id}\"");
    assert!(
        one.text.contains(&link("&amp;")) || one.text.contains(&link("&#38;")),
        "the download keeps the campus chosen"
    );

    // The steering committee reads the same page.
    let mut observer = session(&app, OBSERVER).await;
    let page = browse(
        &app,
        &mut observer,
        Method::GET,
        "/indicateurs?annee=2026-2027",
        "",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .text
        .contains(&row("Séances réservées", &french(sessions as f64, 0))));
    let csv = browse(
        &app,
        &mut observer,
        Method::GET,
        "/indicateurs/export.csv",
        "",
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.text, from_api.text);
}

async fn others_get_the_404_page_and_bad_input_is_refused(app: TestApp) {
    seed(&app).await;
    for who in [TEACHER, MANAGER] {
        let mut jar = session(&app, who).await;
        for path in ["/indicateurs", "/indicateurs/export.csv?annee=2026-2027"] {
            let page = browse(&app, &mut jar, Method::GET, path, "").await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
            assert!(page.text.contains("<h1>Page introuvable</h1>"), "{path}");
            assert!(
                !page.text.contains("href=\"/indicateurs\""),
                "no link for {}",
                who.0
            );
        }
    }
    // Without an account: to the login page, and back.
    let mut anonymous = Jar::default();
    let page = browse(
        &app,
        &mut anonymous,
        Method::GET,
        "/indicateurs?annee=2026-2027",
        "",
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers.get(header::LOCATION).unwrap(),
        "/connexion?suite=%2Findicateurs%3Fannee%3D2026-2027"
    );

    let mut director = session(&app, DIRECTOR).await;
    let bad_year = browse(
        &app,
        &mut director,
        Method::GET,
        "/indicateurs?annee=2026",
        "",
    )
    .await;
    assert_eq!(bad_year.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_year.text.contains("par exemple 2026-2027"),
        "{}",
        bad_year.text
    );
    let bad_year = browse(
        &app,
        &mut director,
        Method::GET,
        "/indicateurs/export.csv?annee=2027-2026",
        "",
    )
    .await;
    assert_eq!(bad_year.status, StatusCode::BAD_REQUEST);
    let bad_campus = browse(
        &app,
        &mut director,
        Method::GET,
        "/indicateurs?campus=lot",
        "",
    )
    .await;
    assert_eq!(bad_campus.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_campus.text.contains("Ce campus n&#x27;existe pas")
            || bad_campus.text.contains("Ce campus n&#39;existe pas"),
        "{}",
        bad_campus.text
    );
    let unknown = browse(
        &app,
        &mut director,
        Method::GET,
        "/indicateurs?campus=0190a1b2-0000-7000-8000-000000000000",
        "",
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text.contains("<h1>Page introuvable</h1>"));
}

on_both_databases!(at "2027-03-10T10:00:00+01:00":
    the_director_and_observers_read_the_indicators,
    others_get_the_404_page_and_bad_input_is_refused,
);
