//! Usage reports and campus indicators. The database sums the sessions of each group; open
//! time (opening hours minus closures and maintenance) is computed here from the few rows
//! that describe the platforms; the two meet in `Totals`.

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Tz;

use crate::access;
use crate::auth::CurrentUser;
use crate::db::reports::{self as store, PlatformSummary, ReportFilter, STATIONS};
use crate::db::{self, DbConnection};
use crate::domain::booking::LearnerStatus;
use crate::domain::opening_hours::WeeklyInterval;
use crate::domain::reports::{
    buckets, median, open_time, opening_within, round_to, Bucket, Dimension, Period, PlatformOffer,
    Totals,
};
use crate::domain::time::Span;
use crate::error::{ApiError, ApiResult};
use crate::labels::Label;

/// The key of a group: one value per dimension of the report, in order.
pub type GroupKey = Vec<String>;

/// A usage report: its groups in order, the total of the whole scope, and the names of
/// what the keys refer to.
#[derive(Debug, Clone)]
pub struct UsageReport {
    pub dimensions: Vec<Dimension>,
    pub groups: Vec<(GroupKey, Totals)>,
    pub total: Totals,
    pub names: Names,
}

/// Names of the platforms, equipment items and organisations a report mentions.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub platforms: HashMap<String, String>,
    pub equipment: HashMap<String, String>,
    pub organisations: HashMap<String, (String, String)>,
}

impl Names {
    /// `(id, label)` of one key of a group; periods of time have no id.
    pub fn describe(&self, dimension: Dimension, key: &str) -> (Option<String>, String) {
        let named = |map: &HashMap<String, String>| {
            (
                Some(key.to_owned()),
                map.get(key).cloned().unwrap_or_else(|| key.to_owned()),
            )
        };
        match dimension {
            Dimension::Platform => named(&self.platforms),
            Dimension::Equipment => match key.strip_prefix(STATIONS) {
                Some(platform) => (
                    None,
                    format!(
                        "Postes de travail : {}",
                        self.platforms
                            .get(platform)
                            .map(String::as_str)
                            .unwrap_or(platform)
                    ),
                ),
                None => named(&self.equipment),
            },
            Dimension::Organisation | Dimension::OwnerOrganisation => (
                Some(key.to_owned()),
                self.organisations
                    .get(key)
                    .map(|(name, _)| name.clone())
                    .unwrap_or_else(|| key.to_owned()),
            ),
            Dimension::LearnerStatus => (
                Some(key.to_owned()),
                LearnerStatus::parse(key)
                    .map(Label::label)
                    .unwrap_or(key)
                    .to_owned(),
            ),
            Dimension::Domain => (
                Some(key.to_owned()),
                crate::domain::PlatformDomain::parse(key)
                    .map(Label::label)
                    .unwrap_or(key)
                    .to_owned(),
            ),
            Dimension::Week | Dimension::Month | Dimension::SchoolYear => (None, key.to_owned()),
        }
    }
}

/// Session sums by group, and open time by the part of the key that open time depends on.
struct Sums {
    sessions: BTreeMap<GroupKey, Totals>,
    open: HashMap<Vec<Option<String>>, i64>,
    total_open: i64,
    platforms: Vec<PlatformSummary>,
}

/// The session sums of each group, as the database returns them (no open time yet).
fn session_totals(
    conn: &mut DbConnection,
    filter: &ReportFilter,
    dimensions: &[Dimension],
    buckets: &[Bucket],
) -> ApiResult<BTreeMap<GroupKey, Totals>> {
    let key_of = |keys: [Option<String>; 3]| -> GroupKey {
        keys.into_iter()
            .take(dimensions.len())
            .map(Option::unwrap_or_default)
            .collect()
    };
    let mut sessions: BTreeMap<GroupKey, Totals> = BTreeMap::new();
    for row in store::session_sums(conn, filter, dimensions, buckets)? {
        let totals = Totals {
            sessions_booked: row.sessions_booked,
            sessions_cancelled: row.sessions_cancelled,
            sessions_no_show: row.sessions_no_show,
            sessions_unreported: row.sessions_unreported,
            mixed_sessions: row.mixed_sessions,
            sessions_after_the_fact: row.sessions_after_the_fact,
            seconds_after_the_fact: row.seconds_after_the_fact,
            seconds_booked: row.seconds_booked,
            seconds_used: row.seconds_used,
            unit_seconds_used: row.unit_seconds_used,
            seconds_shared: row.seconds_shared,
            seconds_company: row.seconds_company,
            // In the order of `LearnerStatus::ALL`.
            learner_seconds: [
                row.school_seconds,
                row.apprentice_seconds,
                row.continuing_education_seconds,
                row.higher_education_seconds,
                row.company_seconds,
                row.research_seconds,
            ],
            open_unit_seconds: 0,
        };
        sessions
            .entry(key_of([row.k0, row.k1, row.k2]))
            .or_default()
            .add(&totals);
    }
    Ok(sessions)
}

