//! The workforce on both backends: check-ins, sites and assignments.

use chrono::{Duration, Utc};
use cordon_domain::{AreaLevel, EventKind, Tier};
use cordon_store::{Store, StoreError};

use crate::*;

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
        kind: cordon_domain::isolation::SiteKind::Hotel,
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
        duty_phone: Some("0471-6961234".into()),
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

/// 报到 from one's phone: a sign-in linked to its worker (one sign-in a worker, a line in the
/// user's changes), and the worker's shifts — one open at a time, ended, the latest of each read.
async fn sign_ins_linked_and_shifts_kept(store: &dyn Store) {
    use cordon_domain::workforce::{Rank, WorkerRow};
    seed(store).await;
    let t0 = "2022-02-10T08:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
    let worker = |id: &str| WorkerRow {
        worker_id: id.into(),
        name: format!("干部{id}"),
        phone: None,
        organisation: "市委组织部".into(),
        party_member: true,
        rank: Rank::Staff,
    };
    store.put_workers(&[worker("W1"), worker("W2")], t0).await.unwrap();
    for name in ["li", "zhao"] {
        let new = cordon_store::NewUser {
            username: name.into(),
            display_name: name.into(),
            role: cordon_domain::Role::Cadre,
            scope: code("b1"),
            password_hash: "x".into(),
            created_by: "test".into(),
        };
        store.create_user(&new).await.unwrap();
    }
    let link = |user, worker| cordon_store::UserChange {
        username: user,
        by: "boss",
        at: t0,
        reason: Some("本人手机报到"),
        worker: Some(worker),
        ..Default::default()
    };
    let li = store.change_user(&link("li", Some("W1"))).await.unwrap().unwrap();
    assert_eq!(li.worker_id.as_deref(), Some("W1"));
    let lines = store.user_changes("li", 5).await.unwrap();
    assert_eq!((lines[0].change.as_str(), lines[0].after.as_deref()), ("worker", Some("W1")));
    // One sign-in a worker; a worker that does not exist: refused, nothing changed.
    assert!(matches!(store.change_user(&link("zhao", Some("W1"))).await, Err(StoreError::Conflict(_))));
    assert!(matches!(store.change_user(&link("zhao", Some("W9"))).await, Err(StoreError::Invalid(_))));
    assert_eq!(store.user_by_name("zhao").await.unwrap().unwrap().worker_id, None);
    // Unlinked, the worker is free for another.
    assert_eq!(store.change_user(&link("li", None)).await.unwrap().unwrap().worker_id, None);
    assert_eq!(
        store.change_user(&link("zhao", Some("W1"))).await.unwrap().unwrap().worker_id.as_deref(),
        Some("W1")
    );

    // Shifts: one open at a time; ended; a second one after.
    let d1 = code("d1");
    let first = store.start_shift("W1", &d1, t0, "zhao").await.unwrap();
    assert!(matches!(
        store.start_shift("W1", &d1, t0 + Duration::hours(1), "zhao").await,
        Err(StoreError::Conflict(_))
    ));
    let ended = store.end_shift("W1", t0 + Duration::hours(11)).await.unwrap().unwrap();
    assert_eq!((ended.id, ended.ended_at), (first.id, Some(t0 + Duration::hours(11))));
    assert!(store.end_shift("W1", t0 + Duration::hours(12)).await.unwrap().is_none(), "none open");
    let second = store.start_shift("W1", &d1, t0 + Duration::hours(20), "zhao").await.unwrap();
    store.start_shift("W2", &d1, t0, "boss").await.unwrap();
    let latest = store.latest_shifts(&["W1".into(), "W2".into(), "W3".into()]).await.unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!((latest["W1"].id, latest["W1"].ended_at), (second.id, None));
}

both!(workforce_checkins_sites_and_assignments, sign_ins_linked_and_shifts_kept);
