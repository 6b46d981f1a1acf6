//! Usage reports and indicators on the wire.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::reports::{hours, Dimension, Totals};
use crate::reports::{MemberFigures, RequestFigures, UsageReport};

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
        indicators: &crate::reports::Indicators,
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
