//! Exports of the lists (people, zones, requests, assignments, contacts, the gate log) as CSV
//! or XLSX, scoped to the user and audited, optionally with pseudonyms in place of names, ID
//! numbers, register ids and phones.
//!
//! The register and the gate log are read page by page (keyset paging) and a CSV is sent as it
//! is read: the first row leaves before the last is read, memory stays flat, and there is no
//! timeout to meet however large the area. The other lists are bounded by what they are (a
//! city's zones or open requests) and are read whole, up to [`BUFFERED_MAX`] rows. An XLSX is
//! written row by row to a temporary file (constant memory) and sent when complete; a sheet
//! holds at most 1,048,575 rows, so larger lists continue on the next sheet.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use cordon_domain::format::spreadsheet_cell;
use cordon_domain::{AreaPath, Pseudonyms, Reach, Right};
use cordon_store::{ContactQuery, NeedQuery, NewExport, PassageQuery, User, ZoneQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::DashboardError;
use crate::AppState;
use crate::dashboard::area_of;

/// Rows read per page of the register and the gate log.
const PAGE: u32 = 10_000;
/// The most rows a list read whole may have.
pub const BUFFERED_MAX: usize = 200_000;
/// Data rows per XLSX sheet (Excel's 1,048,576 rows, less the header).
const SHEET_ROWS: u32 = 1_048_575;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum List {
    People,
    Zones,
    Needs,
    Assignments,
    Contacts,
    GateLog,
}

impl List {
    pub fn as_str(self) -> &'static str {
        match self {
            List::People => "people",
            List::Zones => "zones",
            List::Needs => "needs",
            List::Assignments => "assignments",
            List::Contacts => "contacts",
            List::GateLog => "gate-log",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// people, zones, needs, assignments, contacts, gate-log
    #[param(inline)]
    pub list: List,
    /// csv or xlsx (default csv)
    #[param(inline)]
    pub format: Option<Format>,
    /// An area of the user's (default: the user's own).
    pub area: Option<String>,
    /// Pseudonyms instead of names, ID numbers, register ids and phones.
    pub pseudonymise: Option<bool>,
}

/// Exporting lists (`export`).
pub fn may_export(user: &User) -> bool {
    user.may(Right::Export)
}

fn may_export_list(user: &User, list: List) -> bool {
    may_export(user) || (list == List::Contacts && user.may(Right::ExportContacts))
}

/// The deployment's pseudonym key, kept in the store's settings (made once, on first use).
async fn pseudonyms(state: &AppState) -> Result<Pseudonyms, DashboardError> {
    let key = state
        .pseudonym_key
        .get_or_try_init(|| async {
            if let Some(hexkey) = state.store.setting("pseudonym_key").await? {
                let bytes = hex::decode(&hexkey)
                    .map_err(|_| DashboardError::Internal("stored pseudonym key".into()))?;
                return bytes
                    .try_into()
                    .map_err(|_| DashboardError::Internal("stored pseudonym key length".into()));
            }
            let mut key = [0u8; 32];
            rand::fill(&mut key);
            state.store.set_setting("pseudonym_key", &hex::encode(key)).await?;
            Ok::<_, DashboardError>(key)
        })
        .await?;
    Ok(Pseudonyms::new(*key))
}

/// The path of the area above: a household's building.
fn parent(path: &AreaPath) -> AreaPath {
    let mut lineage = path.lineage();
    lineage.pop();
    lineage.pop().unwrap_or_else(AreaPath::root)
}

/// A value's word as the API writes it (the serde name of an enum).
fn word<T: Serialize>(t: &T) -> String {
    match serde_json::to_value(t) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}

fn time(t: &DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// One page of rows, with the people it shows (for the audit of a named export).
struct Page {
    rows: Vec<Vec<String>>,
    people: Vec<cordon_domain::PersonId>,
}

/// Where the rows come from.
enum Source {
    /// The register by keyset pages.
    People {
        after: Option<(AreaPath, String)>,
        done: bool,
    },
    GateLog {
        before: Option<i64>,
        done: bool,
    },
    Whole(Option<Vec<Vec<String>>>),
}

struct Export {
    state: AppState,
    user: User,
    scope: AreaPath,
    list: List,
    names: Option<Pseudonyms>,
    source: Source,
    audit_id: i64,
    rows: i64,
    route: &'static str,
    /// The addresses of the current page's buildings.
    addresses: std::collections::HashMap<AreaPath, String>,
    /// Time spent reading pages, reading addresses, writing the audit (logged at the end).
    timing: [std::time::Duration; 3],
}

fn columns(list: List) -> Vec<&'static str> {
    match list {
        List::People => vec![
            "person_id",
            "name",
            "id_number",
            "phone",
            "birth_year",
            "sex",
            "household_code",
            "address",
            "tags",
        ],
        List::Zones => vec![
            "zone_id",
            "area_code",
            "area_name",
            "level",
            "tier",
            "started_at",
            "ended_at",
            "residents",
            "profile",
            "reason",
        ],
        List::Needs => vec![
            "need_id",
            "household_code",
            "person_id",
            "category",
            "emergency",
            "priority",
            "status",
            "rung",
            "due_at",
            "escalations",
            "contact_phone",
            "description",
            "created_at",
            "created_by",
        ],
        List::Assignments => vec![
            "assignment_id",
            "worker_id",
            "worker_name",
            "organisation",
            "party_member",
            "unit",
            "unit_name",
            "post",
            "title",
            "from",
            "until",
        ],
        List::Contacts => vec![
            "contact_id",
            "case_id",
            "person_id",
            "name",
            "kind",
            "source",
            "via_person_id",
            "venue",
            "exposure_at",
            "quarantine_from",
            "status",
            "place",
        ],
        List::GateLog => vec![
            "passage_id",
            "at",
            "gate",
            "direction",
            "subject",
            "person_id",
            "name",
            "pass_id",
            "outcome",
            "rule",
            "gate_tier",
            "home_tier",
            "note",
            "finding",
            "finding_detail",
            "decided_by",
        ],
    }
}

impl Export {
    fn person(&self, id: &str) -> String {
        match &self.names {
            Some(p) => p.person(id),
            None => id.to_owned(),
        }
    }

    /// The name as the API shows it to this exporter (`Disclosure::name`: in full inside their
    /// areas, masked for someone at their gate, none beyond), or the person's pseudonym.
    fn name(&self, id: &str, name: &str, reach: Reach) -> String {
        match &self.names {
            Some(p) => p.person(id),
            None => self.user.disclosure().name(name, reach).unwrap_or_default(),
        }
    }

    /// Masked as the API shows it (`139****0000`); empty under pseudonyms and for an exporter
    /// without `see_phone`.
    fn phone(&self, phone: Option<&str>) -> String {
        match &self.names {
            None => self.user.disclosure().phone(phone).unwrap_or_default(),
            Some(_) => String::new(),
        }
    }

    /// Whether a person living at `home` is of the exporter's areas.
    fn reach(&self, home: Option<&AreaPath>, faced: Reach) -> Reach {
        match home {
            Some(h) if self.user.scope_path.contains(h) => Reach::Inside,
            _ => faced,
        }
    }

    /// The addresses of these buildings (the households' parents) down from below the city,
    /// read for those the page before did not have. Only this page's are kept: pages go in path
    /// order, so the cache stays the size of a page however large the export.
    async fn addresses(&mut self, buildings: &[AreaPath]) -> Result<(), DashboardError> {
        let missing: Vec<AreaPath> =
            buildings.iter().filter(|b| !self.addresses.contains_key(*b)).cloned().collect();
        let mut fresh = std::collections::HashMap::with_capacity(buildings.len());
        if !missing.is_empty() {
            let areas = self.state.store.areas_on(&missing).await?;
            for b in missing {
                let names: Vec<&str> = cordon_store::lineage(&areas, &b)
                    .into_iter()
                    .filter(|a| a.level > cordon_domain::AreaLevel::City)
                    .map(|a| a.name.as_str())
                    .collect();
                fresh.insert(b, names.join(" "));
            }
        }
        for b in buildings {
            if let Some(a) = self.addresses.remove(b) {
                fresh.insert(b.clone(), a);
            }
        }
        self.addresses = fresh;
        Ok(())
    }

    fn address_of(&self, household: &AreaPath, door: &str) -> String {
        let building = parent(household);
        match self.addresses.get(&building) {
            Some(a) if !a.is_empty() => format!("{a} {door}"),
            _ => door.to_owned(),
        }
    }

    /// The next page, or none at the end.
    async fn next(&mut self) -> Result<Option<Page>, DashboardError> {
        let tz = self.state.config.tz;
        match &mut self.source {
            Source::People { after, done } => {
                if *done {
                    return Ok(None);
                }
                let t = std::time::Instant::now();
                let from = after.as_ref().map(|(p, id)| (p, id.as_str()));
                let people = self.state.store.people_page(&self.scope, from, PAGE).await?;
                self.timing[0] += t.elapsed();
                if people.len() < PAGE as usize {
                    *done = true;
                }
                let Some((last, _)) = people.last() else { return Ok(None) };
                *after = Some((last.path.clone(), last.person_id.as_str().to_owned()));

                let mut buildings: Vec<AreaPath> = people.iter().map(|(p, _)| parent(&p.path)).collect();
                buildings.dedup();
                let t = std::time::Instant::now();
                self.addresses(&buildings).await?;
                self.timing[1] += t.elapsed();
                let shown = self.user.disclosure();
                let rows: Vec<Vec<String>> = people
                    .iter()
                    .map(|(p, door)| {
                        let id = p.person_id.as_str();
                        // The register is read inside the exporter's areas: every row is theirs.
                        vec![
                            self.person(id),
                            self.name(id, &p.name, Reach::Inside),
                            match (&self.names, &p.id_number) {
                                (_, None) => String::new(),
                                _ if !self.user.may(Right::SeeIdNumber) => String::new(),
                                (Some(n), Some(x)) => n.id_number(x),
                                (None, x) => shown.id_number(x.as_deref()).unwrap_or_default(),
                            },
                            self.phone(p.phone.as_deref()),
                            p.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                            word(&p.sex),
                            p.household.to_string(),
                            self.address_of(&p.path, door),
                            shown.tags(&p.tags).iter().map(|t| t.as_str()).collect::<Vec<_>>().join(";"),
                        ]
                    })
                    .collect();
                let people = if self.names.is_some() {
                    vec![]
                } else {
                    people.into_iter().map(|(p, _)| p.person_id).collect()
                };
                Ok(Some(Page { rows, people }))
            }
            Source::GateLog { before, done } => {
                if *done {
                    return Ok(None);
                }
                let q = PassageQuery { before_id: *before, ..Default::default() };
                let passages = self.state.store.passages(&self.scope, &q, PAGE).await?;
                if passages.len() < PAGE as usize {
                    *done = true;
                }
                let Some(last) = passages.last() else { return Ok(None) };
                *before = Some(last.id);
                let mut people = vec![];
                let rows = passages
                    .iter()
                    .map(|p| {
                        if self.names.is_none()
                            && let Some(id) =
                                p.person_id.as_deref().and_then(|i| cordon_domain::PersonId::parse(i).ok())
                        {
                            people.push(id);
                        }
                        vec![
                            p.id.to_string(),
                            time(&p.at, tz),
                            p.gate_name.clone().unwrap_or_default(),
                            word(&p.direction),
                            word(&p.subject),
                            p.person_id.as_deref().map(|i| self.person(i)).unwrap_or_default(),
                            match (&p.person_id, &p.name) {
                                (Some(i), Some(n)) => {
                                    self.name(i, n, self.reach(p.home.as_ref(), Reach::Faced))
                                }
                                _ => String::new(),
                            },
                            p.pass_id.clone().unwrap_or_default(),
                            word(&p.outcome),
                            word(&p.rule),
                            p.gate_tier.map(|t| word(&t)).unwrap_or_default(),
                            p.home_tier.map(|t| word(&t)).unwrap_or_default(),
                            p.note.clone(),
                            p.finding.map(|f| f.as_str().to_owned()).unwrap_or_default(),
                            p.finding_detail.clone(),
                            p.decided_by.clone(),
                        ]
                    })
                    .collect();
                Ok(Some(Page { rows, people }))
            }
            Source::Whole(rows) => Ok(rows.take().map(|rows| Page { rows, people: vec![] })),
        }
    }

    /// Reads a page, audits it, and counts it.
    async fn page(&mut self) -> Result<Option<Vec<Vec<String>>>, DashboardError> {
        let Some(page) = self.next().await? else {
            self.state.store.export_progress(self.audit_id, self.rows, true).await?;
            let [read_ms, addresses_ms, audit_ms] = self.timing.map(|d| d.as_millis() as u64);
            tracing::info!(list = self.list.as_str(), rows = self.rows, by = %self.user.username, read_ms,
                addresses_ms, audit_ms, "export finished");
            return Ok(None);
        };
        let t = std::time::Instant::now();
        if !page.people.is_empty() {
            self.state.store.audit_reads(&self.user, &page.people, self.route, self.state.now()).await?;
        }
        self.rows += page.rows.len() as i64;
        self.state.store.export_progress(self.audit_id, self.rows, false).await?;
        self.timing[2] += t.elapsed();
        Ok(Some(page.rows))
    }
}

/// The lists read whole, as rows.
async fn whole(
    state: &AppState,
    user: &User,
    scope: &AreaPath,
    list: List,
    ex: &Export,
) -> Result<Vec<Vec<String>>, DashboardError> {
    let tz = state.config.tz;
    let cap = BUFFERED_MAX as u32 + 1;
    let rows: Vec<Vec<String>> = match list {
        List::Zones => {
            let q = ZoneQuery { include_ended: true, tier: None, limit: cap };
            state
                .store
                .zones(scope, &q)
                .await?
                .into_iter()
                .filter(|z| scope.contains(&z.path))
                .map(|z| {
                    vec![
                        z.id.to_string(),
                        z.area.to_string(),
                        z.area_name,
                        word(&z.level),
                        word(&z.tier),
                        time(&z.started_at, tz),
                        z.ended_at.map(|t| time(&t, tz)).unwrap_or_default(),
                        z.residents.to_string(),
                        z.profile_key,
                        z.reason,
                    ]
                })
                .collect()
        }
        List::Needs => {
            let q = NeedQuery {
                include_resolved: true,
                limit: cap,
                offset: 0,
                now: state.now(),
                waiting_on: None,
            };
            state
                .store
                .needs_board(scope, &q)
                .await?
                .into_iter()
                .map(|n| {
                    vec![
                        n.id.to_string(),
                        n.household.to_string(),
                        n.person_id.as_deref().map(|p| ex.person(p)).unwrap_or_default(),
                        word(&n.category),
                        n.emergency.to_string(),
                        word(&n.priority),
                        word(&n.status),
                        word(&n.rung),
                        n.due.map(|t| time(&t, tz)).unwrap_or_default(),
                        n.escalations.to_string(),
                        ex.phone(n.contact_phone.as_deref()),
                        n.description,
                        time(&n.created_at, tz),
                        n.created_by,
                    ]
                })
                .collect()
        }
        List::Assignments => state
            .store
            .assignments(scope, None)
            .await?
            .into_iter()
            .map(|a| {
                vec![
                    a.id.to_string(),
                    a.worker.worker_id.clone(),
                    a.worker.name.clone(),
                    a.worker.organisation.clone(),
                    a.worker.party_member.to_string(),
                    a.unit.key().to_owned(),
                    a.unit_name,
                    word(&a.post),
                    a.title,
                    time(&a.from, tz),
                    a.until.map(|t| time(&t, tz)).unwrap_or_default(),
                ]
            })
            .collect(),
        List::Contacts => {
            let q = ContactQuery { limit: cap, ..Default::default() };
            let contacts = state.store.contacts(scope, &q).await?;
            if ex.names.is_none() {
                // Only the contacts of the exporter's areas are named, so only they are read.
                let ids: Vec<_> = contacts
                    .iter()
                    .filter(|c| ex.reach(c.path.as_ref(), Reach::Outside) == Reach::Inside)
                    .filter_map(|c| cordon_domain::PersonId::parse(&c.person_id).ok())
                    .collect();
                state.store.audit_reads(user, &ids, ex.route, state.now()).await?;
            }
            contacts
                .into_iter()
                .map(|c| {
                    vec![
                        c.id.to_string(),
                        c.case_id.to_string(),
                        ex.person(&c.person_id),
                        c.name
                            .as_deref()
                            .map(|n| ex.name(&c.person_id, n, ex.reach(c.path.as_ref(), Reach::Outside)))
                            .unwrap_or_default(),
                        word(&c.kind),
                        word(&c.source),
                        ex.person(&c.via_person_id),
                        c.venue_name.unwrap_or_default(),
                        time(&c.exposure_at, tz),
                        c.quarantine_from.to_string(),
                        word(&c.status),
                        c.place,
                    ]
                })
                .collect()
        }
        List::People | List::GateLog => unreachable!("paged lists are not read whole"),
    };
    if rows.len() > BUFFERED_MAX {
        return Err(DashboardError::Invalid {
            field: "area".into(),
            message: format!(
                "the {} list of this area has more than {BUFFERED_MAX} rows: export a smaller area",
                list.as_str()
            ),
        });
    }
    Ok(rows)
}

fn csv_bytes(rows: &[Vec<String>]) -> Result<Bytes, DashboardError> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 96));
    for r in rows {
        w.write_record(r.iter().map(|c| spreadsheet_cell(c).into_owned()))
            .map_err(|e| DashboardError::Internal(format!("csv: {e}")))?;
    }
    w.into_inner().map(Bytes::from).map_err(|e| DashboardError::Internal(format!("csv: {e}")))
}

