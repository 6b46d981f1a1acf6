//! Usage reports and steering-committee indicators, as JSON, CSV or an SVG chart.

use actix_web::{get, web, HttpRequest, HttpResponse};

use super::extract::{csv_attachment, negotiate, Format};
use crate::access;
use crate::auth::CurrentUser;
use crate::domain::reports::{buckets, school_year_label, school_year_pattern, Dimension};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::reports;
use crate::views::reports::{IndicatorsQuery, IndicatorsView, UsageQuery, UsageReportView};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(usage_report).service(indicators);
}

/// Gives the `school_year` parameters of the reports the years `parse_school_year` reads,
/// written out (a pattern cannot add one to a year, and the parameters' derived schemas
/// take only literal patterns): run on the document once the routes are in it.
pub struct SchoolYearPattern;

impl utoipa::Modify for SchoolYearPattern {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};
        for path in ["/api/v1/reports/usage", "/api/v1/reports/indicators"] {
            let parameters = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.get.as_mut())
                .and_then(|operation| operation.parameters.as_mut());
            for parameter in parameters.into_iter().flatten() {
                if parameter.name == "school_year" {
                    parameter.schema = Some(RefOr::T(Schema::Object(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(school_year_pattern()))
                            .examples(["2026-2027"])
                            .build(),
                    )));
                }
            }
        }
    }
}

/// Usage of the platforms over a period: sessions booked, cancelled, not shown and
/// unreported, hours booked and used, occupancy, learner-hours and shared use, by group.
///
/// **Occupancy** is used unit-hours over open unit-hours. Every equipment item in service
/// and every station of a platform is one unit; its open hours are the platform's opening
/// hours minus the closures of its campus, its owner and itself, and, for an equipment
/// item, minus its maintenance windows. A session uses actual end minus actual start
/// (from its usage record) times the units it holds. Sessions count in the period, week
/// or month in which they start (campus time).
///
/// Scope: the director and observers see the whole campus; a manager the platforms they
/// run; teachers and companies the sessions of their own organisation (measured against
/// the open time of all the platforms in the report). No report names a person.
#[utoipa::path(tag = "reports", params(UsageQuery), responses(
    (status = 200, description = "the report, its CSV export or its chart", content(
        (UsageReportView = "application/json"),
        (String = "text/csv"),
        (String = "image/svg+xml"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/reports/usage")]
async fn usage_report(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    query: web::Query<UsageQuery>,
) -> ApiResult<HttpResponse> {
    let tz = state.timezone;
    let format = negotiate(&req, query.format.as_deref(), &["json", "csv", "svg"])?;
    let (period, last, mut filter, dimensions) =
        query.check(format == Format::Svg, state.now(), &tz)?;
    access::report_scope(&user, &mut filter)?;
    let report = state
        .reports_db({
            let period = period.clone();
            let dimensions = dimensions.clone();
            move |conn| reports::usage(conn, &user, &tz, &period, &filter, &dimensions)
        })
        .await?;
    let first = period.first;
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(UsageReportView::new(first, last, &report))),
        Format::Csv => Ok(csv_attachment(
            crate::views::reports::csv::usage(&UsageReportView::new(first, last, &report))?,
            &format!("usage-{first}-{last}.csv"),
        )),
        Format::Svg => {
            let months: Vec<String> = buckets(Some(Dimension::Month), &period, &tz)
                .into_iter()
                .map(|b| b.label)
                .collect();
            let title = format!(
                "Taux d'occupation par mois, du {} au {}",
                first.format("%d/%m/%Y"),
                last.format("%d/%m/%Y")
            );
            let svg = crate::views::reports::chart::occupancy_by_month(&report, &months, &title)?;
            Ok(HttpResponse::Ok()
                .content_type("image/svg+xml; charset=utf-8")
                .body(svg))
        }
    }
}

/// Indicators of a school year for the steering committee: the usage figures of the whole
/// campus and of each member's platforms (see `/reports/usage` for their definitions),
/// what each member booked, the service requests submitted that year and how far they
/// went, and the top platforms by occupancy and by shared use. The director and observers
/// only.
#[utoipa::path(tag = "reports", params(IndicatorsQuery), responses(
    (status = 200, description = "the indicators or their CSV export", content(
        (IndicatorsView = "application/json"),
        (String = "text/csv"))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/reports/indicators")]
async fn indicators(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    query: web::Query<IndicatorsQuery>,
) -> ApiResult<HttpResponse> {
    access::require_indicators_reader(&user)?;
    let tz = state.timezone;
    let format = negotiate(&req, query.format.as_deref(), &["json", "csv"])?;
    let (year, period, filter) = query.check(state.now(), &tz)?;
    let indicators = state
        .reports_db({
            let period = period.clone();
            move |conn| reports::campus_indicators(conn, &user, &tz, &period, &filter)
        })
        .await?;
    let label = school_year_label(year);
    let view = IndicatorsView::new(label.clone(), period.first, period.last_day(), &indicators);
    match format {
        Format::Csv => Ok(csv_attachment(
            crate::views::reports::csv::indicators(&view)?,
            &format!("indicateurs-{label}.csv"),
        )),
        _ => Ok(HttpResponse::Ok().json(view)),
    }
}
