//! 户籍维护: the use cases of keeping the register: a person added to a household of one's areas
//! (born, arrived, found at the door), a phone, tags, a move to another household, or a standing
//! (moved out of the city, deceased, active again when recorded by mistake) changed — each with
//! a reason kept in the person's history with who and when, in the change's own transaction.
//!
//! A person or household outside the clerk's areas is as unknown as one that does not exist. A
//! new entry is checked against the register by the duplicate detector's keys for that one
//! person, each a look-up: the same ID number is one person and is refused outright; the same
//! name and phone, or name and birth year in the household, is shown and must be confirmed. Every
//! attempt on a person — refused or not — is on the audit of reads, like a read.

use chrono::{DateTime, Datelike, Utc};
use cordon_domain::register::reason;
use cordon_domain::{
    AreaCode, AreaPath, IdNumber, PersonId, PersonRow, PersonStatus, Phone, Right, Sex, Tags,
};
use cordon_store::{LookAlike, Match, NewPerson, PersonChange, PersonChangeRecord, StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::register::{PersonView, person_view};

/// How many of a person's changes the history shows.
const CHANGES_SHOWN: u32 = 500;

/// Why a use case of keeping the register was refused.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// No such person or household in the clerk's areas (or none at all: the two look alike).
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Refused(String),
    /// The entry may repeat one already in the register.
    #[error("{message}")]
    Duplicate { message: String, matches: Vec<String> },
    /// Refused by the register's service, called on the way.
    #[error(transparent)]
    Register(#[from] crate::register::RegisterError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for EntryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => EntryError::NotFound(format!("no {what} in your areas")),
            StoreError::Rule(d) => d.into(),
            e => EntryError::Store(e),
        }
    }
}

impl From<cordon_domain::DomainError> for EntryError {
    fn from(e: cordon_domain::DomainError) -> Self {
        EntryError::Invalid { field: e.field(), message: e.reason().to_owned() }
    }
}

type Result<T> = std::result::Result<T, EntryError>;

/// Whether `user` keeps the register at all.
pub fn may_keep(user: &User) -> bool {
    user.may(Right::KeepRegister)
}

fn refuse_unless_keeper(user: &User) -> Result<()> {
    match may_keep(user) {
        true => Ok(()),
        false => Err(EntryError::Refused("keeping the register needs the keep_register right".into())),
    }
}

/// A person to add.
#[derive(Deserialize, ToSchema, Debug, Default, Clone)]
pub struct NewPersonRequest {
    /// The household's area code, inside the caller's areas.
    pub household: String,
    pub name: String,
    pub birth_year: i32,
    /// male, female or unknown (男, 女 too).
    pub sex: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// 18 characters; when given, the birth year and sex must agree with it.
    #[serde(default)]
    pub id_number: Option<String>,
    /// Tag codes: dialysis, pregnant, elderly_alone, disabled, minor_alone, …
    #[serde(default)]
    pub tags: Vec<String>,
    /// Why: born, arrived, found at the door. Kept in the person's history ("registered" when
    /// none is given).
    #[serde(default)]
    pub reason: Option<String>,
    /// Sent after a 409 that named entries with the same name and phone, or name and birth year
    /// in the household, once the clerk has checked this is someone else. An ID number already
    /// registered is never overridden.
    #[serde(default)]
    pub not_a_duplicate: bool,
}

/// A change to a person: each field given is changed; the reason is required.
#[derive(Deserialize, ToSchema, Debug, Default, Clone)]
pub struct PersonPatch {
    /// The whole number; an empty text removes it.
    #[serde(default)]
    pub phone: Option<String>,
    /// The whole set of tag codes the person has now.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Another household of the caller's areas: a move.
    #[serde(default)]
    pub household: Option<String>,
    /// active, moved_out or deceased. Back to active undoes a standing recorded by mistake.
    #[serde(default)]
    pub status: Option<String>,
    /// Why: kept with each line of the change.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One line of a person's history.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct PersonChangeView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who made it: a username, or `demo`.
    pub by: String,
    /// registered, phone, tags, household or status.
    pub change: String,
    /// The value before (a phone's is only `set` or `none`: the number is never kept here).
    pub before: Option<String>,
    pub after: Option<String>,
    pub reason: String,
}

impl From<PersonChangeRecord> for PersonChangeView {
    fn from(r: PersonChangeRecord) -> Self {
        PersonChangeView {
            id: r.id,
            at: r.at,
            by: r.by,
            change: r.change,
            before: r.before,
            after: r.after,
            reason: r.reason,
        }
    }
}

