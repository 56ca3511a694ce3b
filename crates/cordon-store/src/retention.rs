//! The purge at the end of retention (`cordon_domain::retention`): the personal data of a
//! closed outbreak deleted or pseudonymised, in one transaction, so it lands whole or not at
//! all; then the files are rewritten so nothing deleted lingers in free pages.
//!
//! What goes and what stays:
//!
//! - **Deleted**: the register of people (names, sealed ID numbers and phones, tags, birth
//!   years), venue-code scans, cases' trajectories, the presence at gates.
//! - **Pseudonymised**: every row the figures are counted from keeps its facts (a case's class
//!   and dates, a contact's kind and status, a tube member, a task, a request, a gate decision)
//!   but names nobody: each register id becomes a random one made for this purge, a household
//!   becomes its community, and free text that may name someone (notes, descriptions, places,
//!   pass holders) is emptied. A person with a case keeps a nameless row under the new id
//!   (`cases.person_id` must point at one).
//! - **Kept as they are**: areas and their counts, zones and their history, tubes and results,
//!   published notices and briefings, the workforce, and the audit of reads, whose hash chain
//!   covers the register ids that were read (they now point at nobody).
//!
//! The random ids mean a register imported again for a new outbreak is not tied to the old
//! one's rows.

use crate::Result;
use crate::db::{Db, Query, Tx, query};

/// What a step does to its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeAction {
    Delete,
    Pseudonymise,
}

impl PurgeAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PurgeAction::Delete => "delete",
            PurgeAction::Pseudonymise => "pseudonymise",
        }
    }
}

/// One step of a purge and the rows it touches (or would).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeStep {
    pub table: &'static str,
    pub action: PurgeAction,
    /// What of the rows goes, for the report.
    pub what: &'static str,
    pub rows: u64,
}

struct Step {
    table: &'static str,
    action: PurgeAction,
    what: &'static str,
    /// Counts the rows holding personal data, before the maps exist (so a dry run builds none).
    count: &'static str,
    apply: &'static [&'static str],
    /// Deleting millions of people is cheaper without the register's secondary indexes, which
    /// are built again over the few rows left (inside the transaction).
    rebuild_people_indexes: bool,
}

use PurgeAction::{Delete, Pseudonymise};

/// Register ids whose rows are pseudonymised: every named person (a nameless row is one a
/// purge left), with the random id each becomes. 128 random bits: no index checks that they
/// differ (the people table's key would refuse a clash where it matters, on a case's row).
const MAP_PEOPLE: &str =
    "INSERT INTO purge_people (old, new) SELECT person_id, {new_id} FROM people WHERE name <> ''";
/// Every area below a community, with the community it becomes.
const MAP_PLACES: &str = "INSERT INTO purge_places (fine, coarse, code) \
     SELECT a.path, c.path, c.code FROM areas c JOIN areas a \
       ON a.path > c.path AND a.path < substr(c.path, 1, length(c.path) - 1) || '0' \
     WHERE c.level = 'community'";

