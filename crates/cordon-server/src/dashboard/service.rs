//! 指挥部看板: the figures of a press briefing, live, for headquarters and scoped to a district,
//! street or community; the last 30 days behind the charts; and the figures of any one day,
//! which the daily briefing is written from.
//!
//! The day-by-day counts are counted by the store per local day in one statement each; the
//! people under each tier on a past day are worked out from the zones' own histories (the tier
//! each zone had at the end of that day), not from a table of copies. A dashboard is computed
//! in the background and served from memory: a request never waits for it once it has been
//! computed for an area, and one older than [`FRESH`] is recomputed behind the request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::briefing::{CourseFigures, DayFigures, NeedsDay, PositiveDay, RoundProgress, tier_at};
use cordon_domain::{AreaCode, AreaLevel, AreaPath, Right, ZoneCover, ZoneEvent};
use cordon_store::{AreaNode, User, ZoneQuery};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::DashboardError;
use crate::reads::AreaRef;
use crate::{AppState, gates, zones};

/// A dashboard this old is recomputed behind the next request that reads it.
pub const FRESH: Duration = Duration::from_secs(10);
/// Days behind the charts, today included.
pub const DAYS: usize = 30;
/// Testing rounds on the chart.
const ROUNDS: u32 = 8;
/// Areas whose dashboards are kept; past it the one read longest ago goes.
const KEPT: usize = 2000;

/// The figures (`view_dashboard`): the cadre at a gate and the lab do not need them.
pub fn may_view(user: &User) -> bool {
    user.may(Right::ViewDashboard)
}

/// Reviewing and publishing the briefing (`publish`).
pub fn may_publish(user: &User) -> bool {
    user.may(Right::Publish)
}

/// One day of the charts.
#[derive(Serialize, ToSchema, Clone, Debug, PartialEq)]
pub struct DayPoint {
    pub day: NaiveDate,
    pub positives: PositiveDay,
    /// Residents under each tier at the end of the day (now, for today): sealed, controlled,
    /// precaution.
    pub residents_by_tier: [i64; 3],
    pub zones_by_tier: [i64; 3],
    pub needs_opened: i64,
    pub emergencies: i64,
    pub care_planned: i64,
    pub needs_resolved: i64,
    pub gate_let_through: i64,
    pub gate_refused: i64,
}

impl DayPoint {
    fn is_empty(&self) -> bool {
        self.positives.new_positives() + self.positives.reclassified == 0
            && self.zones_by_tier.iter().sum::<i64>() == 0
            && self.needs_opened
                + self.care_planned
                + self.needs_resolved
                + self.gate_let_through
                + self.gate_refused
                == 0
    }
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct Dashboard {
    pub area: AreaRef,
    /// Today's figures so far.
    pub today: DayFigures,
    /// The last [`DAYS`] local days, oldest first, today last.
    pub days: Vec<DayPoint>,
    /// The latest testing rounds touching the area, oldest first.
    pub rounds: Vec<RoundProgress>,
    /// Milliseconds the figures took to compute (in the background).
    pub computed_ms: f64,
}

struct Entry {
    view: Arc<Dashboard>,
    computed: Instant,
    read: Instant,
    refreshing: bool,
}

/// Dashboards per area, computed in the background.
#[derive(Default)]
pub struct DashboardCache {
    entries: Mutex<HashMap<AreaCode, Entry>>,
}

pub type DashboardCell = Arc<DashboardCache>;

impl DashboardCache {
    /// The city's dashboard if one is kept (the metrics' domain gauges read it, never compute it).
    pub fn kept_root(&self) -> Option<Arc<Dashboard>> {
        let entries = self.entries.lock().expect("dashboard cache");
        entries.values().find(|e| e.view.area.level == AreaLevel::City).map(|e| e.view.clone())
    }

