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
    Decision, Keyring, NewProposal, NewUser, NewZone, NewZoneEvent, PeopleQuery, ProposalKind,
    ProposalStatus, Store, StoreError, ZoneChange, ZoneQuery,
};

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
    let admin = cordon_store::PgStore::admin(&server).await.unwrap();
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

    // Search by name prefix, whole phone and ID number, inside the scope only.
    let names = |v: Vec<cordon_store::PersonRecord>| v.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let q = PeopleQuery::NamePrefix("王".into());
    assert_eq!(names(store.search_people(&root, &q, 10).await.unwrap()), ["王刚", "王小明", "王芳"]);
    assert_eq!(names(store.search_people(&d1, &q, 10).await.unwrap()), ["王小明", "王芳"]);
    assert_eq!(names(store.search_people(&d1, &q, 1).await.unwrap()), ["王小明"]);
    let q = PeopleQuery::Phone("13800000003".into());
    assert_eq!(names(store.search_people(&root, &q, 10).await.unwrap()), ["李娜"]);
    assert!(
        store.search_people(&d1, &PeopleQuery::Phone("13900000004".into()), 10).await.unwrap().is_empty()
    );
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

    // The audit is a hash chain: intact, with the head of the last entry; appends extend it.
    let first = store.verify_audit().await.unwrap();
    assert_eq!((first.entries, first.unchained, first.broken.clone()), (2, 0, None));
    // Nanoseconds are cut to what both backends keep, so an entry hashes as it is read back.
    let later = now + Duration::nanoseconds(1_234_567_891);
    store.audit_reads(&u, &p[..1], "GET /api/v1/households/{code}", later).await.unwrap();
    let second = store.verify_audit().await.unwrap();
    assert_eq!((second.entries, second.broken), (3, None));
    assert_ne!(second.head, first.head);
    assert_eq!(second.head.len(), 64);
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