fn sums(
    conn: &mut DbConnection,
    tz: &Tz,
    period: &Period,
    filter: &ReportFilter,
    dimensions: &[Dimension],
) -> ApiResult<Sums> {
    let time = dimensions.iter().copied().find(|d| d.is_time());
    let buckets = buckets(time, period, tz);
    let sessions = session_totals(conn, filter, dimensions, &buckets)?;

    let platforms = store::platforms_in_scope(conn, filter)?;
    let offers = offers(conn, &platforms, filter, period.span)?;
    let mut open: HashMap<Vec<Option<String>>, i64> = HashMap::new();
    let mut total_open = 0;
    // Opening hours made concrete once per bucket and set of hours, not per platform.
    let mut opening: BTreeMap<(usize, Vec<WeeklyInterval>), Vec<Span>> = BTreeMap::new();
    for (platform, offer) in platforms.iter().zip(&offers) {
        for (index, bucket) in buckets.iter().enumerate() {
            let spans = opening
                .entry((index, offer.hours.clone()))
                .or_insert_with(|| opening_within(&offer.hours, tz, bucket.span));
            for unit in open_time(offer, spans) {
                total_open += unit.seconds;
                let key = dimensions
                    .iter()
                    .map(|d| match d {
                        Dimension::Platform => Some(platform.id.clone()),
                        Dimension::Equipment => Some(
                            unit.equipment_id
                                .clone()
                                .unwrap_or_else(|| format!("{STATIONS}{}", platform.id)),
                        ),
                        Dimension::OwnerOrganisation => {
                            Some(platform.owner_organisation_id.clone())
                        }
                        Dimension::Domain => Some(platform.domain.clone()),
                        Dimension::Week | Dimension::Month | Dimension::SchoolYear => {
                            Some(bucket.label.clone())
                        }
                        Dimension::Organisation | Dimension::LearnerStatus => None,
                    })
                    .collect();
                *open.entry(key).or_default() += unit.seconds;
            }
        }
    }
    Ok(Sums {
        sessions,
        open,
        total_open,
        platforms,
    })
}

/// What each platform offers over the window: its opening hours, its stations (none when
/// the report is about one equipment item), its equipment in service and their
/// maintenance windows, and the closures that apply to it.
fn offers(
    conn: &mut DbConnection,
    platforms: &[PlatformSummary],
    filter: &ReportFilter,
    window: Span,
) -> ApiResult<Vec<PlatformOffer>> {
    let ids: Vec<String> = platforms.iter().map(|p| p.id.clone()).collect();
    let mut hours: HashMap<String, Vec<WeeklyInterval>> = HashMap::new();
    for (platform, interval) in db::platforms::opening_hours_of(conn, &ids)? {
        hours.entry(platform).or_default().push(interval);
    }
    let equipment: Vec<(String, String, String)> = store::equipment_in_service(conn, &ids)?
        .into_iter()
        .filter(|(id, _, _)| filter.equipment_id.as_ref().is_none_or(|only| only == id))
        .collect();
    let equipment_ids: Vec<String> = equipment.iter().map(|(id, _, _)| id.clone()).collect();
    let mut maintenance: HashMap<String, Vec<Span>> = HashMap::new();
    for (id, start, end) in
        store::maintenance_between(conn, &equipment_ids, window.start, window.end)?
    {
        maintenance
            .entry(id)
            .or_default()
            .push(Span::new(start, end));
    }
    let closures = store::closures_between(conn, window.start, window.end)?;
    Ok(platforms
        .iter()
        .map(|p| PlatformOffer {
            hours: {
                let mut hours = hours.remove(&p.id).unwrap_or_default();
                hours.sort();
                hours
            },
            stations: if filter.equipment_id.is_some() {
                0
            } else {
                p.stations
            },
            closures: closures
                .iter()
                .filter(|c| match c.scope.as_str() {
                    "campus" => c.scope_id == p.campus_id,
                    "organisation" => c.scope_id == p.owner_organisation_id,
                    _ => c.scope_id == p.id,
                })
                .map(|c| Span::new(c.starts_at, c.ends_at))
                .collect(),
            equipment: equipment
                .iter()
                .filter(|(_, platform, _)| *platform == p.id)
                .map(|(id, _, _)| (id.clone(), maintenance.remove(id).unwrap_or_default()))
                .collect(),
        })
        .collect())
}