    fn store(&self, code: AreaCode, view: Arc<Dashboard>) {
        let mut entries = self.entries.lock().expect("dashboard cache");
        if entries.len() >= KEPT && !entries.contains_key(&code) {
            let oldest = entries.iter().min_by_key(|(_, e)| e.read).map(|(c, _)| c.clone());
            if let Some(c) = oldest {
                entries.remove(&c);
            }
        }
        let now = Instant::now();
        entries.insert(code, Entry { view, computed: now, read: now, refreshing: false });
    }
}

/// The dashboard of `code` (none: the user's own area). Served from memory once computed; one
/// older than [`FRESH`] is recomputed in the background. `fresh` waits for figures of this moment.
pub async fn dashboard(
    state: &AppState,
    user: &User,
    code: Option<&str>,
    fresh: bool,
) -> Result<Arc<Dashboard>, DashboardError> {
    if !may_view(user) {
        return Err(DashboardError::Forbidden(
            "the figures are for the offices and the epidemiologists".into(),
        ));
    }
    let node = area_of(state, user, code).await?;
    let code = node.area.code.clone();
    if !fresh {
        let mut entries = state.dashboards.entries.lock().expect("dashboard cache");
        if let Some(e) = entries.get_mut(&code) {
            e.read = Instant::now();
            if e.computed.elapsed() > FRESH && !e.refreshing {
                e.refreshing = true;
                let (state, node) = (state.clone(), node.clone());
                tokio::spawn(async move { recompute(&state, &node).await });
            }
            return Ok(e.view.clone());
        }
    }
    let view = Arc::new(compute(state, &node, state.now()).await?);
    state.dashboards.store(code, view.clone());
    Ok(view)
}

/// Recomputes and keeps `node`'s dashboard, which the caller marked as being recomputed; a
/// failure is logged and unmarks it, so the next read tries again.
async fn recompute(state: &AppState, node: &AreaNode) {
    match compute(state, node, state.now()).await {
        Ok(view) => state.dashboards.store(node.area.code.clone(), Arc::new(view)),
        Err(e) => {
            tracing::warn!(error = %e, area = %node.area.code, "computing a dashboard failed");
            if let Some(e) =
                state.dashboards.entries.lock().expect("dashboard cache").get_mut(&node.area.code)
            {
                e.refreshing = false;
            }
        }
    }
}

/// The area `code` if it is the user's or inside it (none: the user's own).
pub async fn area_of(state: &AppState, user: &User, code: Option<&str>) -> Result<AreaNode, DashboardError> {
    let code = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => AreaCode::parse(c)
            .map_err(|e| DashboardError::Invalid { field: "area".into(), message: e.to_string() })?,
        None => user.scope.clone(),
    };
    state
        .store
        .area(&user.scope_path, &code)
        .await?
        .ok_or_else(|| DashboardError::Missing(format!("no area {code} among yours")))
}

/// The local days from `first` to `last` with the instants that bound them (one more than days).
fn bounds(state: &AppState, first: NaiveDate, last: NaiveDate) -> (Vec<NaiveDate>, Vec<DateTime<Utc>>) {
    let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let mut b: Vec<DateTime<Utc>> = days.iter().map(|d| gates::day_bounds(state, *d).0).collect();
    b.push(gates::day_bounds(state, last).1);
    (days, b)
}