async fn gates_passes_and_the_log(store: &dyn Store) {
    use cordon_domain::gates::{Direction, Outcome, PassKind, RuleId, Standing, Subject};
    use cordon_store::{NewGate, NewPass, NewPassage, PassageQuery, Recorded};
    seed(store).await;
    let hq = store
        .create_user(&NewUser {
            username: "gatekeeper".into(),
            display_name: "李干部".into(),
            role: Role::Cadre,
            scope: code("d1"),
            password_hash: "x".into(),
        })
        .await
        .unwrap();
    let t0 = "2026-11-29T08:10:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
    let new_gate = NewGate { area: code("b1"), name: "东门".into(), at: t0, by: "wang".into() };
    let gate = store.create_gate(&new_gate).await.unwrap();
    assert_eq!((gate.area_name.as_str(), gate.name.as_str()), ("3号楼", "东门"));
    assert!(matches!(store.create_gate(&new_gate).await, Err(cordon_store::StoreError::Conflict(_))));
    let unknown = NewGate { area: code("zz"), ..new_gate.clone() };
    assert!(matches!(store.create_gate(&unknown).await, Err(cordon_store::StoreError::NotFound(_))));
    let d1 = scope_of(store, "d1").await;
    let d2 = scope_of(store, "d2").await;
    assert_eq!(store.gates(&d1, 10).await.unwrap(), vec![gate.clone()]);
    assert!(store.gates(&d2, 10).await.unwrap().is_empty());

    // Standing: by register id or ID number; a held retest and a case show.
    let s = store.gate_subject("p1").await.unwrap().unwrap();
    assert_eq!((s.person.name.as_str(), s.standing()), ("王芳", Standing::Clear));
    assert_eq!(
        store.gate_subject("11010519491231002X").await.unwrap().unwrap().person.person_id.as_str(),
        "p1"
    );
    assert!(store.gate_subject("nobody").await.unwrap().is_none());
    store.ensure_profiles(&cordon_domain::protocol::builtin(), t0).await.unwrap();
    store.open_case(&AreaPath::root(), &new_case("p2", t0)).await.unwrap();
    assert_eq!(store.gate_subject("p2").await.unwrap().unwrap().standing(), Standing::Positive);

    let pass = NewPass {
        id: "PX1".into(),
        kind: PassKind::Medical,
        person_id: Some("p1".into()),
        holder: "王*".into(),
        area: code("b1"),
        gate_ids: vec![gate.id],
        valid_from: t0,
        valid_until: t0 + Duration::hours(6),
        one_time: true,
        reason: "透析".into(),
        at: t0,
        by: "wang".into(),
    };
    let issued = store.issue_pass(&pass).await.unwrap();
    assert_eq!((issued.gate_ids.clone(), issued.one_time, issued.used_at), (vec![gate.id], true, None));
    assert_eq!(store.passes(&d1, 10).await.unwrap().len(), 1);

    let out = NewPassage {
        gate_id: Some(gate.id),
        path: gate.path.clone(),
        at: t0 + Duration::minutes(5),
        direction: Direction::Out,
        subject: Subject::Resident,
        person_id: Some("p1".into()),
        pass_id: Some("PX1".into()),
        outcome: Outcome::Allowed,
        rule: RuleId::PassAdmits,
        gate_tier: Some(Tier::Sealed),
        home_tier: Some(Tier::Sealed),
        standing: Standing::Clear,
        lives_inside: true,
        confirmed: false,
        note: String::new(),
    };
    let Recorded::Kept(kept) = store.record_passage(&out, Some("PX1"), &hq, "gate").await.unwrap() else {
        panic!("the first use of a one-time pass is kept")
    };
    assert_eq!(
        (kept.name.as_deref(), kept.gate_name.as_deref(), kept.rule),
        (Some("王芳"), Some("东门"), RuleId::PassAdmits)
    );
    assert_eq!(store.pass("PX1").await.unwrap().unwrap().used_gate_id, Some(gate.id));
    // The same one-time pass again: nothing written.
    let again = NewPassage { at: t0 + Duration::minutes(7), ..out.clone() };
    assert_eq!(store.record_passage(&again, Some("PX1"), &hq, "gate").await.unwrap(), Recorded::PassUsed);
    let refused = NewPassage {
        outcome: Outcome::Refused,
        rule: RuleId::PassRefused,
        pass_id: Some("PX1".into()),
        ..again
    };
    store.record_passage(&refused, None, &hq, "gate").await.unwrap();
    // An unknown gate's refusal is kept under the cadre's scope.
    let nowhere = NewPassage {
        gate_id: None,
        path: d1.clone(),
        person_id: None,
        pass_id: None,
        outcome: Outcome::Refused,
        rule: RuleId::UnknownGate,
        ..out.clone()
    };
    store.record_passage(&nowhere, None, &hq, "gate").await.unwrap();

    let log = store.passages(&d1, &PassageQuery::default(), 10).await.unwrap();
    assert_eq!(
        log.iter().map(|p| p.rule).collect::<Vec<_>>(),
        [RuleId::UnknownGate, RuleId::PassRefused, RuleId::PassAdmits]
    );
    assert!(store.passages(&d2, &PassageQuery::default(), 10).await.unwrap().is_empty());
    let at_gate = PassageQuery { gate_id: Some(gate.id), ..Default::default() };
    assert_eq!(store.passages(&d1, &at_gate, 10).await.unwrap().len(), 2);
    let older = PassageQuery { before_id: Some(log[1].id), ..Default::default() };
    assert_eq!(store.passages(&d1, &older, 10).await.unwrap()[0].rule, RuleId::PassAdmits);
    let reads = store.reads_of(&PersonId::parse("p1").unwrap(), 10).await.unwrap();
    assert_eq!(reads.len(), 2, "{reads:?}");

    let traffic =
        store.gate_traffic(&d1, None, t0 - Duration::hours(1), t0 + Duration::hours(1)).await.unwrap();
    assert_eq!(traffic.len(), 1);
    assert_eq!(traffic[0].hour, "2026-11-29T08:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap());
    assert_eq!((traffic[0].allowed_in, traffic[0].allowed_out, traffic[0].refused), (0, 1, 1));

    // Presence: p1 is out on the pass.
    let presence = store.presence(&d1, 10).await.unwrap();
    assert_eq!(presence.len(), 1);
    let p = &presence[0];
    assert_eq!(
        (p.person_id.as_deref(), p.direction, p.pass_kind, p.pass_revoked),
        (Some("p1"), Direction::Out, Some(PassKind::Medical), false)
    );
    // Back in, confirmed into a zone they do not live in: they stay there.
    let back = NewPassage {
        at: t0 + Duration::hours(2),
        direction: Direction::In,
        pass_id: None,
        lives_inside: false,
        confirmed: true,
        rule: RuleId::ConfirmedStaying,
        ..out.clone()
    };
    store.record_passage(&back, None, &hq, "gate").await.unwrap();
    assert_eq!(store.presence(&d1, 10).await.unwrap()[0].direction, Direction::In);
    assert_eq!(store.gate_subject("p1").await.unwrap().unwrap().staying_in, Some(gate.path.clone()));
    let revoked =
        store.revoke_pass("PX1", t0 + Duration::hours(3), "wang", "trip done").await.unwrap().unwrap();
    assert_eq!(revoked.revoke_reason.as_deref(), Some("trip done"));
    assert!(store.revoke_pass("nope", t0, "wang", "x").await.unwrap().is_none());
}

async fn workforce_checkins_sites_and_assignments(store: &dyn Store) {
    use cordon_domain::workforce::{Post, Rank, WorkerRow};
    use cordon_store::{NewAssignment, NewSite, UnitRef};
    seed(store).await;
    let t0 = "2022-02-10T08:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
    let worker = |id: &str, rank| WorkerRow {
        worker_id: id.into(),
        name: format!("干部{id}"),
        phone: None,
        organisation: "市委组织部".into(),
        party_member: true,
        rank,
    };
    assert_eq!(
        store.put_workers(&[worker("W1", Rank::Division), worker("W2", Rank::Staff)], t0).await.unwrap(),
        (2, 0)
    );
    assert_eq!(store.put_workers(&[worker("W2", Rank::Section)], t0).await.unwrap(), (0, 1));
    assert_eq!(store.worker("W2").await.unwrap().unwrap().rank, Rank::Section);

    // Reporting in: to a community only, one a day.
    let day = chrono::NaiveDate::from_ymd_opt(2022, 2, 10).unwrap();
    let mut import = store.begin_import(false).await.unwrap();
    import
        .areas(&[
            area("cm1", Some("d1"), AreaLevel::Community, "公主府社区"),
            area("cm2", Some("d1"), AreaLevel::Community, "东街社区"),
        ])
        .await
        .unwrap();
    import.commit().await.unwrap();
    let c = store.check_in("W1", &code("cm1"), day, t0, "hq").await.unwrap();
    assert_eq!((c.community_name.as_str(), c.day), ("公主府社区", day));
    assert_eq!(
        store.check_in("W1", &code("cm1"), day, t0 + Duration::hours(1), "hq").await.unwrap().at,
        t0,
        "again: nothing changes"
    );
    let twice = store.check_in("W1", &code("cm2"), day, t0, "hq").await.unwrap_err();
    assert!(
        matches!(twice, StoreError::Conflict(_)) && twice.to_string().contains("one community a day"),
        "{twice}"
    );
    store.check_in("W1", &code("cm2"), day.succ_opt().unwrap(), t0 + Duration::days(1), "hq").await.unwrap();
    assert_eq!(store.on_hand(&scope_of(store, "d1").await, day).await.unwrap().len(), 1);
    assert!(store.on_hand(&scope_of(store, "d2").await, day).await.unwrap().is_empty());
    let err = store.check_in("W1", &code("b1"), day, t0, "hq").await.unwrap_err();
    assert!(err.to_string().contains("report to a community"), "{err}");
    assert!(matches!(store.check_in("W9", &code("b1"), day, t0, "hq").await, Err(StoreError::NotFound(_))));

    let d1 = scope_of(store, "d1").await;
    let site = NewSite {
        id: "QS1".into(),
        name: "锦江之星隔离点".into(),
        area: code("d1"),
        rooms: 120,
        at: t0,
        by: "hq".into(),
    };
    assert_eq!(store.create_site(&site).await.unwrap().area_name, "新城区");
    assert!(matches!(store.create_site(&site).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.sites(&d1).await.unwrap().len(), 1);

    let lead = |w: &str, unit: UnitRef, from| NewAssignment {
        worker_id: w.into(),
        unit,
        post: Post::Leader,
        title: String::new(),
        from,
        until: None,
        at: t0,
        by: "hq".into(),
    };
    let a1 = store.assign(&lead("W1", UnitRef::Area(code("b1")), t0)).await.unwrap();
    assert_eq!((a1.unit_name.as_str(), a1.worker.name.as_str()), ("3号楼", "干部W1"));
    let second =
        store.assign(&lead("W2", UnitRef::Area(code("b1")), t0 + Duration::hours(1))).await.unwrap_err();
    assert!(second.to_string().contains("responsible leader"), "{second}");
    let member = NewAssignment {
        post: Post::Member,
        title: "楼长".into(),
        ..lead("W2", UnitRef::Area(code("b1")), t0)
    };
    store.assign(&member).await.unwrap();
    assert!(
        store
            .assign(&lead("W2", UnitRef::Area(code("h1")), t0))
            .await
            .unwrap_err()
            .to_string()
            .contains("household")
    );
    store.assign(&lead("W2", UnitRef::Site("QS1".into()), t0)).await.unwrap();
    // A handover: W1 ends, W2 leads from then.
    let d2 = scope_of(store, "d2").await;
    assert!(
        store.end_assignment(&d2, a1.id, t0 + Duration::days(2)).await.unwrap().is_none(),
        "outside the scope"
    );
    let ended = store.end_assignment(&d1, a1.id, t0 + Duration::days(2)).await.unwrap().unwrap();
    assert_eq!(ended.until, Some(t0 + Duration::days(2)));
    let mut handover = lead("W2", UnitRef::Area(code("b1")), t0 + Duration::days(2));
    handover.post = Post::Leader;
    assert!(
        store.assign(&handover).await.unwrap_err().to_string().contains("already answers"),
        "W2 is a member still"
    );
    let now = store.assignments(&d1, Some(t0 + Duration::days(3))).await.unwrap();
    assert_eq!(now.iter().filter(|a| a.post == Post::Leader).count(), 1, "only the site's leader is running");
    assert_eq!(store.assignments(&d1, None).await.unwrap().len(), 3);
    assert!(store.assignments(&scope_of(store, "d2").await, None).await.unwrap().is_empty());
    let units = store.areas_at(&d1, &[AreaLevel::Building]).await.unwrap();
    assert_eq!(units.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(), ["b1"]);
    assert_eq!(units[0].residents, 3);

    // What coverage counts: the running assignments, unnamed; who is on hand; workers by id.
    let mut running: Vec<_> = store
        .staffing(&d1, t0 + Duration::days(3))
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.worker_id, s.unit, s.post, s.rank))
        .collect();
    running.sort_by(|a, b| a.1.key().cmp(b.1.key()));
    assert_eq!(
        running,
        [
            ("W2".to_owned(), UnitRef::Site("QS1".into()), Post::Leader, Rank::Section),
            ("W2".to_owned(), UnitRef::Area(code("b1")), Post::Member, Rank::Section),
        ]
    );
    assert_eq!(store.staffing(&d1, t0 - Duration::hours(1)).await.unwrap(), [], "none had started");
    assert_eq!(store.staffing(&d2, t0 + Duration::days(3)).await.unwrap(), []);
    let on_hand = store.candidates(&d1, day).await.unwrap();
    assert_eq!(
        on_hand.iter().map(|c| (c.worker_id.as_str(), c.rank, c.community.clone())).collect::<Vec<_>>(),
        [("W1", Rank::Division, scope_of(store, "cm1").await)]
    );
    assert!(store.candidates(&d2, day).await.unwrap().is_empty());
    // The figures count the workers as they were when they reported in.
    store
        .put_workers(&[WorkerRow { organisation: "市卫健委".into(), ..worker("W3", Rank::Staff) }], t0)
        .await
        .unwrap();
    store
        .put_workers(&[WorkerRow { party_member: false, ..worker("W4", Rank::Volunteer) }], t0)
        .await
        .unwrap();
    store.check_in("W3", &code("cm2"), day, t0, "hq").await.unwrap();
    store.check_in("W4", &code("cm2"), day, t0, "hq").await.unwrap();
    assert_eq!(store.on_hand_counts(&d1, day).await.unwrap(), (3, 2, 2));
    store
        .put_workers(&[WorkerRow { organisation: "团市委".into(), ..worker("W4", Rank::Volunteer) }], t0)
        .await
        .unwrap();
    assert_eq!(store.on_hand_counts(&d1, day).await.unwrap(), (3, 2, 2), "as they reported");
    assert_eq!(store.on_hand_counts(&d2, day).await.unwrap(), (0, 0, 0));
    let named = store.workers_by_id(&["W1".into(), "W9".into()]).await.unwrap();
    assert_eq!(named.keys().collect::<Vec<_>>(), ["W1"]);
    assert_eq!(named["W1"].name, "干部W1");

    // The units' version moves with each zone drawn, raised, stepped down or lifted and each
    // import, and not with what changes no unit; a zone keeps the version of its last change;
    // the areas' version moves with an import only.
    store.ensure_profiles(&cordon_domain::protocol::builtin(), t0).await.unwrap();
    let v0 = store.units_version().await.unwrap();
    let b1 = scope_of(store, "b1").await;
    let z = store.create_zone(&d1, &new_zone("b1", Tier::Controlled, t0)).await.unwrap();
    let v1 = store.units_version().await.unwrap();
    assert!(v1.units > v0.units && v1.areas == v0.areas, "{v0:?} {v1:?}");
    assert_eq!(store.zones_changed_since(v0.units).await.unwrap(), std::slice::from_ref(&b1));
    assert!(store.zones_changed_since(v1.units).await.unwrap().is_empty());
    store.assign(&lead("W1", UnitRef::Area(code("b1")), t0 + Duration::days(4))).await.unwrap();
    assert_eq!(store.units_version().await.unwrap(), v1, "an assignment changes no unit");
    store
        .record_zone_event(z.id, &event(EventKind::Raised { tier: Tier::Sealed }, t0, "raised"))
        .await
        .unwrap();
    let v2 = store.units_version().await.unwrap();
    assert!(v2.units > v1.units);
    assert_eq!(store.zones_changed_since(v1.units).await.unwrap(), std::slice::from_ref(&b1));
    store.record_zone_event(z.id, &event(EventKind::Lifted, t0 + Duration::days(1), "lifted")).await.unwrap();
    let v3 = store.units_version().await.unwrap();
    assert!(v3.units > v2.units && v3.areas == v0.areas);
    assert_eq!(store.zones_changed_since(v2.units).await.unwrap(), [b1]);
    let mut import = store.begin_import(false).await.unwrap();
    import.areas(&[area("cm3", Some("d1"), AreaLevel::Community, "西街社区")]).await.unwrap();
    import.commit().await.unwrap();
    let v4 = store.units_version().await.unwrap();
    assert!(v4.units > v3.units && v4.areas > v3.areas, "{v3:?} {v4:?}");
}

