//! Reports as CSV for French spreadsheets (see `views::csv_document`): one header row,
//! numbers with a decimal comma so that LibreOffice and Excel in French read them as
//! numbers, and money as every CSV of the service gives it (`Cell::euros`).

use crate::domain::reports::{french_decimal, round_to};
use crate::error::ApiResult;
use crate::labels::Label;
use crate::views::reports::{FiguresView, IndicatorsView, UsageReportView};
use crate::views::{csv_document, Cell};

const FIGURE_HEADINGS: [&str; 20] = [
    "séances réservées",
    "séances annulées",
    "absences",
    "séances non renseignées",
    "séances mixtes",
    "heures réservées",
    "heures utilisées",
    "heures ouvertes (unités)",
    "heures occupées (unités)",
    "taux d'occupation (%)",
    "heures utilisées par d'autres organisations",
    "heures utilisées par des entreprises",
    "heures-apprenants scolaires",
    "heures-apprenants apprentis",
    "heures-apprenants formation continue",
    "heures-apprenants étudiants",
    "heures-apprenants salariés d'entreprise",
    "heures-apprenants recherche",
    "séances enregistrées après coup",
    "heures utilisées enregistrées après coup",
];

fn number(value: f64) -> String {
    french_decimal(value)
}

fn percent(occupancy: Option<f64>) -> String {
    occupancy
        .map(|o| number(round_to(o * 100.0, 2)))
        .unwrap_or_default()
}

fn figure_fields(f: &FiguresView) -> Vec<Cell> {
    let l = &f.learner_hours;
    [
        f.sessions_booked.to_string(),
        f.sessions_cancelled.to_string(),
        f.sessions_no_show.to_string(),
        f.sessions_unreported.to_string(),
        f.mixed_sessions.to_string(),
        number(f.hours_booked),
        number(f.hours_used),
        number(f.open_hours),
        number(f.occupied_hours),
        percent(f.occupancy),
        number(f.shared_hours_used),
        number(f.company_hours_used),
        number(l.school),
        number(l.apprentice),
        number(l.continuing_education),
        number(l.higher_education),
        number(l.company),
        number(l.research),
        f.sessions_recorded_after_the_fact.to_string(),
        number(f.hours_recorded_after_the_fact),
    ]
    .into_iter()
    .map(Cell::Number)
    .collect()
}

/// One row per group, then a total row.
pub fn usage(report: &UsageReportView) -> ApiResult<String> {
    let mut header: Vec<Cell> = report
        .group_by
        .iter()
        .map(|d| Cell::from(d.label()))
        .collect();
    if header.is_empty() {
        header.push("périmètre".into());
    }
    header.extend(FIGURE_HEADINGS.iter().map(|h| Cell::from(*h)));
    let mut rows = vec![header];
    for group in &report.groups {
        let mut row: Vec<Cell> = group
            .keys
            .iter()
            .map(|k| Cell::from(k.label.clone()))
            .collect();
        row.extend(figure_fields(&group.figures));
        rows.push(row);
    }
    let mut total = vec![Cell::from(""); report.group_by.len().max(1)];
    total[0] = "Total".into();
    total.extend(figure_fields(&report.total));
    rows.push(total);
    csv_document(rows)
}

/// Indicators in long form, one figure a row (`année scolaire;rubrique;élément;indicateur;
/// valeur`), which a spreadsheet filters or pivots as it likes.
pub fn indicators(view: &IndicatorsView) -> ApiResult<String> {
    // (rubrique, élément, indicateur, valeur)
    let mut lines: Vec<(&str, String, &str, Cell)> = Vec::new();
    let mut figures = |section: &'static str, element: &str, f: &FiguresView| {
        for (heading, value) in FIGURE_HEADINGS.iter().zip(figure_fields(f)) {
            lines.push((section, element.to_owned(), heading, value));
        }
    };
    figures("campus", "tout le campus", &view.campus);
    for member in &view.members {
        if let Some(f) = &member.platforms {
            figures("plateaux du membre", &member.name, f);
        }
    }
    for member in &view.members {
        let used = &member.as_user;
        for (heading, value) in [
            (FIGURE_HEADINGS[0], used.sessions_booked.to_string()),
            (FIGURE_HEADINGS[5], number(used.hours_booked)),
            (FIGURE_HEADINGS[6], number(used.hours_used)),
        ] {
            lines.push((
                "usage par le membre",
                member.name.clone(),
                heading,
                Cell::Number(value),
            ));
        }
    }
    for (rank, p) in view.top_platforms_by_occupancy.iter().enumerate() {
        let element = format!("{}. {}", rank + 1, p.name);
        lines.push((
            "plateaux les plus occupés",
            element,
            FIGURE_HEADINGS[9],
            Cell::Number(percent(p.occupancy)),
        ));
    }
    for (rank, p) in view.top_platforms_by_shared_use.iter().enumerate() {
        let element = format!("{}. {}", rank + 1, p.name);
        lines.push((
            "plateaux les plus partagés",
            element,
            FIGURE_HEADINGS[10],
            Cell::Number(number(p.shared_hours_used)),
        ));
    }
    let r = &view.service_requests;
    let count = |n: i64| Cell::Number(n.to_string());
    let days = |d: Option<f64>| Cell::Number(d.map(number).unwrap_or_default());
    for (label, value) in [
        ("reçues", count(r.received)),
        ("devisées", count(r.quoted)),
        ("acceptées", count(r.accepted)),
        ("livrées", count(r.delivered)),
        (
            "délai médian jusqu'au devis (jours)",
            days(r.median_days_to_quote),
        ),
        (
            "délai médian jusqu'à la livraison (jours)",
            days(r.median_days_to_delivery),
        ),
        (
            "montant devisé HT (€)",
            Cell::euros(Some(r.quoted_excl_vat_cents)),
        ),
        ("montant facturé (€)", Cell::euros(Some(r.invoiced_cents))),
    ] {
        lines.push(("demandes de prestation", "toutes".to_owned(), label, value));
    }
    let header = [
        "année scolaire",
        "rubrique",
        "élément",
        "indicateur",
        "valeur",
    ]
    .map(Cell::from)
    .to_vec();
    csv_document(
        std::iter::once(header).chain(lines.into_iter().map(
            |(section, element, indicator, value)| {
                vec![
                    view.school_year.clone().into(),
                    section.into(),
                    element.into(),
                    indicator.into(),
                    value,
                ]
            },
        )),
    )
}