/// Starts an export: checks, audits its start, and answers with the file (streamed).
pub async fn export(state: &AppState, user: &User, p: ExportParams) -> Result<Response, DashboardError> {
    if !may_export_list(user, p.list) {
        return Err(DashboardError::Forbidden(format!(
            "the {} list is not exported by your role",
            p.list.as_str()
        )));
    }
    let node = area_of(state, user, p.area.as_deref()).await?;
    let format = p.format.unwrap_or(Format::Csv);
    let pseudonymise = p.pseudonymise.unwrap_or(false);
    let names = if pseudonymise { Some(pseudonyms(state).await?) } else { None };
    let audit_id = state
        .store
        .begin_export(&NewExport {
            user_id: user.id,
            username: user.username.clone(),
            list: p.list.as_str().into(),
            area: node.area.code.clone(),
            format: word(&format),
            pseudonymised: pseudonymise,
            at: state.now(),
        })
        .await?;
    let mut ex = Export {
        state: state.clone(),
        user: user.clone(),
        scope: node.area.path.clone(),
        list: p.list,
        names,
        source: match p.list {
            List::People => Source::People { after: None, done: false },
            List::GateLog => Source::GateLog { before: None, done: false },
            _ => Source::Whole(None),
        },
        audit_id,
        rows: 0,
        route: "GET /api/v1/exports",
        addresses: Default::default(),
        timing: Default::default(),
    };
    if let Source::Whole(_) = ex.source {
        let rows = whole(state, user, &node.area.path, p.list, &ex).await?;
        ex.source = Source::Whole(Some(rows));
    }
    tracing::info!(list = p.list.as_str(), area = %node.area.code, pseudonymise, by = %user.username, "export started");
    // The pseudonymised register as the store writes it in bulk, where it can (PostgreSQL's
    // COPY, SQLite's bulk reader): the same columns, order and pseudonyms, several times faster
    // than pages.
    let direct = match (&ex.names, p.list, format) {
        (Some(names), List::People, Format::Csv) => {
            state.store.pseudonymised_people_csv(&node.area.path, names).await?
        }
        _ => None,
    };
    let stamp = state.now().with_timezone(&state.config.tz).format("%Y%m%d-%H%M");
    let file = format!(
        "{}-{}-{stamp}{}",
        p.list.as_str(),
        node.area.code,
        if pseudonymise { "-pseudonymised" } else { "" }
    );
    if let Some(rows) = direct {
        return Ok(direct_csv_response(ex, rows, &file));
    }
    match format {
        Format::Csv => Ok(csv_response(ex, &file)),
        Format::Xlsx => xlsx_response(ex, &file).await,
    }
}

