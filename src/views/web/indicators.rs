//! « Indicateurs » : the steering committee's figures of a school year as tables, the
//! occupancy chart with the table of its figures, and the link to the CSV export. The
//! figures are the API's (`views::reports`), written in French.

use askama::Template;
use askama_web::WebTemplate;

use super::{format, Choice, Layout};
use crate::domain::reports::{round_to, Dimension};
use crate::domain::OrganisationKind;
use crate::usecases::reports::{IndicatorsData, UsageReport};
use crate::views::reports::{FiguresView, IndicatorsView};

/// `1 234,5`: thousands grouped with no-break spaces, a decimal comma, at most `decimals`
/// decimals and none when the value is whole.
pub fn decimal(value: f64, decimals: i32) -> String {
    let value = round_to(value, decimals);
    let negative = value < 0.0;
    let text = format!("{:.*}", decimals.max(0) as usize, value.abs());
    let (units, fraction) = match text.split_once('.') {
        Some((u, f)) => (u.to_owned(), f.trim_end_matches('0').to_owned()),
        None => (text.clone(), String::new()),
    };
    let mut grouped = String::new();
    for (i, digit) in units.chars().enumerate() {
        if i > 0 && (units.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(digit);
    }
    let sign = if negative && (units != "0" || !fraction.is_empty()) {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{fraction}")
    }
}

/// `42,5 %` for an occupancy of 0.425; « non mesuré » when nothing was open.
pub fn percent(occupancy: Option<f64>) -> String {
    match occupancy {
        Some(o) => format!("{}\u{a0}%", decimal(o * 100.0, 1)),
        None => "non mesuré".to_owned(),
    }
}

fn hours(value: f64) -> String {
    format!("{}\u{a0}h", decimal(value, 1))
}

fn days(value: Option<f64>) -> String {
    match value {
        Some(1.0) => "1 jour".to_owned(),
        Some(d) => format!("{} jours", decimal(d, 1)),
        None => "aucune".to_owned(),
    }
}

/// One figure: what it is and its value, as read.
pub struct Figure {
    pub label: &'static str,
    pub value: String,
}

pub struct MemberLine {
    pub name: String,
    pub kind: String,
    pub sessions: String,
    pub hours_booked: String,
    pub hours_used: String,
    /// Its platforms' occupancy, or empty when it runs none.
    pub occupancy: String,
    pub shared: String,
}

pub struct PlatformLine {
    pub name: String,
    pub sessions: String,
    pub cancelled: String,
    pub unreported: String,
    pub hours_used: String,
    pub occupancy: String,
    pub shared: String,
    pub company: String,
}

pub struct MonthRow {
    pub platform: String,
    pub cells: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "web/indicators.html")]
pub struct IndicatorsPage {
    pub layout: Layout,
    pub school_year: String,
    pub period: String,
    pub years: Vec<Choice>,
    pub campuses: Vec<Choice>,
    pub overview: Vec<Figure>,
    pub learners: Vec<Figure>,
    pub members: Vec<MemberLine>,
    pub platforms: Vec<PlatformLine>,
    pub requests: Vec<Figure>,
    pub chart_title: String,
    pub chart_description: String,
    /// The chart, an SVG drawn by the service (no script, no style attribute).
    pub chart: String,
    pub months: Vec<String>,
    pub month_rows: Vec<MonthRow>,
    pub csv_href: String,
}

const MONTHS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// `sept. 2026` from a month bucket's label `2026-09`.
pub fn month_label(bucket: &str) -> String {
    bucket
        .split_once('-')
        .and_then(|(y, m)| {
            let m: usize = m.parse().ok()?;
            Some(format!("{} {y}", MONTHS.get(m.checked_sub(1)?)?))
        })
        .unwrap_or_else(|| bucket.to_owned())
}

