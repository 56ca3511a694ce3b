//! What the case store takes and gives: its records, the `Cases` trait, and the selects both
//! backends share. The SQL that implements it is in `sql.rs`, beside this file.

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::notice::Transport;
use cordon_domain::{AreaCode, AreaPath, CaseClass, ContactKind, ContactSource, ContactStatus, PersonId};
use serde::{Deserialize, Serialize};

use crate::Result;

/// A place with a venue code (场所码).
#[derive(Debug, Clone, PartialEq)]
pub struct Venue {
    pub venue_id: String,
    pub name: String,
    /// The area it stands in.
    pub area: AreaCode,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VenueRecord {
    pub venue: Venue,
    pub area_name: String,
    pub path: AreaPath,
}

/// One scan of a venue code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRow {
    pub person_id: String,
    pub venue_id: String,
    pub scanned_at: DateTime<Utc>,
}

/// A file of scans, known by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanFile {
    pub sha256: String,
    pub name: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanFileRecord {
    pub id: i64,
    pub file: ScanFile,
    pub rows: i64,
}

/// A case to open.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub person_id: PersonId,
    pub class: CaseClass,
    pub onset: Option<NaiveDate>,
    pub sampled_at: DateTime<Utc>,
    pub infectious_from: DateTime<Utc>,
    pub isolated_at: Option<DateTime<Utc>>,
    pub isolation_place: String,
    pub source_case_id: Option<i64>,
    pub profile_key: String,
    pub note: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    pub id: i64,
    pub person_id: String,
    pub name: String,
    pub household: AreaCode,
    pub path: AreaPath,
    pub class: CaseClass,
    pub onset: Option<NaiveDate>,
    pub sampled_at: DateTime<Utc>,
    pub infectious_from: DateTime<Utc>,
    pub isolated_at: Option<DateTime<Utc>>,
    pub isolation_place: String,
    pub source_case_id: Option<i64>,
    pub profile_key: String,
    pub traced_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// 转归: the last outcome recorded; none while the case is open and unplaced.
    pub outcome: Option<cordon_domain::CaseOutcome>,
    pub outcome_at: Option<DateTime<Utc>>,
    /// Which hospital, which site (and bed), as the stay named them when it was recorded.
    pub outcome_place: String,
    /// The stay that holds the case admitted or isolated: where it is, in one record.
    pub outcome_stay_id: Option<i64>,
    /// A recovered case's health monitoring at home ends then.
    pub monitoring_until: Option<DateTime<Utc>>,
}

impl CaseRecord {
    /// Still makes its person positive: neither recovered nor dead.
    pub fn is_open(&self) -> bool {
        !self.outcome.is_some_and(cordon_domain::CaseOutcome::closes)
    }
}

/// A case as the chain needs it: no personal field.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainRow {
    pub id: i64,
    pub source_case_id: Option<i64>,
    pub class: CaseClass,
    pub path: AreaPath,
    pub sampled_at: DateTime<Utc>,
}

/// A change to a case, kept in its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseChange {
    Opened {
        class: CaseClass,
    },
    /// 无症状感染者转确诊, or the reverse when a diagnosis is corrected.
    Reclassified {
        from: CaseClass,
        to: CaseClass,
    },
    Isolated {
        at: DateTime<Utc>,
        place: String,
    },
    /// The case it caught it from (none: unknown).
    Linked {
        source_case_id: Option<i64>,
    },
    Traced {
        close: i64,
        secondary: i64,
        added: i64,
    },
    Note {
        text: String,
    },
    /// 转归: admitted, isolated, recovered (with the end of its monitoring) or died. `from` is the
    /// outcome the recorder saw: another recorded since is a conflict.
    Outcome {
        from: Option<cordon_domain::CaseOutcome>,
        outcome: cordon_domain::CaseOutcome,
        at: DateTime<Utc>,
        /// The site and room of the stay (admitted, isolated); for a recovery, where from.
        place: String,
        monitoring_until: Option<DateTime<Utc>>,
        /// For a recovery: when the negative tests it rests on were sampled.
        #[serde(default)]
        tests: Vec<DateTime<Utc>>,
        /// Admitted or isolated: the stay that holds the case, open, of its person, at a site
        /// of the outcome's kind.
        #[serde(default)]
        stay_id: Option<i64>,
    },
}

