//! Cordon's store: one trait, [`Store`], with a SQLite and a PostgreSQL implementation, each
//! with its own migrations. Only this crate knows SQL.
//!
//! Every read of people takes the reader's scope (an [`AreaPath`]) and filters by it in the
//! query itself: a row outside the scope is never fetched, so it cannot leak by a missed check.

mod announcements;
mod audit;
mod bulk;
mod cases;
mod citus;
mod db;
mod duty;
mod figures;
mod gates;
mod import;
mod isolation;
mod merge;
mod needs;
mod outbox;
mod postgres;
mod register;
mod residents;
mod retention;
mod rights;
mod rows;
mod sanitation;
#[cfg(test)]
mod schema;
mod seal;
mod sealing;
mod second_factor;
mod sqlite;
mod stays;
mod store;
mod supplies;
mod testing;
mod transfers;
mod users;
mod workforce;
mod zones;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cordon_domain::area::KnownArea;
use cordon_domain::{
    Area, AreaCode, AreaLevel, AreaPath, AreaRow, AreaStats, PersonId, PersonRow, Role, Sex, Tags,
};
use thiserror::Error;

pub use announcements::{AnnouncementRecord, Announcements, NewAnnouncement};
pub use cases::{
    CaseChange, CaseEventRecord, CaseListQuery, CaseRecord, Cases, ChainRow, ContactCounts, ContactQuery,
    ContactRecord, NewCase, NewContact, NewNotice, NewSegment, NoticeRecord, NoticeStatus, Saved, ScanFile,
    ScanFileRecord, ScanRow, SegmentRecord, Venue, VenueRecord,
};
pub use cases::{
    CaseTotals, CheckRecord, DueRange, FollowUpCounts, FollowUps, Missed, PersonSample, PlanContact,
    PlanRead, TestWindow,
};
pub use citus::{Distributed, PLAN as CITUS_PLAN, Placement, Table as CitusTable};
pub use duty::{Duty, ShiftRecord};
pub use figures::{
    BriefingRecord, ExportRecord, Figures, NeedDayCounts, NewBriefing, NewExport, PassageCounts,
    PositiveCounts,
};
pub use gates::{
    GateRecord, GateSubject, Gates, HourCount, NewGate, NewPass, NewPassage, OfflineStamp, PassRecord,
    PassageQuery, PassageRecord, PresenceRecord, Recorded,
};
pub use isolation::{Isolation, MoverRecord, NewStay, RoomRecord, RoomSlot, StayCounts, StayRecord};
pub use merge::{DuplicatePair, MergeRecord, PersonMerge};
pub use needs::{DueNeed, NeedCounts, NeedEventRecord, NeedQuery, NeedRecord, Needs, NewNeed, NewNeedEvent};
pub use outbox::{MessageRecord, NewMessage, Outbox, OutboxCount, Settle, UNREAD_COUNTED};
pub use postgres::{PgAdmin, distribute};
pub use register::{LookAlike, Match, NewPerson, PersonChange, PersonChangeRecord};
pub use residents::{
    CodeAsked, HouseholdPhoneRecord, NewHouseholdPhone, ResidentSession, Residents, relative_principal,
};
pub use retention::{PurgeAction, PurgeStep};
pub use rights::RoleRight;
pub use sanitation::{
    CollectionRecord, DisinfectionRecord, NewCollection, NewDisinfection, Sanitation, SanitationCounts,
    WasteBuilding,
};
pub use seal::{Field, Keyring};
pub use sealing::Resealed;
pub use supplies::{
    DeliveryMark, DeliveryRecord, DistributionRecord, Fulfilment, NewDistribution, NewSupplyPoint,
    OverdueHousehold, Supplies, SupplyPointRecord,
};
pub use testing::{
    Begun, DoorCounts, DoorEntry, DoorRecord, DoorWrite, Doors, FieldRefusal, FieldRefusals, NewFieldRefusal,
    NewRound, NewRoundAssignment, NewTube, PositiveSingle, ResultRow, ResultsApplied, RoundAssignment,
    RoundAssignments, RoundRecord, RoundTotals, SampleLoad, SampleRow, SamplesAdded, TaskKind, TaskQuery,
    TaskRecord, TestFileRecord, Testing, TubeMember, TubeRecord, ZonePooling,
};
pub use transfers::{
    DueTransfer, NewPassenger, NewTransfer, NewTransferEvent, PassengerRecord, TransferCounts,
    TransferEventRecord, TransferRecord, Transfers,
};
pub use workforce::{
    AssignmentRecord, CheckinRecord, CommandPostRecord, NewAssignment, NewSite, OnHand, SiteRecord, Staffing,
    UnitArea, UnitRef, UnitsVersion, WorkerRecord, Workforce,
};
pub use zones::{
    Decision, NewProposal, NewZone, NewZoneEvent, ProfileRecord, ProposalKind, ProposalRecord,
    ProposalStatus, ZoneChange, ZoneEventRecord, ZoneQuery, ZoneRecord, Zones,
};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    #[error("{0}")]
    Conflict(String),
    /// Something the request names does not exist (or is outside the reader's areas).
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// A sealed identifier that does not open (see [`Keyring`]): the message names the field and
    /// the row, never the value.
    #[error("sealed field: {0}")]
    Sealed(String),
    /// A rule of the domain the row as it stands refused, checked inside the transaction that
    /// holds it (a second death).
    #[error(transparent)]
    Rule(#[from] cordon_domain::DomainError),
}

