//! The same store tests on both backends. PostgreSQL runs against `CORDON_TEST_PG` (a server
//! URL without a database, e.g. `postgres://postgres@127.0.0.1:5432`); each test makes its own
//! database there. Under CI the variable is required, so a missing server fails the run.

use std::sync::Arc;

use chrono::{Duration, Utc};
use cordon_domain::{
    AreaCode, AreaLevel, AreaPath, AreaRow, IdNumber, PersonId, PersonRow, Phone, Role, Sex, Tags,
};
use cordon_domain::{EventKind, Tier, ZoneEvent};
use cordon_store::{
    Decision, NewProposal, NewUser, NewZone, NewZoneEvent, PeopleQuery, ProposalKind, ProposalStatus, Store,
    StoreError, ZoneChange, ZoneQuery,
};

struct Db {
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    Db { store: cordon_store::connect(&url).await.unwrap(), _dir: Some(dir) }
}

async fn postgres() -> Option<Db> {
    let Ok(server) = std::env::var("CORDON_TEST_PG") else {
        assert!(std::env::var("CI").is_err(), "CI must set CORDON_TEST_PG");
        eprintln!("CORDON_TEST_PG is not set: PostgreSQL store tests skipped");
        return None;
    };
    let name = format!("cordon_store_{}", rand::random::<u64>());
    let admin = cordon_store::PgStore::admin(&server).await.unwrap();
    sqlx_create(&admin, &name).await;
    let store = cordon_store::connect(&format!("{}/{}", server.trim_end_matches('/'), name)).await.unwrap();
    Some(Db { store, _dir: None })
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

async fn register_and_scopes(store: &dyn Store) {
    seed(store).await;
    let root = AreaPath::root();
    let city = store.area(&root, &code("c")).await.unwrap().unwrap();
    assert_eq!((city.stats.residents, city.stats.households, city.stats.vulnerable), (4, 3, 2));
    assert_eq!(city.children, 2);
    let d1 = scope_of(store, "d1").await;

    // Children and counts, scoped.
    let kids = store.children(&root, &code("b1")).await.unwrap();
    let counts: Vec<_> = kids.iter().map(|k| (k.area.code.as_str().to_owned(), k.stats.residents)).collect();
    assert_eq!(counts, [("h1".to_owned(), 2), ("h2".to_owned(), 1)]);
    assert!(store.children(&d1, &code("c")).await.unwrap().iter().all(|k| k.area.code.as_str() == "d1"));
    assert!(store.area(&d1, &code("d2")).await.unwrap().is_none(), "another district is invisible");

    // Search by name prefix, phone prefix and ID number, inside the scope only.
    let names = |v: Vec<cordon_store::PersonRecord>| v.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let q = PeopleQuery::NamePrefix("王".into());
    assert_eq!(names(store.search_people(&root, &q, 10).await.unwrap()), ["王刚", "王小明", "王芳"]);
    assert_eq!(names(store.search_people(&d1, &q, 10).await.unwrap()), ["王小明", "王芳"]);
    assert_eq!(names(store.search_people(&d1, &q, 1).await.unwrap()), ["王小明"]);
    let q = PeopleQuery::PhonePrefix("1380".into());
    assert_eq!(names(store.search_people(&root, &q, 10).await.unwrap()), ["李娜"]);
    let q = PeopleQuery::IdNumber("11010519491231002X".into());
    assert_eq!(names(store.search_people(&d1, &q, 10).await.unwrap()), ["王芳"]);
    let q = PeopleQuery::Household(code("h1"));
    assert_eq!(store.search_people(&root, &q, 10).await.unwrap().len(), 2);

    let p1 = PersonId::parse("p1").unwrap();
    let rec = store.person(&d1, &p1).await.unwrap().unwrap();
    assert_eq!(rec.tags.to_stored(), "dialysis");
    assert_eq!(rec.phone.as_deref(), Some("13900000001"));
    let d2 = scope_of(store, "d2").await;
    assert!(store.person(&d2, &p1).await.unwrap().is_none(), "a person outside the scope is not found");

    let h1 = scope_of(store, "h1").await;
    let areas = store.areas_on(std::slice::from_ref(&h1)).await.unwrap();
    let codes: Vec<_> = cordon_store::lineage(&areas, &h1).iter().map(|a| a.code.as_str()).collect();
    assert_eq!(codes, ["c", "d1", "b1", "h1"]);
}

async fn second_import_adds_and_refuses_duplicates(store: &dyn Store) {
    seed(store).await;
    let known = store.known_areas(&[code("b1"), code("zz")]).await.unwrap();
    assert_eq!(known.len(), 1);
    assert_eq!(known[&code("b1")].parent, Some(code("d1")));
    let mut import = store.begin_import(false).await.unwrap();
    import.areas(&[area("h4", Some("b2"), AreaLevel::Household, "102")]).await.unwrap();
    let rejected = import
        .people(&[
            person("p1", "重复", "h4", "13900000009", ""),
            person("p9", "孙七", "h4", "13900000010", ""),
        ])
        .await
        .unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].reason, "p1 is already registered");
    import.commit().await.unwrap();
    let d2 = store.area(&AreaPath::root(), &code("d2")).await.unwrap().unwrap();
    assert_eq!((d2.stats.residents, d2.stats.households), (2, 2));
}