fn tags_of(codes: &[String]) -> Result<Tags> {
    Ok(Tags::parse(&codes.join(";"))?)
}

fn phone_of(s: &str) -> Result<Option<Phone>> {
    match s.trim() {
        "" => Ok(None),
        s => Ok(Some(Phone::parse(s)?)),
    }
}

fn household_of(s: &str) -> Result<AreaCode> {
    AreaCode::parse(s.trim())
        .map_err(|e| EntryError::Invalid { field: "household", message: e.reason().into() })
}

/// A new person checked: every field parsed, and the register's look-alikes heard (refused, or
/// confirmed by the clerk). What is left is the write, which may still find the household
/// outside the areas it is given.
#[derive(Debug, Clone)]
pub struct VettedPerson {
    household: AreaCode,
    name: String,
    birth_year: Option<i32>,
    sex: Sex,
    phone: Option<Phone>,
    id_number: Option<IdNumber>,
    tags: Tags,
    reason: String,
}

impl VettedPerson {
    /// The store's entry, into a household of `scope`, by `by` at `at`.
    pub fn entry<'a>(&'a self, scope: &'a AreaPath, by: &'a str, at: DateTime<Utc>) -> NewPerson<'a> {
        NewPerson {
            scope,
            name: &self.name,
            id_number: self.id_number.as_ref(),
            phone: self.phone.as_ref(),
            birth_year: self.birth_year,
            sex: self.sex,
            household: &self.household,
            tags: &self.tags,
            by,
            reason: &self.reason,
            at,
        }
    }
}

/// Checks a new person for `user` to add: the fields, then the register's look-alikes in
/// `user`'s areas (those named are audited under `route`).
pub async fn vet(state: &AppState, user: &User, req: &NewPersonRequest, route: &str) -> Result<VettedPerson> {
    refuse_unless_keeper(user)?;
    let household = household_of(&req.household)?;
    let name = PersonRow::parse_name(&req.name)?;
    let birth_year = PersonRow::parse_birth_year(&req.birth_year.to_string(), state.now().year())?;
    let sex = Sex::parse(&req.sex)?;
    let phone = phone_of(req.phone.as_deref().unwrap_or_default())?;
    let id_number = match req.id_number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(IdNumber::parse(s)?),
    };
    cordon_domain::person::check_consistency(id_number.as_ref(), birth_year, sex)?;
    let tags = tags_of(&req.tags)?;
    let reason = match req.reason.as_deref().map(str::trim) {
        None | Some("") => "registered".to_owned(),
        Some(r) => reason(Some(r))?,
    };
    let probe = LookAlike {
        scope: &user.scope_path,
        name: &name,
        id_number: id_number.as_ref(),
        phone: phone.as_ref(),
        birth_year,
        household: &household,
    };
    let matches = state.store.look_alikes(&probe).await?;
    refuse_duplicates(state, user, &matches, req.not_a_duplicate, route).await?;
    Ok(VettedPerson { household, name, birth_year, sex, phone, id_number, tags, reason })
}

/// Adds a person to a household of `user`'s areas and returns them as their page shows them.
pub async fn add(state: &AppState, user: &User, req: &NewPersonRequest, route: &str) -> Result<PersonView> {
    let vetted = vet(state, user, req, route).await?;
    let person =
        state.store.register_person(&vetted.entry(&user.scope_path, &user.username, state.now())).await?;
    tracing::info!(by = %user.username, person = %person.person_id, household = %vetted.household, "a person was registered");
    Ok(person_view(state, user, person.person_id.as_str(), route).await?)
}

