//! The resident's own channel (居民端): a sign-in by the phone the register holds, the household's
//! page, and requests from home.
//!
//! A resident is a principal of their own: a session names one household. To raise a request
//! they act through the needs service as a principal whose scope is that household and whose one
//! right is raising needs ([`acting`]), so every store call they cause is cut to their own door by
//! the same scoping every staff call goes through, and the audit names them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use cordon_domain::needs::{NeedCategory, NeedStatus};
use cordon_domain::outbox::{SIGN_IN, code_text};
use cordon_domain::{Phone, Right, Rights, Role, TubeResult};
use cordon_store::{CodeAsked, ResidentSession, StoreError, User, ZoneQuery};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::announcements::AnnouncementView;
use crate::http::auth::sha256_hex;
use crate::needs::{NeedDetail, NeedRequest, NeedView};
use crate::web::i18n::Lang;

/// Open requests a household may have of one category at once: enough for a real need and its
/// follow-up, few enough that one phone cannot bury a community's board.
pub const OPEN_PER_CATEGORY: usize = 3;
/// Code asks from one address in `FLOOD_WINDOW` before it is answered 429: a building's shared
/// Wi-Fi is many households, a script is many more.
const FLOOD_LIMIT: u32 = 30;
const FLOOD_WINDOW: StdDuration = StdDuration::from_secs(600);
/// What a resident's token starts with, so a staff route can tell one at a glance.
pub const TOKEN_PREFIX: &str = "res_";
/// The cookie that carries a resident's token for their pages (HttpOnly, SameSite=Lax).
pub const COOKIE: &str = crate::http::guard::RESIDENT_COOKIE;
/// Where a resident signs in.
pub const SIGN_IN_PAGE: &str = "/home/sign-in";

