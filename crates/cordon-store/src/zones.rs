//! Zones, their history, the profiles that govern them and the proposals headquarters decides.
//!
//! The SQL here is the same on both backends (numbered `$n` parameters, `RETURNING`, no
//! backend-specific functions): it is written once, over `db.rs`, for every store of either.
//! Zone events are only ever inserted: the history of a zone is never rewritten.

use chrono::{DateTime, Utc};
use cordon_domain::lifecycle::ZoneEvent;
use cordon_domain::{AreaCode, AreaLevel, AreaPath, EventKind, Profile, Tier, ZoneCover};
use serde::Serialize;

use crate::Result;

/// A zone as stored: where, at which tier now, under which profile, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneRecord {
    pub id: i64,
    pub area: AreaCode,
    pub area_name: String,
    pub level: AreaLevel,
    pub path: AreaPath,
    /// The tier now (the last tier change's); for a lifted zone, the tier it had.
    pub tier: Tier,
    pub profile_key: String,
    pub reason: String,
    /// The case that caused it, if one did.
    pub case_person_id: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub created_by: String,
    /// Residents of the zone's area.
    pub residents: i64,
}

/// A zone to draw.
#[derive(Debug, Clone)]
pub struct NewZone {
    pub area: AreaCode,
    pub tier: Tier,
    pub profile_key: String,
    pub reason: String,
    pub case_person_id: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// One event of a zone's history, with who recorded it and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneEventRecord {
    pub id: i64,
    pub zone_id: i64,
    pub event: ZoneEvent,
    pub note: String,
    pub person_id: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewZoneEvent {
    pub event: ZoneEvent,
    pub note: String,
    pub person_id: Option<String>,
    pub by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ZoneQuery {
    /// Lifted zones too.
    pub include_ended: bool,
    pub tier: Option<Tier>,
    pub limit: u32,
}

/// A stored profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRecord {
    pub profile: Profile,
    pub builtin: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// Draw a new zone (an escalation on a positive).
    Designate,
    /// Raise an existing zone to a stricter tier.
    Raise,
    /// Step a zone down a tier.
    StepDown,
    /// Lift a zone.
    Lift,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    Pending,
    Approved,
    Rejected,
    /// Overtaken: a new positive came in before anyone decided.
    Withdrawn,
}

impl ProposalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Designate => "designate",
            Self::Raise => "raise",
            Self::StepDown => "step_down",
            Self::Lift => "lift",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "designate" => Some(Self::Designate),
            "raise" => Some(Self::Raise),
            "step_down" => Some(Self::StepDown),
            "lift" => Some(Self::Lift),
            _ => None,
        }
    }
}