async fn an_import_dropped_before_commit_leaves_nothing(store: &dyn Store) {
    seed(store).await;
    {
        let mut import = store.begin_import(false).await.unwrap();
        import.areas(&[area("h9", Some("b2"), AreaLevel::Household, "109")]).await.unwrap();
        import.people(&[person("p9", "孙七", "h9", "13900000010", "")]).await.unwrap();
    }
    let totals = store.totals().await.unwrap();
    assert_eq!((totals.areas, totals.people), (8, 4));
    assert!(store.known_areas(&[code("h9")]).await.unwrap().is_empty());
}

async fn users_sessions_and_audit(store: &dyn Store) {
    seed(store).await;
    let new = NewUser {
        username: "wang".into(),
        display_name: "王主任".into(),
        role: Role::District,
        scope: code("d1"),
        password_hash: "x".into(),
    };
    let u = store.create_user(&new).await.unwrap();
    assert_eq!(u.scope_name, "新城区");
    assert!(matches!(store.create_user(&new).await, Err(cordon_store::StoreError::Conflict(_))));
    let bad = NewUser { username: "nobody".into(), scope: code("zz"), ..new.clone() };
    assert!(matches!(store.create_user(&bad).await, Err(cordon_store::StoreError::Invalid(_))));

    let now = Utc::now();
    store.create_session("t1", u.id, now, now + Duration::hours(1)).await.unwrap();
    store.create_session("t2", u.id, now - Duration::hours(2), now - Duration::hours(1)).await.unwrap();
    assert_eq!(store.session_user("t1", now).await.unwrap().unwrap().username, "wang");
    assert!(store.session_user("t2", now).await.unwrap().is_none(), "an expired session is dead");
    store.delete_session("t1").await.unwrap();
    assert!(store.session_user("t1", now).await.unwrap().is_none());
    store.create_session("t3", u.id, now, now + Duration::hours(1)).await.unwrap();
    assert!(store.set_password("wang", "y").await.unwrap());
    assert!(store.session_user("t3", now).await.unwrap().is_none(), "a new password ends old sessions");

    let p = [PersonId::parse("p1").unwrap(), PersonId::parse("p2").unwrap()];
    store.audit_reads(&u, &p, "GET /api/v1/people/{id}", now).await.unwrap();
    let reads = store.reads_of(&p[0], 10).await.unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!((reads[0].username.as_str(), reads[0].route.as_str()), ("wang", "GET /api/v1/people/{id}"));
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

async fn zones_history_and_scope(store: &dyn Store) {
    seed(store).await;
    let now = Utc::now();
    assert_eq!(store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap(), 4);
    assert_eq!(store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap(), 0);
    let root = AreaPath::root();
    let d1 = scope_of(store, "d1").await;
    let d2 = scope_of(store, "d2").await;

    // A district cannot draw outside itself; an unknown profile is refused.
    let err = store.create_zone(&d2, &new_zone("b1", Tier::Sealed, now)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    let mut bad = new_zone("b1", Tier::Sealed, now);
    bad.profile_key = "nope".into();
    assert!(matches!(store.create_zone(&root, &bad).await.unwrap_err(), StoreError::NotFound(_)));

    let sealed = store.create_zone(&d1, &new_zone("b1", Tier::Sealed, now)).await.unwrap();
    assert_eq!((sealed.tier, sealed.residents, sealed.area_name.as_str()), (Tier::Sealed, 3, "3号楼"));
    // Overlaps: the same area, and the same tier around it.
    let again = store.create_zone(&root, &new_zone("b1", Tier::Controlled, now)).await.unwrap_err();
    assert!(matches!(&again, StoreError::Conflict(m) if m.contains("has an active zone")), "{again}");
    let around = store.create_zone(&root, &new_zone("d1", Tier::Sealed, now)).await.unwrap_err();
    assert!(matches!(&around, StoreError::Conflict(m) if m.contains("inside area d1")), "{around}");
    // A city-wide precaution zone is a different tier: allowed, and visible from a district.
    let city = store.create_zone(&root, &new_zone("c", Tier::Precaution, now)).await.unwrap();

    let in_d2 = store.zones(&d2, &ZoneQuery { limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(in_d2.iter().map(|z| z.id).collect::<Vec<_>>(), vec![city.id], "d2 sees the city zone only");
    let in_d1 = store.zones(&d1, &ZoneQuery { limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(in_d1.iter().map(|z| z.tier).collect::<Vec<_>>(), vec![Tier::Sealed, Tier::Precaution]);
    assert!(store.zone(&d2, sealed.id).await.unwrap().is_none());

    let mut covers = store.zone_covers().await.unwrap();
    covers.sort_by_key(|c| c.residents);
    assert_eq!(
        covers.iter().map(|c| (c.tier, c.residents)).collect::<Vec<_>>(),
        vec![(Tier::Sealed, 3), (Tier::Precaution, 4)]
    );

    // History: a positive withdraws a pending step-down; a step-down changes the tier.
    let (proposal, created) = store.propose(&step_down(sealed.id, "7 clean days", now)).await.unwrap();
    assert!(created);
    let (same, created) = store.propose(&step_down(sealed.id, "again", now)).await.unwrap();
    assert!(!created);
    assert_eq!(same.id, proposal.id);
    store.record_zone_event(sealed.id, &event(EventKind::Positive, now, "new positive p2")).await.unwrap();
    let p = store.proposal(&d1, proposal.id).await.unwrap().unwrap();
    assert_eq!(p.status, ProposalStatus::Withdrawn);
    let err = store
        .decide(
            proposal.id,
            &Decision { approve: true, by: "hq".into(), at: now, note: String::new(), change: None },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));

    // An approval applies its change in the same transaction.
    let (p2, _) = store.propose(&step_down(sealed.id, "7 clean days", now)).await.unwrap();
    let later = now + Duration::days(8);
    let step = event(EventKind::SteppedDown { tier: Tier::Controlled }, later, "approved");
    let decided = store
        .decide(
            p2.id,
            &Decision {
                approve: true,
                by: "hq".into(),
                at: later,
                note: "rules met".into(),
                change: Some(ZoneChange::Event { zone_id: sealed.id, event: step }),
            },
        )
        .await
        .unwrap();
    assert_eq!(decided.status, ProposalStatus::Approved);
    assert_eq!(store.zone(&d1, sealed.id).await.unwrap().unwrap().tier, Tier::Controlled);
    let history = store.zone_events(&[sealed.id]).await.unwrap();
    let kinds: Vec<_> = history.iter().map(|e| e.event.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::Designated { tier: Tier::Sealed },
            EventKind::Positive,
            EventKind::SteppedDown { tier: Tier::Controlled }
        ]
    );
    assert_eq!(history[0].event.at.timestamp(), now.timestamp());

    // Lifting ends the zone and closes its history.
    store.record_zone_event(sealed.id, &event(EventKind::Lifted, later, "lifted")).await.unwrap();
    assert!(store.zones_on(&[code("b1")]).await.unwrap().is_empty());
    let ended =
        store.zones(&d1, &ZoneQuery { include_ended: true, limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(ended.len(), 2);
    let closed =
        store.record_zone_event(sealed.id, &event(EventKind::Positive, later, "late")).await.unwrap_err();
    assert!(matches!(closed, StoreError::Conflict(_)));
    // The area can be drawn again.
    store.create_zone(&d1, &new_zone("b1", Tier::Sealed, later)).await.unwrap();

    // Profiles are data: a new one is stored and read back whole.
    let mut custom = cordon_domain::protocol::builtin().remove(1);
    custom.key = "hohhot-2022-10".into();
    store.put_profile(&custom, "hq", now).await.unwrap();
    let all = store.profiles().await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all.iter().find(|p| p.profile.key == "hohhot-2022-10").unwrap().profile, custom);
    store.set_setting("profile", "hohhot-2022-10").await.unwrap();
    assert_eq!(store.setting("profile").await.unwrap().as_deref(), Some("hohhot-2022-10"));
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { let db = super::sqlite().await; super::$name(&*db.store).await; })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() { if let Some(db) = super::postgres().await { super::$name(&*db.store).await; } })*
        }
    };
}

both!(
    register_and_scopes,
    second_import_adds_and_refuses_duplicates,
    an_import_dropped_before_commit_leaves_nothing,
    users_sessions_and_audit,
    zones_history_and_scope,
);
