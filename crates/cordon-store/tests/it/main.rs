//! The same store tests on both backends, a module per capability, each test run on each
//! backend by `both!`. PostgreSQL runs against `CORDON_TEST_PG` (a server
//! URL without a database, e.g. `postgres://postgres@127.0.0.1:5432`); each test makes its own
//! database there. Under CI the variable is required, so a missing server fails the run.

use std::sync::Arc;

use chrono::{Duration, Utc};
use cordon_domain::{
    AreaCode, AreaLevel, AreaPath, AreaRow, EventKind, IdNumber, PersonId, PersonRow, Phone, Sex, Tags, Tier,
    ZoneEvent,
};
use cordon_store::{Keyring, NewProposal, NewZone, NewZoneEvent, ProposalKind, Store};

/// Each named test of the module it is called in, once on SQLite and once on PostgreSQL.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() {
                let db = crate::sqlite().await;
                super::$name(&*db.store).await;
                crate::invariants(&*db.store).await;
            })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() {
                if let Some(db) = crate::postgres().await {
                    super::$name(&*db.store).await;
                    crate::invariants(&*db.store).await;
                }
            })*
        }
    };
}

/// What holds after every scenario, whatever it did: a contact has a follow-up row exactly while
/// it is followed up.
async fn invariants(store: &dyn Store) {
    assert_eq!(
        store.followups_out_of_step().await.unwrap(),
        0,
        "followups out of step with contacts' status"
    );
}

mod cases;
mod door;
mod figures;
mod followup;
mod gates;
mod isolation;
mod needs;
mod outbox;
mod register;
mod sanitation;
mod sealing;
mod supplies;
mod testing;
mod transfers;
mod workforce;
mod zones;

struct Db {
    store: Arc<dyn Store>,
    url: String,
    /// The key file's text: the store is opened again with it (or without a key) by the tests
    /// of sealing.
    keys: String,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let keys = Keyring::generate().to_text();
    let store = cordon_store::connect(&url, Keyring::parse(&keys).unwrap()).await.unwrap();
    Db { store, url, keys, _dir: Some(dir) }
}

async fn postgres() -> Option<Db> {
    let Ok(server) = std::env::var("CORDON_TEST_PG") else {
        assert!(std::env::var("CI").is_err(), "CI must set CORDON_TEST_PG");
        eprintln!("CORDON_TEST_PG is not set: PostgreSQL store tests skipped");
        return None;
    };
    let name = format!("cordon_store_{}", rand::random::<u64>());
    let admin = cordon_store::PgAdmin::connect(&server).await.unwrap();
    sqlx_create(&admin, &name).await;
    let url = format!("{}/{}", server.trim_end_matches('/'), name);
    let keys = Keyring::generate().to_text();
    let store = cordon_store::connect(&url, Keyring::parse(&keys).unwrap()).await.unwrap();
    Some(Db { store, url, keys, _dir: None })
}

async fn sqlx_create(admin: &cordon_store::PgAdmin, name: &str) {
    admin.create_database(name).await.unwrap();
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).unwrap()
}

fn area(c: &str, parent: Option<&str>, level: AreaLevel, name: &str) -> AreaRow {
    AreaRow { code: code(c), parent: parent.map(code), level, name: name.into(), shape: None }
}

fn person(id: &str, name: &str, household: &str, phone: &str, tags: &str) -> PersonRow {
    PersonRow {
        person_id: PersonId::parse(id).unwrap(),
        name: name.into(),
        id_number: None,
        phone: Some(Phone::parse(phone).unwrap()),
        birth_year: Some(1980),
        sex: Sex::Female,
        household: code(household),
        tags: Tags::parse(tags).unwrap(),
    }
}

/// A city with two districts, a compound with two households in one, one household in the other.
async fn seed(store: &dyn Store) {
    let rows = vec![
        area("h3", Some("b2"), AreaLevel::Household, "101"),
        area("c", None, AreaLevel::City, "呼和浩特市"),
        area("d1", Some("c"), AreaLevel::District, "新城区"),
        area("d2", Some("c"), AreaLevel::District, "回民区"),
        area("b1", Some("d1"), AreaLevel::Building, "3号楼"),
        area("b2", Some("d2"), AreaLevel::Building, "1号楼"),
        area("h1", Some("b1"), AreaLevel::Household, "501"),
        area("h2", Some("b1"), AreaLevel::Household, "502"),
    ];
    let planned = cordon_domain::plan_areas(rows, |_| None).unwrap();
    let mut import = store.begin_import(true).await.unwrap();
    import.areas(&planned).await.unwrap();
    let mut p1 = person("p1", "王芳", "h1", "13900000001", "dialysis");
    p1.id_number = Some(IdNumber::parse("11010519491231002X").unwrap());
    let rejected = import
        .people(&[
            p1,
            person("p2", "王小明", "h1", "13900000002", ""),
            person("p3", "李娜", "h2", "13800000003", "pregnant;chronic"),
            person("p4", "王刚", "h3", "13900000004", ""),
            person("p5", "赵四", "nowhere", "13900000005", ""),
            person("p6", "钱五", "b1", "13900000006", ""),
        ])
        .await
        .unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!((rejected[0].index, rejected[0].column), (4, "household_code"));
    assert_eq!(rejected[1].reason, "b1 is a building, not a household");
    let totals = import.commit().await.unwrap();
    assert_eq!((totals.areas, totals.people), (8, 4));
}

async fn scope_of(store: &dyn Store, c: &str) -> AreaPath {
    store.area(&AreaPath::root(), &code(c)).await.unwrap().unwrap().area.path
}

fn new_zone(area: &str, tier: Tier, at: chrono::DateTime<Utc>) -> NewZone {
    NewZone {
        area: code(area),
        tier,
        profile_key: "ninth-edition".into(),
        reason: "阳性病例居住楼栋".into(),
        case_person_id: Some("p1".into()),
        at,
        by: "hq".into(),
    }
}

/// The proposal to step b1's zone down from sealed to controlled.
fn step_down(zone: i64, reason: &str, at: chrono::DateTime<Utc>) -> NewProposal {
    NewProposal {
        kind: ProposalKind::StepDown,
        zone_id: Some(zone),
        area: code("b1"),
        tier_from: Some(Tier::Sealed),
        tier_to: Some(Tier::Controlled),
        profile_key: "ninth-edition".into(),
        reason: reason.into(),
        case_person_id: None,
        at,
        by: "cordon".into(),
    }
}

fn event(kind: EventKind, at: chrono::DateTime<Utc>, note: &str) -> NewZoneEvent {
    NewZoneEvent {
        event: ZoneEvent { at, kind },
        note: note.into(),
        person_id: None,
        by: "hq".into(),
        recorded_at: at,
    }
}

fn new_case(person: &str, at: chrono::DateTime<Utc>) -> cordon_store::NewCase {
    cordon_store::NewCase {
        person_id: PersonId::parse(person).unwrap(),
        class: cordon_domain::CaseClass::Asymptomatic,
        onset: None,
        sampled_at: at,
        infectious_from: at - Duration::days(4),
        isolated_at: None,
        isolation_place: String::new(),
        source_case_id: None,
        profile_key: "ninth-edition".into(),
        note: "pool 12 positive, single tube confirmed".into(),
        at,
        by: "epi".into(),
    }
}