impl ProposalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProposalRecord {
    pub id: i64,
    pub kind: ProposalKind,
    pub zone_id: Option<i64>,
    pub area: AreaCode,
    pub area_name: String,
    pub level: AreaLevel,
    pub path: AreaPath,
    pub tier_from: Option<Tier>,
    pub tier_to: Option<Tier>,
    pub profile_key: String,
    pub reason: String,
    pub case_person_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub status: ProposalStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewProposal {
    pub kind: ProposalKind,
    pub zone_id: Option<i64>,
    pub area: AreaCode,
    pub tier_from: Option<Tier>,
    pub tier_to: Option<Tier>,
    pub profile_key: String,
    pub reason: String,
    pub case_person_id: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A decision on a proposal; an approval carries the change it makes, applied in the same
/// transaction.
#[derive(Debug, Clone)]
pub struct Decision {
    pub approve: bool,
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: String,
    pub change: Option<ZoneChange>,
}

#[derive(Debug, Clone)]
pub enum ZoneChange {
    Draw(NewZone),
    Event { zone_id: i64, event: NewZoneEvent },
}

/// What the store keeps of zones. Reads take the reader's scope: a zone is visible when its
/// area is inside the scope or contains it (a city-wide precaution zone covers a district).
#[async_trait::async_trait]
pub trait Zones: Send + Sync {
    /// Adds the profiles the store lacks (by key); returns how many were added.
    async fn ensure_profiles(&self, profiles: &[Profile], at: DateTime<Utc>) -> Result<usize>;
    async fn profiles(&self) -> Result<Vec<ProfileRecord>>;
    /// Adds or replaces a profile (the caller has checked it).
    async fn put_profile(&self, profile: &Profile, by: &str, at: DateTime<Utc>) -> Result<ProfileRecord>;

    async fn setting(&self, key: &str) -> Result<Option<String>>;
    async fn set_setting(&self, key: &str, value: &str) -> Result<()>;
    /// When the deployment's records begin: the earliest start of a zone or infectious period
    /// of a case; none in an empty store.
    async fn earliest_record(&self) -> Result<Option<DateTime<Utc>>>;

    /// Draws a zone, with its first event. Refuses an area outside `scope` or unknown
    /// (`NotFound`) and an overlap with an active zone (`Conflict`).
    async fn create_zone(&self, scope: &AreaPath, zone: &NewZone) -> Result<ZoneRecord>;
    async fn zone(&self, scope: &AreaPath, id: i64) -> Result<Option<ZoneRecord>>;
    /// Zones visible in `scope`, strictest first, then by path.
    async fn zones(&self, scope: &AreaPath, query: &ZoneQuery) -> Result<Vec<ZoneRecord>>;
    /// The active zones on any of these areas.
    async fn zones_on(&self, areas: &[AreaCode]) -> Result<Vec<ZoneRecord>>;
    /// The events of these zones, by zone, then time.
    async fn zone_events(&self, zone_ids: &[i64]) -> Result<Vec<ZoneEventRecord>>;
    /// Appends an event. A tier change updates the zone, a lifting ends it, and a positive
    /// withdraws the zone's pending step-down and lift proposals.
    async fn record_zone_event(&self, zone_id: i64, event: &NewZoneEvent) -> Result<ZoneEventRecord>;
    /// Every active zone with the residents of its area, for the figures.
    async fn zone_covers(&self) -> Result<Vec<ZoneCover>>;

    /// Files a proposal, unless the same one is pending already; returns it and whether it is
    /// new.
    async fn propose(&self, proposal: &NewProposal) -> Result<(ProposalRecord, bool)>;
    async fn proposals(
        &self,
        scope: &AreaPath,
        status: Option<ProposalStatus>,
        limit: u32,
    ) -> Result<Vec<ProposalRecord>>;
    async fn proposal(&self, scope: &AreaPath, id: i64) -> Result<Option<ProposalRecord>>;
    /// The proposals about one zone, newest first (the caller has checked the zone is visible).
    async fn zone_proposals(&self, zone_id: i64) -> Result<Vec<ProposalRecord>>;
    /// Decides a pending proposal (`Conflict` if it was decided already), applying an approved
    /// change in the same transaction.
    async fn decide(&self, id: i64, decision: &Decision) -> Result<ProposalRecord>;
}

/// The scope filter's parameters: the subtree range and the scope's lineage padded to the
/// deepest tree (7 levels), so one static statement serves every scope.
pub(crate) fn scope_params(scope: &AreaPath) -> (String, String, [String; 7]) {
    let (lo, hi) = scope.subtree_range();
    let lineage = scope.lineage();
    let pad = lineage.last().map_or_else(|| scope.as_str().to_owned(), |p| p.as_str().to_owned());
    let mut out: [String; 7] = std::array::from_fn(|_| pad.clone());
    for (slot, p) in out.iter_mut().zip(lineage) {
        *slot = p.as_str().to_owned();
    }
    (lo, hi, out)
}

pub(crate) fn tier_of(s: &str) -> Result<Tier> {
    Tier::parse(s).map_err(|e| crate::StoreError::Invalid(format!("stored tier: {e}")))
}

pub(crate) fn event_of(json: &str) -> Result<EventKind> {
    serde_json::from_str(json).map_err(|e| crate::StoreError::Invalid(format!("stored zone event: {e}")))
}

pub(crate) fn event_json(kind: &EventKind) -> String {
    serde_json::to_string(kind).expect("an event kind always serialises")
}

pub(crate) fn profile_of(json: &str) -> Result<Profile> {
    serde_json::from_str(json).map_err(|e| crate::StoreError::Invalid(format!("stored profile: {e}")))
}

/// The columns `zone_record` reads.
pub(crate) const ZONE_SELECT: &str = "SELECT z.id, z.area_code, a.name AS area_name, a.level, z.path, z.tier, \
     z.profile_key, z.reason, z.case_person_id, z.started_at, z.ended_at, z.created_by, a.residents \
     FROM zones z JOIN areas a ON a.code = z.area_code";

pub(crate) const PROPOSAL_SELECT: &str = "SELECT p.id, p.kind, p.zone_id, p.area_code, a.name AS area_name, \
     a.level, p.path, p.tier_from, p.tier_to, p.profile_key, p.reason, p.case_person_id, p.created_at, \
     p.created_by, p.status, p.decided_by, p.decided_at, p.decision_note \
     FROM proposals p JOIN areas a ON a.code = p.area_code";

/// Visible in scope: inside it, or on its lineage. Parameters $1..$9 (see `scope_params`),
/// written for the alias `t`.
pub(crate) fn in_scope(t: &str) -> String {
    format!("(({t}.path >= $1 AND {t}.path < $2) OR {t}.path IN ($3, $4, $5, $6, $7, $8, $9))")
}

mod zone_sql {
    use chrono::{DateTime, Utc};
    use cordon_domain::lifecycle::ZoneEvent;
    use cordon_domain::outbox::MessageKind;
    use cordon_domain::tiers::{NearbyZone, Overlap, find_overlap};
    use cordon_domain::{AreaCode, AreaPath, EventKind, Profile, ZoneCover};

    use crate::db::{Backed, DbRow, Query, Tx, query};
    use crate::zones::*;
    use crate::{Result, StoreError, code_of, level_of};

    pub(super) fn zone_record(r: &DbRow) -> Result<ZoneRecord> {
        Ok(ZoneRecord {
            id: r.try_get("id")?,
            area: code_of(r.try_get("area_code")?)?,
            area_name: r.try_get("area_name")?,
            level: level_of(r.try_get("level")?)?,
            path: AreaPath::from_stored(r.try_get("path")?),
            tier: tier_of(r.try_get("tier")?)?,
            profile_key: r.try_get("profile_key")?,
            reason: r.try_get("reason")?,
            case_person_id: r.try_get("case_person_id")?,
            started_at: r.try_get("started_at")?,
            ended_at: r.try_get("ended_at")?,
            created_by: r.try_get("created_by")?,
            residents: r.try_get("residents")?,
        })
    }

    pub(super) fn event_record(r: &DbRow) -> Result<ZoneEventRecord> {
        Ok(ZoneEventRecord {
            id: r.try_get("id")?,
            zone_id: r.try_get("zone_id")?,
            event: ZoneEvent { at: r.try_get("at")?, kind: event_of(r.try_get("event")?)? },
            note: r.try_get("note")?,
            person_id: r.try_get("person_id")?,
            recorded_by: r.try_get("recorded_by")?,
            recorded_at: r.try_get("recorded_at")?,
        })
    }

    pub(super) fn proposal_record(r: &DbRow) -> Result<ProposalRecord> {
        let opt_tier = |col: &str| -> Result<_> {
            let s: Option<String> = r.try_get(col)?;
            s.as_deref().map(tier_of).transpose()
        };
        let kind: String = r.try_get("kind")?;
        let status: String = r.try_get("status")?;
        Ok(ProposalRecord {
            id: r.try_get("id")?,
            kind: ProposalKind::parse(&kind)
                .ok_or_else(|| StoreError::Invalid(format!("stored proposal kind {kind:?}")))?,
            zone_id: r.try_get("zone_id")?,
            area: code_of(r.try_get("area_code")?)?,
            area_name: r.try_get("area_name")?,
            level: level_of(r.try_get("level")?)?,
            path: AreaPath::from_stored(r.try_get("path")?),
            tier_from: opt_tier("tier_from")?,
            tier_to: opt_tier("tier_to")?,
            profile_key: r.try_get("profile_key")?,
            reason: r.try_get("reason")?,
            case_person_id: r.try_get("case_person_id")?,
            created_at: r.try_get("created_at")?,
            created_by: r.try_get("created_by")?,
            status: ProposalStatus::parse(&status)
                .ok_or_else(|| StoreError::Invalid(format!("stored proposal status {status:?}")))?,
            decided_by: r.try_get("decided_by")?,
            decided_at: r.try_get("decided_at")?,
            decision_note: r.try_get("decision_note")?,
        })
    }

    fn profile_record(r: &DbRow) -> Result<ProfileRecord> {
        Ok(ProfileRecord {
            profile: profile_of(r.try_get("body")?)?,
            builtin: r.try_get("builtin")?,
            updated_at: r.try_get("updated_at")?,
            updated_by: r.try_get("updated_by")?,
        })
    }

    async fn zone_by_id(tx: &mut Tx, id: i64) -> Result<ZoneRecord> {
        let sql = format!("{ZONE_SELECT} WHERE z.id = $1");
        let r = Query::dynamic(sql).bind(id).fetch_optional(&mut *tx).await?;
        zone_record(&r.ok_or_else(|| StoreError::NotFound(format!("zone {id}")))?)
    }

    pub(super) async fn draw(tx: &mut Tx, scope: &AreaPath, zone: &NewZone) -> Result<ZoneRecord> {
        let (lo, hi) = scope.subtree_range();
        let area = query(
            "SELECT path, district_code, level FROM areas WHERE code = $1 AND path >= $2 AND path < $3",
        )
        .bind(zone.area.as_str())
        .bind(&lo)
        .bind(&hi)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("area {} (in your areas)", zone.area)))?;
        let path = AreaPath::from_stored(area.try_get("path")?);
        let district: Option<String> = area.try_get("district_code")?;
        let profile = query("SELECT key FROM profiles WHERE key = $1")
            .bind(&zone.profile_key)
            .fetch_optional(&mut *tx)
            .await?;
        if profile.is_none() {
            return Err(StoreError::NotFound(format!("profile {:?}", zone.profile_key)));
        }

        let (sub_lo, sub_hi) = path.subtree_range();
        let mut nearby_sql = String::from("SELECT id, path, tier FROM zones WHERE ended_at IS NULL AND (");
        nearby_sql.push_str("(path >= $1 AND path < $2)");
        let lineage = path.lineage();
        for i in 0..lineage.len() {
            nearby_sql.push_str(&format!(" OR path = ${}", i + 3));
        }
        nearby_sql.push(')');
        let mut q = Query::dynamic(nearby_sql).bind(sub_lo).bind(sub_hi);
        for p in &lineage {
            q = q.bind(p.as_str().to_owned());
        }
        let nearby = q
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| {
                Ok(NearbyZone {
                    id: r.try_get("id")?,
                    path: AreaPath::from_stored(r.try_get("path")?),
                    tier: tier_of(r.try_get("tier")?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(overlap) = find_overlap(&path, zone.tier, &nearby) {
            return Err(StoreError::Conflict(match overlap {
                Overlap::SameArea(id) => format!(
                    "area {} has an active zone already (zone {id}): raise, step down or lift that one",
                    zone.area
                ),
                Overlap::InsideSameTier(id) => {
                    format!("area {} lies inside zone {id}, which is {} already", zone.area, zone.tier)
                }
                Overlap::AroundSameTier(id) => format!(
                    "zone {id} inside area {} is {} already: lift it first, or draw another tier",
                    zone.area, zone.tier
                ),
            }));
        }

        let id: i64 = query(
            "INSERT INTO zones (area_code, path, tier, profile_key, reason, case_person_id, started_at, \
             created_by, district_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(zone.area.as_str())
        .bind(path.as_str())
        .bind(zone.tier.as_str())
        .bind(&zone.profile_key)
        .bind(&zone.reason)
        .bind(&zone.case_person_id)
        .bind(zone.at)
        .bind(&zone.by)
        .bind(district)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        query(crate::BUMP_UNITS_VERSION).execute(&mut *tx).await?;
        query(crate::STAMP_ZONE_VERSION).bind(id).execute(&mut *tx).await?;
        let first = NewZoneEvent {
            event: ZoneEvent { at: zone.at, kind: EventKind::Designated { tier: zone.tier } },
            note: zone.reason.clone(),
            person_id: zone.case_person_id.clone(),
            by: zone.by.clone(),
            recorded_at: zone.at,
        };
        append(tx, id, &first).await?;
        zone_by_id(tx, id).await
    }

    /// A change of a zone's tier or end, told to every household under it in the change's
    /// transaction (消息通知): the facts only, worded when sent.
    async fn tell_households(
        tx: &mut Tx,
        zone: &ZoneRecord,
        kind: &EventKind,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (message, tier) = match kind {
            EventKind::Designated { tier } => (MessageKind::ZoneDrawn, *tier),
            EventKind::Raised { tier } => (MessageKind::ZoneRaised, *tier),
            EventKind::SteppedDown { tier } => (MessageKind::ZoneSteppedDown, *tier),
            EventKind::Lifted => (MessageKind::ZoneLifted, zone.tier),
            _ => return Ok(()),
        };
        let params = serde_json::json!({
            "zone": zone.id,
            "area": zone.area_name,
            "tier": tier.as_str(),
        });
        crate::outbox::enqueue_households_in(tx, &zone.path, message, &params, at).await?;
        Ok(())
    }

    pub(super) async fn append(tx: &mut Tx, zone_id: i64, e: &NewZoneEvent) -> Result<ZoneEventRecord> {
        let zone = zone_by_id(tx, zone_id).await?;
        if zone.ended_at.is_some() {
            return Err(StoreError::Conflict(format!("zone {zone_id} was lifted: its history is closed")));
        }
        let r = query(
            "INSERT INTO zone_events (zone_id, at, event, note, person_id, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(zone_id)
        .bind(e.event.at)
        .bind(event_json(&e.event.kind))
        .bind(&e.note)
        .bind(&e.person_id)
        .bind(&e.by)
        .bind(e.recorded_at)
        .fetch_one(&mut *tx)
        .await?;
        match &e.event.kind {
            EventKind::Raised { tier } | EventKind::SteppedDown { tier } => {
                query("UPDATE zones SET tier = $1 WHERE id = $2")
                    .bind(tier.as_str())
                    .bind(zone_id)
                    .execute(&mut *tx)
                    .await?;
            }
            EventKind::Lifted => {
                query("UPDATE zones SET ended_at = $1 WHERE id = $2")
                    .bind(e.event.at)
                    .bind(zone_id)
                    .execute(&mut *tx)
                    .await?;
            }
            _ => {}
        }
        if matches!(
            e.event.kind,
            EventKind::Raised { .. } | EventKind::SteppedDown { .. } | EventKind::Lifted
        ) {
            query(crate::BUMP_UNITS_VERSION).execute(&mut *tx).await?;
            query(crate::STAMP_ZONE_VERSION).bind(zone_id).execute(&mut *tx).await?;
        }
        tell_households(tx, &zone, &e.event.kind, e.recorded_at).await?;
        if matches!(e.event.kind, EventKind::Positive | EventKind::Raised { .. } | EventKind::Lifted) {
            query(
                "UPDATE proposals SET status = 'withdrawn', decided_at = $1, decided_by = $2, \
                 decision_note = $3 WHERE zone_id = $4 AND status = 'pending' \
                 AND kind IN ('step_down', 'lift')",
            )
            .bind(e.recorded_at)
            .bind(&e.by)
            .bind(format!("overtaken: {}", e.note))
            .bind(zone_id)
            .execute(&mut *tx)
            .await?;
        }
        event_record(&r)
    }

    #[async_trait::async_trait]
    impl<S: Backed> Zones for S {
        async fn ensure_profiles(&self, profiles: &[Profile], at: DateTime<Utc>) -> Result<usize> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let mut added = 0;
            for p in profiles {
                let done = query(
                    "INSERT INTO profiles (key, body, builtin, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, 'cordon') ON CONFLICT (key) DO NOTHING",
                )
                .bind(&p.key)
                .bind(serde_json::to_string(p).expect("a profile always serialises"))
                .bind(true)
                .bind(at)
                .execute(&mut tx)
                .await?;
                added += done.rows_affected() as usize;
            }
            tx.commit().await?;
            Ok(added)
        }

        async fn profiles(&self) -> Result<Vec<ProfileRecord>> {
            query("SELECT * FROM profiles ORDER BY builtin DESC, key")
                .fetch_all(self.db())
                .await?
                .iter()
                .map(profile_record)
                .collect()
        }

        async fn put_profile(&self, p: &Profile, by: &str, at: DateTime<Utc>) -> Result<ProfileRecord> {
            let r = query(
                "INSERT INTO profiles (key, body, builtin, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, \
                 updated_by = excluded.updated_by RETURNING *",
            )
            .bind(&p.key)
            .bind(serde_json::to_string(p).expect("a profile always serialises"))
            .bind(false)
            .bind(at)
            .bind(by)
            .fetch_one(self.db())
            .await?;
            profile_record(&r)
        }

        async fn setting(&self, key: &str) -> Result<Option<String>> {
            let r = query("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(self.db())
                .await?;
            Ok(r.map(|r| r.try_get("value")).transpose()?)
        }

        async fn earliest_record(&self) -> Result<Option<DateTime<Utc>>> {
            let zone: Option<DateTime<Utc>> =
                query("SELECT MIN(started_at) FROM zones").scalar_one(self.db()).await?;
            let case: Option<DateTime<Utc>> =
                query("SELECT MIN(infectious_from) FROM cases").scalar_one(self.db()).await?;
            Ok(zone.into_iter().chain(case).min())
        }

        async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
            query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(self.db())
            .await?;
            Ok(())
        }

        async fn create_zone(&self, scope: &AreaPath, zone: &NewZone) -> Result<ZoneRecord> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let z = draw(&mut tx, scope, zone).await?;
            tx.commit().await?;
            Ok(z)
        }

        async fn zone(&self, scope: &AreaPath, id: i64) -> Result<Option<ZoneRecord>> {
            let (lo, hi, lineage) = scope_params(scope);
            let sql = format!("{ZONE_SELECT} WHERE {} AND z.id = $10", in_scope("z"));
            let mut q = Query::dynamic(sql).bind(lo).bind(hi);
            for p in lineage {
                q = q.bind(p);
            }
            q.bind(id).fetch_optional(self.db()).await?.as_ref().map(zone_record).transpose()
        }

        async fn zones(&self, scope: &AreaPath, query: &ZoneQuery) -> Result<Vec<ZoneRecord>> {
            let (lo, hi, lineage) = scope_params(scope);
            let sql = format!(
                "{ZONE_SELECT} WHERE {} AND ($10 OR z.ended_at IS NULL) AND ($11 = '' OR z.tier = $11) \
                 ORDER BY z.ended_at IS NOT NULL, CASE z.tier WHEN 'sealed' THEN 0 WHEN 'controlled' THEN 1 \
                 ELSE 2 END, z.path, z.id LIMIT $12",
                in_scope("z")
            );
            let mut q = Query::dynamic(sql).bind(lo).bind(hi);
            for p in lineage {
                q = q.bind(p);
            }
            q.bind(query.include_ended)
                .bind(query.tier.map_or("", |t| t.as_str()))
                .bind(i64::from(query.limit))
                .fetch_all(self.db())
                .await?
                .iter()
                .map(zone_record)
                .collect()
        }

        async fn zones_on(&self, areas: &[AreaCode]) -> Result<Vec<ZoneRecord>> {
            let mut out = Vec::new();
            for chunk in areas.chunks(crate::ROWS_PER_STATEMENT) {
                let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "{ZONE_SELECT} WHERE z.ended_at IS NULL AND z.area_code IN ({}) ORDER BY z.path",
                    params.join(", ")
                );
                let mut q = Query::dynamic(sql);
                for c in chunk {
                    q = q.bind(c.as_str().to_owned());
                }
                for r in q.fetch_all(self.db()).await? {
                    out.push(zone_record(&r)?);
                }
            }
            Ok(out)
        }

        async fn zone_events(&self, zone_ids: &[i64]) -> Result<Vec<ZoneEventRecord>> {
            let mut out = Vec::new();
            for chunk in zone_ids.chunks(crate::ROWS_PER_STATEMENT) {
                let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT * FROM zone_events WHERE zone_id IN ({}) ORDER BY zone_id, at, id",
                    params.join(", ")
                );
                let mut q = Query::dynamic(sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                for r in q.fetch_all(self.db()).await? {
                    out.push(event_record(&r)?);
                }
            }
            Ok(out)
        }

        async fn record_zone_event(&self, zone_id: i64, event: &NewZoneEvent) -> Result<ZoneEventRecord> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let r = append(&mut tx, zone_id, event).await?;
            tx.commit().await?;
            Ok(r)
        }

        async fn zone_covers(&self) -> Result<Vec<ZoneCover>> {
            query(
                "SELECT z.path, z.tier, a.residents FROM zones z JOIN areas a ON a.code = z.area_code \
                 WHERE z.ended_at IS NULL",
            )
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|r| {
                Ok(ZoneCover {
                    path: AreaPath::from_stored(r.try_get("path")?),
                    tier: tier_of(r.try_get("tier")?)?,
                    residents: r.try_get("residents")?,
                })
            })
            .collect()
        }

        async fn propose(&self, p: &NewProposal) -> Result<(ProposalRecord, bool)> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let same = format!(
                "{PROPOSAL_SELECT} WHERE p.status = 'pending' AND p.kind = $1 AND p.area_code = $2 \
                 AND coalesce(p.tier_to, '') = $3"
            );
            let existing = Query::dynamic(same)
                .bind(p.kind.as_str())
                .bind(p.area.as_str())
                .bind(p.tier_to.map_or("", |t| t.as_str()))
                .fetch_optional(&mut tx)
                .await?;
            if let Some(r) = existing {
                return Ok((proposal_record(&r)?, false));
            }
            let path: String = query("SELECT path FROM areas WHERE code = $1")
                .bind(p.area.as_str())
                .fetch_optional(&mut tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("area {}", p.area)))?
                .try_get("path")?;
            let id: i64 = query(
                "INSERT INTO proposals (kind, zone_id, area_code, path, tier_from, tier_to, profile_key, \
                 reason, case_person_id, created_at, created_by, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending') RETURNING id",
            )
            .bind(p.kind.as_str())
            .bind(p.zone_id)
            .bind(p.area.as_str())
            .bind(path)
            .bind(p.tier_from.map(|t| t.as_str()))
            .bind(p.tier_to.map(|t| t.as_str()))
            .bind(&p.profile_key)
            .bind(&p.reason)
            .bind(&p.case_person_id)
            .bind(p.at)
            .bind(&p.by)
            .fetch_one(&mut tx)
            .await?
            .try_get("id")?;
            let sql = format!("{PROPOSAL_SELECT} WHERE p.id = $1");
            let r = Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?;
            tx.commit().await?;
            Ok((proposal_record(&r)?, true))
        }

