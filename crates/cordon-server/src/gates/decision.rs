//! The decision at a gate: a pass checked, the person looked up, the rules of the tiers over the
//! gate and the home applied, and the passage kept in the log with the rule that decided.
//!
//! `judge` takes the decision without keeping it, so the server takes it the same way when a
//! cadre asks now and when a gate device that decided without the network sends its passage
//! later (`offline`): the server then keeps what the device decided and says where it differs.

use chrono::{DateTime, Utc};
use cordon_domain::Reach;
use cordon_domain::gates::{
    Direction, Finding, Outcome, PassShown, Passage, RuleId, Standing, Subject, decide,
};
use cordon_domain::pass::{TokenError, verify};
use cordon_store::{GateRecord, GateSubject, NewPassage, PassRecord, PassageRecord, Recorded, User};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::GateError;
use super::keys::{pass_key, typed_key};
use super::service::{DecisionView, GatePersonView, PassBrief, gate_in_scope, invalid, may_keep_gate};
use crate::{AppState, zones};

/// The route recorded in the audit for a person read at a gate.
pub(super) const AUDIT_ROUTE: &str = "POST /api/v1/gates/{id}/decisions";

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub direction: Option<Direction>,
    /// Default: what the pass says, else a resident.
    pub subject: Option<Subject>,
    /// A register id or an ID number, typed or read off an ID card.
    pub person: Option<String>,
    /// The content of the pass's QR code.
    pub pass: Option<String>,
    /// The person confirmed they know they cannot come back out.
    #[serde(default)]
    pub confirmed: bool,
    /// What the cadre adds (an ambulance's plate, who the delivery was for).
    #[serde(default)]
    pub note: String,
}

/// What the server found of a pass shown.
struct PassFound {
    shown: PassShown,
    record: Option<PassRecord>,
    finding: Option<Finding>,
    /// The finding's particulars, as stored data (a revocation's reason, another area's name).
    detail: String,
}

async fn check_pass(
    state: &AppState,
    gate: &GateRecord,
    token: &str,
    now: DateTime<Utc>,
) -> Result<PassFound, GateError> {
    let key = pass_key(state).await?;
    let claims = match verify(token, &key.public()) {
        Ok(c) => c,
        Err(e) => {
            let finding = match e {
                TokenError::Malformed => Finding::NotCordon,
                TokenError::BadSignature => Finding::BadSignature,
            };
            return Ok(PassFound {
                shown: PassShown::Forged,
                record: None,
                finding: Some(finding),
                detail: String::new(),
            });
        }
    };
    // Signed by this server: the register has it unless the database was replaced.
    let Some(p) = state.store.pass(&claims.id).await? else {
        return Ok(PassFound {
            shown: PassShown::Forged,
            record: None,
            finding: Some(Finding::NoSuchPass),
            detail: String::new(),
        });
    };
    let (shown, finding, detail) = if p.revoked_at.is_some_and(|r| r <= now) {
        (PassShown::Revoked, Some(Finding::Revoked), p.revoke_reason.clone().unwrap_or_default())
    } else if now < p.valid_from || now >= p.valid_until {
        (PassShown::Expired, Some(Finding::Expired), String::new())
    } else if !p.path.contains(&gate.path) || !(p.gate_ids.is_empty() || p.gate_ids.contains(&gate.id)) {
        (PassShown::OtherGate, Some(Finding::OtherGate), p.area_name.clone())
    } else if p.one_time && p.used_at.is_some() {
        (PassShown::Replayed, Some(Finding::Replayed), String::new())
    } else {
        (PassShown::Valid(p.kind), None, String::new())
    };
    Ok(PassFound { shown, record: Some(p), finding, detail })
}

pub async fn decide_at_gate(
    state: &AppState,
    user: &User,
    gate_id: i64,
    req: DecisionRequest,
) -> Result<DecisionView, GateError> {
    decide_at(state, user, gate_id, req, state.now()).await
}

/// A decision taken and not kept yet.
pub(super) struct Judged {
    pub passage: NewPassage,
    pub subject: Option<GateSubject>,
    pub record: Option<PassRecord>,
    /// What the rule looked at, when a rule ran (not for a refusal before any rule: nobody named,
    /// an unknown person).
    pub input: Option<Passage>,
}

impl Judged {
    /// The one-time pass an allowed passage uses up.
    pub fn consume(&self) -> Option<String> {
        match (self.passage.outcome, &self.record, self.input.map(|p| p.pass)) {
            (Outcome::Allowed, Some(r), Some(PassShown::Valid(_))) if r.one_time => Some(r.id.clone()),
            _ => None,
        }
    }

