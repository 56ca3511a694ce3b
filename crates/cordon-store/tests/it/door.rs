//! 扫楼 on both backends: a round's doors recorded whole or not at all, the list shrinking by the
//! outcomes that settle a person, someone found registered with their visit, a move out of the
//! city written to the register, and the round's figures of doors and home visits.

use chrono::{Duration, Utc};
use cordon_domain::door::{DoorOutcome, HomeVisitRule};
use cordon_domain::{AreaPath, PersonId, PersonStatus, Sex, Tags};
use cordon_store::{DoorCounts, DoorEntry, DoorWrite, Store, StoreError};

use crate::*;

async fn doors_recorded_whole(store: &dyn Store) {
    seed(store).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap();
    let root = AreaPath::root();
    let round = cordon_store::NewRound {
        round_key: "R9".into(),
        name: "第九轮".into(),
        name_en: String::new(),
        area: code("d1"),
        starts_at: now - Duration::hours(3),
        deadline: now + Duration::hours(9),
        profile_key: "ninth-edition".into(),
        at: now - Duration::hours(3),
        by: "hq".into(),
    };
    let r = store.create_round(&root, &round).await.unwrap();
    let d1 = scope_of(store, "d1").await;
    let listed = |root: &AreaPath| {
        let root = root.clone();
        async move {
            let (people, total) = store.sweep(r.id, &root, None, 10).await.unwrap();
            // Sorted here: a household's members come by name, whose order is each backend's.
            let mut ids: Vec<String> = people.into_iter().map(|p| p.person_id.as_str().to_owned()).collect();
            ids.sort();
            (ids, total)
        }
    };
    assert_eq!(listed(&d1).await, (vec!["p1".into(), "p2".into(), "p3".into()], 3));
    let (p1, p2, p3, p4) = ["p1", "p2", "p3", "p4"].map(|p| PersonId::parse(p).unwrap()).into();
    let door = |person, outcome, reason| DoorEntry::Listed { person, outcome, reason, left_city: false };
    let write = |entries| DoorWrite { round_id: r.id, area: &d1, by: "grid", at: now, entries, action: None };

    // One door outside the round's area: nothing of the request is written.
    let bad = [door(&p1, DoorOutcome::NotHome, ""), door(&p4, DoorOutcome::Refused, "不开门")];
    let err = store.record_doors(&write(&bad)).await.unwrap_err();
    assert!(matches!(&err, StoreError::NotFound(m) if m.starts_with("entries[1]")), "{err:?}");
    assert!(store.doors_of(r.id, &["p1".into()]).await.unwrap().is_empty());

    // Not at home twice: still listed, both visits kept. Refused: off the list.
    let first = [door(&p1, DoorOutcome::NotHome, ""), door(&p2, DoorOutcome::Refused, "说已在单位做过")];
    store.record_doors(&write(&first)).await.unwrap();
    let again = [door(&p1, DoorOutcome::NotHome, "")];
    store.record_doors(&write(&again)).await.unwrap();
    assert_eq!(listed(&d1).await, (vec!["p1".into(), "p3".into()], 2));
    let visits = store.doors_of(r.id, &["p1".into(), "p2".into()]).await.unwrap();
    assert_eq!(visits.iter().filter(|v| v.person_id == "p1" && v.outcome == DoorOutcome::NotHome).count(), 2);
    assert_eq!(visits.iter().find(|v| v.person_id == "p2").unwrap().reason, "说已在单位做过");
    // From a phone's queue: kept once under the phone's id; sent again, refused by the database,
    // and the first found by its id.
    let queued = [door(&p1, DoorOutcome::NotHome, "")];
    let from_phone = DoorWrite { action: Some("door-phone-0001"), ..write(&queued) };
    let kept = store.record_doors(&from_phone).await.unwrap();
    assert!(store.record_doors(&from_phone).await.is_err(), "a second write under the same id");
    assert_eq!(store.door_by_action("door-phone-0001").await.unwrap(), Some(kept[0].clone()));
    assert_eq!(store.door_by_action("door-phone-0002").await.unwrap(), None);

    // Someone found in h2 and sampled on the spot, and 李娜 (p3) gone from the city: the register
    // holds the new person and p3's standing, both in the same transaction as the visits.
    let (h2, tags) = (code("h2"), Tags::parse("bedridden").unwrap());
    let found = cordon_store::NewPerson {
        scope: &d1,
        name: "李大爷",
        id_number: None,
        phone: None,
        birth_year: Some(1938),
        sex: Sex::Male,
        household: &h2,
        tags: &tags,
        by: "grid",
        reason: "入户发现",
        at: now,
    };
    let entries = [
        DoorEntry::Found { person: found.clone(), sampled: true },
        DoorEntry::Listed {
            person: &p3,
            outcome: DoorOutcome::MovedOut,
            reason: "已回老家",
            left_city: true,
        },
    ];
    let kept = store.record_doors(&write(&entries)).await.unwrap();
    let outcomes: Vec<_> = kept.iter().map(|k| k.outcome).collect();
    assert_eq!(outcomes, [DoorOutcome::Found, DoorOutcome::Sampled, DoorOutcome::MovedOut]);
    let new_id = PersonId::parse(&kept[0].person_id).unwrap();
    assert!(new_id.is_registered_here());
    assert_eq!(store.person(&root, &p3).await.unwrap().unwrap().status, PersonStatus::MovedOut);
    let lines = store.person_changes(&p3, 5).await.unwrap();
    assert_eq!((lines[0].change.as_str(), lines[0].reason.as_str()), ("status", "扫楼: 已回老家"));
    assert_eq!(listed(&d1).await, (vec!["p1".into()], 1));

    // A found person's household outside the round's area: refused whole, no one registered.
    let h3 = code("h3");
    let outside = [
        door(&p1, DoorOutcome::NotHome, ""),
        DoorEntry::Found {
            person: cordon_store::NewPerson { household: &h3, ..found.clone() },
            sampled: false,
        },
    ];
    let err = store.record_doors(&write(&outside)).await.unwrap_err();
    assert!(matches!(&err, StoreError::NotFound(m) if m.starts_with("entries[1]")), "{err:?}");
    assert_eq!(store.doors_of(r.id, &["p1".into()]).await.unwrap().len(), 3, "two by hand, one from a phone");

    // The figures: each person once; p1 still to visit; the home visits still to make are the
    // people the rule names who are neither sampled nor settled (李大爷 was sampled at the door).
    let rule = HomeVisitRule::default();
    let counts = store.door_counts(r.id, &d1, &rule, 2026).await.unwrap();
    assert_eq!(
        counts,
        DoorCounts { sampled: 1, not_home: 1, moved_out: 1, refused: 1, found: 1, home_visits: 0 }
    );
    let dialysis =
        HomeVisitRule { tagged: vec![cordon_domain::Tag::parse("dialysis").unwrap()], age_from: None };
    assert_eq!(store.door_counts(r.id, &d1, &dialysis, 2026).await.unwrap().home_visits, 1, "p1");
    let old = HomeVisitRule { tagged: vec![], age_from: Some(46) };
    assert_eq!(store.door_counts(r.id, &d1, &old, 2026).await.unwrap().home_visits, 1, "p1, born 1980");
    // Another area's figures hold none of them.
    let d2 = scope_of(store, "d2").await;
    assert_eq!(store.door_counts(r.id, &d2, &rule, 2026).await.unwrap(), DoorCounts::default());
}

both!(doors_recorded_whole);