fn overview(f: &FiguresView) -> Vec<Figure> {
    vec![
        Figure {
            label: "Séances réservées",
            value: decimal(f.sessions_booked as f64, 0),
        },
        Figure {
            label: "Séances annulées",
            value: decimal(f.sessions_cancelled as f64, 0),
        },
        Figure {
            label: "Absences (séances non honorées)",
            value: decimal(f.sessions_no_show as f64, 0),
        },
        Figure {
            label: "Séances passées sans usage renseigné",
            value: decimal(f.sessions_unreported as f64, 0),
        },
        Figure {
            label: "Séances en classe mixte",
            value: decimal(f.mixed_sessions as f64, 0),
        },
        Figure {
            label: "Heures réservées",
            value: hours(f.hours_booked),
        },
        Figure {
            label: "Heures utilisées",
            value: hours(f.hours_used),
        },
        Figure {
            label: "Heures ouvertes (postes et machines)",
            value: hours(f.open_hours),
        },
        Figure {
            label: "Heures occupées (postes et machines)",
            value: hours(f.occupied_hours),
        },
        Figure {
            label: "Taux d'occupation",
            value: percent(f.occupancy),
        },
        Figure {
            label: "Heures utilisées par d'autres membres que le propriétaire",
            value: hours(f.shared_hours_used),
        },
        Figure {
            label: "Heures utilisées par des entreprises",
            value: hours(f.company_hours_used),
        },
    ]
}

fn learners(f: &FiguresView) -> Vec<Figure> {
    let l = &f.learner_hours;
    vec![
        Figure {
            label: "Scolaires",
            value: hours(l.school),
        },
        Figure {
            label: "Apprentis",
            value: hours(l.apprentice),
        },
        Figure {
            label: "Stagiaires de la formation continue",
            value: hours(l.continuing_education),
        },
        Figure {
            label: "Étudiants",
            value: hours(l.higher_education),
        },
        Figure {
            label: "Salariés d'entreprise",
            value: hours(l.company),
        },
        Figure {
            label: "Chercheurs",
            value: hours(l.research),
        },
    ]
}

fn requests(view: &IndicatorsView) -> Vec<Figure> {
    let r = &view.service_requests;
    let count = |n: i64| decimal(n as f64, 0);
    vec![
        Figure {
            label: "Demandes reçues",
            value: count(r.received),
        },
        Figure {
            label: "Demandes devisées",
            value: count(r.quoted),
        },
        Figure {
            label: "Devis acceptés",
            value: count(r.accepted),
        },
        Figure {
            label: "Prestations livrées",
            value: count(r.delivered),
        },
        Figure {
            label: "Délai médian jusqu'au devis",
            value: days(r.median_days_to_quote),
        },
        Figure {
            label: "Délai médian jusqu'à la livraison",
            value: days(r.median_days_to_delivery),
        },
        Figure {
            label: "Montant devisé (HT)",
            value: crate::labels::euros(r.quoted_excl_vat_cents),
        },
        Figure {
            label: "Montant facturé (TTC)",
            value: crate::labels::euros(r.invoiced_cents),
        },
    ]
}

/// The chart's figures: one row per platform drawn, one cell per month.
fn month_rows(report: &UsageReport, months: &[String]) -> Vec<MonthRow> {
    let mut platforms: Vec<(String, i64)> = Vec::new();
    for (key, totals) in &report.groups {
        match platforms.iter_mut().find(|(id, _)| *id == key[0]) {
            Some((_, used)) => *used += totals.unit_seconds_used,
            None => platforms.push((key[0].clone(), totals.unit_seconds_used)),
        }
    }
    // The chart's order and limit.
    platforms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    platforms.truncate(crate::views::reports::chart::MAX_SERIES);
    platforms
        .into_iter()
        .map(|(id, _)| MonthRow {
            platform: report.names.describe(Dimension::Platform, &id).1,
            cells: months
                .iter()
                .map(|month| {
                    report
                        .groups
                        .iter()
                        .find(|(key, _)| key[0] == id && key[1] == *month)
                        .and_then(|(_, t)| t.occupancy())
                        .map(|o| percent(Some(o)))
                        .unwrap_or_else(|| "—".to_owned())
                })
                .collect(),
        })
        .collect()
}

