//! 转归 in the store: an outcome written against the case as it stands, in the transaction of
//! the change or of the check-in that causes it. Admitted and isolated name the stay that holds
//! the case; a course that is over closes its stays and, for a death, the person's standing.

use chrono::{DateTime, Utc};

use super::sql::{append, locked_case};
use crate::cases::{CaseChange, CaseRecord, parse_col};
use crate::db::{Tx, query};
use crate::{Result, StoreError};

/// Records an outcome inside `tx`, against the case as it stands: the stay it names checked,
/// the register told of a death, and the stays of a course that is over closed (the bed goes
/// to cleaning).
pub(super) async fn set_outcome(
    tx: &mut Tx,
    case: &CaseRecord,
    change: &CaseChange,
    at: DateTime<Utc>,
    by: &str,
) -> Result<()> {
    let CaseChange::Outcome { from, outcome, at: when, place, monitoring_until, stay_id, .. } = change else {
        return Err(StoreError::Invalid("not an outcome".into()));
    };
    let case_id = case.id;
    if *from != case.outcome {
        let now = case.outcome.map_or("open", cordon_domain::CaseOutcome::as_str);
        return Err(StoreError::Conflict(format!("case {case_id} is {now} now: look again")));
    }
    cordon_domain::outcome::check_outcome(case.outcome, *outcome)?;
    if outcome.needs_place() {
        let stay = stay_id.ok_or_else(|| {
            StoreError::Invalid(format!("a case {} names the stay that holds it", outcome.label(false)))
        })?;
        check_stay(tx, case, *outcome, stay).await?;
        // The stay is the case's from now: the discharge closes it, the site's list names it.
        query("UPDATE stays SET case_id = $1 WHERE id = $2 AND case_id IS NULL")
            .bind(case_id)
            .bind(stay)
            .execute(&mut *tx)
            .await?;
    }
    // A course's end keeps where it was spent: the place and the stay of the last admission.
    query(
        "UPDATE cases SET outcome = $1, outcome_at = $2, \
         outcome_place = CASE WHEN $3 = '' THEN outcome_place ELSE $3 END, \
         outcome_stay_id = COALESCE($4, outcome_stay_id), monitoring_until = $5 WHERE id = $6",
    )
    .bind(outcome.as_str())
    .bind(*when)
    .bind(place)
    .bind(*stay_id)
    .bind(*monitoring_until)
    .bind(case_id)
    .execute(&mut *tx)
    .await?;
    if *outcome == cordon_domain::CaseOutcome::Died {
        let reason = format!("病例#{case_id}死亡");
        crate::register::mark_deceased(tx, &case.person_id, by, at, &reason).await?;
    }
    // The course over: out of the 方舱's bed or the hospital's, which goes to cleaning.
    match outcome {
        cordon_domain::CaseOutcome::Recovered => {
            crate::stays::close_case_stays(tx, case_id, *when, "discharged", by).await?;
        }
        cordon_domain::CaseOutcome::Died => {
            crate::stays::close_case_stays(tx, case_id, *when, "died", by).await?;
        }
        _ => {}
    }
    Ok(())
}

/// The stay an admission or an isolation names: the case's person's, still open, at a site of
/// the outcome's kind.
async fn check_stay(
    tx: &mut Tx,
    case: &CaseRecord,
    outcome: cordon_domain::CaseOutcome,
    id: i64,
) -> Result<()> {
    let r = query(
        "SELECT y.person_id, y.checked_out_at, s.kind FROM stays y \
         JOIN quarantine_sites s ON s.id = y.site_id WHERE y.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("stay {id}")))?;
    let person: String = r.try_get("person_id")?;
    if person != case.person_id {
        return Err(StoreError::Invalid(format!("stay {id} is not the stay of case {}'s person", case.id)));
    }
    if r.try_get::<Option<DateTime<Utc>>, _>("checked_out_at")?.is_some() {
        return Err(StoreError::Conflict(format!("stay {id} has ended: the case is not there now")));
    }
    let kind: String = r.try_get("kind")?;
    let kind = parse_col("kind", &kind, cordon_domain::isolation::SiteKind::parse)?;
    outcome.check_site(kind)?;
    Ok(())
}

/// A case checked in at a designated hospital or a cabin hospital is admitted or isolated there,
/// in the check-in's transaction: its outcome names the stay, so where a case is has one
/// record. A hotel's stay is no outcome. A closed case is not checked in anywhere.
pub(crate) async fn admit_case(
    tx: &mut Tx,
    case_id: i64,
    stay: (i64, cordon_domain::isolation::SiteKind, &str),
    at: DateTime<Utc>,
    by: &str,
) -> Result<()> {
    let (stay_id, kind, place) = stay;
    let Some(outcome) = cordon_domain::CaseOutcome::at_site(kind) else { return Ok(()) };
    let case = locked_case(tx, case_id).await?;
    if !case.is_open() {
        let now = case.outcome.map_or("open", cordon_domain::CaseOutcome::as_str);
        return Err(StoreError::Conflict(format!(
            "case {case_id} is {now}: a closed case is not checked in"
        )));
    }
    let change = CaseChange::Outcome {
        from: case.outcome,
        outcome,
        at: at.max(case.sampled_at),
        place: place.to_owned(),
        monitoring_until: None,
        tests: vec![],
        stay_id: Some(stay_id),
    };
    set_outcome(tx, &case, &change, at, by).await?;
    append(tx, case_id, &change, at, by).await?;
    Ok(())
}