async fn needs_timeline_board_and_sweep(store: &dyn Store) {
    use cordon_domain::needs::{
        NeedCategory, NeedEvent, NeedEventKind, NeedStatus, Rung, default_need_rules, rule_for,
    };
    use cordon_store::{NeedQuery, NewNeed, NewNeedEvent};
    seed(store).await;
    let t0 = "2022-02-12T08:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
    let m = |n: i64| t0 + Duration::minutes(n);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), t0).await.unwrap();
    let rules = default_need_rules();
    let d1 = scope_of(store, "d1").await;
    let d2 = scope_of(store, "d2").await;
    let need = |household: &str, category, emergency, rung| NewNeed {
        household: code(household),
        person_id: Some("p1".into()),
        category,
        emergency,
        contact_phone: Some("13900000001".into()),
        description: "需要送药".into(),
        rung,
        owner_worker: None,
        profile_key: "ninth-edition".into(),
        pass_id: None,
        plan_key: None,
        at: t0,
        by: "grid".into(),
    };
    let food_rule = rule_for(&rules, NeedCategory::Food, false).unwrap();
    let food = store
        .create_need(&d1, &need("h1", NeedCategory::Food, false, Rung::Community), food_rule)
        .await
        .unwrap();
    assert_eq!(
        (food.status, food.rung, food.due, food.escalates),
        (NeedStatus::Open, Rung::Community, Some(m(120)), true)
    );
    // Only a household of the user's areas.
    let err = store
        .create_need(&d1, &need("b1", NeedCategory::Food, false, Rung::Community), food_rule)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("a need is raised for a household"), "{err}");
    let err = store
        .create_need(&d2, &need("h1", NeedCategory::Food, false, Rung::Community), food_rule)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");

    // Acknowledged once; twice is a conflict; out of scope is none.
    let ack = |at, by: &str| NewNeedEvent {
        event: NeedEvent { at, kind: NeedEventKind::Acknowledged },
        note: String::new(),
        by: by.into(),
        recorded_at: at,
    };
    let r = store.record_need_event(&d1, food.id, &ack(m(10), "grid"), food_rule).await.unwrap().unwrap();
    assert_eq!((r.status, r.due), (NeedStatus::Acknowledged, Some(m(1440))));
    let twice = store.record_need_event(&d1, food.id, &ack(m(11), "grid"), food_rule).await.unwrap_err();
    assert!(
        matches!(twice, StoreError::Conflict(_)) && twice.to_string().contains("acknowledged already"),
        "{twice}"
    );
    assert!(store.record_need_event(&d2, food.id, &ack(m(11), "x"), food_rule).await.unwrap().is_none());

    // An emergency with its pass, owned by the building's cadre, that nobody acknowledges.
    let e_rule = rule_for(&rules, NeedCategory::Childbirth, true).unwrap();
    let mut urgent = need("h2", NeedCategory::Childbirth, true, Rung::Cadre);
    urgent.pass_id = Some("PE1".into());
    urgent.owner_worker = None;
    let e = store.create_need(&d1, &urgent, e_rule).await.unwrap();
    assert_eq!((e.due, e.pass_id.as_deref()), (Some(m(5)), Some("PE1")));
    let kinds: Vec<String> =
        store.need_events(e.id).await.unwrap().iter().map(|x| x.event.kind.key().to_owned()).collect();
    assert_eq!(kinds, ["created", "pass_issued"]);
    assert!(store.needs_due(m(4), 100).await.unwrap().is_empty());
    let due = store.needs_due(m(21), 100).await.unwrap();
    assert_eq!(due.iter().map(|d| (d.id, d.emergency)).collect::<Vec<_>>(), [(e.id, true)]);
    let climbed = store.escalate_needs(&[(e.id, e_rule.clone())], m(21), "cordon").await.unwrap();
    assert_eq!(climbed.len(), 1);
    let steps: Vec<_> = climbed[0].1.iter().map(|s| s.at).collect();
    assert_eq!(steps, [m(5), m(10), m(15), m(20)], "each step at the moment it was due");
    assert_eq!(
        (climbed[0].0.rung, climbed[0].0.escalates, climbed[0].0.escalations),
        (Rung::Headquarters, false, 4)
    );
    assert!(store.needs_due(m(60), 100).await.unwrap().is_empty(), "nothing above headquarters");
    assert!(
        store.escalate_needs(&[(e.id, e_rule.clone())], m(60), "cordon").await.unwrap().is_empty(),
        "nothing twice"
    );

    // The board: the overdue emergency first; the counts at a moment.
    let board = store
        .needs_board(&d1, &NeedQuery { include_resolved: false, limit: 50, now: m(30), waiting_on: None })
        .await
        .unwrap();
    assert_eq!(board.iter().map(|n| n.id).collect::<Vec<_>>(), [e.id, food.id]);
    assert!(
        store
            .needs_board(&d2, &NeedQuery { include_resolved: true, limit: 50, now: m(30), waiting_on: None })
            .await
            .unwrap()
            .is_empty()
    );
    // Headquarters' inbox holds the emergency that climbed to it; the street's holds nothing.
    let inbox = |rung| NeedQuery { include_resolved: false, limit: 50, now: m(30), waiting_on: Some(rung) };
    let hq = store.needs_board(&d1, &inbox(Rung::Headquarters)).await.unwrap();
    assert_eq!(hq.iter().map(|n| n.id).collect::<Vec<_>>(), [e.id]);
    assert!(store.needs_board(&d1, &inbox(Rung::Street)).await.unwrap().is_empty());
    let counts = store.need_counts(&d1, m(30)).await.unwrap();
    assert_eq!((counts.open, counts.acknowledged, counts.overdue, counts.emergencies_overdue), (1, 1, 1, 1));

    // Resolved, it leaves the board unless asked for; reopened, its clock starts again.
    let resolve =
        NewNeedEvent { event: NeedEvent { at: m(40), kind: NeedEventKind::Resolved }, ..ack(m(40), "grid") };
    store.record_need_event(&d1, food.id, &resolve, food_rule).await.unwrap().unwrap();
    let open_only = store
        .needs_board(&d1, &NeedQuery { include_resolved: false, limit: 50, now: m(30), waiting_on: None })
        .await
        .unwrap();
    assert_eq!(open_only.len(), 1);
    let all = store
        .needs_board(&d1, &NeedQuery { include_resolved: true, limit: 50, now: m(30), waiting_on: None })
        .await
        .unwrap();
    assert_eq!(all.iter().map(|n| n.id).collect::<Vec<_>>(), [e.id, food.id]);
    let again = store.record_need_event(&d1, food.id, &ack(m(50), "grid"), food_rule).await.unwrap_err();
    assert!(again.to_string().contains("resolved"), "{again}");
    let reopen =
        NewNeedEvent { event: NeedEvent { at: m(60), kind: NeedEventKind::Reopened }, ..ack(m(60), "grid") };
    let r = store.record_need_event(&d1, food.id, &reopen, food_rule).await.unwrap().unwrap();
    assert_eq!((r.status, r.due), (NeedStatus::Open, Some(m(180))));
    assert_eq!(store.need_events(food.id).await.unwrap().len(), 4);

    // Many at once: all land, or — one bad — none, the bad one named.
    let before = store
        .needs_board(&d1, &NeedQuery { include_resolved: true, limit: 50, now: m(30), waiting_on: None })
        .await
        .unwrap()
        .len();
    let daily = |h: &str| (need(h, NeedCategory::DailyCheck, false, Rung::Community), food_rule.clone());
    let err = store.create_needs(&d1, &[daily("h1"), daily("b1"), daily("h2")]).await.unwrap_err();
    assert!(err.to_string().contains("need 2"), "{err}");
    let after = store
        .needs_board(&d1, &NeedQuery { include_resolved: true, limit: 50, now: m(30), waiting_on: None })
        .await
        .unwrap()
        .len();
    assert_eq!(before, after, "nothing half-written");
    assert_eq!(store.create_needs(&d1, &[daily("h1"), daily("h2")]).await.unwrap().len(), 2);
}