/// Why a resident's request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ResidentError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// A wrong, spent or expired code — one answer for all, and for a phone never registered.
    #[error("wrong or expired code: ask for a new one")]
    BadCode,
    /// Too many asks from one address.
    #[error("too many requests from your address: try again in {0} seconds")]
    Flood(u64),
    /// The household has as many open requests of this kind as it may.
    #[error("{0}")]
    TooManyOpen(String),
    /// Not one of the household's own: not found, whether it exists or not.
    #[error("not found")]
    NotFound,
    /// Refused by the zones' service, called on the way.
    #[error(transparent)]
    Zone(#[from] crate::zones::ZoneError),
    /// Refused by the gates' service, called on the way.
    #[error(transparent)]
    Gate(#[from] crate::gates::GateError),
    /// Refused by the needs' service, called on the way.
    #[error(transparent)]
    Need(#[from] crate::needs::NeedError),
    /// Refused by the announcements' service, called on the way.
    #[error(transparent)]
    Announcement(#[from] crate::announcements::AnnouncementError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> ResidentError {
    ResidentError::Invalid { field, message: message.into() }
}

/// Code asks per address, for the flood guard.
#[derive(Default)]
pub struct Throttle(std::sync::Mutex<HashMap<IpAddr, (u32, Instant)>>);

impl Throttle {
    /// Counts an ask from `from`; `Err` holds the seconds to wait when it is one too many.
    fn ask(&self, from: Option<IpAddr>) -> Result<(), u64> {
        let Some(from) = from else { return Ok(()) };
        let mut asks = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if asks.len() > 100_000 {
            asks.retain(|_, (_, since)| since.elapsed() < FLOOD_WINDOW);
        }
        let e = asks.entry(from).or_insert((0, Instant::now()));
        if e.1.elapsed() >= FLOOD_WINDOW {
            *e = (0, Instant::now());
        }
        if e.0 >= FLOOD_LIMIT {
            return Err((FLOOD_WINDOW - e.1.elapsed()).as_secs().max(1));
        }
        e.0 += 1;
        Ok(())
    }
}

/// The answer to "send a code": the same whether or not the phone is registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeReply {
    /// `sent` when a code went to the phone, if the register holds it; `wait` when this phone
    /// asked too often and nothing was sent.
    pub status: &'static str,
    /// When this phone may ask again.
    pub next_code_after: DateTime<Utc>,
    /// How long a code stays valid.
    pub valid_minutes: i64,
}

/// Asks for a sign-in code for `phone`.
pub async fn ask_code(
    state: &AppState,
    phone: &str,
    from: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<CodeReply, ResidentError> {
    state.residents.ask(from).map_err(ResidentError::Flood)?;
    let phone = Phone::parse(phone).map_err(|e| invalid("phone", e.to_string()))?;
    let code = code_text(rand::random_range(0..1_000_000));
    let rule = SIGN_IN;
    Ok(match state.store.ask_code(phone.as_str(), &code, &rule, now).await? {
        CodeAsked::Kept => CodeReply {
            status: "sent",
            next_code_after: now + rule.spacing,
            valid_minutes: rule.valid_for.num_minutes(),
        },
        CodeAsked::Wait(next) => {
            CodeReply { status: "wait", next_code_after: next, valid_minutes: rule.valid_for.num_minutes() }
        }
    })
}

/// Signs a resident in with the code sent to their phone: a fresh token and the session.
pub async fn sign_in(
    state: &AppState,
    phone: &str,
    code: &str,
    from: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<(String, ResidentSession), ResidentError> {
    // Guesses count against the address as asks do: five tries a code, and few codes an hour.
    state.residents.ask(from).map_err(ResidentError::Flood)?;
    let phone = Phone::parse(phone).map_err(|e| invalid("phone", e.to_string()))?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("code", "the six digits of the text message"));
    }
    let token = format!("{TOKEN_PREFIX}{}", crate::http::auth::new_token());
    let session = state
        .store
        .redeem_code(phone.as_str(), code, &sha256_hex(token.as_bytes()), &SIGN_IN, now)
        .await?
        .ok_or(ResidentError::BadCode)?;
    Ok((token, session))
}

/// The live session of a resident's token, if it is one.
pub async fn session_of(state: &AppState, token: &str) -> Result<Option<ResidentSession>, StoreError> {
    if !is_token(token) {
        return Ok(None);
    }
    state.store.resident_session(&sha256_hex(token.as_bytes()), Utc::now()).await
}

/// Whether `token` has the form of a resident's (not whether it is live).
pub fn is_token(token: &str) -> bool {
    token
        .strip_prefix(TOKEN_PREFIX)
        .is_some_and(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub async fn sign_out(state: &AppState, token: &str) -> Result<(), ResidentError> {
    Ok(state.store.end_resident_session(&sha256_hex(token.as_bytes()), Utc::now()).await?)
}

/// Ends every resident's session over a household of the worker's (a phone lost, a relative
/// who should no longer see it); how many were live.
pub async fn revoke_sessions(
    state: &AppState,
    user: &User,
    household: &str,
    now: DateTime<Utc>,
) -> Result<u64, ResidentError> {
    let code = cordon_domain::AreaCode::try_from(household.trim().to_owned())
        .map_err(|e| invalid("household", e.to_string()))?;
    let node = state.store.area(&user.scope_path, &code).await?;
    if node.is_none_or(|n| n.area.level != cordon_domain::AreaLevel::Household) {
        return Err(invalid("household", format!("no household {code} in your areas")));
    }
    Ok(state.store.end_household_sessions(&code, now).await?)
}

/// The principal a resident acts as through the services: their household for a scope, the
/// one right of raising needs, no user row behind it (id 0).
fn acting(s: &ResidentSession) -> User {
    User {
        id: 0,
        username: format!("resident:{}", s.household),
        display_name: "居民 / resident".into(),
        role: Role::CommunityWorker,
        scope: s.household.clone(),
        scope_path: s.household_path.clone(),
        scope_name: s.household_name.clone(),
        password_hash: String::new(),
        rights: Rights::of(&[Right::HandleNeeds]),
        two_factor: false,
        created_at: s.expires_at,
        disabled_at: None,
        worker_id: None,
    }
}

// ---- the household's page ----

/// The zone over the household, in plain words, with its countdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdZone {
    pub tier: cordon_domain::Tier,
    /// 封控区 (or the profile's own name for it).
    pub tier_name_zh: String,
    pub tier_name_en: String,
    /// What the tier asks of the people in it.
    pub movement_zh: String,
    pub movement_en: String,
    /// The area the zone is drawn on (the building, the compound…).
    pub area_name: String,
    pub since: Option<DateTime<Utc>>,
    pub days_clean: i64,
    /// The first day the rules allow the step down, were every round negative.
    pub earliest_step_down: Option<NaiveDate>,
    /// Days from today to it (0: it may step down today, once nothing blocks it).
    pub days_left: Option<i64>,
    /// What still holds it, in plain words.
    pub blockers_zh: Vec<String>,
    pub blockers_en: Vec<String>,
}

/// A member's own latest test.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestTest {
    pub collected_at: DateTime<Utc>,
    /// negative, positive, invalid; none while the lab has not reported.
    pub result: Option<TubeResult>,
    pub reported_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub person_id: String,
    pub name: String,
    pub latest_test: Option<LatestTest>,
}

/// A round of testing open over the household: where and when to be sampled.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextTest {
    pub round: String,
    /// The area the round covers.
    pub area_name: String,
    pub starts_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

/// A pass of a member's, still valid, with the QR code's content a gate scans.
#[derive(Debug, Serialize, ToSchema)]
pub struct HomePass {
    pub id: String,
    pub kind: cordon_domain::gates::PassKind,
    pub holder: String,
    /// Where it lets them through.
    pub area_name: String,
    pub valid_until: DateTime<Utc>,
    pub one_time: bool,
    /// The QR code's content: `CP1.<claims>.<signature>`.
    pub token: String,
}

/// 找谁: a post that answers for the household's building, compound or community, by its title
/// and duty line — never a worker's own phone or name.
#[derive(Debug, Serialize, ToSchema)]
pub struct DutyContact {
    /// The building, compound or community it answers for.
    pub unit_name: String,
    /// building, compound, community …
    pub level: cordon_domain::AreaLevel,
    /// 临时党支部书记, 楼长 … (else the post: leader, member).
    pub title: String,
    pub post: cordon_domain::workforce::Post,
    /// None: the post has no duty line on record; the worker at the door reaches them.
    pub duty_phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HouseholdView {
    pub household_code: String,
    /// Large to small: 新城区 › 公主府社区 › 呼铁佳园C区 › 3号楼 › 501.
    pub address: String,
    /// None: no zone covers the household.
    pub zone: Option<HouseholdZone>,
    pub members: Vec<Member>,
    pub next_tests: Vec<NextTest>,
    pub requests: Vec<NeedView>,
    /// The notices posted to the areas above it, newest first.
    pub notices: Vec<AnnouncementView>,
    /// The members' passes still valid.
    pub passes: Vec<HomePass>,
    /// Whom to call, the nearest post first (the building's, then the compound's …).
    pub contacts: Vec<DutyContact>,
    pub session_expires_at: DateTime<Utc>,
}

/// The household's page: its zone and countdown, its members with their own latest test, the
/// rounds open over it and its requests. Every member shown is on the audit of reads.
pub async fn household(
    state: &AppState,
    s: &ResidentSession,
    now: DateTime<Utc>,
) -> Result<HouseholdView, ResidentError> {
    let me = acting(s);
    let path = &s.household_path;
    let query = ZoneQuery { include_ended: false, tier: None, limit: 50 };
    let zone = crate::zones::list_in(state, path, &query)
        .await?
        .into_iter()
        // A household is a leaf: every zone the list gives is drawn on it or above it.
        .filter(|z| z.state.tier.is_some())
        .max_by_key(|z| z.tier.strictness())
        .map(|z| {
            let today = now.with_timezone(&state.config.tz).date_naive();
            HouseholdZone {
                tier: z.tier,
                tier_name_zh: z.tier_name_zh.clone(),
                tier_name_en: z.tier_name_en.clone(),
                movement_zh: z.movement_zh.clone(),
                movement_en: z.movement_en.clone(),
                area_name: z.area_name.clone(),
                since: z.state.tier_since,
                days_clean: z.state.days_clean,
                earliest_step_down: z.state.earliest_step_down,
                days_left: z.state.earliest_step_down.map(|d| (d - today).num_days().max(0)),
                blockers_zh: z
                    .state
                    .blockers
                    .iter()
                    .map(|b| crate::zones::blocker_text(Lang::Zh, b))
                    .collect(),
                blockers_en: z
                    .state
                    .blockers
                    .iter()
                    .map(|b| crate::zones::blocker_text(Lang::En, b))
                    .collect(),
            }
        });
    let people = state
        .store
        .search_people(path, &cordon_store::PeopleQuery::Household(s.household.clone()), 50)
        .await?;
    let ids: Vec<String> = people.iter().map(|p| p.person_id.as_str().to_owned()).collect();
    let person_ids: Vec<cordon_domain::PersonId> = people.iter().map(|p| p.person_id.clone()).collect();
    state.store.audit_reads(&me, &person_ids, "GET /api/v1/resident/household", now).await?;
    let mut latest: HashMap<String, LatestTest> = HashMap::new();
    for sample in state.store.samples_of(&ids).await? {
        let newer = latest.get(&sample.person_id).is_none_or(|t| sample.sample.collected_at > t.collected_at);
        if newer {
            latest.insert(
                sample.person_id.clone(),
                LatestTest {
                    collected_at: sample.sample.collected_at,
                    result: sample.sample.result,
                    reported_at: sample.sample.reported_at,
                },
            );
        }
    }
    let members = people
        .into_iter()
        .filter(|p| p.status == cordon_domain::PersonStatus::Active)
        .map(|p| {
            let id = p.person_id.as_str().to_owned();
            Member { latest_test: latest.remove(&id), person_id: id, name: p.name }
        })
        .collect();
    let next_tests = state
        .store
        .rounds(path, false, 10)
        .await?
        .into_iter()
        .filter(|r| r.path.contains(path) && r.deadline > now)
        .map(|r| NextTest {
            round: r.name,
            area_name: r.area_name,
            starts_at: r.starts_at,
            deadline: r.deadline,
        })
        .collect();
    let address = crate::reads::addresses(state, std::slice::from_ref(path)).await?.remove(0).join(" › ");
    let passes = crate::gates::live_passes_of(state, &ids, now)
        .await?
        .into_iter()
        .map(|p| HomePass {
            id: p.id,
            kind: p.kind,
            holder: p.holder,
            area_name: p.area_name,
            valid_until: p.valid_until,
            one_time: p.one_time,
            token: p.token,
        })
        .collect();
    Ok(HouseholdView {
        household_code: s.household.as_str().to_owned(),
        address,
        zone,
        members,
        next_tests,
        requests: requests(state, s, now).await?,
        notices: notices(state, s).await?,
        passes,
        contacts: contacts(state, path, now).await?,
        session_expires_at: s.expires_at,
    })
}

/// The posts answering for the household's own line — its building, compound, community —
/// running now, nearest first. Read over the community (a few hundred assignments at most) and
/// cut to the units above this door: the resident sees no other building's.
async fn contacts(
    state: &AppState,
    household: &cordon_domain::AreaPath,
    now: DateTime<Utc>,
) -> Result<Vec<DutyContact>, ResidentError> {
    let lineage = household.lineage();
    // City › district › street › community: the community is the fourth on the line.
    let Some(community) = lineage.get(3).or(lineage.last()) else { return Ok(Vec::new()) };
    let mut found: Vec<(usize, DutyContact)> = Vec::new();
    for a in state.store.assignments(community, Some(now)).await? {
        let cordon_store::UnitRef::Area(code) = &a.unit else { continue };
        if !a.path.contains(household) || a.path == *household {
            continue;
        }
        let depth = a.path.ids().count();
        let Some(unit) = state.store.area(community, code).await? else { continue };
        let level = unit.area.level;
        let title = if a.title.is_empty() { a.post.as_str().to_owned() } else { a.title };
        found.push((
            depth,
            DutyContact { unit_name: a.unit_name, level, title, post: a.post, duty_phone: a.duty_phone },
        ));
    }
    // Nearest first; within a unit its leader, then those with a line, by title.
    found.sort_by(|(da, a), (db, b)| {
        let key = |d: &usize, c: &DutyContact| {
            (std::cmp::Reverse(*d), c.post != cordon_domain::workforce::Post::Leader, c.duty_phone.is_none())
        };
        key(da, a).cmp(&key(db, b)).then_with(|| a.title.cmp(&b.title))
    });
    Ok(found.into_iter().map(|(_, c)| c).collect())
}

/// The household's requests, open first.
pub async fn requests(
    state: &AppState,
    s: &ResidentSession,
    now: DateTime<Utc>,
) -> Result<Vec<NeedView>, ResidentError> {
    Ok(crate::needs::board(state, &acting(s), true, 100, now).await?)
}

/// A step of a request from home as its household sees it: when, and what happened — not who
/// nor the workers' notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct HomeStep {
    pub at: DateTime<Utc>,
    /// created, acknowledged, assigned, escalated, pass_issued, decided, resolved, reopened.
    pub step: &'static str,
}

/// One of the household's requests with its timeline.
#[derive(Serialize, ToSchema)]
pub struct HomeRequestDetail {
    pub need: NeedView,
    pub steps: Vec<HomeStep>,
}

/// The steps of a request the caller found among the household's own (`requests`), oldest
/// first: the board it came from is what cut it to their door.
pub async fn steps_of_own(state: &AppState, need: &NeedView) -> Result<Vec<HomeStep>, ResidentError> {
    let id = need.id;
    Ok(state
        .store
        .need_events(id)
        .await?
        .into_iter()
        .filter(|e| !matches!(e.event.kind, cordon_domain::needs::NeedEventKind::Note))
        .map(|e| HomeStep { at: e.event.at, step: e.event.kind.key() })
        .collect())
}

/// One of the household's requests with its timeline.
pub async fn request(
    state: &AppState,
    s: &ResidentSession,
    id: i64,
    now: DateTime<Utc>,
) -> Result<HomeRequestDetail, ResidentError> {
    // Found among the household's own, or not theirs to read.
    let need =
        requests(state, s, now).await?.into_iter().find(|n| n.id == id).ok_or(ResidentError::NotFound)?;
    let steps = steps_of_own(state, &need).await?;
    Ok(HomeRequestDetail { need, steps })
}

/// The notices posted to the areas above the household, newest first.
pub async fn notices(state: &AppState, s: &ResidentSession) -> Result<Vec<AnnouncementView>, ResidentError> {
    Ok(crate::announcements::list_for(state, &s.household_path, 50).await?)
}

/// A request from home.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HomeRequest {
    /// food, medicine, medical_care, treatment, childbirth, mental_health, family_emergency,
    /// leave_zone, other.
    pub category: String,
    /// The member it is for (register id); a medical emergency names one.
    pub person_id: Option<String>,
    /// A medical emergency: the green channel at once.
    #[serde(default)]
    pub emergency: bool,
    /// How to reach them; the signed-in phone's owner is reached through the household otherwise.
    pub contact_phone: Option<String>,
    pub description: String,
}

/// Files a request from home: the same needs flow as a worker's form (owner, deadline,
/// escalation; a medical emergency's pass), capped per category while open.
pub async fn raise(
    state: &AppState,
    s: &ResidentSession,
    req: HomeRequest,
    now: DateTime<Utc>,
) -> Result<NeedDetail, ResidentError> {
    let category = NeedCategory::parse(&req.category).map_err(|e| invalid("category", e.to_string()))?;
    let open = requests(state, s, now)
        .await?
        .into_iter()
        .filter(|n| n.category == category && n.status != NeedStatus::Resolved)
        .count();
    if open >= OPEN_PER_CATEGORY {
        return Err(ResidentError::TooManyOpen(format!(
            "your household has {open} open requests for {} already: they are being handled; \
             add to one of them through your worker, or wait until one is done",
            category.as_str()
        )));
    }
    let me = acting(s);
    let need = NeedRequest {
        household_code: s.household.as_str().to_owned(),
        person_id: req.person_id,
        category: req.category,
        emergency: req.emergency,
        contact_phone: req.contact_phone,
        description: req.description,
    };
    // The needs service names the same fields the resident sent: its errors pass as they are.
    Ok(crate::needs::raise(state, &me, need, now).await?)
}