        async fn proposals(
            &self,
            scope: &AreaPath,
            status: Option<ProposalStatus>,
            limit: u32,
        ) -> Result<Vec<ProposalRecord>> {
            let (lo, hi, lineage) = scope_params(scope);
            let sql = format!(
                "{PROPOSAL_SELECT} WHERE {} AND ($10 = '' OR p.status = $10) \
                 ORDER BY p.status = 'pending' DESC, p.created_at DESC, p.id DESC LIMIT $11",
                in_scope("p")
            );
            let mut q = Query::dynamic(sql).bind(lo).bind(hi);
            for p in lineage {
                q = q.bind(p);
            }
            q.bind(status.map_or("", |s| s.as_str()))
                .bind(i64::from(limit))
                .fetch_all(self.db())
                .await?
                .iter()
                .map(proposal_record)
                .collect()
        }

        async fn proposal(&self, scope: &AreaPath, id: i64) -> Result<Option<ProposalRecord>> {
            let (lo, hi, lineage) = scope_params(scope);
            let sql = format!("{PROPOSAL_SELECT} WHERE {} AND p.id = $10", in_scope("p"));
            let mut q = Query::dynamic(sql).bind(lo).bind(hi);
            for p in lineage {
                q = q.bind(p);
            }
            q.bind(id).fetch_optional(self.db()).await?.as_ref().map(proposal_record).transpose()
        }