/// The usage report of a period, grouped by `dimensions`.
fn usage_report(
    conn: &mut DbConnection,
    tz: &Tz,
    period: &Period,
    filter: &ReportFilter,
    dimensions: &[Dimension],
) -> ApiResult<UsageReport> {
    let Sums {
        mut sessions,
        open,
        total_open,
        platforms,
    } = sums(conn, tz, period, filter, dimensions)?;
    // Groups that offered open time but held no session are shown too, when the groups
    // are of platforms, equipment or time.
    if dimensions.iter().all(|d| d.splits_open_time()) {
        for key in open.keys() {
            sessions
                .entry(key.iter().map(|k| k.clone().unwrap_or_default()).collect())
                .or_default();
        }
    }
    for (key, totals) in sessions.iter_mut() {
        let open_key: Vec<Option<String>> = dimensions
            .iter()
            .zip(key)
            .map(|(d, k)| d.splits_open_time().then(|| k.clone()))
            .collect();
        totals.open_unit_seconds = open.get(&open_key).copied().unwrap_or(0);
    }
    let mut total = if dimensions.contains(&Dimension::LearnerStatus) {
        // A mixed session belongs to several learner groups: count it once.
        session_totals(conn, filter, &[], &[])?
            .into_values()
            .next()
            .unwrap_or_default()
    } else {
        let mut total = Totals::default();
        sessions.values().for_each(|t| total.add(t));
        total
    };
    total.open_unit_seconds = total_open;

    let mut names = Names {
        platforms: platforms
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect(),
        ..Names::default()
    };
    let keys_of = |wanted: &[Dimension]| -> Vec<String> {
        let mut ids: Vec<String> = sessions
            .keys()
            .flat_map(|key| {
                dimensions
                    .iter()
                    .zip(key)
                    .filter(|(d, _)| wanted.contains(d))
                    .map(|(_, k)| k.clone())
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let organisation_ids = keys_of(&[Dimension::Organisation, Dimension::OwnerOrganisation]);
    let equipment_ids = keys_of(&[Dimension::Equipment]);
    names.organisations = store::organisation_names(conn, &organisation_ids)?
        .into_iter()
        .map(|(id, name, kind)| (id, (name, kind)))
        .collect();
    names.equipment = store::equipment_names(conn, &equipment_ids)?
        .into_iter()
        .collect();

    // Periods of time in order, everything else by name; without grouping, the total
    // says it all.
    let mut groups: Vec<(GroupKey, Totals)> = if dimensions.is_empty() {
        Vec::new()
    } else {
        sessions.into_iter().collect()
    };
    groups.sort_by_cached_key(|(key, _)| {
        dimensions
            .iter()
            .zip(key)
            .map(|(d, k)| names.describe(*d, k).1.to_lowercase())
            .collect::<Vec<String>>()
    });
    Ok(UsageReport {
        dimensions: dimensions.to_vec(),
        groups,
        total,
        names,
    })
}

/// Figures of one member organisation of the campus.
#[derive(Debug, Clone)]
pub struct MemberFigures {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// Its platforms, if it runs any.
    pub platforms: Option<Totals>,
    /// The sessions it booked, on anyone's platforms (no open time).
    pub as_user: Totals,
}

/// Service requests submitted in a period, and how far they went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFigures {
    pub received: i64,
    pub quoted: i64,
    pub accepted: i64,
    pub delivered: i64,
    pub median_days_to_quote: Option<f64>,
    pub median_days_to_delivery: Option<f64>,
    /// Latest quote of each request, excluding VAT.
    pub quoted_cents: i64,
    pub invoiced_cents: i64,
}

/// Steering-committee indicators of a period.
#[derive(Debug, Clone)]
pub struct Indicators {
    pub campus: Totals,
    pub members: Vec<MemberFigures>,
    pub platforms: Vec<(PlatformSummary, Totals)>,
    pub requests: RequestFigures,
}

fn indicators(
    conn: &mut DbConnection,
    tz: &Tz,
    period: &Period,
    filter: &ReportFilter,
) -> ApiResult<Indicators> {
    // One pass by platform and booking organisation; every other figure adds those up.
    let dimensions = [Dimension::Platform, Dimension::Organisation];
    let sums = sums(conn, tz, period, filter, &dimensions)?;
    let mut by_platform: HashMap<String, Totals> = HashMap::new();
    let mut by_user: HashMap<String, Totals> = HashMap::new();
    let mut campus = Totals::default();
    for (key, totals) in &sums.sessions {
        by_platform.entry(key[0].clone()).or_default().add(totals);
        by_user.entry(key[1].clone()).or_default().add(totals);
        campus.add(totals);
    }
    campus.open_unit_seconds = sums.total_open;
    let platforms: Vec<(PlatformSummary, Totals)> = sums
        .platforms
        .iter()
        .map(|p| {
            let mut totals = by_platform.remove(&p.id).unwrap_or_default();
            totals.open_unit_seconds = sums
                .open
                .get(&vec![Some(p.id.clone()), None])
                .copied()
                .unwrap_or(0);
            (p.clone(), totals)
        })
        .collect();
    let members = store::members(conn, filter.campus_id.as_deref())?
        .into_iter()
        .map(|(id, name, kind)| {
            let owned: Vec<&Totals> = platforms
                .iter()
                .filter(|(p, _)| p.owner_organisation_id == id)
                .map(|(_, t)| t)
                .collect();
            let platforms = (!owned.is_empty()).then(|| {
                let mut sum = Totals::default();
                owned.into_iter().for_each(|t| sum.add(t));
                sum
            });
            let as_user = by_user.get(&id).copied().unwrap_or_default();
            MemberFigures {
                id,
                name,
                kind,
                platforms,
                as_user,
            }
        })
        .collect();
    let requests = request_figures(conn, period, filter.campus_id.as_deref())?;
    Ok(Indicators {
        campus,
        members,
        platforms,
        requests,
    })
}

/// A sum of amounts; every amount is bounded (`MAX_AMOUNT_CENTS`), so overflowing would take
/// some 90 million requests, but it is refused rather than wrapped.
fn total_cents(amounts: impl IntoIterator<Item = i64>) -> ApiResult<i64> {
    crate::domain::service_request::sum_cents(amounts)
        .ok_or_else(|| ApiError::internal("sum of amounts past 64 bits"))
}

fn request_figures(
    conn: &mut DbConnection,
    period: &Period,
    campus_id: Option<&str>,
) -> ApiResult<RequestFigures> {
    let milestones =
        store::request_milestones(conn, period.span.start, period.span.end, campus_id)?;
    let days = |from: i64, to: Option<i64>| to.map(|t| (t - from) as f64 / 86_400.0);
    let median_days = |values: Vec<f64>| median(values).map(|d| round_to(d, 1));
    Ok(RequestFigures {
        received: milestones.len() as i64,
        quoted: milestones.iter().filter(|m| m.quoted_at.is_some()).count() as i64,
        accepted: milestones
            .iter()
            .filter(|m| m.accepted_at.is_some())
            .count() as i64,
        delivered: milestones
            .iter()
            .filter(|m| m.delivered_at.is_some())
            .count() as i64,
        median_days_to_quote: median_days(
            milestones
                .iter()
                .filter_map(|m| days(m.submitted_at, m.quoted_at))
                .collect(),
        ),
        median_days_to_delivery: median_days(
            milestones
                .iter()
                .filter_map(|m| days(m.submitted_at, m.delivered_at))
                .collect(),
        ),
        quoted_cents: total_cents(milestones.iter().filter_map(|m| m.quoted_cents))?,
        invoiced_cents: total_cents(milestones.iter().filter_map(|m| m.invoiced_cents))?,
    })
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
        if !access::may_report_on_platform(conn, user, id)? {
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

/// The usage report of a period for the caller, whose scope already narrows `filter`
/// (`access::report_scope`), grouped by `dimensions`.
pub fn usage(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: &Tz,
    period: &Period,
    filter: &ReportFilter,
    dimensions: &[Dimension],
) -> ApiResult<UsageReport> {
    check_references(conn, actor, filter)?;
    usage_report(conn, tz, period, filter, dimensions)
}

/// The steering committee's indicators of a period (the director and observers).
pub fn campus_indicators(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: &Tz,
    period: &Period,
    filter: &ReportFilter,
) -> ApiResult<Indicators> {
    access::require_indicators_reader(actor)?;
    check_references(conn, actor, filter)?;
    indicators(conn, tz, period, filter)
}

/// What the indicators page shows: the school year's indicators, the occupancy of each
/// platform by month (the chart's figures) and the campuses to choose from.
pub struct IndicatorsData {
    pub indicators: Indicators,
    pub monthly: UsageReport,
    pub campuses: Vec<db::campuses::CampusRow>,
}

/// The indicators of `period` and, for the chart, usage by platform and month over
/// `months` (the same report as `GET /reports/usage?format=svg`); the director and
/// observers only.
pub fn indicators_page(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: &Tz,
    period: &Period,
    months: &Period,
    filter: &ReportFilter,
) -> ApiResult<IndicatorsData> {
    let indicators = campus_indicators(conn, actor, tz, period, filter)?;
    let mut monthly_filter = ReportFilter {
        from: months.span.start,
        to: months.span.end,
        ..filter.clone()
    };
    access::report_scope(actor, &mut monthly_filter)?;
    let monthly = usage(
        conn,
        actor,
        tz,
        months,
        &monthly_filter,
        &[Dimension::Platform, Dimension::Month],
    )?;
    let campuses = db::campuses::list(
        conn,
        &db::Page {
            limit: 500,
            after: None,
        },
    )?
    .rows;
    Ok(IndicatorsData {
        indicators,
        monthly,
        campuses,
    })
}