impl CaseChange {
    pub fn kind(&self) -> &'static str {
        match self {
            CaseChange::Opened { .. } => "opened",
            CaseChange::Reclassified { .. } => "reclassified",
            CaseChange::Isolated { .. } => "isolated",
            CaseChange::Linked { .. } => "linked",
            CaseChange::Traced { .. } => "traced",
            CaseChange::Note { .. } => "note",
            CaseChange::Outcome { .. } => "outcome",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseEventRecord {
    pub id: i64,
    pub case_id: i64,
    pub at: DateTime<Utc>,
    pub change: CaseChange,
    pub recorded_by: String,
}

/// A stop or trip of a case's trajectory.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSegment {
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// A venue with a code, whose name and area are taken from the register of venues.
    pub venue_id: Option<String>,
    /// Without a venue: the area (and a description) — shown in a notice as its street only.
    pub area: Option<AreaCode>,
    pub place: String,
    pub transport: Option<Transport>,
    pub transport_detail: String,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRecord {
    pub id: i64,
    pub case_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub venue_id: Option<String>,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    pub place: String,
    pub transport: Option<Transport>,
    pub transport_detail: String,
}

/// A contact found by tracing.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    pub person_id: String,
    pub kind: ContactKind,
    pub source: ContactSource,
    pub via_person_id: String,
    pub venue_id: Option<String>,
    pub exposure_at: DateTime<Utc>,
    pub quarantine_from: NaiveDate,
    /// The first day free of the plan; none when the case's profile has no plan for the kind.
    pub plan_ends: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    pub id: i64,
    pub case_id: i64,
    /// The profile of the contact's case: what its quarantine plan comes from.
    pub case_profile_key: String,
    pub person_id: String,
    /// From the register, when the contact is in it.
    pub name: Option<String>,
    pub path: Option<AreaPath>,
    pub kind: ContactKind,
    pub source: ContactSource,
    pub via_person_id: String,
    pub venue_id: Option<String>,
    pub venue_name: Option<String>,
    pub exposure_at: DateTime<Utc>,
    pub identified_at: DateTime<Utc>,
    pub quarantine_from: NaiveDate,
    pub status: ContactStatus,
    pub place: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    /// The first day free of the plan while the contact is followed up (none after, or while
    /// the release's run has not recorded it yet).
    pub plan_ends: Option<NaiveDate>,
    /// The case this contact became.
    pub became_case_id: Option<i64>,
    pub released_at: Option<DateTime<Utc>>,
    /// 应检未检: the start of the first test day of the plan passed without a sample (the
    /// follow-up task marks it the night after, and clears it when the sample is made up).
    pub overdue_since: Option<DateTime<Utc>>,
}

/// Which cases a list shows, a page at a time, newest sample first.
#[derive(Debug, Clone, Default)]
pub struct CaseListQuery {
    /// Only cases still open: neither recovered nor dead.
    pub open_only: bool,
    /// Only cases whose last outcome is this one.
    pub outcome: Option<cordon_domain::CaseOutcome>,
    /// Only cases sampled at or after this moment and before `sampled_before`.
    pub sampled_from: Option<DateTime<Utc>>,
    pub sampled_before: Option<DateTime<Utc>>,
    pub limit: u32,
    /// Skip this many first (a later page).
    pub offset: u32,
}

#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    pub case_id: Option<i64>,
    pub active_only: bool,
    pub kind: Option<ContactKind>,
    /// Only contacts whose household is in this area (what the area's page lists).
    pub living_in: Option<AreaPath>,
    /// Only this person's contacts (a person may be a contact of several cases).
    pub person_id: Option<String>,
    /// Only those followed up with a test day missed.
    pub overdue_only: bool,
    pub limit: u32,
    /// Skip this many first (a later page of a list).
    pub offset: u32,
}

/// Contacts of a case by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ContactCounts {
    pub close: i64,
    pub secondary: i64,
}

/// What a save of traced contacts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Saved {
    /// Contacts new to this case.
    pub added: i64,
    /// Contacts the case had already (their status and place kept; an earlier exposure taken).
    pub kept: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    Draft,
    Published,
    Withdrawn,
}

