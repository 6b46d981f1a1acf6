//! Usage reports and indicators on the wire: JSON here, CSV (`csv`) and the SVG chart
//! (`chart`).

pub mod chart;
pub mod csv;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::db::reports::ReportFilter;
use crate::domain::booking::LearnerStatus;
use crate::domain::reports::{
    hours, parse_group_by, parse_school_year, school_year_dates, school_year_of, Dimension, Period,
    Totals,
};
use crate::domain::validate::Checks;
use crate::domain::PlatformDomain;
use crate::error::{ApiResult, FieldError};
use crate::usecases::reports::{MemberFigures, RequestFigures, UsageReport};

/// Learner-hours (recorded headcount × hours used) by learner status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LearnerHoursView {
    pub school: f64,
    pub apprentice: f64,
    pub continuing_education: f64,
    pub higher_education: f64,
    pub company: f64,
    pub research: f64,
}

/// The figures of a group of sessions. Hours are rounded to the hundredth.
///
/// - A session counts where it starts. `sessions_booked` counts confirmed sessions;
///   pending and rejected ones count nowhere.
/// - `sessions_unreported`: confirmed sessions that have ended with no usage record; they
///   are left out of the used hours rather than guessed.
/// - `hours_used`: actual start to actual end of the recorded sessions (no-shows add 0).
/// - `open_hours`: unit-hours offered, where each equipment item in service and each
///   station of a platform is one unit: the opening hours, minus closures (campus, owner
///   and platform), minus the item's maintenance windows.
/// - `occupied_hours`: hours used × units held (one for an equipment item, the number of
///   stations for a station booking).
/// - `occupancy = occupied_hours / open_hours`, from 0 to 1 (4 decimals); `null` when
///   nothing was open. Groups by booking organisation or learner status are measured
///   against the open time of all the platforms of the report.
/// - `shared_hours_used`: hours used by organisations other than the platform's owner;
///   `company_hours_used`: by companies.
/// - `mixed_sessions`: recorded sessions with learners of more than one status.
/// - `sessions_recorded_after_the_fact`, `hours_recorded_after_the_fact`: the sessions
///   recorded after they happened without a booking (`POST /past-sessions`) and their hours
///   used; they are already counted in the figures above.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiguresView {
    pub sessions_booked: i64,
    pub sessions_cancelled: i64,
    pub sessions_no_show: i64,
    pub sessions_unreported: i64,
    pub mixed_sessions: i64,
    pub hours_booked: f64,
    pub hours_used: f64,
    pub open_hours: f64,
    pub occupied_hours: f64,
    pub occupancy: Option<f64>,
    pub shared_hours_used: f64,
    pub company_hours_used: f64,
    pub sessions_recorded_after_the_fact: i64,
    pub hours_recorded_after_the_fact: f64,
    pub learner_hours: LearnerHoursView,
}

impl FiguresView {
    pub fn new(t: &Totals) -> Self {
        let learner = |i: usize| hours(t.learner_seconds[i]);
        FiguresView {
            sessions_booked: t.sessions_booked,
            sessions_cancelled: t.sessions_cancelled,
            sessions_no_show: t.sessions_no_show,
            sessions_unreported: t.sessions_unreported,
            mixed_sessions: t.mixed_sessions,
            hours_booked: hours(t.seconds_booked),
            hours_used: hours(t.seconds_used),
            open_hours: hours(t.open_unit_seconds),
            occupied_hours: hours(t.unit_seconds_used),
            occupancy: t.occupancy(),
            shared_hours_used: hours(t.seconds_shared),
            company_hours_used: hours(t.seconds_company),
            sessions_recorded_after_the_fact: t.sessions_after_the_fact,
            hours_recorded_after_the_fact: hours(t.seconds_after_the_fact),
            // In the order of `LearnerStatus::ALL`.
            learner_hours: LearnerHoursView {
                school: learner(0),
                apprentice: learner(1),
                continuing_education: learner(2),
                higher_education: learner(3),
                company: learner(4),
                research: learner(5),
            },
        }
    }
}

