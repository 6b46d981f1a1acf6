//! Usage reports and steering-committee indicators, as JSON, CSV or an SVG chart.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::reports::ReportFilter;
use crate::db::{self, DbConnection};
use crate::domain::booking::LearnerStatus;
use crate::domain::reports::{
    buckets, parse_group_by, parse_school_year, school_year_dates, school_year_label,
    school_year_of, school_year_pattern, Dimension, Period,
};
use crate::domain::validate::Checks;
use crate::domain::{PlatformDomain, Role};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::routes::extract::{csv_attachment, negotiate, Format};
use crate::views::reports::{IndicatorsView, UsageReportView};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(usage_report).service(indicators);
}

/// The longest period a usage report covers.
const MAX_PERIOD_DAYS: i64 = 3 * 366;

fn parse_day(checks: &mut Checks, field: &str, text: &str) -> Option<NaiveDate> {
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    if day.is_none() {
        checks.fail(
            field,
            "invalid_format",
            "date attendue au format AAAA-MM-JJ",
        );
    }
    day
}

/// The period of a request and its last day as asked: a school year, or `from` and `to`
/// (both days included), or the current school year. A `to` before `from` is an empty
/// period, whose report counts nothing, as lists filtered by `from` and `to` answer empty.
fn period(
    checks: &mut Checks,
    school_year: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    tz: &chrono_tz::Tz,
) -> Option<(Period, NaiveDate)> {
    match (school_year, from, to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            checks.fail(
                "school_year",
                "conflicting_values",
                "indiquez soit school_year, soit from et to",
            );
            None
        }
        (Some(year), None, None) => match parse_school_year(year) {
            Some(first) => {
                let (first, end) = school_year_dates(first);
                Some((Period::new(first, end, tz), end - Duration::days(1)))
            }
            None => {
                checks.fail(
                    "school_year",
                    "invalid_format",
                    "année scolaire attendue sous la forme 2026-2027",
                );
                None
            }
        },
        (None, Some(from), Some(to)) => {
            let first = parse_day(checks, "from", from)?;
            let last = parse_day(checks, "to", to)?;
            if last < first {
                return Some((Period::new(first, first, tz), last));
            }
            if (last - first).num_days() >= MAX_PERIOD_DAYS {
                checks.fail(
                    "to",
                    "period_too_long",
                    format!("une période couvre au plus {MAX_PERIOD_DAYS} jours"),
                );
                return None;
            }
            Some((Period::new(first, last + Duration::days(1), tz), last))
        }
        (None, Some(_), None) | (None, None, Some(_)) => {
            checks.fail(
                if from.is_some() { "to" } else { "from" },
                "required",
                "from et to vont ensemble",
            );
            None
        }
        (None, None, None) => {
            let today = crate::domain::time::local(db::now(), tz).date_naive();
            let (first, end) = school_year_dates(school_year_of(today));
            Some((Period::new(first, end, tz), end - Duration::days(1)))
        }
    }
}

/// Platform ids separated by commas, nothing else (as the pattern of `platform_id` says).
fn platform_ids(checks: &mut Checks, text: Option<&str>) -> Vec<String> {
    let mut ids = Vec::new();
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return ids;
    };
    for part in text.split(',') {
        // The hyphenated form only, as the document says (`parse_str` also reads others).
        match Uuid::parse_str(part).ok().filter(|_| part.len() == 36) {
            Some(id) => ids.push(id.to_string()),
            None => checks.fail(
                "platform_id",
                "invalid_format",
                format!("identifiant de plateau invalide : « {part} »"),
            ),
        }
    }
    ids.sort();
    ids.dedup();
    ids
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