/// The look-alikes of a new entry, as the clerk must hear of them: an ID number registered is
/// refused whatever the clerk says; a name and phone or name and birth year is refused until
/// confirmed. The entries named are audited: the clerk learns they exist.
async fn refuse_duplicates(
    state: &AppState,
    user: &User,
    matches: &[Match],
    confirmed: bool,
    route: &str,
) -> Result<()> {
    if matches.iter().any(|m| matches!(m, Match::Elsewhere)) {
        return Err(EntryError::Duplicate {
            message:
                "this ID number is already in the register, outside your areas: the office of the person's \
                      district moves them to this household"
                    .into(),
            matches: vec![],
        });
    }
    let seen: Vec<_> = matches
        .iter()
        .filter_map(|m| match m {
            Match::Seen(p, why) => Some((p, *why)),
            Match::Elsewhere => None,
        })
        .collect();
    if seen.is_empty() {
        return Ok(());
    }
    let ids: Vec<PersonId> = seen.iter().map(|(p, _)| p.person_id.clone()).collect();
    state.store.audit_reads(user, &ids, route, state.now()).await?;
    let named: Vec<String> =
        seen.iter().map(|(p, why)| format!("{} ({})", p.person_id, why.label(false))).collect();
    let same_id =
        seen.iter().any(|(_, why)| *why == cordon_domain::duplicates::DuplicateReason::SameIdNumber);
    if same_id {
        return Err(EntryError::Duplicate {
            message: format!(
                "this ID number is already registered: {}; change or move that entry instead",
                named.join(", ")
            ),
            matches: ids.iter().map(|i| i.as_str().to_owned()).collect(),
        });
    }
    if confirmed {
        return Ok(());
    }
    Err(EntryError::Duplicate {
        message: format!(
            "may already be registered: {}; if this is someone else, send it again with not_a_duplicate",
            named.join(", ")
        ),
        matches: ids.iter().map(|i| i.as_str().to_owned()).collect(),
    })
}

/// The person `id` of `user`'s areas, the read audited under `route`: a change touches a person
/// as a read does, and is on the audit even when it is refused.
async fn touched(state: &AppState, user: &User, id: &str, route: &str) -> Result<PersonId> {
    let not_found = || EntryError::NotFound(format!("no person {id} in your areas"));
    let id = PersonId::parse(id).map_err(|_| not_found())?;
    let person = state.store.person(&user.scope_path, &id).await?.ok_or_else(not_found)?;
    state.store.audit_reads(user, std::slice::from_ref(&person.person_id), route, state.now()).await?;
    Ok(person.person_id)
}

/// Changes a person of `user`'s areas and returns them as their page shows them.
pub async fn change(
    state: &AppState,
    user: &User,
    id: &str,
    patch: &PersonPatch,
    route: &str,
) -> Result<PersonView> {
    refuse_unless_keeper(user)?;
    let id = touched(state, user, id, route).await?;
    if patch.tags.is_some() && !user.may(Right::SeeHealth) {
        // The tags hold health facts a reader without see_health is shown only as "needs care":
        // writing them blind would erase what they cannot see.
        return Err(EntryError::Refused("changing tags needs see_health: they hold health facts".into()));
    }
    let phone = patch.phone.as_deref().map(phone_of).transpose()?;
    let tags = patch.tags.as_deref().map(tags_of).transpose()?;
    let household = patch.household.as_deref().map(household_of).transpose()?;
    let status = patch.status.as_deref().map(PersonStatus::parse).transpose()?;
    let why = reason(patch.reason.as_deref())?;
    if phone.is_none() && tags.is_none() && household.is_none() && status.is_none() {
        return Err(EntryError::Invalid {
            field: "status",
            message: "nothing to change: give a phone, tags, a household or a status".into(),
        });
    }
    let c = PersonChange {
        scope: &user.scope_path,
        person: &id,
        phone: phone.as_ref().map(Option::as_ref),
        tags: tags.as_ref(),
        household: household.as_ref(),
        status,
        by: &user.username,
        reason: &why,
        at: state.now(),
    };
    let changed = state.store.change_person(&c).await?;
    let person = changed.ok_or_else(|| EntryError::NotFound(format!("no person {id} in your areas")))?;
    if let Some(s) = status {
        tracing::info!(by = %user.username, person = %person.person_id, status = s.as_str(), "a person's standing was changed");
    }
    Ok(person_view(state, user, person.person_id.as_str(), route).await?)
}

/// The history of a person just read through [`person_view`] (which audited the read), for
/// their page; none for a person read under a broken glass, whose household stays unseen.
pub async fn lines(state: &AppState, person: &PersonView) -> Result<Vec<PersonChangeView>> {
    if person.glass_break.is_some() {
        return Ok(vec![]);
    }
    let lines = state.store.person_changes(&person.summary.person_id, CHANGES_SHOWN).await?;
    Ok(lines.into_iter().map(PersonChangeView::from).collect())
}

/// A person's history of changes, newest first, for a reader of the register; audited.
pub async fn history(state: &AppState, user: &User, id: &str, route: &str) -> Result<Vec<PersonChangeView>> {
    if !crate::register::may_read_people(user) {
        return Err(EntryError::Register(super::service::refuse_reading()));
    }
    let id = touched(state, user, id, route).await?;
    let lines = state.store.person_changes(&id, CHANGES_SHOWN).await?;
    Ok(lines.into_iter().map(PersonChangeView::from).collect())
}