/// The header a CSV export starts with: a BOM (spreadsheets then read the Chinese as UTF-8)
/// and the list's columns.
fn csv_head(list: List) -> Bytes {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(columns(list));
    let mut b = b"\xEF\xBB\xBF".to_vec();
    b.extend(w.into_inner().unwrap_or_default());
    Bytes::from(b)
}

fn csv_headers(file: &str) -> [(header::HeaderName, String); 2] {
    [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.csv\"")),
    ]
}

/// Rows the database writes as CSV, passed on as they come; counted (one a line) for the audit,
/// which is finished after the last.
fn direct_csv_response(
    ex: Export,
    rows: futures::stream::BoxStream<'static, Result<Bytes, cordon_store::StoreError>>,
    file: &str,
) -> Response {
    use futures::StreamExt;
    let head = csv_head(ex.list);
    let counted = futures::stream::try_unfold((rows, ex), |(mut rows, mut ex)| async move {
        match rows.next().await {
            Some(Ok(chunk)) => {
                ex.rows += chunk.iter().filter(|&&b| b == b'\n').count() as i64;
                Ok(Some((chunk, (rows, ex))))
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, rows = ex.rows, "export cut off");
                Err(DashboardError::from(e))
            }
            None => {
                ex.state.store.export_progress(ex.audit_id, ex.rows, true).await?;
                tracing::info!(list = ex.list.as_str(), rows = ex.rows, by = %ex.user.username, "export finished");
                Ok(None)
            }
        }
    });
    let body = futures::stream::once(async { Ok::<_, DashboardError>(head) }).chain(counted);
    (csv_headers(file), Body::from_stream(body)).into_response()
}