impl StoreError {
    /// True when the database cannot be reached (as opposed to a query it refused).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed,
            ) => true,
            // A PostgreSQL server shutting down or starting (57P01 admin_shutdown, 57P02
            // crash_shutdown, 57P03 cannot_connect_now) or a connection lost (class 08): the
            // database went away under the query, which is no fault of the query.
            StoreError::Database(sqlx::Error::Database(e)) => {
                e.code().is_some_and(|c| c.starts_with("57P0") || c.starts_with("08"))
            }
            _ => false,
        }
    }

    /// True when the disk under the database is full: SQLite's SQLITE_FULL (13) or PostgreSQL's
    /// disk_full (53100). The write was rolled back whole; nothing was half-written.
    pub fn is_storage_full(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("13" | "53100"))
            }
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Opens the store a `--db` URL names, creating the database file (SQLite) and running the
/// migrations. `keys` seal and open the ID numbers and phones; a key file that lacks a key
/// values are sealed under is refused here.
pub async fn connect(url: &str, keys: Keyring) -> Result<Arc<dyn Store>> {
    let keys = Arc::new(keys);
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::open(url, keys).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::open(url, keys).await?))
    } else {
        Err(StoreError::BadUrl(url.to_owned()))
    }
}

/// An area with the counts of its subtree.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaNode {
    pub area: Area,
    pub stats: AreaStats,
    pub children: i64,
    pub has_shape: bool,
}

/// A person as the register holds them. Personal fields are whole here; the server decides
/// what to show.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecord {
    pub person_id: PersonId,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub birth_year: Option<i32>,
    pub sex: Sex,
    pub household: AreaCode,
    pub tags: Tags,
    /// The household's path: the person's address, and what scopes them.
    pub path: AreaPath,
    /// 人员状态: living here, moved out of the city, or deceased.
    pub status: cordon_domain::PersonStatus,
}

/// The areas on `path`, root first, from a map `areas_on` filled.
pub fn lineage<'a>(areas: &'a HashMap<i64, Area>, path: &AreaPath) -> Vec<&'a Area> {
    path.ids().filter_map(|id| areas.get(&id)).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeopleQuery {
    /// Names starting with this text.
    NamePrefix(String),
    /// One phone number, exactly (its digits): phones are sealed, so there is no prefix search.
    Phone(String),
    /// One ID number, exactly.
    IdNumber(String),
    /// Everyone in one household.
    Household(AreaCode),
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: AreaCode,
    pub scope_path: AreaPath,
    pub scope_name: String,
    pub password_hash: String,
    /// The rights of the user's role as stored when the user was read (so a right revoked
    /// holds from the next request).
    pub rights: cordon_domain::Rights,
    /// The user signs in with a second factor (a TOTP secret is enrolled).
    pub two_factor: bool,
    pub created_at: DateTime<Utc>,
    /// 停用: the user cannot sign in; no session of theirs is live.
    pub disabled_at: Option<DateTime<Utc>>,
    /// The worker record this sign-in is (a cadre reporting in from their phone).
    pub worker_id: Option<String>,
}

