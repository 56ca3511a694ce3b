//! The register: areas and the people in their households, as a reader of some areas sees them.

use cordon_domain::{Need, PersonId, Right};
use cordon_store::{PeopleQuery, PersonRecord, User};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::RegisterError;
use crate::AppState;
use crate::reads::{PersonSummary, summaries};

#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    pub people: Vec<PersonSummary>,
    /// True when more people match than were returned.
    pub truncated: bool,
}

/// What a search box's text means: an ID number, phone digits, or the start of a name.
pub fn classify_query(q: &str) -> Result<PeopleQuery, RegisterError> {
    let q = q.trim();
    if q.is_empty() {
        return Err(RegisterError::invalid("q", "type a name, a phone number or an ID number"));
    }
    if q.chars().count() > 50 {
        return Err(RegisterError::invalid("q", "is longer than 50 characters"));
    }
    let upper = q.to_ascii_uppercase();
    // Bytes, not a str slice: 18 bytes of a name may end inside a character (六个汉字 are 18).
    if upper.len() == 18 && upper.as_bytes()[..17].iter().all(u8::is_ascii_digit) {
        let id = cordon_domain::IdNumber::parse(&upper)?;
        return Ok(PeopleQuery::IdNumber(id.as_str().to_owned()));
    }
    let digits: String = q.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits.strip_prefix("+86").unwrap_or(&digits);
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        // Phones are sealed at rest: only a whole number has a blind index to look up.
        let phone = cordon_domain::Phone::parse(digits).map_err(|_| {
            RegisterError::invalid(
                "q",
                "give the whole phone number (11 digits for a mobile, with the area code for a landline)",
            )
        })?;
        return Ok(PeopleQuery::Phone(phone.as_str().to_owned()));
    }
    Ok(PeopleQuery::NamePrefix(q.to_owned()))
}

/// Reading people by name needs a right that opens one of their fields, or a task that serves
/// residents face to face (a gate, their needs): the lab, which works on tubes, and any role
/// with neither may not walk the register.
pub fn may_read_people(user: &User) -> bool {
    user.meets(READ_PEOPLE)
}

/// The need of the register's search and a person's page.
pub const READ_PEOPLE: Need = Need::AnyOf(&[
    Right::SeeIdNumber,
    Right::SeePhone,
    Right::SeeHealth,
    Right::KeepGate,
    Right::HandleNeeds,
]);

pub(super) fn refuse_reading() -> RegisterError {
    RegisterError::Forbidden(
        "reading the register needs see_phone, see_id_number, see_health, keep_gate or handle_needs".into(),
    )
}

pub async fn search(
    state: &AppState,
    user: &User,
    q: &str,
    limit: u32,
    route: &str,
) -> Result<SearchResult, RegisterError> {
    search_by(state, user, &classify_query(q)?, limit, route).await
}

pub(crate) async fn search_by(
    state: &AppState,
    user: &User,
    query: &PeopleQuery,
    limit: u32,
    route: &str,
) -> Result<SearchResult, RegisterError> {
    if !may_read_people(user) {
        return Err(refuse_reading());
    }
    let limit = limit.clamp(1, 200);
    let mut found = state.store.search_people(&user.scope_path, query, limit + 1).await?;
    let truncated = found.len() > limit as usize;
    found.truncate(limit as usize);
    Ok(SearchResult { people: summaries(state, user, &found, route).await?, truncated })
}

#[derive(Serialize, ToSchema)]
pub struct PersonView {
    #[serde(flatten)]
    pub summary: PersonSummary,
    /// Masked: 1501**********1234; none without the `see_id_number` right.
    pub id_number: Option<String>,
    /// The strictest zone over the person's household and its ancestors; none outside zones.
    pub effective_tier: Option<cordon_domain::Tier>,
    pub household_members: Vec<PersonSummary>,
    /// The case this person is, for readers of cases.
    pub case_id: Option<i64>,
    /// The person as a close or secondary contact still followed up, for readers of cases.
    pub contact_of: Vec<crate::cases::ContactView>,
    /// 集中隔离: where the person is isolated or treated now, for readers of cases.
    pub stay: Option<crate::isolation::StayView>,
    /// Held for a retest, tasks and the last tubes the person was in; none without the
    /// `see_health` right (a cadre at a gate learns the person's standing there instead).
    pub testing: Option<crate::testing::PersonTesting>,
    /// The broken glass this person is read under, outside the reader's areas (their household
    /// is not shown then); none for a person of the reader's areas.
    pub glass_break: Option<crate::register::glass::GlassBreakView>,
    /// The entries merged into this one (重复登记), oldest first.
    pub merges: Vec<crate::register::duplicates::MergeView>,
}

pub async fn person_view(
    state: &AppState,
    user: &User,
    id: &str,
    route: &str,
) -> Result<PersonView, RegisterError> {
    if !may_read_people(user) {
        return Err(refuse_reading());
    }
    let id = PersonId::parse(id).map_err(|_| RegisterError::NotFound)?;
    let (person, glass_break) = match state.store.person(&user.scope_path, &id).await? {
        Some(person) => (person, None),
        // Outside the user's areas: a 404, as for nobody, unless they broke the glass for them.
        None => match crate::register::glass::granted(state, user, &id).await? {
            Some((grant, person)) => (person, Some(grant)),
            None => match crate::register::duplicates::merged_into(state, user, &id).await? {
                Some(kept) => return Err(RegisterError::Merged(kept)),
                None => return Err(RegisterError::NotFound),
            },
        },
    };
    let others: Vec<PersonRecord> = if glass_break.is_some() {
        Vec::new()
    } else {
        let household = state
            .store
            .search_people(&user.scope_path, &PeopleQuery::Household(person.household.clone()), 50)
            .await?;
        household.into_iter().filter(|p| p.person_id != person.person_id).collect()
    };
    let id_number = user.disclosure().id_number(person.id_number.as_deref());
    let effective_tier =
        crate::zones::marks_of(state, std::slice::from_ref(&person.path)).await?.remove(0).covering;
    // One address look-up and one audit insert for the person and their household together.
    let mut everyone = Vec::with_capacity(others.len() + 1);
    everyone.push(person);
    everyone.extend(others);
    let mut all = summaries(state, user, &everyone, route).await?;
    let household_members = all.split_off(1);
    let summary = all.remove(0);
    let health = crate::cases::may_view(user) && user.may(Right::SeeHealth);
    let stay = match health {
        true => crate::isolation::current_stay(state, summary.person_id.as_str())
            .await
            .map_err(RegisterError::from)?,
        false => None,
    };
    let (case_id, contact_of) = if health {
        let query = cordon_store::ContactQuery {
            active_only: true,
            person_id: Some(summary.person_id.as_str().to_owned()),
            limit: 50,
            ..Default::default()
        };
        let rows = state.store.contacts(&user.scope_path, &query).await?;
        (
            state.store.case_of_person(summary.person_id.as_str()).await?,
            crate::cases::contact_views(state, user, &rows, route).await?,
        )
    } else {
        (None, vec![])
    };
    let testing = match user.may(Right::SeeHealth) {
        true => Some(crate::testing::person_testing(state, user, summary.person_id.as_str()).await?),
        false => None,
    };
    let merges = state
        .store
        .person_merges(&summary.person_id)
        .await?
        .into_iter()
        .filter(|m| m.kept_id == summary.person_id.as_str())
        .map(Into::into)
        .collect();
    Ok(PersonView {
        summary,
        id_number,
        effective_tier,
        household_members,
        case_id,
        contact_of,
        stay,
        testing,
        glass_break: glass_break.map(Into::into),
        merges,
    })
}