    /// Decides again with the pass found used meanwhile: a replay.
    pub fn replayed(&mut self) {
        if let Some(p) = &mut self.input {
            p.pass = PassShown::Replayed;
            let d = decide(p);
            self.passage.outcome = d.outcome;
            self.passage.rule = d.rule;
        }
        self.passage.finding = Some(Finding::Replayed);
        self.passage.finding_detail.clear();
    }
}

/// The passage as it starts: refused at no gate, until the gate is found and a rule decides.
pub(super) fn new_passage(
    user: &User,
    req: &DecisionRequest,
    now: DateTime<Utc>,
) -> Result<NewPassage, GateError> {
    let direction = req.direction.ok_or_else(|| invalid("direction", "in or out"))?;
    Ok(NewPassage {
        gate_id: None,
        path: user.scope_path.clone(),
        at: now,
        direction,
        subject: req.subject.unwrap_or(Subject::Resident),
        person_id: None,
        pass_id: None,
        outcome: Outcome::Refused,
        rule: RuleId::UnknownGate,
        gate_tier: None,
        home_tier: None,
        standing: Standing::Clear,
        lives_inside: false,
        confirmed: req.confirmed,
        note: req.note.trim().chars().take(200).collect::<String>(),
        finding: None,
        finding_detail: String::new(),
        offline: None,
    })
}

/// Decides one passage at `now` and keeps it in the log.
pub async fn decide_at(
    state: &AppState,
    user: &User,
    gate_id: i64,
    req: DecisionRequest,
    now: DateTime<Utc>,
) -> Result<DecisionView, GateError> {
    if !may_keep_gate(user) {
        return Err(GateError::Forbidden("keeping a gate is not part of your role".into()));
    }
    let passage = new_passage(user, &req, now)?;
    let Some(gate) = gate_in_scope(state, user, gate_id).await? else {
        keep(state, user, &passage, None).await?;
        return Err(GateError::Missing(format!(
            "gate {gate_id} is not a gate of your areas; the refusal is logged"
        )));
    };
    let mut j = judge(state, user, &gate, &req, passage).await?;
    let consume = j.consume();
    match state.store.record_passage(&j.passage, consume.as_deref(), user, AUDIT_ROUTE).await? {
        Recorded::Kept(kept) | Recorded::Already(kept) => {
            Ok(view(&kept, user, j.subject.as_ref(), j.record.as_ref()))
        }
        Recorded::PassUsed => {
            // Used at another gate a moment ago: a replay.
            j.replayed();
            finish(state, user, j.passage, j.subject.as_ref(), j.record.as_ref()).await
        }
    }
}

/// Takes the decision on `req` at `gate`, at `passage.at`, without keeping it.
pub(super) async fn judge(
    state: &AppState,
    user: &User,
    gate: &GateRecord,
    req: &DecisionRequest,
    mut passage: NewPassage,
) -> Result<Judged, GateError> {
    let now = passage.at;
    let direction = passage.direction;
    passage.gate_id = Some(gate.id);
    passage.path = gate.path.clone();
    let refused = |passage: NewPassage| Judged { passage, subject: None, record: None, input: None };

    let found = match req.pass.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(token) => Some(check_pass(state, gate, token, now).await?),
        None => None,
    };
    let shown = found.as_ref().map_or(PassShown::None, |f| f.shown);
    let record = found.as_ref().and_then(|f| f.record.clone());
    passage.pass_id = record.as_ref().map(|p| p.id.clone());
    if let Some(f) = &found {
        passage.finding = f.finding;
        passage.finding_detail = f.detail.clone();
    }
    if req.subject.is_none()
        && let Some(r) = &record
    {
        passage.subject = r.kind.subject();
    }

    // Whom it is about: the person typed (an ID number's check character checked first), else
    // the one the pass names.
    let typed = req.person.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(typed_key).transpose()?;
    let by_pass = typed.is_none();
    let key = typed.or_else(|| record.as_ref().and_then(|p| p.person_id.clone()));
    let subject = match &key {
        Some(k) => match state.store.gate_subject(k).await? {
            // Someone from elsewhere is known by what they present (the ID number on their
            // card, their pass), never by a register id typed in: ids are sequential, and a
            // gate would answer anyone's standing to whoever walks them.
            Some(s)
                if !by_pass
                    && !user.scope_path.contains(&s.person.path)
                    && s.person.person_id.as_str() == k.as_str() =>
            {
                passage.rule = RuleId::UnknownPerson;
                passage.finding = Some(Finding::FromElsewhere);
                return Ok(refused(passage));
            }
            Some(s) => {
                if !user.scope_path.contains(&s.person.path) {
                    state.gate_lookups.count(user, gate.id)?;
                }
                Some(s)
            }
            None => {
                passage.rule = RuleId::UnknownPerson;
                passage.note =
                    // The rule names what happened in the reader's language; the note keeps only
                    // what was typed, masked.
                    join_note(&mask_key(k), &passage.note);
                return Ok(refused(passage));
            }
        },
        None => None,
    };
    if subject.is_none() && found.is_none() && passage.subject == Subject::Resident {
        passage.rule = RuleId::NobodyNamed;
        return Ok(refused(passage));
    }
    let mut shown = shown;
    if let (Some(s), Some(p)) = (&subject, &record)
        && p.person_id.as_deref().is_some_and(|holder| holder != s.person.person_id.as_str())
    {
        shown = PassShown::NotTheirs;
    }

    // The rules over the gate, the home and where they stay.
    let home_path = subject.as_ref().map(|s| s.person.path.clone());
    let stay_path = subject.as_ref().and_then(|s| s.staying_in.clone());
    let mut paths = vec![&gate.path];
    paths.extend(home_path.iter());
    paths.extend(stay_path.iter());
    let rules = zones::gate_rules_of(state, &paths).await?;
    let gate_rule = rules[0];
    let home_rule = rules[1..].iter().flatten().copied().max_by_key(|r| r.tier.strictness());
    let lives_inside = home_path.as_ref().is_some_and(|h| gate.path.contains(h))
        || stay_path.as_ref().is_some_and(|s| gate.path.contains(s) || s.contains(&gate.path));
    let standing = subject.as_ref().map_or(Standing::Clear, GateSubject::standing);
    let p = Passage {
        direction,
        subject: passage.subject,
        gate: gate_rule,
        home: home_rule,
        lives_inside,
        standing,
        pass: shown,
        confirmed: req.confirmed,
    };
    passage.person_id = subject.as_ref().map(|s| s.person.person_id.as_str().to_owned());
    passage.gate_tier = gate_rule.map(|r| r.tier);
    passage.home_tier = home_rule.map(|r| r.tier);
    passage.standing = standing;
    passage.lives_inside = lives_inside;
    let d = decide(&p);
    passage.outcome = d.outcome;
    passage.rule = d.rule;
    Ok(Judged { passage, subject, record, input: Some(p) })
}