/// Day-by-day counts, briefings by revision, export audit and the register paged by keyset.
async fn figures_per_day_briefings_and_export_pages(store: &dyn Store) {
    use cordon_domain::CaseClass;
    use cordon_domain::needs::{NeedCategory, NeedEvent, NeedEventKind, Rung, default_need_rules, rule_for};
    use cordon_store::{
        CaseChange, NeedDayCounts, NewBriefing, NewExport, NewNeed, NewNeedEvent, PositiveCounts,
    };
    seed(store).await;
    let day = |d: u32| format!("2022-10-0{d}T00:00:00Z").parse::<chrono::DateTime<Utc>>().unwrap();
    let bounds = [day(1), day(2), day(3)];
    store.ensure_profiles(&cordon_domain::protocol::builtin(), day(1)).await.unwrap();
    let city = AreaPath::root();
    let d1 = scope_of(store, "d1").await;
    let d2 = scope_of(store, "d2").await;

    // p1 (d1) asymptomatic on day 1, reclassified on day 2; p3 (d1) confirmed on day 2; p4 (d2)
    // on day 2; one before the window.
    let c1 = store.open_case(&city, &new_case("p1", day(1) + Duration::hours(10))).await.unwrap();
    store
        .change_case(
            c1.id,
            &CaseChange::Reclassified { from: CaseClass::Asymptomatic, to: CaseClass::Confirmed },
            day(2) + Duration::hours(9),
            "epi",
        )
        .await
        .unwrap();
    let mut c3 = new_case("p3", day(2) + Duration::hours(1));
    c3.class = CaseClass::Confirmed;
    store.open_case(&city, &c3).await.unwrap();
    store.open_case(&city, &new_case("p4", day(2) + Duration::hours(23))).await.unwrap();
    store.open_case(&city, &new_case("p2", day(1) - Duration::hours(1))).await.unwrap();
    let pos = |a, c, r| PositiveCounts { asymptomatic: a, confirmed: c, reclassified: r };
    assert_eq!(store.positives_per_bucket(&d1, &bounds).await.unwrap(), vec![pos(1, 0, 0), pos(0, 1, 1)]);
    assert_eq!(store.positives_per_bucket(&city, &bounds).await.unwrap(), vec![pos(1, 0, 0), pos(1, 1, 1)]);
    assert_eq!(store.positives_per_bucket(&d2, &bounds[..2]).await.unwrap(), vec![pos(0, 0, 0)]);
    assert!(store.positives_per_bucket(&d2, &bounds[..1]).await.unwrap().is_empty());

    // A need raised on day 1 and resolved on day 2; an emergency raised on day 2.
    let rules = default_need_rules();
    let need = |household: &str, category, emergency, at| NewNeed {
        household: code(household),
        person_id: Some("p1".into()),
        category,
        emergency,
        contact_phone: Some("13900000001".into()),
        description: "需要送药".into(),
        rung: Rung::Community,
        owner_worker: None,
        profile_key: "ninth-edition".into(),
        pass_id: None,
        plan_key: None,
        at,
        by: "grid".into(),
    };
    let food_rule = rule_for(&rules, NeedCategory::Food, false).unwrap();
    let food = store
        .create_need(&d1, &need("h1", NeedCategory::Food, false, day(1) + Duration::hours(8)), food_rule)
        .await
        .unwrap();
    let at = day(2) + Duration::hours(2);
    for kind in [NeedEventKind::Acknowledged, NeedEventKind::Resolved] {
        let e = NewNeedEvent {
            event: NeedEvent { at, kind },
            note: String::new(),
            by: "grid".into(),
            recorded_at: at,
        };
        store.record_need_event(&d1, food.id, &e, food_rule).await.unwrap().unwrap();
    }
    let care_rule = rule_for(&rules, NeedCategory::MedicalCare, true).unwrap();
    store
        .create_need(
            &d1,
            &need("h2", NeedCategory::MedicalCare, true, day(2) + Duration::hours(5)),
            care_rule,
        )
        .await
        .unwrap();
    let counts =
        |opened, emergencies, resolved| NeedDayCounts { opened, emergencies, care_planned: 0, resolved };
    assert_eq!(store.needs_per_bucket(&d1, &bounds).await.unwrap(), vec![counts(1, 0, 0), counts(1, 1, 1)]);
    assert_eq!(store.needs_per_bucket(&d2, &bounds).await.unwrap(), vec![counts(0, 0, 0); 2]);

    // Briefings: a second publication of a day is its next revision; only inside the scope.
    let briefing = |area: &str, text: &str| NewBriefing {
        area: code(area),
        day: chrono::NaiveDate::from_ymd_opt(2022, 10, 2).unwrap(),
        text_zh: format!("# {text}"),
        text_en: format!("# {text} (en)"),
        figures: "{}".into(),
        at: day(3),
        by: "hq".into(),
    };
    let first = store.publish_briefing(&city, &briefing("d1", "第一版")).await.unwrap();
    let second = store.publish_briefing(&d1, &briefing("d1", "第二版")).await.unwrap();
    assert_eq!((first.revision, second.revision, second.area_name.as_str()), (1, 2, "新城区"));
    assert!(matches!(
        store.publish_briefing(&d2, &briefing("d1", "x")).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    let listed = store.briefings(&d1, 10).await.unwrap();
    assert_eq!(listed.iter().map(|b| b.revision).collect::<Vec<_>>(), vec![2, 1]);
    assert!(store.briefings(&d2, 10).await.unwrap().is_empty());
    assert_eq!(store.briefing(&d1, first.id).await.unwrap().unwrap().text_zh, "# 第一版");
    assert_eq!(store.briefing(&d2, first.id).await.unwrap(), None);

    // The register page by page, one person a page: each once, in household order, in scope.
    let mut seen = vec![];
    let mut after: Option<(AreaPath, String)> = None;
    loop {
        let page = store.people_page(&city, after.as_ref().map(|(p, id)| (p, id.as_str())), 1).await.unwrap();
        let Some((last, _)) = page.last() else { break };
        after = Some((last.path.clone(), last.person_id.as_str().to_owned()));
        seen.extend(page.iter().map(|(p, _)| p.person_id.as_str().to_owned()));
    }
    assert_eq!(seen, vec!["p1", "p2", "p3", "p4"]);
    let d1_people = store.people_page(&d1, None, 100).await.unwrap();
    assert_eq!(
        d1_people.iter().map(|(p, _)| p.person_id.as_str()).collect::<Vec<_>>(),
        vec!["p1", "p2", "p3"]
    );
    assert_eq!(d1_people.iter().map(|(_, h)| h.as_str()).collect::<Vec<_>>(), vec!["501", "501", "502"]);

    // An export is audited as it starts and counted as it goes.
    let id = store
        .begin_export(&NewExport {
            user_id: 1,
            username: "hq".into(),
            list: "people".into(),
            area: code("d1"),
            format: "csv".into(),
            pseudonymised: true,
            at: day(3),
        })
        .await
        .unwrap();
    store.export_progress(id, 3, true).await.unwrap();
    let e = &store.exports(10).await.unwrap()[0];
    assert_eq!(
        (e.list.as_str(), e.area.as_str(), e.rows, e.finished, e.pseudonymised),
        ("people", "d1", 3, true, true)
    );
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

async fn cases_contacts_and_notices(store: &dyn Store) {
    use cordon_domain::{CaseClass, ContactKind, ContactSource, ContactStatus};
    use cordon_store::{
        CaseChange, ContactQuery, NewContact, NewNotice, NewSegment, ScanFile, ScanRow, Venue,
    };
    seed(store).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap();
    let root = AreaPath::root();
    let d1 = scope_of(store, "d1").await;
    let d2 = scope_of(store, "d2").await;

    // Venues: an unknown area refuses the whole batch, naming the row.
    let shop =
        Venue {
            venue_id: "V1".into(), name: "维多利超市".into(), area: code("b1"), kind: "shop".into()
        };
    let bad = Venue { venue_id: "V2".into(), name: "x".into(), area: code("nowhere"), kind: String::new() };
    let err = store.put_venues(&[shop.clone(), bad]).await.unwrap_err();
    assert!(err.to_string().contains("row 2"), "{err}");
    assert!(store.venues(&["V1".into()]).await.unwrap().is_empty());
    assert_eq!(store.put_venues(&[shop]).await.unwrap(), 1);
    assert_eq!(store.venues_in(&d1, 10).await.unwrap().len(), 1);
    assert!(store.venues_in(&d2, 10).await.unwrap().is_empty());

    // Scans: a file lands once.
    let file = ScanFile { sha256: "ab".repeat(32), name: "scans.csv".into(), at: now, by: "epi".into() };
    let rows: Vec<ScanRow> = (0..1200)
        .map(|i| ScanRow {
            person_id: format!("P{i}"),
            venue_id: "V1".into(),
            scanned_at: now - Duration::minutes(i),
        })
        .collect();
    let (rec, new) = store.add_scans(&file, &mut rows.clone().into_iter()).await.unwrap();
    assert!(new);
    assert_eq!(rec.rows, 1200);
    let (again, new) = store.add_scans(&file, &mut rows[..3].iter().cloned()).await.unwrap();
    assert!(!new);
    assert_eq!(again.id, rec.id);
    let first = store.scans_after(0, 1000).await.unwrap();
    let rest = store.scans_after(first.last().unwrap().0, 1000).await.unwrap();
    assert_eq!((first.len(), rest.len()), (1000, 200));
    assert_eq!(first[0].1, rows[0]);

    // Cases: only for someone in scope; once per person.
    assert!(matches!(store.open_case(&d2, &new_case("p1", now)).await.unwrap_err(), StoreError::NotFound(_)));
    let c1 = store.open_case(&d1, &new_case("p1", now)).await.unwrap();
    assert_eq!((c1.name.as_str(), c1.household.as_str()), ("王芳", "h1"));
    assert!(matches!(
        store.open_case(&root, &new_case("p1", now)).await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    assert!(store.case(&d2, c1.id).await.unwrap().is_none());
    let mut second = new_case("p4", now);
    second.source_case_id = Some(c1.id);
    let c2 = store.open_case(&root, &second).await.unwrap();
    assert_eq!(store.cases(&root, 10).await.unwrap().len(), 2);
    assert_eq!(store.cases(&d2, 10).await.unwrap().len(), 1);
    // The chain cannot loop.
    let err = store.change_case(c1.id, &CaseChange::Linked { source_case_id: Some(c2.id) }, now, "epi").await;
    assert!(err.unwrap_err().to_string().contains("loop"));
    // Reclassification is kept as history, and must start from the class the case has.
    let up = CaseChange::Reclassified { from: CaseClass::Asymptomatic, to: CaseClass::Confirmed };
    store.change_case(c1.id, &up, now, "epi").await.unwrap();
    assert!(matches!(store.change_case(c1.id, &up, now, "epi").await.unwrap_err(), StoreError::Conflict(_)));
    assert_eq!(store.case(&root, c1.id).await.unwrap().unwrap().class, CaseClass::Confirmed);
    let kinds: Vec<&str> = store.case_events(c1.id).await.unwrap().iter().map(|e| e.change.kind()).collect();
    assert_eq!(kinds, ["opened", "note", "reclassified"]);
    let chain = store.chain().await.unwrap();
    assert_eq!(chain.iter().find(|r| r.id == c2.id).unwrap().source_case_id, Some(c1.id));

    // A trajectory: at a venue (its name taken) or in an area.
    let seg = NewSegment {
        starts_at: now - Duration::hours(30),
        ends_at: Some(now - Duration::hours(29)),
        venue_id: Some("V1".into()),
        area: None,
        place: String::new(),
        transport: Some(cordon_domain::notice::Transport::Bus),
        transport_detail: "1路".into(),
        by: "epi".into(),
    };
    let s1 = store.add_segment(c1.id, &seg).await.unwrap();
    assert_eq!((s1.place.as_str(), s1.area.as_str()), ("维多利超市", "b1"));
    let mut backwards = seg.clone();
    backwards.ends_at = Some(now - Duration::hours(40));
    assert!(store.add_segment(c1.id, &backwards).await.is_err());
    let mut home = seg.clone();
    home.venue_id = None;
    home.area = Some(code("h1"));
    home.starts_at = now - Duration::hours(50);
    store.add_segment(c1.id, &home).await.unwrap();
    let segs = store.segments(c1.id).await.unwrap();
    assert_eq!(segs.len(), 2);
    assert_eq!(segs[0].area.as_str(), "h1");
    store.remove_segment(c1.id, segs[0].id).await.unwrap();
    assert!(store.remove_segment(c1.id, segs[0].id).await.is_err());

    // Contacts: a second tracing keeps the follow-up and takes an earlier exposure.
    let contact = |p: &str, kind, at| NewContact {
        person_id: p.into(),
        kind,
        source: ContactSource::Venue,
        via_person_id: "p1".into(),
        venue_id: Some("V1".into()),
        exposure_at: at,
        quarantine_from: now.date_naive(),
    };
    let first = [contact("p2", ContactKind::Close, now), contact("P7", ContactKind::Secondary, now)];
    let saved = store.save_contacts(c1.id, &first, now, "epi").await.unwrap();
    assert_eq!((saved.added, saved.kept), (2, 0));
    let all = store.contacts(&root, &ContactQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 2);
    let p2 = all.iter().find(|c| c.person_id == "p2").unwrap();
    assert_eq!((p2.name.as_deref(), p2.venue_name.as_deref()), (Some("王小明"), Some("维多利超市")));
    let p7 = all.iter().find(|c| c.person_id == "P7").unwrap();
    assert_eq!((p7.name.as_deref(), p7.path.as_ref()), (None, None));
    store.update_contact(p2.id, ContactStatus::Quarantined, "如家酒店 305", now, "epi").await.unwrap();
    let earlier = now - Duration::hours(2);
    let second = [contact("p2", ContactKind::Close, earlier), contact("P7", ContactKind::Close, now)];
    let saved = store.save_contacts(c1.id, &second, now, "epi").await.unwrap();
    assert_eq!((saved.added, saved.kept), (0, 2));
    let p2 = store.contact(&root, p2.id).await.unwrap().unwrap();
    assert_eq!((p2.status, p2.place.as_str()), (ContactStatus::Quarantined, "如家酒店 305"));
    assert_eq!(p2.exposure_at.timestamp(), earlier.timestamp());
    let p7 = store.contact(&root, p7.id).await.unwrap().unwrap();
    assert_eq!(p7.kind, ContactKind::Close);
    // Scope: a contact is seen from its own district or its case's, not from elsewhere.
    assert!(store.contact(&d2, p2.id).await.unwrap().is_none());
    assert!(store.contacts(&d2, &ContactQuery { limit: 10, ..Default::default() }).await.unwrap().is_empty());
    let counts = store.contact_counts(&[c1.id, c2.id]).await.unwrap();
    assert_eq!(counts, vec![(c1.id, cordon_store::ContactCounts { close: 2, secondary: 0 })]);
    assert!(store.case(&root, c1.id).await.unwrap().unwrap().traced_at.is_some());
    // A contact who becomes a case leaves follow-up.
    store.open_case(&root, &new_case("p2", now)).await.unwrap();
    let p2 = store.contact(&root, p2.id).await.unwrap().unwrap();
    assert_eq!(p2.status, ContactStatus::BecameCase);
    let active = ContactQuery { active_only: true, limit: 10, ..Default::default() };
    assert_eq!(store.contacts(&root, &active).await.unwrap().len(), 1);

    // Notices: a draft is published once; publishing another withdraws the first.
    let draft = |text: &str| NewNotice {
        case_id: c1.id,
        k: 5,
        text_zh: text.into(),
        text_en: text.into(),
        generalised: 1,
        at: now,
        by: "epi".into(),
    };
    let n1 = store.add_notice(&draft("一")).await.unwrap();
    let n1 = store.publish_notice(c1.id, n1.id, now, "hq").await.unwrap();
    assert_eq!(n1.status, cordon_store::NoticeStatus::Published);
    assert!(matches!(
        store.publish_notice(c1.id, n1.id, now, "hq").await.unwrap_err(),
        StoreError::Conflict(_)
    ));
    assert!(matches!(
        store.publish_notice(c2.id, n1.id, now, "hq").await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    let n2 = store.add_notice(&draft("二")).await.unwrap();
    store.publish_notice(c1.id, n2.id, now, "hq").await.unwrap();
    let statuses: Vec<&str> = store.notices(c1.id).await.unwrap().iter().map(|n| n.status.as_str()).collect();
    assert_eq!(statuses, ["published", "withdrawn"]);
}

fn sample(line: u64, tube: &str, person: &str, round: i64) -> cordon_store::SampleRow {
    cordon_store::SampleRow { line, tube_id: tube.into(), person_id: person.into(), round_id: round }
}

fn tube(line: u64, id: &str, round: i64, size: u32, at: chrono::DateTime<Utc>) -> cordon_store::NewTube {
    cordon_store::NewTube {
        line,
        tube_id: id.into(),
        round_id: round,
        site: "南门".into(),
        collected_at: at,
        size,
    }
}

fn file(sha: &str, at: chrono::DateTime<Utc>) -> cordon_store::ScanFile {
    cordon_store::ScanFile { sha256: sha.into(), name: format!("{sha}.csv"), at, by: "lab".into() }
}

async fn load(
    store: &dyn Store,
    sha: &str,
    rows: &[cordon_store::SampleRow],
    tubes: &[cordon_store::NewTube],
    zones: &[cordon_store::ZonePooling],
) -> Result<cordon_store::SamplesAdded, Vec<cordon_store::Rejected>> {
    let cordon_store::Begun::Load(mut l) = store.begin_samples(&file(sha, Utc::now())).await.unwrap() else {
        panic!("file {sha} known already");
    };
    l.rows(rows).await.unwrap();
    l.finish(tubes, zones).await.unwrap()
}

fn result(
    line: u64,
    id: &str,
    r: cordon_domain::TubeResult,
    at: chrono::DateTime<Utc>,
) -> cordon_store::ResultRow {
    cordon_store::ResultRow { line, tube_id: id.into(), result: r, reported_at: at, lab: "金域".into() }
}

async fn testing_rounds_tubes_and_tasks(store: &dyn Store) {
    use cordon_domain::TubeResult::{Invalid, Negative, Positive};
    use cordon_domain::testing::Pooling;
    use cordon_store::{TaskKind, TaskQuery};
    seed(store).await;
    // Whole seconds: PostgreSQL keeps microseconds.
    let t0 = chrono::DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap() - Duration::hours(6);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), t0).await.unwrap();
    let round = cordon_store::NewRound {
        round_key: "R1".into(),
        name: "第一轮".into(),
        area: code("c"),
        starts_at: t0,
        deadline: t0 + Duration::hours(24),
        profile_key: "ninth-edition".into(),
        at: t0,
        by: "hq".into(),
    };
    let r1 = store.create_round(&AreaPath::root(), &round).await.unwrap();
    assert!(matches!(store.create_round(&AreaPath::root(), &round).await, Err(StoreError::Conflict(_))));
    let d2 = scope_of(store, "d2").await;
    let elsewhere = cordon_store::NewRound { round_key: "R-x".into(), area: code("d1"), ..round.clone() };
    assert!(matches!(store.create_round(&d2, &elsewhere).await, Err(StoreError::NotFound(_))));
    // A round over the city is visible from a district inside it.
    assert_eq!(store.rounds(&d2, false, 10).await.unwrap().len(), 1);

    // A pool of three from two households, and a single tube.
    let rows = [
        sample(2, "T1", "p1", r1.id),
        sample(3, "T1", "p2", r1.id),
        sample(4, "T1", "p3", r1.id),
        sample(5, "T2", "p4", r1.id),
    ];
    let tubes = [tube(2, "T1", r1.id, 3, t0), tube(5, "T2", r1.id, 1, t0)];
    // Building 3 sealed: one tube per household there.
    let sealed = cordon_store::ZonePooling {
        path: scope_of(store, "b1").await,
        pooling: Pooling { max: 1, household: true },
        label: "a member lives in 封控区 3号楼".into(),
    };
    let refused = load(store, "f1", &rows, &tubes, std::slice::from_ref(&sealed)).await.unwrap_err();
    assert_eq!(refused.len(), 1);
    assert_eq!((refused[0].index, refused[0].column), (2, "tube_id"));
    assert_eq!(
        refused[0].reason,
        "tube T1 holds people from 2 households where each household is tested in its own tube (a member lives in 封控区 3号楼)"
    );
    // Nothing of it landed: the same file can come again, checked against a looser rule.
    assert!(store.tube("T1").await.unwrap().is_none());
    let controlled =
        cordon_store::ZonePooling { pooling: Pooling { max: 10, household: false }, ..sealed.clone() };
    let added = load(store, "f1", &rows, &tubes, &[controlled]).await.unwrap();
    assert_eq!((added.tubes, added.people, added.file.rows), (2, 4, 4));
    assert!(matches!(store.begin_samples(&file("f1", t0)).await.unwrap(), cordon_store::Begun::Known(_)));
    // A tube twice, an unknown person, a person twice in a tube.
    let again = load(store, "f2", &[sample(2, "T2", "p1", r1.id)], &[tube(2, "T2", r1.id, 1, t0)], &[])
        .await
        .unwrap_err();
    assert!(again[0].reason.starts_with("tube T2 was recorded already"), "{:?}", again);
    let nobody = load(store, "f3", &[sample(7, "T3", "p99", r1.id)], &[tube(7, "T3", r1.id, 1, t0)], &[])
        .await
        .unwrap_err();
    assert_eq!(
        (nobody[0].index, nobody[0].column, nobody[0].reason.as_str()),
        (7, "person_id", "p99 is not in the register")
    );
    let twice = load(
        store,
        "f4",
        &[sample(2, "T4", "p1", r1.id), sample(3, "T4", "p1", r1.id)],
        &[tube(2, "T4", r1.id, 2, t0)],
        &[],
    )
    .await
    .unwrap_err();
    assert_eq!((twice[0].index, twice[0].reason.as_str()), (3, "p1 appears twice in tube T4"));

    // The pool is positive: three people held for a retest.
    let t1 = t0 + Duration::hours(3);
    let applied = store
        .add_results(&file("r1", t1), &[result(2, "T1", Positive, t1), result(3, "T2", Negative, t1)], t1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((applied.positive, applied.negative, applied.tasks_opened), (1, 1, 3));
    assert_eq!(applied.positive_pools, vec!["T1".to_owned()]);
    assert!(applied.positive_singles.is_empty());
    let again = store.add_results(&file("r1", t1), &[], t1).await.unwrap().unwrap();
    assert!(!again.new);
    let bad = store
        .add_results(
            &file("r2", t1),
            &[
                result(2, "T1", Negative, t1),
                result(3, "T9", Negative, t1),
                result(4, "T2", Negative, t0 - Duration::hours(1)),
            ],
            t1,
        )
        .await
        .unwrap()
        .unwrap_err();
    let reasons: Vec<(usize, &str)> = bad.iter().map(|r| (r.index, r.reason.as_str())).collect();
    assert_eq!(reasons[0], (2, "tube T1 has a result already (positive, from 金域)"));
    assert_eq!(reasons[1], (3, "tube T9 was never sampled"));
    assert!(reasons.iter().any(|r| r.0 == 4 && r.1 == "tube T2 has a result already (negative, from 金域)"));
    let held = store
        .test_tasks(&AreaPath::root(), &TaskQuery { round_id: Some(r1.id), open_only: true, limit: 10 })
        .await
        .unwrap();
    assert_eq!(held.len(), 3);
    assert!(held.iter().all(|t| t.kind == TaskKind::Retest && t.tube_id == "T1"));
    // Scoped by home: district 2 sees none of them.
    assert!(
        store
            .test_tasks(&d2, &TaskQuery { round_id: None, open_only: true, limit: 10 })
            .await
            .unwrap()
            .is_empty()
    );
    let totals = store.round_totals(r1.id, &AreaPath::root()).await.unwrap();
    assert_eq!(
        (totals.people, totals.tubes, totals.positive, totals.negative, totals.open_retests),
        (4, 2, 1, 1, 3)
    );

    // Single-tube retests at the door: negative releases, positive is a case to open, invalid
    // keeps the hold and asks for a new sample.
    let t2 = t1 + Duration::hours(1);
    let retest = [sample(2, "S1", "p1", r1.id), sample(3, "S2", "p2", r1.id), sample(4, "S3", "p3", r1.id)];
    let singles = [tube(2, "S1", r1.id, 1, t2), tube(3, "S2", r1.id, 1, t2), tube(4, "S3", r1.id, 1, t2)];
    load(store, "f5", &retest, &singles, std::slice::from_ref(&sealed)).await.unwrap();
    let t3 = t2 + Duration::hours(2);
    let applied = store
        .add_results(
            &file("r3", t3),
            &[result(2, "S1", Negative, t3), result(3, "S2", Positive, t3), result(4, "S3", Invalid, t3)],
            t3,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((applied.tasks_closed, applied.tasks_opened), (2, 1));
    assert_eq!(applied.positive_singles.len(), 1);
    assert_eq!(
        (applied.positive_singles[0].person_id.as_str(), applied.positive_singles[0].collected_at),
        ("p2", t2)
    );
    let p3 = store.tasks_of(&["p3".to_owned()]).await.unwrap();
    let open: Vec<TaskKind> = p3.iter().filter(|t| t.done_at.is_none()).map(|t| t.kind).collect();
    assert_eq!(open.len(), 2, "{p3:?}");
    assert!(open.contains(&TaskKind::Retest) && open.contains(&TaskKind::Resample));
    let p1 = store.tasks_of(&["p1".to_owned()]).await.unwrap();
    assert_eq!((p1[0].outcome, p1[0].done_tube_id.as_deref()), (Some(Negative), Some("S1")));
    assert_eq!(store.tubes_of("p1", 10).await.unwrap().len(), 2);
    let members = store.tube_members(&AreaPath::root(), "T1").await.unwrap();
    assert_eq!(members.iter().map(|m| m.person_id.as_str()).collect::<Vec<_>>(), vec!["p1", "p2", "p3"]);

    // The sweep of a second round: everyone, door by door, but a case (none yet) or someone away.
    let r2 = store
        .create_round(&AreaPath::root(), &cordon_store::NewRound { round_key: "R2".into(), ..round.clone() })
        .await
        .unwrap();
    let (first, total) = store.sweep(r2.id, &AreaPath::root(), 2).await.unwrap();
    assert_eq!((first.len(), total), (2, 4));
    store.open_case(&AreaPath::root(), &new_case("p4", t3)).await.unwrap();
    let (all, total) = store.sweep(r2.id, &AreaPath::root(), 10).await.unwrap();
    assert_eq!(total, 3);
    assert!(all.iter().all(|p| p.person_id.as_str() != "p4"));
    // A contact taken to a quarantine hotel is away; one quarantined at home is knocked for.
    let contact = cordon_store::NewContact {
        person_id: "p3".into(),
        kind: cordon_domain::ContactKind::Close,
        source: cordon_domain::ContactSource::Household,
        via_person_id: "p4".into(),
        venue_id: None,
        exposure_at: t3,
        quarantine_from: t3.date_naive(),
    };
    let case = store.case_of_person("p4").await.unwrap().unwrap();
    store.save_contacts(case, &[contact], t3, "epi").await.unwrap();
    let id = store
        .contacts(&AreaPath::root(), &cordon_store::ContactQuery { limit: 10, ..Default::default() })
        .await
        .unwrap()[0]
        .id;
    let quarantined = cordon_domain::ContactStatus::Quarantined;
    store.update_contact(id, quarantined, "", t3, "epi").await.unwrap();
    assert_eq!(store.sweep(r2.id, &AreaPath::root(), 2).await.unwrap().1, 3, "at home: still knocked for");
    store.update_contact(id, quarantined, "如家酒店 305", t3, "epi").await.unwrap();
    assert_eq!(store.sweep(r2.id, &AreaPath::root(), 2).await.unwrap().1, 2, "in a hotel: away");
    assert_eq!(store.sweep(r2.id, &AreaPath::root(), 10).await.unwrap().1, 2);
    store.update_contact(id, quarantined, "", t3, "epi").await.unwrap();
    let (b1, _) = store.sweep(r2.id, &scope_of(store, "b1").await, 10).await.unwrap();
    // Door by door (household 501, then 502), by name inside a household.
    assert_eq!(b1.iter().map(|p| p.person_id.as_str()).collect::<Vec<_>>(), vec!["p2", "p1", "p3"]);
    assert_eq!(
        store.sampled_under(r1.id, &[scope_of(store, "d1").await, d2.clone()]).await.unwrap(),
        vec![3, 1]
    );

    let closed = store.close_round(r1.id, t3, "hq").await.unwrap();
    assert_eq!(closed.closed_by.as_deref(), Some("hq"));
    assert!(matches!(store.close_round(r1.id, t3, "hq").await, Err(StoreError::Conflict(_))));
    assert_eq!(store.rounds(&AreaPath::root(), false, 10).await.unwrap().len(), 1);
    assert_eq!(store.rounds(&AreaPath::root(), true, 10).await.unwrap().len(), 2);
}

both!(
    figures_per_day_briefings_and_export_pages,
    needs_timeline_board_and_sweep,
    workforce_checkins_sites_and_assignments,
    gates_passes_and_the_log,
    testing_rounds_tubes_and_tasks,
    cases_contacts_and_notices,
    register_and_scopes,
    second_import_adds_and_refuses_duplicates,
    an_import_dropped_before_commit_leaves_nothing,
    users_sessions_and_audit,
    zones_history_and_scope,
);

/// ID numbers and phones are sealed: not in the tables in clear, found by their blind index,
/// re-sealed under a new key while still found, and a key file without their key is refused.
async fn sealed_at_rest(db: Db) {
    let store = &*db.store;
    seed(store).await;
    let root = AreaPath::root();
    let by_id = PeopleQuery::IdNumber("11010519491231002X".into());
    let by_phone = PeopleQuery::Phone("13800000003".into());
    let names = |v: Vec<cordon_store::PersonRecord>| v.into_iter().map(|p| p.name).collect::<Vec<_>>();

    // A need's contact phone is sealed too, and opens on the way out.
    let now = Utc::now();
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap();
    let rule = cordon_domain::needs::NeedRule {
        category: "medicine".into(),
        priority: cordon_domain::needs::Priority::Urgent,
        acknowledge_minutes: 30,
        resolve_minutes: 240,
        escalate_minutes: 30,
    };
    let new_need = cordon_store::NewNeed {
        household: code("h1"),
        person_id: Some("p1".into()),
        category: cordon_domain::needs::NeedCategory::Medicine,
        emergency: false,
        contact_phone: Some("13712345678".into()),
        description: "insulin".into(),
        rung: cordon_domain::needs::Rung::Cadre,
        owner_worker: None,
        profile_key: "ninth-edition".into(),
        pass_id: None,
        plan_key: None,
        at: now,
        by: "cadre".into(),
    };
    let need = store.create_need(&root, &new_need, &rule).await.unwrap();
    assert_eq!(need.contact_phone.as_deref(), Some("13712345678"));

    // A register from before sealing: the clear columns back, holding the numbers, as
    // migration 0014 finds an older database. Opening it seals them and drops the columns.
    drop(db.store);
    raw(
        &db.url,
        "ALTER TABLE people ADD COLUMN id_number TEXT; ALTER TABLE people ADD COLUMN phone TEXT; \
         ALTER TABLE needs ADD COLUMN contact_phone TEXT; \
         UPDATE people SET id_number = '11010519491231002X', id_sealed = NULL, id_index = NULL WHERE person_id = 'p1'; \
         UPDATE people SET phone = '13800000003', phone_sealed = NULL, phone_index = NULL WHERE person_id = 'p3'; \
         UPDATE needs SET contact_phone = '13712345678', contact_sealed = NULL;",
    );
    let store = cordon_store::connect(&db.url, Keyring::parse(&db.keys).unwrap()).await.unwrap();
    assert_eq!(names(store.search_people(&root, &by_id, 10).await.unwrap()), ["王芳"]);
    assert_eq!(names(store.search_people(&root, &by_phone, 10).await.unwrap()), ["李娜"]);
    assert_eq!(
        store.need(&root, need.id).await.unwrap().unwrap().contact_phone.as_deref(),
        Some("13712345678")
    );
    drop(store);

    // Opened again with a second key put first: the values sealed under the first are still
    // read and still found (by the first key's blind index).
    let two = Keyring::parse(&db.keys).unwrap().with_new_key();
    let old_id = Keyring::parse(&db.keys).unwrap().current();
    let store = cordon_store::connect(&db.url, Keyring::parse(&two.to_text()).unwrap()).await.unwrap();
    assert_eq!(names(store.search_people(&root, &by_id, 10).await.unwrap()), ["王芳"]);
    assert_eq!(names(store.search_people(&root, &by_phone, 10).await.unwrap()), ["李娜"]);

    // Rotated: everything under the new key; the old key can go.
    let done = store.rotate_keys().await.unwrap();
    assert_eq!((done.people, done.needs, done.key.as_str()), (4, 1, two.current().as_str()));
    assert_eq!(store.rotate_keys().await.unwrap().people, 0, "a second rotation has nothing to do");
    drop(store);
    let only_new =
        Keyring::parse(two.to_text().lines().take(3).collect::<Vec<_>>().join("\n").as_str()).unwrap();
    assert_eq!(only_new.ids(), [two.current()]);
    let store = cordon_store::connect(&db.url, only_new).await.unwrap();
    let p1 = store.person(&root, &PersonId::parse("p1").unwrap()).await.unwrap().unwrap();
    assert_eq!(p1.id_number.as_deref(), Some("11010519491231002X"));
    assert_eq!(names(store.search_people(&root, &by_id, 10).await.unwrap()), ["王芳"]);
    let need = store.need(&root, need.id).await.unwrap().unwrap();
    assert_eq!(need.contact_phone.as_deref(), Some("13712345678"));
    drop(store);

    // A key file of another key entirely is refused by name, before anything is read.
    let e = cordon_store::connect(&db.url, Keyring::generate()).await.err().expect("refused").to_string();
    assert!(e.contains(&two.current()) && e.contains("does not have"), "{e}");
    assert!(!e.contains(&old_id), "the rotated-away key is no longer needed: {e}");
}

/// Runs SQL on the database behind the store's back, with the database's own client.
fn raw(url: &str, sql: &str) {
    let out = match url.strip_prefix("sqlite://") {
        Some(file) => std::process::Command::new("sqlite3").arg(file).arg(sql).output(),
        None => std::process::Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql]).output(),
    }
    .expect("the database's client");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn sealed_at_rest_on_sqlite() {
    let db = sqlite().await;
    let file = db.url.trim_start_matches("sqlite://").to_owned();
    sealed_at_rest(db).await;
    // Nor in the file, its journal, or anywhere on disk beside it.
    for path in [file.clone(), format!("{file}-wal")] {
        let bytes = std::fs::read(&path).unwrap_or_default();
        for needle in ["11010519491231002X", "13800000003", "13712345678"] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} in {path}");
        }
    }
}

#[tokio::test]
async fn sealed_at_rest_on_postgres() {
    if let Some(db) = postgres().await {
        sealed_at_rest(db).await;
    }
}