impl NoticeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeStatus::Draft => "draft",
            NoticeStatus::Published => "published",
            NoticeStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(NoticeStatus::Draft),
            "published" => Some(NoticeStatus::Published),
            "withdrawn" => Some(NoticeStatus::Withdrawn),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewNotice {
    pub case_id: i64,
    pub k: i32,
    pub text_zh: String,
    pub text_en: String,
    pub generalised: i32,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NoticeRecord {
    pub id: i64,
    pub case_id: i64,
    pub status: NoticeStatus,
    pub k: i32,
    pub text_zh: String,
    pub text_en: String,
    pub generalised: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<String>,
}

/// What the store keeps of cases and contacts.
#[async_trait::async_trait]
pub trait Cases: Send + Sync {
    /// Adds or updates venues; refuses the batch (`NotFound`, naming the row) if an area is
    /// unknown.
    async fn put_venues(&self, venues: &[Venue]) -> Result<usize>;
    async fn venues(&self, ids: &[String]) -> Result<Vec<VenueRecord>>;
    /// Venues standing inside `scope`, by name.
    async fn venues_in(&self, scope: &AreaPath, limit: u32) -> Result<Vec<VenueRecord>>;

    /// Lands a file of scans in one transaction, taking the rows as they come (a file of 20 M
    /// never sits in memory as rows); a file sent before (same SHA-256) adds nothing and returns
    /// the earlier record with `false`.
    async fn add_scans(
        &self,
        file: &ScanFile,
        rows: &mut (dyn Iterator<Item = ScanRow> + Send),
    ) -> Result<(ScanFileRecord, bool)>;
    /// Scans with an id above `after`, by id: how the server loads its index.
    async fn scans_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, ScanRow)>>;
    async fn scan_files(&self, limit: u32) -> Result<Vec<ScanFileRecord>>;

    /// Opens a case for a person living in `scope` (`NotFound` otherwise; `Conflict` if they are
    /// a case already).
    async fn open_case(&self, scope: &AreaPath, case: &NewCase) -> Result<CaseRecord>;
    async fn case(&self, scope: &AreaPath, id: i64) -> Result<Option<CaseRecord>>;
    /// Cases in scope, newest first.
    async fn cases(&self, scope: &AreaPath, limit: u32) -> Result<Vec<CaseRecord>>;
    /// The cases of `scope` that `q` asks for, newest sample first.
    async fn case_list(&self, scope: &AreaPath, q: &CaseListQuery) -> Result<Vec<CaseRecord>>;
    /// The case a person is, if any (the caller has checked the person is visible).
    async fn case_of_person(&self, person_id: &str) -> Result<Option<i64>>;
    /// Every case's id, source, class and place, for the chain (no personal field).
    async fn chain(&self) -> Result<Vec<ChainRow>>;
    /// The person ids of every case, and when each became infectious and was isolated: what
    /// tracing excludes and counts.
    async fn case_people(&self) -> Result<Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)>>;
    /// Records a change; reclassification, isolation and linking update the case.
    async fn change_case(
        &self,
        case_id: i64,
        change: &CaseChange,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<CaseEventRecord>;
    async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEventRecord>>;
    /// When a person's negative tests were sampled (any tube of theirs read negative): what a
    /// case's discharge is checked against.
    async fn negative_tests(&self, person_id: &str) -> Result<Vec<DateTime<Utc>>>;

    async fn add_segment(&self, case_id: i64, segment: &NewSegment) -> Result<SegmentRecord>;
    async fn remove_segment(&self, case_id: i64, segment_id: i64) -> Result<()>;
    async fn segments(&self, case_id: i64) -> Result<Vec<SegmentRecord>>;

    /// Saves a tracing's contacts for a case and records the tracing in its history.
    async fn save_contacts(
        &self,
        case_id: i64,
        contacts: &[NewContact],
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Saved>;
    async fn contacts(&self, scope: &AreaPath, query: &ContactQuery) -> Result<Vec<ContactRecord>>;
    async fn contact(&self, scope: &AreaPath, id: i64) -> Result<Option<ContactRecord>>;
    async fn update_contact(
        &self,
        id: i64,
        status: ContactStatus,
        place: &str,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<ContactRecord>;
    async fn contact_counts(&self, case_ids: &[i64]) -> Result<Vec<(i64, ContactCounts)>>;

    async fn add_notice(&self, notice: &NewNotice) -> Result<NoticeRecord>;
    async fn notices(&self, case_id: i64) -> Result<Vec<NoticeRecord>>;
    /// Publishes a draft (`Conflict` if it is not one); an earlier published notice of the case
    /// is withdrawn, its text kept.
    async fn publish_notice(
        &self,
        case_id: i64,
        id: i64,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<NoticeRecord>;
}

pub(crate) fn parse_col<T>(
    what: &str,
    s: &str,
    parse: impl Fn(&str) -> std::result::Result<T, cordon_domain::DomainError>,
) -> Result<T> {
    parse(s).map_err(|e| crate::StoreError::Invalid(format!("stored {what}: {e}")))
}

pub(crate) const CASE_SELECT: &str = "SELECT c.*, p.name, p.household_code FROM cases c \
     JOIN people p ON p.person_id = c.person_id";

pub(crate) const CONTACT_SELECT: &str = "SELECT t.*, f.plan_ends, f.overdue_since, p.name, v.name AS venue_name, \
     k.profile_key AS case_profile_key FROM contacts t \
     JOIN cases k ON k.id = t.case_id \
     LEFT JOIN followups f ON f.contact_id = t.id \
     LEFT JOIN people p ON p.person_id = t.person_id \
     LEFT JOIN venues v ON v.venue_id = t.venue_id";

pub(crate) const SEGMENT_SELECT: &str = "SELECT s.*, a.name AS area_name, a.path FROM case_segments s \
     JOIN areas a ON a.code = s.area_code";