/// What a group is, along one dimension.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupKeyView {
    pub dimension: Dimension,
    /// Id of the platform, equipment item or organisation, or the learner status or domain
    /// value; `null` for periods of time and for the stations of a platform.
    pub id: Option<String>,
    /// Name, or period: `2026-W37`, `2026-09`, `2026-2027`.
    pub label: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageGroupView {
    /// One key per dimension of `group_by`, in order.
    pub keys: Vec<GroupKeyView>,
    pub figures: FiguresView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageReportView {
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period (included).
    pub to: NaiveDate,
    pub group_by: Vec<Dimension>,
    /// The whole scope of the report; a mixed session counts once here.
    pub total: FiguresView,
    pub groups: Vec<UsageGroupView>,
}

impl UsageReportView {
    pub fn new(from: NaiveDate, to: NaiveDate, report: &UsageReport) -> Self {
        UsageReportView {
            from,
            to,
            group_by: report.dimensions.clone(),
            total: FiguresView::new(&report.total),
            groups: report
                .groups
                .iter()
                .map(|(key, totals)| UsageGroupView {
                    keys: report
                        .dimensions
                        .iter()
                        .zip(key)
                        .map(|(d, k)| {
                            let (id, label) = report.names.describe(*d, k);
                            GroupKeyView {
                                dimension: *d,
                                id,
                                label,
                            }
                        })
                        .collect(),
                    figures: FiguresView::new(totals),
                })
                .collect(),
        }
    }
}

/// What a member organisation booked, on anyone's platforms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberUseView {
    pub sessions_booked: i64,
    pub hours_booked: f64,
    pub hours_used: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberIndicatorsView {
    pub organisation_id: String,
    pub name: String,
    pub kind: String,
    /// The figures of the platforms it runs; `null` if it runs none.
    pub platforms: Option<FiguresView>,
    pub as_user: MemberUseView,
}

impl MemberIndicatorsView {
    pub fn new(m: &MemberFigures) -> Self {
        MemberIndicatorsView {
            organisation_id: m.id.clone(),
            name: m.name.clone(),
            kind: m.kind.clone(),
            platforms: m.platforms.as_ref().map(FiguresView::new),
            as_user: MemberUseView {
                sessions_booked: m.as_user.sessions_booked,
                hours_booked: hours(m.as_user.seconds_booked),
                hours_used: hours(m.as_user.seconds_used),
            },
        }
    }
}

/// Service requests submitted in the school year, and how far they have gone since.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestIndicatorsView {
    pub received: i64,
    pub quoted: i64,
    pub accepted: i64,
    pub delivered: i64,
    /// Days from submission to the first quote, median (one decimal).
    pub median_days_to_quote: Option<f64>,
    /// Days from submission to delivery, median (one decimal).
    pub median_days_to_delivery: Option<f64>,
    /// Sum of the latest quote of each request, excluding VAT, in cents.
    pub quoted_excl_vat_cents: i64,
    pub invoiced_cents: i64,
}

impl RequestIndicatorsView {
    pub fn new(r: &RequestFigures) -> Self {
        RequestIndicatorsView {
            received: r.received,
            quoted: r.quoted,
            accepted: r.accepted,
            delivered: r.delivered,
            median_days_to_quote: r.median_days_to_quote,
            median_days_to_delivery: r.median_days_to_delivery,
            quoted_excl_vat_cents: r.quoted_cents,
            invoiced_cents: r.invoiced_cents,
        }
    }
}

/// A platform in a ranking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlatformRankView {
    pub platform_id: String,
    pub name: String,
    pub occupancy: Option<f64>,
    pub hours_used: f64,
    pub shared_hours_used: f64,
}

/// Indicators of a school year for the steering committee.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorsView {
    #[schema(example = "2026-2027")]
    pub school_year: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The whole campus (or every campus).
    pub campus: FiguresView,
    /// Each member organisation (companies are counted in `company_hours_used`).
    pub members: Vec<MemberIndicatorsView>,
    pub service_requests: RequestIndicatorsView,
    /// The five platforms with the highest occupancy.
    pub top_platforms_by_occupancy: Vec<PlatformRankView>,
    /// The five platforms most used by organisations other than their owner.
    pub top_platforms_by_shared_use: Vec<PlatformRankView>,
}