/// The steps in order: references are rewritten before the people they point at go.
const STEPS: &[Step] = &[
    Step {
        table: "scans",
        action: Delete,
        what: "venue-code scans: who was where, when",
        count: "SELECT count(*) FROM scans",
        apply: &["DELETE FROM scans"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "case_segments",
        action: Delete,
        what: "cases' trajectories (the published notices stay)",
        count: "SELECT count(*) FROM case_segments",
        apply: &["DELETE FROM case_segments"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "gate_presence",
        action: Delete,
        what: "who is in or out at each gate",
        count: "SELECT count(*) FROM gate_presence",
        apply: &["DELETE FROM gate_presence"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "gate_passages",
        action: Pseudonymise,
        what: "the person and the note of each gate decision",
        count: "SELECT count(*) FROM gate_passages WHERE person_id IS NOT NULL OR subject_key IS NOT NULL OR note <> ''",
        apply: &["UPDATE gate_passages SET person_id = NULL, subject_key = NULL, note = '' \
                  WHERE person_id IS NOT NULL OR subject_key IS NOT NULL OR note <> ''"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "gate_passes",
        action: Pseudonymise,
        what: "the holder, person and reason of each pass",
        count: "SELECT count(*) FROM gate_passes WHERE person_id IS NOT NULL OR holder <> '' OR reason <> ''",
        apply: &["UPDATE gate_passes SET person_id = NULL, holder = '', reason = '' \
                  WHERE person_id IS NOT NULL OR holder <> '' OR reason <> ''"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "needs",
        action: Pseudonymise,
        what: "whom each request was for, the phone given and the description; the household becomes its community",
        count: "SELECT count(*) FROM needs",
        apply: &[
            "UPDATE needs SET person_id = NULL, contact_sealed = NULL, description = '' \
             WHERE person_id IS NOT NULL OR contact_sealed IS NOT NULL OR description <> ''",
            "UPDATE needs SET household_code = m.code, path = m.coarse FROM purge_places m WHERE needs.path = m.fine",
        ],
        rebuild_people_indexes: false,
    },
    Step {
        table: "need_events",
        action: Pseudonymise,
        what: "the notes on requests",
        count: "SELECT count(*) FROM need_events WHERE note <> ''",
        apply: &["UPDATE need_events SET note = '' WHERE note <> ''"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "case_events",
        action: Pseudonymise,
        what: "the notes on cases",
        count: "SELECT count(*) FROM case_events WHERE kind = 'note' AND detail <> ''",
        apply: &["UPDATE case_events SET detail = '' WHERE kind = 'note' AND detail <> ''"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "cases",
        action: Pseudonymise,
        what: "the person and the isolation place; the household becomes its community",
        count: "SELECT count(*) FROM cases",
        apply: &[
            // The nameless row each case's new id points at, in the case's community.
            "INSERT INTO people (person_id, name, sex, household_code, tags, vulnerable, district_code, path) \
             SELECT m.new, '', p.sex, coalesce(pl.code, p.household_code), '', {no}, p.district_code, \
                    coalesce(pl.coarse, p.path) \
             FROM cases c JOIN purge_people m ON m.old = c.person_id JOIN people p ON p.person_id = c.person_id \
             LEFT JOIN purge_places pl ON pl.fine = p.path",
            "UPDATE cases SET person_id = m.new FROM purge_people m WHERE cases.person_id = m.old",
            "UPDATE cases SET isolation_place = '' WHERE isolation_place <> ''",
            "UPDATE cases SET path = m.coarse FROM purge_places m WHERE cases.path = m.fine",
        ],
        rebuild_people_indexes: false,
    },
    Step {
        table: "contacts",
        action: Pseudonymise,
        what: "the person, the case's person and the quarantine place; the household becomes its community",
        count: "SELECT count(*) FROM contacts",
        apply: &[
            "UPDATE contacts SET person_id = m.new FROM purge_people m WHERE contacts.person_id = m.old",
            "UPDATE contacts SET via_person_id = m.new FROM purge_people m WHERE contacts.via_person_id = m.old",
            "UPDATE contacts SET place = '' WHERE place <> ''",
            "UPDATE contacts SET path = m.coarse FROM purge_places m WHERE contacts.path = m.fine",
        ],
        rebuild_people_indexes: false,
    },
    Step {
        table: "contact_checks",
        action: Delete,
        what: "the daily health checks of contacts: temperatures and symptoms",
        count: "SELECT count(*) FROM contact_checks",
        apply: &["DELETE FROM contact_checks"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "deliveries",
        action: Delete,
        what: "which household each distribution round reached, and when",
        count: "SELECT count(*) FROM deliveries",
        apply: &["DELETE FROM deliveries", "DELETE FROM distributions"],
        rebuild_people_indexes: false,
    },
    Step {
        // Before the transfers they point at. A home's disinfection says a case lived there;
        // the waste collections name buildings and counts only, and are kept.
        table: "disinfections",
        action: Delete,
        what: "the disinfections ordered and done: a case's home, a building's stairs, a place",
        count: "SELECT count(*) FROM disinfections",
        apply: &["DELETE FROM disinfections"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "transfer_people",
        action: Delete,
        what: "who each transfer moved, to which room",
        count: "SELECT count(*) FROM transfer_people",
        apply: &["DELETE FROM transfer_people"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "transfers",
        action: Delete,
        what: "the transfer orders: whose household, to which site, by which vehicle, and their timelines",
        count: "SELECT count(*) FROM transfers",
        apply: &["DELETE FROM transfer_events", "DELETE FROM transfers"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "stays",
        action: Delete,
        what: "where each person was isolated or treated: the site, the room, when, and why they left",
        count: "SELECT count(*) FROM stays",
        apply: &["DELETE FROM stays"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "outbox",
        action: Delete,
        what: "messages to residents and workers: who was told what",
        count: "SELECT count(*) FROM outbox",
        apply: &["DELETE FROM outbox"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "resident_codes",
        action: Delete,
        what: "sign-in codes asked by phone, and residents' sessions",
        count: "SELECT (SELECT count(*) FROM resident_codes) + (SELECT count(*) FROM resident_sessions)",
        apply: &["DELETE FROM resident_codes", "DELETE FROM resident_sessions"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "household_phones",
        action: Delete,
        what: "relatives' phones added to households, and why",
        count: "SELECT count(*) FROM household_phones",
        apply: &["DELETE FROM household_phones"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "door_outcomes",
        action: Delete,
        what: "the sweep's doors: who was not at home, moved out or refused, and why",
        count: "SELECT count(*) FROM door_outcomes",
        apply: &["DELETE FROM door_outcomes"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "samples",
        action: Pseudonymise,
        what: "who was in each tube; the household becomes its community",
        count: "SELECT count(*) FROM samples",
        apply: &[
            "UPDATE samples SET person_id = m.new FROM purge_people m WHERE samples.person_id = m.old",
            "UPDATE samples SET household_code = m.code, path = m.coarse FROM purge_places m WHERE samples.path = m.fine",
        ],
        rebuild_people_indexes: false,
    },
    Step {
        table: "test_tasks",
        action: Pseudonymise,
        what: "whom each retest or new sample was for; the household becomes its community",
        count: "SELECT count(*) FROM test_tasks",
        apply: &[
            "UPDATE test_tasks SET person_id = m.new FROM purge_people m WHERE test_tasks.person_id = m.old",
            "UPDATE test_tasks SET path = m.coarse FROM purge_places m WHERE test_tasks.path = m.fine",
        ],
        rebuild_people_indexes: false,
    },
    Step {
        table: "zones",
        action: Pseudonymise,
        what: "the case a zone was drawn for",
        count: "SELECT count(*) FROM zones WHERE case_person_id IS NOT NULL",
        apply: &["UPDATE zones SET case_person_id = NULL WHERE case_person_id IS NOT NULL"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "zone_events",
        action: Pseudonymise,
        what: "the person an event of a zone's history names",
        count: "SELECT count(*) FROM zone_events WHERE person_id IS NOT NULL",
        apply: &["UPDATE zone_events SET person_id = NULL WHERE person_id IS NOT NULL"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "proposals",
        action: Pseudonymise,
        what: "the case a proposal was made for",
        count: "SELECT count(*) FROM proposals WHERE case_person_id IS NOT NULL",
        apply: &["UPDATE proposals SET case_person_id = NULL WHERE case_person_id IS NOT NULL"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "person_merges",
        action: Pseudonymise,
        what: "which entries were merged, and why",
        count: "SELECT count(*) FROM person_merges WHERE kept_id <> '' OR merged_id <> '' OR reason <> ''",
        apply: &["UPDATE person_merges SET kept_id = '', merged_id = '', reason = '' \
                  WHERE kept_id <> '' OR merged_id <> '' OR reason <> ''"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "person_changes",
        action: Delete,
        what: "the register's changes: who moved, left or died, when, and why",
        count: "SELECT count(*) FROM person_changes",
        apply: &["DELETE FROM person_changes"],
        rebuild_people_indexes: false,
    },
    Step {
        table: "people",
        action: Delete,
        what: "the register: names, ID numbers, phones, birth years, tags, households",
        count: "SELECT count(*) FROM people WHERE name <> ''",
        apply: &["DELETE FROM people WHERE person_id IN (SELECT old FROM purge_people)"],
        rebuild_people_indexes: true,
    },
];

/// Records the time now under a setting.
async fn stamp(tx: &mut Tx, key: &str) -> Result<()> {
    query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(chrono::Utc::now().to_rfc3339())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Counts what a purge touches and, with `apply`, purges in one transaction and
/// rewrites the files. `people_indexes` are the register's secondary indexes (name
/// and DDL), dropped for the deletion and made again.
pub(crate) async fn purge(
    pool: &Db,
    people_indexes: &[(&str, &'static str)],
    apply: bool,
) -> Result<Vec<PurgeStep>> {
    let mut tx = pool.begin().await?;
    if apply {
        // A write first, so SQLite takes the write lock now (waiting its turn)
        // rather than refusing the first write after the reads.
        stamp(&mut tx, "purge_started_at").await?;
    }
    let mut report = Vec::with_capacity(STEPS.len());
    for step in STEPS {
        let rows: i64 = query(step.count).scalar_one(&mut tx).await?;
        report.push(PurgeStep {
            table: step.table,
            action: step.action,
            what: step.what,
            rows: u64::try_from(rows).unwrap_or(0),
        });
    }
    if !apply {
        tx.rollback().await?;
        return Ok(report);
    }
    for statement in pool.dialect().purge_maps.split(';').filter(|s| !s.trim().is_empty()) {
        Query::dynamic(statement).execute(&mut tx).await?;
    }
    Query::dynamic(MAP_PEOPLE.replace("{new_id}", pool.dialect().new_id)).execute(&mut tx).await?;
    query(MAP_PLACES).execute(&mut tx).await?;
    for step in STEPS {
        let rebuild = step.rebuild_people_indexes;
        if rebuild {
            for (name, _) in people_indexes {
                Query::dynamic(format!("DROP INDEX IF EXISTS {name}")).execute(&mut tx).await?;
            }
        }
        for statement in step.apply {
            Query::dynamic(statement.replace("{no}", pool.dialect().no)).execute(&mut tx).await?;
        }
        if rebuild {
            for (_, ddl) in people_indexes {
                Query::dynamic(ddl).execute(&mut tx).await?;
            }
        }
    }
    for statement in pool.dialect().purge_drop_maps.split(';').filter(|s| !s.trim().is_empty()) {
        Query::dynamic(statement).execute(&mut tx).await?;
    }
    stamp(&mut tx, "purged_at").await?;
    tx.commit().await?;
    // The deleted values are gone from the tables but not from the pages they
    // were in: rewrite the files.
    for statement in pool.dialect().purge_vacuum.split(';').filter(|s| !s.trim().is_empty()) {
        Query::dynamic(statement).execute(pool).await?;
    }
    Ok(report)
}
