//! 离线判定: a gate that keeps deciding when its phone loses the network.
//!
//! The device keeps its gate's *post* — the people living (or staying) inside the area it
//! guards with their standing and the rules over their homes, the passes that may open it with
//! their revocations and uses, the rule over the gate and the server's public key — and decides
//! by the same rules as `decide` (its interpreter is `static/gate-rules.mjs`, held to the Rust
//! one by a generated corpus). What it decides it sends when the network returns, each passage
//! under an id the device made: the log keeps it once however often it arrives. The server takes
//! each decision again on what it knows then, keeps what the device decided (that is what
//! happened at the gate), and where the two differ keeps the difference as a conflict that the
//! cadre is shown on sync and the supervisor in the log.

use chrono::{DateTime, Duration, Utc};
use cordon_domain::gates::{Direction, GateRule, OfflineConflict, Outcome, RuleId, Standing, Subject};
use cordon_domain::{IdNumber, Reach};
use cordon_store::{GateSubject, OfflineStamp, Recorded, User};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::decision::{DecisionRequest, judge, new_passage};
use super::error::GateError;
use super::keys::pass_key;
use super::service::{GateView, gate_in_scope, invalid, may_keep_gate};
use crate::{AppState, zones};

/// The route recorded in the audit for the people a gate device keeps.
const POST_ROUTE: &str = "GET /api/v1/gates/{id}/post";
/// The route recorded in the audit for a person read on a passage synced.
const SYNC_ROUTE: &str = "POST /api/v1/gates/passages/offline";
/// Most passages one sync may carry: a device sends what waits in batches of this.
pub const SYNC_BATCH: usize = 200;
/// A device stamp this far past the server's clock on arrival is flagged: clocks drift, phones
/// do not travel in time.
const CLOCK_TOLERANCE_MINUTES: i64 = 2;

/// What a gate device keeps to decide without the network.
#[derive(Serialize, ToSchema)]
pub struct GatePost {
    pub gate: GateView,
    /// The rule of the tier over the gate's area (none: not in a zone).
    pub rule: Option<GateRule>,
    /// The codes of the gate's area and of every area above it: a pass issued for one of them
    /// opens this gate.
    pub areas: Vec<String>,
    /// The server's public key for passes, as `cordon verify-pass` takes it.
    pub public_key: String,
    /// Salt of `people[].id_hash`: hex SHA-256 of the salt, a colon and the ID number.
    pub salt: String,
    pub issued_at: DateTime<Utc>,
    /// After this, without a newer post, the device stops deciding (the profile's offline hours).
    pub expires_at: DateTime<Utc>,
    pub people: Vec<PostPerson>,
    pub passes: Vec<PostPass>,
}

/// A person the gate may meet, as the device needs them: no ID number, no phone, no address.
#[derive(Serialize, ToSchema)]
pub struct PostPerson {
    /// The register id: what the gate sends back, and what a cadre may type.
    pub id: String,
    /// The ID number hashed with the post's salt, for the one typed or read off a card.
    pub id_hash: Option<String>,
    /// As the cadre may see it.
    pub name: String,
    pub standing: Standing,
    /// The strictest rule over their home or where they went in to stay.
    pub home: Option<GateRule>,
    /// They live (or stay) inside the area the gate guards.
    pub inside: bool,
}

/// A pass that may open the gate, as the device checks it beside its signature.
#[derive(Serialize, ToSchema)]
pub struct PostPass {
    pub id: String,
    /// The register id of the person it names.
    pub person: Option<String>,
    pub revoked: bool,
    /// A one-time pass already used.
    pub used: bool,
}