/// The points of the days from `first` to `last` in `node`, as they stood at the end of each
/// day (at `now` for a day not over).
pub async fn points(
    state: &AppState,
    node: &AreaNode,
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<DayPoint>, DashboardError> {
    let (days, bounds) = bounds(state, first, last);
    let path = &node.area.path;
    let store = &state.store;
    let (positives, needs, passages, tiers) = tokio::try_join!(
        async { store.positives_per_bucket(path, &bounds).await.map_err(DashboardError::from) },
        async { store.needs_per_bucket(path, &bounds).await.map_err(DashboardError::from) },
        async { store.passages_per_bucket(path, &bounds).await.map_err(DashboardError::from) },
        tiers_per_day(state, node, &bounds, now),
    )?;
    Ok(days
        .iter()
        .enumerate()
        .map(|(i, day)| DayPoint {
            day: *day,
            positives: PositiveDay {
                asymptomatic: positives[i].asymptomatic,
                confirmed: positives[i].confirmed,
                reclassified: positives[i].reclassified,
            },
            residents_by_tier: tiers[i].residents,
            zones_by_tier: tiers[i].zones,
            needs_opened: needs[i].opened,
            emergencies: needs[i].emergencies,
            care_planned: needs[i].care_planned,
            needs_resolved: needs[i].resolved,
            gate_let_through: passages[i].let_through,
            gate_refused: passages[i].refused,
        })
        .collect())
}

/// People and zones under each tier at the end of each day, from the zones touching the area
/// and the tier each had then.
async fn tiers_per_day(
    state: &AppState,
    node: &AreaNode,
    bounds: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<Vec<cordon_domain::TierFigures>, DashboardError> {
    let start = bounds[0];
    let query = ZoneQuery { include_ended: true, tier: None, limit: u32::MAX };
    let zones: Vec<_> = state
        .store
        .zones(&node.area.path, &query)
        .await?
        .into_iter()
        .filter(|z| z.ended_at.is_none_or(|e| e >= start))
        .collect();
    let ids: Vec<i64> = zones.iter().map(|z| z.id).collect();
    let mut events: HashMap<i64, Vec<ZoneEvent>> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(5000) {
        for e in state.store.zone_events(chunk).await? {
            events.entry(e.zone_id).or_default().push(e.event);
        }
    }
    Ok(bounds[1..]
        .iter()
        .map(|end| {
            let at = (*end).min(now);
            let covers: Vec<ZoneCover> = zones
                .iter()
                .filter_map(|z| {
                    let tier = tier_at(events.get(&z.id).map_or(&[][..], Vec::as_slice), at)?;
                    Some(ZoneCover { path: z.path.clone(), tier, residents: z.residents })
                })
                .collect();
            cordon_domain::tiers::tier_figures(&covers, &node.area.path, node.stats.residents)
        })
        .collect())
}

/// The latest `limit` testing rounds touching `node`, oldest first, each with its progress among
/// the area's residents.
async fn rounds_of(
    state: &AppState,
    node: &AreaNode,
    limit: u32,
) -> Result<Vec<(cordon_store::RoundRecord, RoundProgress)>, DashboardError> {
    let path = &node.area.path;
    let mut rounds = state.store.rounds(path, true, limit).await?;
    rounds.sort_by_key(|r| r.starts_at);
    let mut out = Vec::with_capacity(rounds.len());
    for r in rounds {
        // A round over the area counts the area's residents; one inside it, its own area's.
        let (among, expected) = if r.path.contains(path) {
            (path.clone(), node.stats.residents)
        } else {
            (r.path.clone(), r.residents)
        };
        let t = state.store.round_totals(r.id, &among).await?;
        let progress = RoundProgress {
            round_id: r.id,
            name: r.name.clone(),
            name_en: r.name_en.clone(),
            expected,
            sampled: t.people,
            positive_tubes: t.positive,
            pending_tubes: t.pending,
        };
        out.push((r, progress));
    }
    Ok(out)
}

/// The round under way between two instants: the latest started before the end and not closed
/// before the start.
fn round_on(
    rounds: &[(cordon_store::RoundRecord, RoundProgress)],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Option<RoundProgress> {
    rounds
        .iter()
        .rev()
        .find(|(r, _)| r.starts_at < end && r.closed_at.is_none_or(|c| c >= start))
        .map(|(_, p)| p.clone())
}

/// The figures of `node` on `day` (so far, when the day is today). A day that has not begun,
/// and a day with nothing recorded at all, are refused with what to ask instead.
pub async fn day_figures(
    state: &AppState,
    node: &AreaNode,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DayFigures, DashboardError> {
    let (start, end) = gates::day_bounds(state, day);
    if start > now {
        return Err(DashboardError::Invalid {
            field: "date".into(),
            message: format!("{day} has not begun"),
        });
    }
    let point = points(state, node, day, day, now).await?.remove(0);
    let rounds = rounds_of(state, node, ROUNDS).await?;
    let figures = assemble(state, node, &point, round_on(&rounds, start, end), end, now).await?;
    let nothing = point.is_empty() && figures.workers_on_hand == 0 && figures.round.is_none();
    if nothing {
        return Err(DashboardError::Missing(format!(
            "nothing was recorded in {} ({}) on {day}: no positives, zones, requests, gate decisions, check-ins or testing",
            node.area.name, node.area.code
        )));
    }
    Ok(figures)
}

/// A day's figures from its point, with what only a day's own reads give: the workers on hand,
/// and for a day not over the needs waiting and the zones ready to step down.
async fn assemble(
    state: &AppState,
    node: &AreaNode,
    point: &DayPoint,
    round: Option<RoundProgress>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DayFigures, DashboardError> {
    let path = &node.area.path;
    let partial = end > now;
    let (on_hand, party, organisations) = state.store.on_hand_counts(path, point.day).await?;
    let as_of = if partial { now } else { end };
    let day_start = gates::day_bounds(state, point.day).0;
    let (contacts, totals) = tokio::try_join!(
        state.store.followup_counts(path, day_start, end.min(as_of)),
        state.store.case_totals(path, as_of)
    )?;
    let (waiting, zone_figures, stays, transfers, supplies, sanitation) = if partial {
        let counts = state.store.need_counts(path, now).await?;
        let z = zones::figures_in(state, path, node.stats.residents).await?;
        let stays = state.store.stay_counts(path).await?;
        let transfers = state.store.transfer_counts(path, now).await?;
        let supplies = (
            state.store.open_deliveries(path).await?,
            crate::supplies::overdue_count(state, path, now).await?,
        );
        let sanitation = crate::sanitation::counts(state, path, now).await?;
        (Some(counts), Some(z), Some(stays), Some(transfers), Some(supplies), Some(sanitation))
    } else {
        (None, None, None, None, None, None)
    };
    Ok(DayFigures {
        area_code: node.area.code.to_string(),
        area_name: node.area.name.clone(),
        day: point.day,
        as_of,
        time_zone: state.config.tz.name().to_owned(),
        partial,
        positives: point.positives,
        residents_by_tier: point.residents_by_tier,
        zones_by_tier: point.zones_by_tier,
        zones_ready: zone_figures.as_ref().map(|z| z.ready_today),
        residents_in_area: node.stats.residents,
        workers_on_hand: on_hand,
        party_members_on_hand: party,
        organisations,
        round,
        needs: NeedsDay {
            opened: point.needs_opened,
            emergencies: point.emergencies,
            care_planned: point.care_planned,
            resolved: point.needs_resolved,
            open_now: waiting.map(|c| c.open + c.acknowledged),
            overdue_now: waiting.map(|c| c.overdue),
            emergencies_overdue_now: waiting.map(|c| c.emergencies_overdue),
        },
        gate_let_through: point.gate_let_through,
        gate_refused: point.gate_refused,
        course: CourseFigures {
            contacts_managed: partial.then_some(contacts.managed),
            contacts_overdue: partial.then_some(contacts.overdue),
            contacts_released: contacts.released_in_window,
            in_hotels: stays.map(|s| s.hotel),
            in_cabin_hospitals: stays.map(|s| s.cabin_hospital),
            in_hospitals: stays.map(|s| s.hospital),
            transfers_open: transfers.map(|t| t.open),
            transfers_overdue: transfers.map(|t| t.overdue),
            deliveries_open: supplies.map(|s| s.0),
            households_supplies_overdue: supplies.map(|s| s.1),
            disinfections_open: sanitation.map(|s| s.disinfections_open),
            disinfections_overdue: sanitation.map(|s| s.disinfections_overdue),
            buildings_waste_overdue: sanitation.map(|s| s.waste_overdue),
            cases_total: totals.cases,
            recovered_total: totals.recovered,
            died_total: totals.died,
        },
    })
}

/// Computes the dashboard of `node` at `now`.
pub async fn compute(
    state: &AppState,
    node: &AreaNode,
    now: DateTime<Utc>,
) -> Result<Dashboard, DashboardError> {
    let started = Instant::now();
    let today = now.with_timezone(&state.config.tz).date_naive();
    let first = today - chrono::Duration::days(DAYS as i64 - 1);
    let (days, rounds) =
        tokio::try_join!(points(state, node, first, today, now), rounds_of(state, node, ROUNDS))?;
    let (start, end) = gates::day_bounds(state, today);
    let last = days.last().expect("today is among the days");
    let today_figures = assemble(state, node, last, round_on(&rounds, start, end), end, now).await?;
    Ok(Dashboard {
        area: AreaRef::of(&node.area),
        today: today_figures,
        days,
        rounds: rounds.into_iter().map(|(_, p)| p).collect(),
        computed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// Computes the city's dashboard in the background unless a fresh one is kept or one is being
/// computed (the metrics' gauges read it; a scrape never waits for it).
pub fn warm_root(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let cities = match state.store.areas_at(&AreaPath::root(), &[AreaLevel::City]).await {
            Ok(c) => c,
            Err(e) => return tracing::warn!(error = %e, "finding the city for the metrics failed"),
        };
        let Some(city) = cities.into_iter().next() else { return };
        {
            let mut entries = state.dashboards.entries.lock().expect("dashboard cache");
            match entries.get_mut(&city.code) {
                Some(e) if e.refreshing || e.computed.elapsed() <= FRESH => return,
                Some(e) => e.refreshing = true,
                None => {}
            }
        }
        let node = match state.store.area(&AreaPath::root(), &city.code).await {
            Ok(Some(n)) => n,
            Ok(None) => return,
            Err(e) => return tracing::warn!(error = %e, "reading the city for the metrics failed"),
        };
        recompute(&state, &node).await;
    });
}