impl User {
    pub fn may(&self, right: cordon_domain::Right) -> bool {
        self.rights.has(right)
    }

    /// Whether the user's rights meet what a route asks (`Need`).
    pub fn meets(&self, need: cordon_domain::Need) -> bool {
        need.met_by(self.rights)
    }

    /// What this user may see of a person: every view of one takes its fields through it.
    pub fn disclosure(&self) -> cordon_domain::Disclosure {
        cordon_domain::Disclosure::new(self.rights)
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: AreaCode,
    pub password_hash: String,
    /// Who made the user (a username, or `cli:<operator>`), kept in the user's changes.
    pub created_by: String,
}

/// 用户管理: one change to a user, made whole in one transaction: each field given and different
/// from the stored one is changed and kept in the user's changes; a change of role, areas,
/// password or a disabling ends the user's sessions.
#[derive(Debug, Clone, Default)]
pub struct UserChange<'a> {
    pub username: &'a str,
    pub by: &'a str,
    pub at: DateTime<Utc>,
    pub reason: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub role: Option<Role>,
    pub scope: Option<&'a AreaCode>,
    pub disabled: Option<bool>,
    pub password_hash: Option<&'a str>,
    /// `Some(None)` unlinks the sign-in from its worker.
    pub worker: Option<Option<&'a str>>,
}

/// A change kept in a user's history. `change` is created, display_name, role, scope, disabled,
/// enabled or password_reset; a password is never kept, old or new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChangeRecord {
    pub at: DateTime<Utc>,
    pub by: String,
    pub username: String,
    pub change: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub username: String,
    pub person_id: String,
    pub route: String,
}

/// 破窗 (break the glass): one person read outside the reader's areas, for a stated reason,
/// for a while. Kept append-only beside the audit of reads; headquarters reviews each one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlassBreak {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub user_id: i64,
    pub username: String,
    pub person_id: String,
    pub reason: String,
}

/// A glass to break: the grant lasts from `at` to `until`.
#[derive(Debug, Clone)]
pub struct NewGlassBreak<'a> {
    pub at: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub user: &'a User,
    pub person: &'a PersonId,
    pub reason: &'a str,
}

/// Which reads the audit viewer lists: of people in `scope`, newest first, before the entry
/// `before_id`.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    pub scope: AreaPath,
    pub user_id: Option<i64>,
    pub person_id: Option<String>,
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// One read in the audit viewer: who read whom, when, through what, and why when the read was
/// made under a broken glass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLogEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub username: String,
    pub person_id: String,
    pub route: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub areas: i64,
    pub people: i64,
    pub users: i64,
}

/// A problem with one row of an import batch, found against the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub index: usize,
    pub column: &'static str,
    pub reason: String,
}

