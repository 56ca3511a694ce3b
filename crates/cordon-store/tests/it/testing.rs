//! Testing on both backends: rounds, tubes and tasks.

use chrono::{Duration, Utc};
use cordon_domain::AreaPath;
use cordon_store::{Store, StoreError};

use crate::*;

pub(crate) fn sample(line: u64, tube: &str, person: &str, round: i64) -> cordon_store::SampleRow {
    cordon_store::SampleRow { line, tube_id: tube.into(), person_id: person.into(), round_id: round }
}

pub(crate) fn tube(
    line: u64,
    id: &str,
    round: i64,
    size: u32,
    at: chrono::DateTime<Utc>,
) -> cordon_store::NewTube {
    cordon_store::NewTube {
        line,
        tube_id: id.into(),
        round_id: round,
        site: "南门".into(),
        collected_at: at,
        size,
    }
}

pub(crate) fn file(sha: &str, at: chrono::DateTime<Utc>) -> cordon_store::ScanFile {
    cordon_store::ScanFile { sha256: sha.into(), name: format!("{sha}.csv"), at, by: "lab".into() }
}

pub(crate) async fn load(
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

pub(crate) fn result(
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
        name_en: String::new(),
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
    // Each of them is told to stay in for a sampler at the door, in the results' transaction.
    let told = store.due_messages(t1, 100).await.unwrap();
    let mut told: Vec<&str> = told
        .iter()
        .filter(|m| m.kind == cordon_domain::outbox::MessageKind::DoorRetest)
        .map(|m| m.recipient.as_str())
        .collect();
    told.sort();
    assert_eq!(told, ["p1", "p2", "p3"]);
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
    // Each readable single tube's person is told their result is in (not what it is); the
    // unreadable one is told to stay in for a new sample instead.
    let mut ready: Vec<String> = store
        .due_messages(t3, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == cordon_domain::outbox::MessageKind::ResultReady)
        .map(|m| {
            assert_eq!(m.params, serde_json::json!({}), "no result in the message");
            m.recipient
        })
        .collect();
    ready.sort();
    // p4's too: T2, earlier, was their tube alone.
    assert_eq!(ready, ["p1", "p2", "p4"]);
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
    let (first, total) = store.sweep(r2.id, &AreaPath::root(), None, 2).await.unwrap();
    assert_eq!((first.len(), total), (2, 4));
    store.open_case(&AreaPath::root(), &new_case("p4", t3)).await.unwrap();
    let (all, total) = store.sweep(r2.id, &AreaPath::root(), None, 10).await.unwrap();
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
        plan_ends: None,
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
    assert_eq!(
        store.sweep(r2.id, &AreaPath::root(), None, 2).await.unwrap().1,
        3,
        "at home: still knocked for"
    );
    store.update_contact(id, quarantined, "如家酒店 305", t3, "epi").await.unwrap();
    assert_eq!(store.sweep(r2.id, &AreaPath::root(), None, 2).await.unwrap().1, 2, "in a hotel: away");
    assert_eq!(store.sweep(r2.id, &AreaPath::root(), None, 10).await.unwrap().1, 2);
    store.update_contact(id, quarantined, "", t3, "epi").await.unwrap();
    let b1_path = scope_of(store, "b1").await;
    let (b1, _) = store.sweep(r2.id, &b1_path, None, 10).await.unwrap();
    // Door by door (household 501, then 502), by name inside a household.
    assert_eq!(b1.iter().map(|p| p.person_id.as_str()).collect::<Vec<_>>(), vec!["p2", "p1", "p3"]);
    // Page by page, each going on after the last one shown, with the whole list's count each time.
    let (page1, total1) = store.sweep(r2.id, &b1_path, None, 2).await.unwrap();
    let (page2, total2) = store.sweep(r2.id, &b1_path, Some("p1"), 2).await.unwrap();
    let ids = |v: &[cordon_store::PersonRecord]| {
        v.iter().map(|p| p.person_id.as_str().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!((ids(&page1), total1), (vec!["p2".to_owned(), "p1".to_owned()], 3));
    assert_eq!(
        (ids(&page2), total2),
        (vec!["p3".to_owned()], 3),
        "the last page still counts the whole list"
    );
    assert!(store.sweep(r2.id, &b1_path, Some("p3"), 2).await.unwrap().0.is_empty());
    assert!(matches!(store.sweep(r2.id, &b1_path, Some("nobody"), 2).await, Err(StoreError::NotFound(_))));
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

both!(testing_rounds_tubes_and_tasks);