/// The data a gate device keeps: the gate's people and passes, bounded to the gate's area, each
/// person read audited.
pub async fn gate_post(state: &AppState, user: &User, gate_id: i64) -> Result<GatePost, GateError> {
    if !may_keep_gate(user) {
        return Err(GateError::Forbidden("keeping a gate is not part of your role".into()));
    }
    let now = state.now();
    let gate = gate_in_scope(state, user, gate_id).await?.ok_or(GateError::NotFound)?;
    let people = state.store.gate_post(&gate.path, user, POST_ROUTE, now).await?;
    let lineage = gate.path.lineage();
    let areas = state.store.areas_on(std::slice::from_ref(&gate.path)).await?;
    let mut codes: Vec<(usize, String)> = areas
        .values()
        .filter_map(|a| lineage.iter().position(|p| *p == a.path).map(|i| (i, a.code.as_str().to_owned())))
        .collect();
    codes.sort();
    let passes = state.store.passes_over(&lineage, now).await?;

    let homes: Vec<_> = people.iter().flat_map(|s| [Some(&s.person.path), s.staying_in.as_ref()]).collect();
    let mut paths = vec![&gate.path];
    paths.extend(homes.iter().flatten());
    let rules = zones::gate_rules_of(state, &paths).await?;
    let gate_rule = rules[0];
    let mut home_rules = rules[1..].iter();

    let salt = hex::encode(rand::random::<[u8; 16]>());
    let hours = offline_hours(state).await?;
    let people = people
        .iter()
        .map(|s| {
            let own = home_rules.next().copied().flatten();
            let stay = if s.staying_in.is_some() { home_rules.next().copied().flatten() } else { None };
            post_person(user, &gate.path, s, [own, stay], &salt)
        })
        .collect();
    Ok(GatePost {
        gate: GateView::of(&gate, gate_rule),
        rule: gate_rule,
        areas: codes.into_iter().map(|(_, c)| c).collect(),
        public_key: pass_key(state).await?.public_base64(),
        issued_at: now,
        expires_at: now + Duration::hours(i64::from(hours)),
        salt,
        people,
        passes: passes
            .iter()
            .map(|p| PostPass {
                id: p.id.clone(),
                person: p.person_id.clone(),
                revoked: p.revoked_at.is_some_and(|r| r <= now),
                used: p.one_time && p.used_at.is_some(),
            })
            .collect(),
    })
}

fn post_person(
    user: &User,
    gate: &cordon_domain::AreaPath,
    s: &GateSubject,
    rules: [Option<GateRule>; 2],
    salt: &str,
) -> PostPerson {
    let stay = s.staying_in.as_ref();
    PostPerson {
        id: s.person.person_id.as_str().to_owned(),
        id_hash: s.person.id_number.as_deref().map(|n| id_hash(salt, n)),
        name: user.disclosure().name(&s.person.name, Reach::Inside).unwrap_or_default(),
        standing: s.standing(),
        home: rules.into_iter().flatten().max_by_key(|r| r.tier.strictness()),
        inside: gate.contains(&s.person.path) || stay.is_some_and(|p| gate.contains(p) || p.contains(gate)),
    }
}

/// What the device computes of an ID number typed or read off a card, to find it in the post.
pub fn id_hash(salt: &str, number: &str) -> String {
    let number =
        IdNumber::parse(number).map_or_else(|_| number.trim().to_uppercase(), |n| n.as_str().to_owned());
    hex::encode(Sha256::digest(format!("{salt}:{number}").as_bytes()))
}

/// The offline hours of the profile in force.
async fn offline_hours(state: &AppState) -> Result<u32, GateError> {
    let key = zones::profile_in_force(state).await?;
    let profiles = zones::profiles(state).await?;
    Ok(profiles
        .get(&key)
        .map_or_else(|| cordon_domain::gates::OfflineRule::default().hours, |p| p.offline.hours))
}

// ---- sync ----