#[async_trait]
pub trait Store:
    Zones
    + Cases
    + FollowUps
    + Testing
    + Doors
    + RoundAssignments
    + FieldRefusals
    + Duty
    + Gates
    + Workforce
    + Needs
    + Isolation
    + Transfers
    + Supplies
    + Sanitation
    + Figures
    + Outbox
    + Residents
    + Announcements
    + Send
    + Sync
{
    fn backend(&self) -> &'static str;

    /// Connections the pool holds, and how many of them are idle (for the metrics).
    fn pool_state(&self) -> (u32, usize);

    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<()>;

    async fn totals(&self) -> Result<Totals>;

    // ---- areas ----

    /// What the store knows of these codes (for planning an import).
    async fn known_areas(&self, codes: &[AreaCode]) -> Result<HashMap<AreaCode, KnownArea>>;

    /// One area, if it is inside `scope`.
    async fn area(&self, scope: &AreaPath, code: &AreaCode) -> Result<Option<AreaNode>>;

    /// The children of an area inside `scope`, by name.
    async fn children(&self, scope: &AreaPath, code: &AreaCode) -> Result<Vec<AreaNode>>;

    /// Every area on these paths, by id: one query for the addresses of a page of people.
    async fn areas_on(&self, paths: &[AreaPath]) -> Result<HashMap<i64, Area>>;

    /// The GeoJSON geometry of an area inside `scope`.
    async fn shape(&self, scope: &AreaPath, code: &AreaCode) -> Result<Option<String>>;

    // ---- people ----

    async fn search_people(
        &self,
        scope: &AreaPath,
        query: &PeopleQuery,
        limit: u32,
    ) -> Result<Vec<PersonRecord>>;

    /// One person, if they live inside `scope`. Outside it, `None`: the caller cannot tell
    /// "elsewhere" from "nobody".
    async fn person(&self, scope: &AreaPath, id: &PersonId) -> Result<Option<PersonRecord>>;
    /// The names of these people, by register id, of those living inside `scope`: what a list
    /// shows of the people its rows point to (whom a contact was found through).
    async fn names_in(&self, scope: &AreaPath, ids: &[String]) -> Result<HashMap<String, String>>;

    /// 重复登记: pairs of entries inside `scope` that may be one person, strongest first.
    async fn duplicate_people(&self, scope: &AreaPath, limit: u32) -> Result<Vec<DuplicatePair>>;
    /// Merges one entry into another, in one transaction (`merge.rs` says what moves).
    async fn merge_people(&self, m: &PersonMerge<'_>) -> Result<MergeRecord>;
    /// The merges a register id took part in, kept or merged, oldest first.
    async fn person_merges(&self, person: &PersonId) -> Result<Vec<MergeRecord>>;
    /// 户籍维护: adds a person to a household of `p.scope`, numbered by the register (`R-…`).
    async fn register_person(&self, p: &NewPerson<'_>) -> Result<PersonRecord>;
    /// Changes a person of `c.scope` (see [`PersonChange`]); `None` when there is none there.
    async fn change_person(&self, c: &PersonChange<'_>) -> Result<Option<PersonRecord>>;
    /// A person's changes, newest first.
    async fn person_changes(&self, person: &PersonId, limit: u32) -> Result<Vec<PersonChangeRecord>>;
    /// The entries a new one may repeat, each found by a look-up (`register.rs`).
    async fn look_alikes(&self, p: &LookAlike<'_>) -> Result<Vec<Match>>;

    // ---- import ----

    /// Starts an import that lands whole at `commit` or not at all. `bulk` allows the store to
    /// drop and rebuild indexes when it loads into empty tables.
    async fn begin_import(&self, bulk: bool) -> Result<Box<dyn Import>>;

    // ---- users and sessions ----

    async fn create_user(&self, user: &NewUser) -> Result<User>;
    async fn user_by_name(&self, username: &str) -> Result<Option<User>>;
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<bool>;
    async fn users(&self) -> Result<Vec<User>>;
    /// The users whose areas lie inside `scope`, by username.
    async fn users_in(&self, scope: &AreaPath) -> Result<Vec<User>>;
    /// The display names of the users named, by username (those with no such user left out):
    /// what a log shows for who did something.
    async fn display_names(&self, usernames: &[String]) -> Result<HashMap<String, String>>;
    /// Changes a user (see [`UserChange`]); `None` when there is no such user. A scope naming no
    /// area is `Invalid`; nothing is written then.
    async fn change_user(&self, change: &UserChange<'_>) -> Result<Option<User>>;
    /// A user's changes, newest first.
    async fn user_changes(&self, username: &str, limit: u32) -> Result<Vec<UserChangeRecord>>;
    /// 双因素: seals and keeps a user's TOTP secret, or removes it (a phone lost); false for no
    /// such user.
    async fn set_totp_secret(&self, user_id: i64, secret: Option<&str>) -> Result<bool>;
    /// A user's TOTP secret, opened, and the last step a code was accepted for.
    async fn totp_secret(&self, user_id: i64) -> Result<Option<(String, Option<i64>)>>;
    /// Records that a code of `step` was accepted: false when that step or a later one was
    /// already (a code counts once, even when two sign-ins race with it).
    async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool>;
    /// 权限: every role's hold on every right this version knows.
    async fn role_rights(&self) -> Result<Vec<RoleRight>>;
    /// Grants or revokes a right of a role; false when the role already held it so.
    async fn set_role_right(
        &self,
        role: Role,
        right: cordon_domain::Right,
        granted: bool,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()>;
    /// The user of a live session.
    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    // ---- audit ----

    /// Records that `user` read these people through `route`.
    async fn audit_reads(
        &self,
        user: &User,
        people: &[PersonId],
        route: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;
    async fn reads_of(&self, person: &PersonId, limit: u32) -> Result<Vec<AuditEntry>>;
    /// The audit of reads for headquarters' viewer.
    async fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditLogEntry>>;
    /// Records a broken glass (the grant) and returns it.
    async fn break_glass(&self, b: &NewGlassBreak<'_>) -> Result<GlassBreak>;
    /// The grant `user_id` holds on `person` at `now`, if any (the latest).
    async fn glass_break(
        &self,
        user_id: i64,
        person: &PersonId,
        now: DateTime<Utc>,
    ) -> Result<Option<GlassBreak>>;
    /// The glasses broken for people in `scope`, newest first.
    async fn glass_breaks(&self, scope: &AreaPath, limit: u32) -> Result<Vec<GlassBreak>>;
    /// Links the entries queued by reads to the audit's hash chain, a batch per transaction,
    /// until the queue is empty; how many. The server calls it every second and at its stop.
    async fn link_audit(&self) -> Result<usize>;
    /// Links what is queued, then checks the audit's hash chain from its first link to the head
    /// kept beside it.
    async fn verify_audit(&self) -> Result<cordon_domain::ChainReport>;

    /// Re-seals every ID number and phone not sealed under the key file's first key, a batch per
    /// transaction (stopped, it can be run again); then only that key is needed.
    async fn rotate_keys(&self) -> Result<Resealed>;

    // ---- retention ----

    /// The personal data of the outbreak, step by step, with the rows each step touches. With
    /// `apply` it is deleted or pseudonymised (see `retention.rs`) in one transaction and the
    /// files rewritten; without, nothing changes. Whether it is due is the caller's rule.
    async fn purge_personal_data(&self, apply: bool) -> Result<Vec<PurgeStep>>;

    // ---- exports ----

    /// The people inside `scope` as pseudonymised CSV rows, in the order and columns of a
    /// people export (register id, name, ID number, phone, birth year, sex, household, address,
    /// tags), no header, streamed as they are read: PostgreSQL writes them itself (COPY), SQLite
    /// through a bulk reader of its own. None where there is no such reader (an in-memory
    /// SQLite database): the caller reads pages instead.
    async fn pseudonymised_people_csv(
        &self,
        scope: &AreaPath,
        names: &cordon_domain::Pseudonyms,
    ) -> Result<Option<futures::stream::BoxStream<'static, Result<bytes::Bytes>>>>;
}

/// An import in progress: a transaction of the store's own. Dropping it without `commit`
/// rolls everything back.
#[async_trait]
pub trait Import: Send {
    /// Areas in the order `cordon_domain::plan_areas` gives (parents first). Existing areas get
    /// their name updated, and their shape when the row has one.
    async fn areas(&mut self, rows: &[AreaRow]) -> Result<()>;

    /// People, each into a household that exists. Rows naming an unknown household or a
    /// person_id already registered are returned, not written.
    async fn people(&mut self, rows: &[PersonRow]) -> Result<Vec<Rejected>>;

    /// Commits, rebuilding any indexes dropped for the load and the subtree counts.
    async fn commit(self: Box<Self>) -> Result<Totals>;
}

/// What an import remembers of the areas it has placed, so children find their parent's path
/// without a query per row.
#[derive(Default)]
struct Placed {
    by_code: HashMap<AreaCode, PlacedArea>,
    next_id: i64,
}

#[derive(Clone)]
struct PlacedArea {
    level: AreaLevel,
    path: AreaPath,
    district: Option<AreaCode>,
}

/// A new area with its id, path and district, ready to insert.
struct NewArea<'a> {
    id: i64,
    row: &'a AreaRow,
    path: AreaPath,
    district: Option<AreaCode>,
}

impl Placed {
    /// Splits a chunk of planned rows into the existing areas (to update) and new ones, which get
    /// their id, path and district here. Both backends land what this decides.
    fn place<'a>(&mut self, chunk: &'a [AreaRow]) -> Result<(Vec<&'a AreaRow>, Vec<NewArea<'a>>)> {
        let (mut existing, mut new) = (Vec::new(), Vec::new());
        for r in chunk {
            if self.by_code.contains_key(&r.code) {
                existing.push(r);
                continue;
            }
            let id = self.next_id;
            self.next_id += 1;
            let (path, district) = match &r.parent {
                None => {
                    (AreaPath::root().child(id), (r.level == AreaLevel::District).then(|| r.code.clone()))
                }
                Some(p) => {
                    let parent = self.by_code.get(p).ok_or_else(|| {
                        StoreError::Invalid(format!(
                            "area {}: parent {p} is not in the store (plan the rows first)",
                            r.code
                        ))
                    })?;
                    (parent.path.child(id), parent.district_for_child(&r.code, r.level))
                }
            };
            self.by_code.insert(
                r.code.clone(),
                PlacedArea { level: r.level, path: path.clone(), district: district.clone() },
            );
            new.push(NewArea { id, row: r, path, district });
        }
        Ok((existing, new))
    }

    /// Splits a chunk of people into those that can be inserted, each with their household, and
    /// those refused: an unknown household, an area that is not a household, a registered id.
    fn sort_people<'a>(
        &self,
        base: usize,
        chunk: &'a [PersonRow],
        registered: &std::collections::HashSet<String>,
        rejected: &mut Vec<Rejected>,
    ) -> Vec<(&'a PersonRow, &PlacedArea)> {
        let mut good = Vec::with_capacity(chunk.len());
        for (i, p) in chunk.iter().enumerate() {
            let reject = |column, reason| Rejected { index: base + i, column, reason };
            match self.by_code.get(&p.household) {
                None => rejected.push(reject("household_code", format!("unknown household {}", p.household))),
                Some(h) if h.level != AreaLevel::Household => rejected.push(reject(
                    "household_code",
                    format!("{} is a {}, not a household", p.household, h.level),
                )),
                Some(_) if registered.contains(p.person_id.as_str()) => {
                    rejected.push(reject("person_id", format!("{} is already registered", p.person_id)))
                }
                Some(h) => good.push((p, h)),
            }
        }
        good
    }
}

impl PlacedArea {
    /// The district a child of this area belongs to.
    fn district_for_child(&self, child: &AreaCode, child_level: AreaLevel) -> Option<AreaCode> {
        if child_level == AreaLevel::District { Some(child.clone()) } else { self.district.clone() }
    }
}

fn level_of(s: &str) -> Result<AreaLevel> {
    AreaLevel::parse(s).map_err(|e| StoreError::Invalid(format!("stored area level: {e}")))
}

fn role_of(s: &str) -> Result<Role> {
    Role::parse(s).map_err(|e| StoreError::Invalid(format!("stored role: {e}")))
}

fn code_of(s: String) -> Result<AreaCode> {
    AreaCode::try_from(s).map_err(|e| StoreError::Invalid(format!("stored area code: {e}")))
}

fn sex_of(s: &str) -> Sex {
    Sex::parse(s).unwrap_or(Sex::Unknown)
}

/// The exclusive upper bound of a prefix range: every string starting with `prefix` sorts
/// below it in byte order (U+10FFFF is the largest scalar value).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// How many rows one multi-row INSERT carries on SQLite (its limit is 32,766 parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// Run in the transaction of an import (areas, residents): readers keep the units of coverage
/// until it moves ([`Workforce::units_version`]).
pub(crate) const BUMP_AREAS_VERSION: &str = "UPDATE versions SET n = n + 1 WHERE name IN ('units', 'areas')";

/// Run in the transaction of every change to a zone's tier or end, after
/// [`BUMP_UNITS_VERSION`], with the zone's id: the zone keeps the version of its last change, so
/// a reader reads again only under the zones changed. (After: the counter's row lock orders two
/// writers, and each reads its own bump.)
pub(crate) const STAMP_ZONE_VERSION: &str =
    "UPDATE zones SET units_version = (SELECT n FROM versions WHERE name = 'units') WHERE id = $1";
/// Run in the transaction of every change to a zone's tier or end, before [`STAMP_ZONE_VERSION`].
pub(crate) const BUMP_UNITS_VERSION: &str = "UPDATE versions SET n = n + 1 WHERE name = 'units'";