/// Makes the drawn SVG an image with a name and a description, scaled by the style sheet.
fn accessible_chart(svg: &str, title: &str, description: &str) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    match svg.find("<svg").and_then(|start| {
        svg[start..]
            .find('>')
            .map(|end| (start + "<svg".len(), start + end + 1))
    }) {
        Some((name_end, tag_end)) => format!(
            "<svg role=\"img\" aria-labelledby=\"graphique-titre graphique-description\" focusable=\"false\"{}<title id=\"graphique-titre\">{}</title><desc id=\"graphique-description\">{}</desc>{}",
            &svg[name_end..tag_end],
            escape(title),
            escape(description),
            &svg[tag_end..]
        ),
        None => String::new(),
    }
}

pub struct PageInput {
    pub school_year: String,
    pub years: Vec<Choice>,
    pub campus: String,
    pub period: String,
    pub months: Vec<String>,
    pub chart: String,
    pub chart_title: String,
    pub csv_href: String,
}

impl IndicatorsPage {
    pub fn new(
        layout: Layout,
        view: &IndicatorsView,
        data: &IndicatorsData,
        input: PageInput,
    ) -> Self {
        let members = view
            .members
            .iter()
            .map(|m| MemberLine {
                name: m.name.clone(),
                kind: crate::labels::label_of(&m.kind, OrganisationKind::parse),
                sessions: decimal(m.as_user.sessions_booked as f64, 0),
                hours_booked: hours(m.as_user.hours_booked),
                hours_used: hours(m.as_user.hours_used),
                occupancy: m
                    .platforms
                    .as_ref()
                    .map(|p| percent(p.occupancy))
                    .unwrap_or_else(|| "sans plateau".to_owned()),
                shared: m
                    .platforms
                    .as_ref()
                    .map(|p| hours(p.shared_hours_used))
                    .unwrap_or_else(|| "—".to_owned()),
            })
            .collect();
        let mut platforms: Vec<PlatformLine> = data
            .indicators
            .platforms
            .iter()
            .map(|(p, totals)| {
                let f = FiguresView::new(totals);
                PlatformLine {
                    name: p.name.clone(),
                    sessions: decimal(f.sessions_booked as f64, 0),
                    cancelled: decimal(f.sessions_cancelled as f64, 0),
                    unreported: decimal(f.sessions_unreported as f64, 0),
                    hours_used: hours(f.hours_used),
                    occupancy: percent(f.occupancy),
                    shared: hours(f.shared_hours_used),
                    company: hours(f.company_hours_used),
                }
            })
            .collect();
        platforms.sort_by_cached_key(|p| p.name.to_lowercase());
        let month_rows = month_rows(&data.monthly, &input.months);
        let description = format!(
            "Taux d'occupation mensuel des {} plateaux les plus occupés, de {} à {} ; le tableau qui suit donne les mêmes chiffres.",
            month_rows.len(),
            input.months.first().map(|m| month_label(m)).unwrap_or_default(),
            input.months.last().map(|m| month_label(m)).unwrap_or_default(),
        );
        IndicatorsPage {
            layout,
            school_year: input.school_year,
            period: input.period,
            years: input.years,
            campuses: data
                .campuses
                .iter()
                .map(|c| Choice {
                    selected: c.id == input.campus,
                    value: c.id.clone(),
                    label: c.name.clone(),
                })
                .collect(),
            overview: overview(&view.campus),
            learners: learners(&view.campus),
            members,
            platforms,
            requests: requests(view),
            chart: accessible_chart(&input.chart, &input.chart_title, &description),
            chart_title: input.chart_title,
            chart_description: description,
            months: input.months.iter().map(|m| month_label(m)).collect(),
            month_rows,
            csv_href: input.csv_href,
        }
    }
}

pub fn school_year_range(first: chrono::NaiveDate, last: chrono::NaiveDate) -> String {
    format!(
        "du {} au {}",
        format::date_without_weekday(first),
        format::date_without_weekday(last)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_in_french() {
        assert_eq!(decimal(1234.56, 1), "1\u{a0}234,6");
        assert_eq!(decimal(12.0, 1), "12");
        assert_eq!(decimal(0.04, 1), "0");
        assert_eq!(decimal(1_000_000.0, 0), "1\u{a0}000\u{a0}000");
        assert_eq!(percent(Some(0.425)), "42,5\u{a0}%");
        assert_eq!(percent(None), "non mesuré");
        assert_eq!(month_label("2026-09"), "sept. 2026");
    }
}