fn csv_response(ex: Export, file: &str) -> Response {
    let head = csv_head(ex.list);
    let pages = futures::stream::try_unfold(ex, |mut ex| async move {
        match ex.page().await {
            Ok(Some(rows)) => Ok(Some((csv_bytes(&rows)?, ex))),
            Ok(None) => Ok(None),
            Err(e) => {
                tracing::warn!(error = %e, list = ex.list.as_str(), rows = ex.rows, "export cut off");
                Err(e)
            }
        }
    });
    let body =
        futures::StreamExt::chain(futures::stream::once(async { Ok::<_, DashboardError>(head) }), pages);
    (csv_headers(file), Body::from_stream(body)).into_response()
}

async fn xlsx_response(mut ex: Export, file: &str) -> Result<Response, DashboardError> {
    let list = ex.list;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<String>>>(2);
    let path = tempfile::Builder::new()
        .prefix("cordon-export-")
        .suffix(".xlsx")
        .tempfile()
        .map_err(|e| DashboardError::Internal(format!("temporary file: {e}")))?
        .into_temp_path();
    let target = path.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || -> Result<(), String> {
        use rust_xlsxwriter::{Format as Style, Workbook};
        let mut book = Workbook::new();
        let bold = Style::new().set_bold();
        let head = columns(list);
        let mut sheet_no = 0;
        let mut row: u32 = SHEET_ROWS; // a new sheet on the first row
        let mut sheet = None;
        while let Some(page) = rx.blocking_recv() {
            for r in page {
                if row >= SHEET_ROWS {
                    sheet_no += 1;
                    let s = book.add_worksheet_with_constant_memory().map_err(|e| e.to_string())?;
                    s.set_name(format!("{}-{sheet_no}", list.as_str())).map_err(|e| e.to_string())?;
                    for (c, h) in head.iter().enumerate() {
                        s.write_string_with_format(0, c as u16, *h, &bold).map_err(|e| e.to_string())?;
                    }
                    sheet = Some(sheet_no);
                    row = 0;
                }
                let s = book.worksheet_from_index(sheet.expect("a sheet") - 1).map_err(|e| e.to_string())?;
                row += 1;
                for (c, v) in r.iter().enumerate() {
                    s.write_string(row, c as u16, v).map_err(|e| e.to_string())?;
                }
            }
        }
        if sheet.is_none() {
            let s = book.add_worksheet();
            s.set_name(list.as_str()).map_err(|e| e.to_string())?;
            for (c, h) in head.iter().enumerate() {
                s.write_string_with_format(0, c as u16, *h, &bold).map_err(|e| e.to_string())?;
            }
        }
        book.save(&target).map_err(|e| e.to_string())
    });
    while let Some(rows) = ex.page().await? {
        if tx.send(rows).await.is_err() {
            break;
        }
    }
    drop(tx);
    writer
        .await
        .map_err(|e| DashboardError::Internal(format!("xlsx writer: {e}")))?
        .map_err(|e| DashboardError::Internal(format!("xlsx: {e}")))?;
    let f = tokio::fs::File::open(&path)
        .await
        .map_err(|e| DashboardError::Internal(format!("xlsx file: {e}")))?;
    let len = f.metadata().await.map(|m| m.len()).ok();
    // The temporary file goes when the last byte has been sent (its path travels with the stream).
    let path = Arc::new(path);
    let chunks = futures::stream::try_unfold((f, path), |(mut f, path)| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        let n = f.read(&mut buf).await?;
        if n == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), (f, path))))
    });
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.xlsx\"")),
        ],
        Body::from_stream(chunks),
    )
        .into_response();
    if let Some(len) = len {
        response.headers_mut().insert(header::CONTENT_LENGTH, len.into());
    }
    Ok(response)
}
