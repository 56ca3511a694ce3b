//! What the testing store takes and gives: its records, the `Testing` trait, and the SQL
//! fragments both backends share. The SQL that implements it is in `sql.rs`, beside this file.

use chrono::{DateTime, Utc};
use cordon_domain::testing::Pooling;
use cordon_domain::{AreaCode, AreaPath, TubeResult};

use crate::cases::ScanFile;
use crate::{Rejected, Result};

#[derive(Debug, Clone)]
pub struct NewRound {
    /// The `round_id` the samples files use.
    pub round_key: String,
    pub name: String,
    /// The name in English; empty: `name` serves both languages.
    pub name_en: String,
    pub area: AreaCode,
    pub starts_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub profile_key: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoundRecord {
    pub id: i64,
    pub round_key: String,
    pub name: String,
    /// The name in English; empty: `name` serves both languages.
    pub name_en: String,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    /// Registered residents of the round's area.
    pub residents: i64,
    pub starts_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub profile_key: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
}

/// One person in one tube, as a samples file gives it (after the round is resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRow {
    pub line: u64,
    pub tube_id: String,
    pub person_id: String,
    pub round_id: i64,
}

/// A tube of a samples file: the reader knows its size and first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTube {
    pub line: u64,
    pub tube_id: String,
    pub round_id: i64,
    pub site: String,
    pub collected_at: DateTime<Utc>,
    pub size: u32,
}

/// The pooling a zone's tier allows, for the people living under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonePooling {
    pub path: AreaPath,
    pub pooling: Pooling,
    /// Named in the error: 封控区 … (the zone's area).
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFileRecord {
    pub id: i64,
    pub kind: String,
    pub file: ScanFile,
    pub rows: i64,
}