impl IndicatorsView {
    pub fn new(
        school_year: String,
        from: NaiveDate,
        to: NaiveDate,
        indicators: &crate::usecases::reports::Indicators,
    ) -> Self {
        let rank = |(p, t): &(crate::db::reports::PlatformSummary, Totals)| PlatformRankView {
            platform_id: p.id.clone(),
            name: p.name.clone(),
            occupancy: t.occupancy(),
            hours_used: hours(t.seconds_used),
            shared_hours_used: hours(t.seconds_shared),
        };
        let mut by_occupancy: Vec<_> = indicators
            .platforms
            .iter()
            .filter(|(_, t)| t.occupancy().is_some_and(|o| o > 0.0))
            .collect();
        by_occupancy.sort_by(|(a, ta), (b, tb)| {
            tb.occupancy()
                .partial_cmp(&ta.occupancy())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.name.cmp(&b.name))
        });
        let mut by_shared: Vec<_> = indicators
            .platforms
            .iter()
            .filter(|(_, t)| t.seconds_shared > 0)
            .collect();
        by_shared.sort_by(|(a, ta), (b, tb)| {
            tb.seconds_shared
                .cmp(&ta.seconds_shared)
                .then_with(|| a.name.cmp(&b.name))
        });
        IndicatorsView {
            school_year,
            from,
            to,
            campus: FiguresView::new(&indicators.campus),
            members: indicators
                .members
                .iter()
                .map(MemberIndicatorsView::new)
                .collect(),
            service_requests: RequestIndicatorsView::new(&indicators.requests),
            top_platforms_by_occupancy: by_occupancy.into_iter().take(5).map(rank).collect(),
            top_platforms_by_shared_use: by_shared.into_iter().take(5).map(rank).collect(),
        }
    }
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
/// (both days included), or the school year of `now`. A `to` before `from` is an empty
/// period, whose report counts nothing, as lists filtered by `from` and `to` answer empty.
fn period(
    checks: &mut Checks,
    school_year: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    now: i64,
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
            let today = crate::domain::time::local(now, tz).date_naive();
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

impl UsageQuery {
    /// The period and its last day as asked, the filter (before the caller's scope narrows
    /// it) and the groups asked for; `svg` charts occupancy by platform and month whatever
    /// `group_by` says.
    pub fn check(
        &self,
        svg: bool,
        now: i64,
        tz: &chrono_tz::Tz,
    ) -> ApiResult<(Period, NaiveDate, ReportFilter, Vec<Dimension>)> {
        let mut checks = Checks::new();
        let period = period(
            &mut checks,
            self.school_year.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
            now,
            tz,
        );
        let platform_ids = platform_ids(&mut checks, self.platform_id.as_deref());
        // Checked whatever the format, so that a chart is not drawn for a request the
        // document calls wrong.
        let grouping = match parse_group_by(self.group_by.as_deref().unwrap_or_default()) {
            Ok(d) => d,
            Err(message) => {
                let allowed = Dimension::ALL
                    .iter()
                    .map(|d| d.as_str().to_owned())
                    .collect();
                checks.push(
                    FieldError::new("group_by", "unknown_value", message)
                        .with_allowed_values(allowed),
                );
                Vec::new()
            }
        };
        let dimensions = if svg {
            vec![Dimension::Platform, Dimension::Month]
        } else {
            grouping
        };
        checks.finish()?;
        let (period, last) = period.expect("checked");
        let filter = ReportFilter {
            from: period.span.start,
            to: period.span.end,
            now,
            campus_id: self.campus_id.map(|v| v.to_string()),
            platform_ids,
            equipment_id: self.equipment_id.map(|v| v.to_string()),
            domain: self.domain.map(|v| v.as_str().to_owned()),
            organisation_id: self.organisation_id.map(|v| v.to_string()),
            owner_organisation_id: self.owner_organisation_id.map(|v| v.to_string()),
            learner_status: self.learner_status.map(|v| v.as_str().to_owned()),
            managed_by: None,
        };
        Ok((period, last, filter, dimensions))
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

impl IndicatorsQuery {
    /// The school year asked for (that of `now` by default), its period and the filter.
    pub fn check(&self, now: i64, tz: &chrono_tz::Tz) -> ApiResult<(i32, Period, ReportFilter)> {
        let mut checks = Checks::new();
        let year = match self.school_year.as_deref() {
            Some(text) => parse_school_year(text).or_else(|| {
                checks.fail(
                    "school_year",
                    "invalid_format",
                    "année scolaire attendue sous la forme 2026-2027",
                );
                None
            }),
            None => Some(school_year_of(
                crate::domain::time::local(now, tz).date_naive(),
            )),
        };
        checks.finish()?;
        let year = year.expect("checked");
        let (first, end) = school_year_dates(year);
        let period = Period::new(first, end, tz);
        let filter = ReportFilter {
            from: period.span.start,
            to: period.span.end,
            now,
            campus_id: self.campus_id.map(|v| v.to_string()),
            ..ReportFilter::default()
        };
        Ok((year, period, filter))
    }
}