        async fn zone_proposals(&self, zone_id: i64) -> Result<Vec<ProposalRecord>> {
            let sql = format!("{PROPOSAL_SELECT} WHERE p.zone_id = $1 ORDER BY p.created_at DESC, p.id DESC");
            Query::dynamic(sql)
                .bind(zone_id)
                .fetch_all(self.db())
                .await?
                .iter()
                .map(proposal_record)
                .collect()
        }

        async fn decide(&self, id: i64, d: &Decision) -> Result<ProposalRecord> {
            let pool = self.db();
            let mut tx = pool.begin().await?;
            let claimed = query(
                "UPDATE proposals SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
                 WHERE id = $5 AND status = 'pending'",
            )
            .bind(if d.approve { "approved" } else { "rejected" })
            .bind(&d.by)
            .bind(d.at)
            .bind(&d.note)
            .bind(id)
            .execute(&mut tx)
            .await?;
            if claimed.rows_affected() == 0 {
                return Err(StoreError::Conflict(format!("proposal {id} is not pending")));
            }
            match (&d.change, d.approve) {
                (Some(ZoneChange::Draw(zone)), true) => {
                    let z = draw(&mut tx, &AreaPath::root(), zone).await?;
                    query("UPDATE proposals SET zone_id = $1 WHERE id = $2")
                        .bind(z.id)
                        .bind(id)
                        .execute(&mut tx)
                        .await?;
                }
                (Some(ZoneChange::Event { zone_id, event }), true) => {
                    append(&mut tx, *zone_id, event).await?;
                }
                _ => {}
            }
            let sql = format!("{PROPOSAL_SELECT} WHERE p.id = $1");
            let r = Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?;
            tx.commit().await?;
            proposal_record(&r)
        }
    }
}