/// Keeps a decision that consumes no pass.
async fn finish(
    state: &AppState,
    user: &User,
    passage: NewPassage,
    subject: Option<&GateSubject>,
    record: Option<&PassRecord>,
) -> Result<DecisionView, GateError> {
    match keep(state, user, &passage, None).await? {
        Some(kept) => Ok(view(&kept, user, subject, record)),
        None => Err(GateError::Internal("a passage without a pass to consume was not kept".into())),
    }
}

async fn keep(
    state: &AppState,
    user: &User,
    passage: &NewPassage,
    consume: Option<&str>,
) -> Result<Option<PassageRecord>, GateError> {
    match state.store.record_passage(passage, consume, user, AUDIT_ROUTE).await? {
        Recorded::Kept(k) | Recorded::Already(k) => Ok(Some(*k)),
        Recorded::PassUsed => Ok(None),
    }
}

fn join_note(found: &str, typed: &str) -> String {
    if typed.is_empty() { found.to_owned() } else { format!("{found} · {typed}") }
}

/// How a person met at a gate stands to its keeper: of their areas, or faced from elsewhere.
pub(super) fn faced(inside: bool) -> Reach {
    if inside { Reach::Inside } else { Reach::Faced }
}

/// An id as a log may show it: enough to recognise a typo, not enough to identify anyone.
fn mask_key(k: &str) -> String {
    cordon_domain::format::mask_middle(k, 2, 2)
}

pub(super) fn view(
    kept: &PassageRecord,
    user: &User,
    subject: Option<&GateSubject>,
    record: Option<&PassRecord>,
) -> DecisionView {
    let (zh, en) = kept.rule.reason();
    DecisionView {
        id: kept.id,
        at: kept.at,
        gate_id: kept.gate_id,
        gate_name: kept.gate_name.clone(),
        direction: kept.direction,
        subject: kept.subject,
        outcome: kept.outcome,
        rule: kept.rule,
        reason_zh: zh.to_owned(),
        reason_en: en.to_owned(),
        person: subject.map(|s| GatePersonView {
            name: user
                .disclosure()
                .name(&s.person.name, faced(user.scope_path.contains(&s.person.path)))
                .unwrap_or_default(),
            standing: kept.standing,
            home_tier: kept.home_tier,
            lives_inside: kept.lives_inside,
        }),
        pass: record.map(|p| PassBrief {
            id: p.id.clone(),
            kind: p.kind,
            holder: p.holder.clone(),
            valid_until: p.valid_until,
        }),
        gate_tier: kept.gate_tier,
        confirmed: kept.confirmed,
        note: kept.note.clone(),
        finding: kept.finding,
        finding_detail: kept.finding_detail.clone(),
    }
}