/// What `begin_samples` found.
pub enum Begun {
    /// The same file was imported before: nothing to do.
    Known(TestFileRecord),
    Load(Box<dyn SampleLoad>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplesAdded {
    pub file: TestFileRecord,
    pub tubes: i64,
    pub people: i64,
}

/// A samples file being landed: a transaction of the store's own. Dropping it without `finish`
/// rolls everything back.
#[async_trait::async_trait]
pub trait SampleLoad: Send {
    /// Stages rows (any number of calls).
    async fn rows(&mut self, rows: &[SampleRow]) -> Result<()>;
    /// The staged rows naming someone not in the register (the first 50, by line): asked of a
    /// file refused for other rows too, so that its sender hears of every kind at once.
    async fn unknown_people(&mut self) -> Result<Vec<Rejected>>;
    /// Checks the staged rows against the register and the zones, and commits them with their
    /// tubes; or returns every row refused, and commits nothing.
    async fn finish(
        self: Box<Self>,
        tubes: &[NewTube],
        zones: &[ZonePooling],
    ) -> Result<std::result::Result<SamplesAdded, Vec<Rejected>>>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    pub line: u64,
    pub tube_id: String,
    pub result: TubeResult,
    pub reported_at: DateTime<Utc>,
    pub lab: String,
}

/// A single tube that came back positive: a case to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositiveSingle {
    pub tube_id: String,
    pub person_id: String,
    pub round_id: i64,
    pub collected_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResultsApplied {
    pub file: Option<TestFileRecord>,
    /// False when the same file was applied before: nothing changed.
    pub new: bool,
    pub negative: i64,
    pub positive: i64,
    pub invalid: i64,
    /// 混管阳性: tubes of more than one person.
    pub positive_pools: Vec<String>,
    pub positive_singles: Vec<PositiveSingle>,
    pub tasks_opened: i64,
    pub tasks_closed: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// 单管复核: a member of a positive pool, retested alone at the door; held until then.
    Retest,
    /// 重采: a member of an invalid tube, sampled again.
    Resample,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Retest => "retest",
            TaskKind::Resample => "resample",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "retest" => Some(TaskKind::Retest),
            "resample" => Some(TaskKind::Resample),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub id: i64,
    pub person_id: String,
    pub name: String,
    pub household: AreaCode,
    pub path: AreaPath,
    pub round_id: i64,
    pub kind: TaskKind,
    pub tube_id: String,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_tube_id: Option<String>,
    pub outcome: Option<TubeResult>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TubeRecord {
    pub tube_id: String,
    pub round_id: i64,
    pub site: String,
    pub collected_at: DateTime<Utc>,
    pub size: i64,
    pub result: Option<TubeResult>,
    pub reported_at: Option<DateTime<Utc>>,
    pub lab: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TubeMember {
    pub person_id: String,
    pub name: String,
    pub household: AreaCode,
    pub path: AreaPath,
}

/// A round's counts inside one area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoundTotals {
    /// Distinct people sampled.
    pub people: i64,
    pub tubes: i64,
    pub negative: i64,
    pub positive: i64,
    pub invalid: i64,
    pub pending: i64,
    pub open_retests: i64,
    pub open_resamples: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskQuery {
    pub round_id: Option<i64>,
    pub open_only: bool,
    pub limit: u32,
}

/// What the store keeps of mass testing. Rounds are visible like zones (their area inside the
/// reader's scope or containing it); people, tubes' members and tasks by the person's home.
#[async_trait::async_trait]
pub trait Testing: Send + Sync {
    /// Plans a round over an area inside `scope` (`NotFound` otherwise; `Conflict` for a key in use).
    async fn create_round(&self, scope: &AreaPath, round: &NewRound) -> Result<RoundRecord>;
    async fn round(&self, scope: &AreaPath, id: i64) -> Result<Option<RoundRecord>>;
    /// Rounds by their file keys, whatever the scope (an import resolves them, then checks).
    async fn rounds_by_key(&self, keys: &[String]) -> Result<Vec<RoundRecord>>;
    /// Rounds visible in `scope`, open first, newest first.
    async fn rounds(&self, scope: &AreaPath, include_closed: bool, limit: u32) -> Result<Vec<RoundRecord>>;
    async fn close_round(&self, id: i64, at: DateTime<Utc>, by: &str) -> Result<RoundRecord>;

    /// Starts landing a samples file, unless the same file (by SHA-256) landed before.
    async fn begin_samples(&self, file: &ScanFile) -> Result<Begun>;
    /// Applies a results file whole, or returns every row refused and changes nothing. The same
    /// file twice changes nothing the second time.
    async fn add_results(
        &self,
        file: &ScanFile,
        rows: &[ResultRow],
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<ResultsApplied, Vec<Rejected>>>;
    async fn test_files(&self, limit: u32) -> Result<Vec<TestFileRecord>>;

    async fn tube(&self, tube_id: &str) -> Result<Option<TubeRecord>>;
    /// The members of a tube living inside `scope`.
    async fn tube_members(&self, scope: &AreaPath, tube_id: &str) -> Result<Vec<TubeMember>>;
    /// The tubes a person was in, newest first.
    async fn tubes_of(&self, person_id: &str, limit: u32) -> Result<Vec<TubeRecord>>;
    /// Tubes of a round with this result, newest report first (positive pools to act on).
    async fn tubes_with(&self, round_id: i64, result: TubeResult, limit: u32) -> Result<Vec<TubeRecord>>;

    /// The round's counts among people living in `area` (a path inside the round's area).
    async fn round_totals(&self, round_id: i64, area: &AreaPath) -> Result<RoundTotals>;
    /// Distinct people sampled in the round under each of these areas.
    async fn sampled_under(&self, round_id: i64, areas: &[AreaPath]) -> Result<Vec<i64>>;
    /// 扫楼: registered residents of `area` with no sample in the round, door by door (by
    /// household path), leaving out cases, contacts in a central quarantine site, people
    /// tagged hospitalised or away, and those a door settled (sampled there, moved out, refused). Returns
    /// `limit` of them — the first, or those after the person `after` in the list's order — and how
    /// many there are in all.
    async fn sweep(
        &self,
        round_id: i64,
        area: &AreaPath,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<crate::PersonRecord>, i64)>;

    async fn test_tasks(&self, scope: &AreaPath, query: &TaskQuery) -> Result<Vec<TaskRecord>>;
    /// Every task of these people, open first (their testing status).
    async fn tasks_of(&self, person_ids: &[String]) -> Result<Vec<TaskRecord>>;
}

pub(crate) fn result_of(s: &str) -> Result<TubeResult> {
    TubeResult::parse(s).map_err(|e| crate::StoreError::Invalid(format!("stored result: {e}")))
}

/// A contact in a central quarantine site (a place recorded): away from home, not knocked for.
/// One at home is sampled at the door like everyone else.
pub(crate) const CENTRAL: &str = "k.status = 'quarantined' AND k.place <> ''";

/// A door's outcome that takes a person off the round's list (`DoorOutcome::settles`), as SQL
/// over `door_outcomes d`.
pub(crate) const SETTLED: &str = "d.outcome IN ('sampled', 'moved_out', 'refused')";

/// People tagged hospitalised or away are elsewhere, not knocked for: as SQL over `tags`, word
/// for word the predicate of the `people_away` index.
pub(crate) const SWEEP_AWAY: &str =
    "(';' || tags || ';') LIKE '%;hospitalised;%' OR (';' || tags || ';') LIKE '%;away;%'";
