//! « Indicateurs » : the school year's indicators for the director and the steering
//! committee (others get the 404 page), and their CSV export for the browser session; the
//! same use cases as `GET /api/v1/reports/indicators`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use uuid::Uuid;

use super::visitor::Visitor;
use crate::auth::CurrentUser;
use crate::db::reports::ReportFilter;
use crate::domain::reports::{
    buckets, parse_school_year, school_year_label, school_year_of, Dimension, Period,
};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::usecases::reports;
use crate::views::reports::{chart, csv, IndicatorsQuery, IndicatorsView};
use crate::views::web::indicators::{month_label, school_year_range, IndicatorsPage, PageInput};
use crate::views::web::Choice;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/indicateurs", web::get().to(page))
        .route("/indicateurs/export.csv", web::get().to(export));
}

#[derive(serde::Deserialize)]
struct Filters {
    annee: Option<String>,
    campus: Option<String>,
}

/// What the query asks, checked as the API checks it: the school year, its period and
/// the filter, and the campus as typed.
struct Asked {
    year: i32,
    period: Period,
    filter: ReportFilter,
    campus: String,
}

fn asked(state: &AppState, filters: &Filters) -> Result<Asked, ApiError> {
    let year = filters
        .annee
        .as_deref()
        .map(str::trim)
        .filter(|y| !y.is_empty());
    if year.is_some_and(|y| parse_school_year(y).is_none()) {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            "L'année scolaire s'écrit avec ses deux années, par exemple 2026-2027.",
        ));
    }
    let campus = filters
        .campus
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let campus_id = match campus {
        None => None,
        Some(text) => Some(Uuid::parse_str(text).map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidQuery,
                "Ce campus n'existe pas : choisissez-en un dans la liste.",
            )
        })?),
    };
    let query = IndicatorsQuery {
        school_year: year.map(str::to_owned),
        campus_id,
        format: None,
    };
    let (year, period, filter) = query.check(state.now(), &state.timezone)?;
    Ok(Asked {
        year,
        period,
        filter,
        campus: campus_id.map(|c| c.to_string()).unwrap_or_default(),
    })
}

/// The director and observers; anyone else gets the same page as for an unknown path.
fn reader(visitor: &Visitor) -> Result<CurrentUser, Box<HttpResponse>> {
    let Some(user) = visitor.user().cloned() else {
        return Err(Box::new(visitor.login_required()));
    };
    if crate::access::require_indicators_reader(&user).is_err() {
        return Err(Box::new(visitor.not_found()));
    }
    Ok(user)
}

/// A refusal: out of scope as an unknown page, bad input with its French message.
fn refused(visitor: &Visitor, error: ApiError) -> HttpResponse {
    if error.status == StatusCode::FORBIDDEN {
        return visitor.not_found();
    }
    visitor.failure(error)
}

/// The time the chart shows: the school year's, up to today when it is the current one
/// (what is still to come would only lower the months).
fn chart_months(period: &Period, today: NaiveDate, tz: &chrono_tz::Tz) -> Period {
    if today < period.first || today >= period.end {
        return period.clone();
    }
    Period::new(
        period.first,
        today.max(period.first + chrono::Duration::days(1)),
        tz,
    )
}

async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<Filters>,
) -> HttpResponse {
    let user = match reader(&visitor) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Asked {
        year,
        period,
        filter,
        campus,
    } = match asked(&state, &query) {
        Ok(asked) => asked,
        Err(error) => return refused(&visitor, error),
    };
    let tz = state.timezone;
    let today = state.today();
    let months = chart_months(&period, today, &tz);
    let found = state
        .reports_db({
            let period = period.clone();
            let months = months.clone();
            move |conn| reports::indicators_page(conn, &user, &tz, &period, &months, &filter)
        })
        .await;
    let data = match found {
        Ok(data) => data,
        Err(error) => return refused(&visitor, error),
    };
    let label = school_year_label(year);
    let view = IndicatorsView::new(
        label.clone(),
        period.first,
        period.last_day(),
        &data.indicators,
    );
    let month_keys: Vec<String> = buckets(Some(Dimension::Month), &months, &tz)
        .into_iter()
        .map(|b| b.label)
        .collect();
    let chart_title = format!("Taux d'occupation par mois, année {label}");
    // The chart names the months in French.
    let mut monthly = data.monthly.clone();
    for (key, _) in &mut monthly.groups {
        key[1] = month_label(&key[1]);
    }
    let month_names: Vec<String> = month_keys.iter().map(|m| month_label(m)).collect();
    let svg = match chart::occupancy_by_month(&monthly, &month_names, &chart_title) {
        Ok(svg) => svg,
        Err(error) => return visitor.failure(error),
    };
    let current = school_year_of(today);
    let mut years: Vec<i32> = (current - 4..=current).rev().collect();
    if !years.contains(&year) {
        years.push(year);
        years.sort_unstable_by(|a, b| b.cmp(a));
    }
    let mut csv_href = format!("/indicateurs/export.csv?annee={label}");
    if !campus.is_empty() {
        csv_href.push_str(&format!("&campus={campus}"));
    }
    let page = IndicatorsPage::new(
        visitor.layout(format!("Indicateurs {label}")),
        &view,
        &data,
        PageInput {
            school_year: label,
            years: years
                .into_iter()
                .map(|y| Choice {
                    value: school_year_label(y),
                    label: school_year_label(y),
                    selected: y == year,
                })
                .collect(),
            campus,
            period: school_year_range(period.first, period.last_day()),
            months: month_keys,
            chart: svg,
            chart_title,
            csv_href,
        },
    );
    visitor.ok(page)
}

/// The API's CSV export of the indicators, for the browser session.
async fn export(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<Filters>,
) -> HttpResponse {
    let user = match reader(&visitor) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Asked {
        year,
        period,
        filter,
        ..
    } = match asked(&state, &query) {
        Ok(asked) => asked,
        Err(error) => return refused(&visitor, error),
    };
    let tz = state.timezone;
    let found = state
        .reports_db({
            let period = period.clone();
            move |conn| reports::campus_indicators(conn, &user, &tz, &period, &filter)
        })
        .await;
    let indicators = match found {
        Ok(indicators) => indicators,
        Err(error) => return refused(&visitor, error),
    };
    let label = school_year_label(year);
    let view = IndicatorsView::new(label.clone(), period.first, period.last_day(), &indicators);
    match csv::indicators(&view) {
        Ok(text) => visitor.finish(super::super::extract::csv_attachment(
            text,
            &format!("indicateurs-{label}.csv"),
        )),
        Err(error) => visitor.failure(error),
    }
}