/// Every named campus, platform, equipment item and organisation exists and is within the
/// caller's reach; otherwise 404, as for any resource out of scope.
fn check_references(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &ReportFilter,
) -> ApiResult<()> {
    if let Some(id) = &filter.campus_id {
        db::campuses::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    }
    let mut platforms = filter.platform_ids.clone();
    if let Some(id) = &filter.equipment_id {
        platforms.push(
            db::equipment::find(conn, id)?
                .ok_or_else(ApiError::not_found)?
                .platform_id,
        );
    }
    for id in &platforms {
        db::platforms::find(conn, id)?.ok_or_else(ApiError::not_found)?;
        if user.role == Role::Manager && !db::platforms::is_manager(conn, &user.id, id)? {
            return Err(ApiError::not_found());
        }
    }
    for id in [&filter.organisation_id, &filter.owner_organisation_id]
        .into_iter()
        .flatten()
    {
        db::organisations::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// School year, `2026-2027` (1 September to 31 August), from `2000-2001` to
    /// `2100-2101`. Without it nor `from`/`to`, the current school year. Not with `from`
    /// and `to` (422 `conflicting_values`).
    pub school_year: Option<String>,
    /// First day of the period, `YYYY-MM-DD`; with `to` (422 `required` without it).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day of the period, included; with `from`, for a period of 1,098 days at most
    /// (422 `period_too_long`). A `to` before `from` is an empty period: nothing counted.
    #[param(format = Date)]
    pub to: Option<String>,
    pub campus_id: Option<Uuid>,
    /// One platform id, or several separated by commas (no spaces).
    #[param(
        pattern = "^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?:,[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})*)?$",
        example = "0195f3a4-5b6c-7d8e-9f00-112233445566,0195f3a4-5b6c-7d8e-9f00-112233445567"
    )]
    pub platform_id: Option<String>,
    pub equipment_id: Option<Uuid>,
    pub domain: Option<PlatformDomain>,
    /// The organisation sessions were booked for.
    pub organisation_id: Option<Uuid>,
    /// The organisation that runs the platforms.
    pub owner_organisation_id: Option<Uuid>,
    /// Sessions whose booked group includes learners of this status.
    pub learner_status: Option<LearnerStatus>,
    /// Up to three of `platform`, `equipment`, `owner_organisation`, `organisation`,
    /// `learner_status`, `domain` and one of `week`, `month`, `school_year`, separated by
    /// commas, without spaces (any but the period given twice counts once). Learner status
    /// groups use the group declared at booking, so a mixed session appears in each of its
    /// statuses (and once in the total).
    #[param(
        pattern = "^(?:(?:platform|equipment|owner_organisation|organisation|learner_status|domain)(?:,(?:platform|equipment|owner_organisation|organisation|learner_status|domain)){0,2}|(?:week|month|school_year)(?:,(?:platform|equipment|owner_organisation|organisation|learner_status|domain)){0,2}|(?:platform|equipment|owner_organisation|organisation|learner_status|domain),(?:week|month|school_year)(?:,(?:platform|equipment|owner_organisation|organisation|learner_status|domain))?|(?:platform|equipment|owner_organisation|organisation|learner_status|domain),(?:platform|equipment|owner_organisation|organisation|learner_status|domain),(?:week|month|school_year))?$",
        example = "platform,month"
    )]
    pub group_by: Option<String>,
    /// `json` (default), `csv` (also with `Accept: text/csv`) or `svg`: the chart of
    /// occupancy by month, one line per platform (the ten most occupied when more are in
    /// scope), whatever `group_by` says.
    #[param(pattern = "^(json|csv|svg)$")]
    pub format: Option<String>,
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
    let q = query.into_inner();
    let tz = state.timezone;
    let format = negotiate(&req, q.format.as_deref(), &["json", "csv", "svg"])?;
    let mut checks = Checks::new();
    let period = period(
        &mut checks,
        q.school_year.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        &tz,
    );
    let platform_ids = platform_ids(&mut checks, q.platform_id.as_deref());
    // Checked whatever the format, so that a chart is not drawn for a request the document
    // calls wrong.
    let grouping = match parse_group_by(q.group_by.as_deref().unwrap_or_default()) {
        Ok(d) => d,
        Err(message) => {
            let allowed = Dimension::ALL
                .iter()
                .map(|d| d.as_str().to_owned())
                .collect();
            checks.push(
                FieldError::new("group_by", "unknown_value", message).with_allowed_values(allowed),
            );
            Vec::new()
        }
    };
    let dimensions = if format == Format::Svg {
        vec![Dimension::Platform, Dimension::Month]
    } else {
        grouping
    };
    checks.finish()?;
    let (period, last) = period.expect("checked");
    let mut filter = ReportFilter {
        from: period.span.start,
        to: period.span.end,
        now: db::now(),
        campus_id: q.campus_id.map(|v| v.to_string()),
        platform_ids,
        equipment_id: q.equipment_id.map(|v| v.to_string()),
        domain: q.domain.map(|v| v.as_str().to_owned()),
        organisation_id: q.organisation_id.map(|v| v.to_string()),
        owner_organisation_id: q.owner_organisation_id.map(|v| v.to_string()),
        learner_status: q.learner_status.map(|v| v.as_str().to_owned()),
        managed_by: None,
    };
    match user.role {
        Role::Admin | Role::Observer => {}
        Role::Manager => filter.managed_by = Some(user.id.clone()),
        Role::Teacher | Role::Company => {
            if filter
                .organisation_id
                .as_ref()
                .is_some_and(|o| *o != user.organisation_id)
            {
                return Err(ApiError::not_found());
            }
            filter.organisation_id = Some(user.organisation_id.clone());
        }
    }
    let report = state
        .db({
            let period = period.clone();
            let dimensions = dimensions.clone();
            move |conn| {
                check_references(conn, &user, &filter)?;
                crate::reports::usage_report(conn, &tz, &period, &filter, &dimensions)
            }
        })
        .await?;
    let first = period.first;
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(UsageReportView::new(first, last, &report))),
        Format::Csv => Ok(csv_attachment(
            crate::reports::csv::usage(&UsageReportView::new(first, last, &report))?,
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
            let svg = crate::reports::chart::occupancy_by_month(&report, &months, &title)?;
            Ok(HttpResponse::Ok()
                .content_type("image/svg+xml; charset=utf-8")
                .body(svg))
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorsQuery {
    /// `2026-2027`, from `2000-2001` to `2100-2101`; the current school year by default.
    pub school_year: Option<String>,
    /// One campus; every campus by default.
    pub campus_id: Option<Uuid>,
    /// `json` (default) or `csv` (also with `Accept: text/csv`).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
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
    if !matches!(user.role, Role::Admin | Role::Observer) {
        return Err(ApiError::forbidden(
            "Les indicateurs du campus sont réservés à la direction et au comité de pilotage.",
        ));
    }
    let q = query.into_inner();
    let tz = state.timezone;
    let format = negotiate(&req, q.format.as_deref(), &["json", "csv"])?;
    let mut checks = Checks::new();
    let year = match q.school_year.as_deref() {
        Some(text) => parse_school_year(text).or_else(|| {
            checks.fail(
                "school_year",
                "invalid_format",
                "année scolaire attendue sous la forme 2026-2027",
            );
            None
        }),
        None => Some(school_year_of(
            crate::domain::time::local(db::now(), &tz).date_naive(),
        )),
    };
    checks.finish()?;
    let year = year.expect("checked");
    let (first, end) = school_year_dates(year);
    let period = Period::new(first, end, &tz);
    let filter = ReportFilter {
        from: period.span.start,
        to: period.span.end,
        now: db::now(),
        campus_id: q.campus_id.map(|v| v.to_string()),
        ..ReportFilter::default()
    };
    let indicators = state
        .db({
            let period = period.clone();
            move |conn| {
                check_references(conn, &user, &filter)?;
                crate::reports::indicators(conn, &tz, &period, &filter)
            }
        })
        .await?;
    let label = school_year_label(year);
    let view = IndicatorsView::new(label.clone(), first, period.last_day(), &indicators);
    match format {
        Format::Csv => Ok(csv_attachment(
            crate::reports::csv::indicators(&view)?,
            &format!("indicateurs-{label}.csv"),
        )),
        _ => Ok(HttpResponse::Ok().json(view)),
    }
}