/// A passage the device decided without the network.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflinePassage {
    /// Made by the device when the cadre decided: 8 to 64 letters, digits, `-` or `_`. The
    /// passage is kept once under it, whatever the number of retries.
    pub id: String,
    pub gate_id: i64,
    /// When the cadre decided, by the device's clock.
    pub at: DateTime<Utc>,
    /// When the device sent it, by the same clock: how far that clock is off.
    pub sent_at: DateTime<Utc>,
    pub direction: Direction,
    pub subject: Option<Subject>,
    /// The register id the device found, or what was typed.
    pub person: Option<String>,
    /// The content of the pass's QR code.
    pub pass: Option<String>,
    #[serde(default)]
    pub confirmed: bool,
    #[serde(default)]
    pub note: String,
    /// What the device decided, and the rule that decided.
    pub outcome: Outcome,
    pub rule: RuleId,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineSync {
    /// At most 200.
    pub passages: Vec<OfflinePassage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Kept now.
    Kept,
    /// Kept before under the same id: nothing written.
    Already,
    /// Not kept (the gate is no longer one of yours, the passage is malformed): `error` says why.
    Refused,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncedPassage {
    pub id: String,
    pub state: SyncState,
    /// The log entry.
    pub passage_id: Option<i64>,
    /// Where the server's decision differs from the device's.
    pub conflict: Option<OfflineConflict>,
    pub error: Option<String>,
}

/// Keeps passages decided offline, each once, with the server's own decision where it differs.
pub async fn sync_offline(
    state: &AppState,
    user: &User,
    sync: OfflineSync,
) -> Result<Vec<SyncedPassage>, GateError> {
    if !may_keep_gate(user) {
        return Err(GateError::Forbidden("keeping a gate is not part of your role".into()));
    }
    if sync.passages.len() > SYNC_BATCH {
        return Err(invalid("passages", format!("at most {SYNC_BATCH} a sync; send the rest after")));
    }
    let mut out = Vec::with_capacity(sync.passages.len());
    for p in sync.passages {
        let id = p.id.clone();
        let synced = match keep_offline(state, user, p).await {
            Ok(s) => s,
            Err(e @ (GateError::Invalid { .. } | GateError::NotFound | GateError::Missing(_))) => {
                SyncedPassage {
                    id,
                    state: SyncState::Refused,
                    passage_id: None,
                    conflict: None,
                    error: Some(e.to_string()),
                }
            }
            Err(e) => return Err(e),
        };
        out.push(synced);
    }
    Ok(out)
}

async fn keep_offline(state: &AppState, user: &User, p: OfflinePassage) -> Result<SyncedPassage, GateError> {
    if !cordon_domain::format::is_device_id(&p.id) {
        return Err(invalid("id", "8 to 64 letters, digits, '-' or '_', made on the device"));
    }
    let received = state.now();
    // The device's clock may be off: the server judges at the device's time corrected by how far
    // its clock was off when it sent, never later than now.
    let skew = received - p.sent_at;
    let judged_at = (p.at + skew).min(received);
    let ahead = (p.at - received).num_minutes();
    let req = DecisionRequest {
        direction: Some(p.direction),
        subject: p.subject,
        person: p.person.clone(),
        pass: p.pass.clone(),
        confirmed: p.confirmed,
        note: p.note.clone(),
    };
    let gate = gate_in_scope(state, user, p.gate_id)
        .await?
        .ok_or_else(|| GateError::Missing(format!("gate {} is not a gate of your areas", p.gate_id)))?;
    let mut j = judge(state, user, &gate, &req, new_passage(user, &req, judged_at)?).await?;
    let (server_outcome, server_rule) = (j.passage.outcome, j.passage.rule);
    let differs = server_outcome != p.outcome;
    let conflict = OfflineConflict {
        server_outcome: differs.then_some(server_outcome),
        server_rule: differs.then_some(server_rule),
        clock_ahead_minutes: (ahead > CLOCK_TOLERANCE_MINUTES).then_some(ahead),
    };
    let conflict =
        (conflict.server_outcome.is_some() || conflict.clock_ahead_minutes.is_some()).then_some(conflict);
    // The log keeps what happened at the gate: the device's decision, at the device's time.
    let consume = if differs { None } else { j.consume() };
    j.passage.at = p.at;
    j.passage.outcome = p.outcome;
    j.passage.rule = p.rule;
    j.passage.offline = Some(OfflineStamp {
        action: p.id.clone(),
        received_at: received,
        conflict: conflict.map(|c| c.stored()),
    });
    let mut recorded = state.store.record_passage(&j.passage, consume.as_deref(), user, SYNC_ROUTE).await?;
    let mut conflict = conflict;
    if recorded == Recorded::PassUsed {
        // Used up at another gate meanwhile: what the device let through stands, and says so.
        let c = OfflineConflict {
            server_outcome: Some(Outcome::Refused),
            server_rule: Some(RuleId::PassRefused),
            clock_ahead_minutes: conflict.and_then(|c| c.clock_ahead_minutes),
        };
        j.passage.offline.as_mut().expect("stamped above").conflict = Some(c.stored());
        conflict = Some(c);
        recorded = state.store.record_passage(&j.passage, None, user, SYNC_ROUTE).await?;
    }
    Ok(match recorded {
        Recorded::Kept(k) => {
            SyncedPassage { id: p.id, state: SyncState::Kept, passage_id: Some(k.id), conflict, error: None }
        }
        Recorded::Already(k) => SyncedPassage {
            id: p.id,
            state: SyncState::Already,
            passage_id: Some(k.id),
            conflict: k.conflict.as_deref().and_then(OfflineConflict::parse),
            error: None,
        },
        Recorded::PassUsed => {
            return Err(GateError::Internal("a passage without a pass was not kept".into()));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_number_hashes_the_same_however_typed() {
        let salt = "00ff";
        assert_eq!(id_hash(salt, "11010519491231002x"), id_hash(salt, " 11010519491231002X "));
        assert_ne!(id_hash(salt, "11010519491231002X"), id_hash("01ff", "11010519491231002X"));
    }
}
