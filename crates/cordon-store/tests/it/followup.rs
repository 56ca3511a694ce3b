//! 医学观察 on both backends: a contact's samples and health checks read back, the contacts due
//! found by their plan's end, and the release landing only on those still followed up.

use chrono::{Duration, Utc};
use cordon_domain::followup::{HealthCheck, Symptom};
use cordon_domain::{AreaPath, ContactKind, ContactSource, ContactStatus, TubeResult};
use cordon_store::{ContactQuery, NewContact, Store, StoreError};

use crate::testing::{file, load, result, sample, tube};
use crate::*;

async fn contacts_followed_to_release(store: &dyn Store) {
    seed(store).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap();
    let root = AreaPath::root();
    let start = now - Duration::days(12);
    let case = store.open_case(&root, &new_case("p4", start)).await.unwrap();
    let today = now.date_naive();
    let contact = |person: &str, plan_ends| NewContact {
        person_id: person.into(),
        kind: ContactKind::Close,
        source: ContactSource::Household,
        via_person_id: "p4".into(),
        venue_id: None,
        exposure_at: start,
        quarantine_from: start.date_naive(),
        plan_ends,
    };
    let contacts = [
        contact("p1", Some(today - Duration::days(2))),
        contact("p2", Some(today + Duration::days(3))),
        contact("p3", None),
    ];
    store.save_contacts(case.id, &contacts, start, "epi").await.unwrap();
    let all = store.contacts(&root, &ContactQuery { limit: 10, ..Default::default() }).await.unwrap();
    let id = |p: &str| all.iter().find(|c| c.person_id == p).unwrap().id;
    assert_eq!(all.iter().find(|c| c.person_id == "p2").unwrap().plan_ends, Some(today + Duration::days(3)));

    // A single tube of p1's, negative: read back with its result and report.
    let round = cordon_store::NewRound {
        round_key: "密接".into(),
        name: "密接核酸".into(),
        area: code("c"),
        starts_at: start,
        deadline: now,
        profile_key: "ninth-edition".into(),
        at: start,
        by: "hq".into(),
    };
    let r = store.create_round(&root, &round).await.unwrap();
    let sampled = start + Duration::hours(2);
    load(store, "s1", &[sample(2, "C1", "p1", r.id)], &[tube(2, "C1", r.id, 1, sampled)], &[]).await.unwrap();
    let reported = sampled + Duration::hours(6);
    store
        .add_results(&file("r1", reported), &[result(2, "C1", TubeResult::Negative, reported)], reported)
        .await
        .unwrap()
        .unwrap();
    let samples = store.samples_of(&["p1".into(), "p2".into()]).await.unwrap();
    assert_eq!(samples.len(), 1);
    assert_eq!(
        (samples[0].person_id.as_str(), samples[0].sample.collected_at, samples[0].sample.result),
        ("p1", sampled, Some(TubeResult::Negative))
    );
    assert_eq!(samples[0].sample.reported_at, Some(reported));

    // Health checks: kept with their symptoms, oldest first; none for a contact that is not.
    let fever =
        HealthCheck::new(now - Duration::hours(3), 37.9, vec![Symptom::SoreThroat, Symptom::Cough]).unwrap();
    let well = HealthCheck::new(now - Duration::hours(30), 36.5, vec![]).unwrap();
    store.add_check(id("p1"), &fever, "gongzhufu").await.unwrap();
    store.add_check(id("p1"), &well, "gongzhufu").await.unwrap();
    assert!(matches!(store.add_check(999_999, &well, "x").await, Err(StoreError::NotFound(_))));
    let checks = store.checks(&[id("p1"), id("p2")]).await.unwrap();
    assert_eq!(checks.iter().map(|c| c.check.temperature).collect::<Vec<_>>(), [365, 379]);
    assert_eq!(checks[1].check.symptoms, [Symptom::Cough, Symptom::SoreThroat]);
    assert_eq!(checks[1].recorded_by, "gongzhufu");

    // Due: the plan ended, or its end not recorded; a recorded end ahead is not.
    let due = |after| async move {
        store
            .due_contacts(today, after, 10)
            .await
            .unwrap()
            .iter()
            .map(|c| c.person_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(due(0).await, ["p1", "p3"]);
    assert_eq!(due(id("p1")).await, ["p3"], "paged by id");
    store.set_plan_ends(&[(id("p3"), today + Duration::days(1))]).await.unwrap();
    assert_eq!(due(0).await, ["p1"]);

    // A contact who became a case is linked to it, and a release passes them by.
    let c2 = store.open_case(&root, &new_case("p2", now)).await.unwrap();
    let p2 = store.contact(&root, id("p2")).await.unwrap().unwrap();
    assert_eq!((p2.status, p2.became_case_id), (ContactStatus::BecameCase, Some(c2.id)));
    let released = store.release_contacts(&[id("p1"), id("p2")], now, "cordon").await.unwrap();
    assert_eq!(released, 1);
    let p1 = store.contact(&root, id("p1")).await.unwrap().unwrap();
    assert_eq!((p1.status, p1.released_at), (ContactStatus::Released, Some(now)));
    assert_eq!(store.release_contacts(&[id("p1")], now, "cordon").await.unwrap(), 0, "once");
    assert!(due(0).await.is_empty());

    // The figures: p3 under management; p1 released in the window, not before it.
    let counts =
        store.followup_counts(&root, now - Duration::hours(1), now + Duration::hours(1)).await.unwrap();
    assert_eq!((counts.managed, counts.released_in_window), (1, 1));
    let d2 = scope_of(store, "d2").await;
    let counts =
        store.followup_counts(&d2, now - Duration::hours(1), now + Duration::hours(1)).await.unwrap();
    assert_eq!((counts.managed, counts.released_in_window), (0, 0), "p1 and p3 live in d1");
    let before =
        store.followup_counts(&root, now - Duration::hours(3), now - Duration::hours(1)).await.unwrap();
    assert_eq!(before.released_in_window, 0);

    // Released by hand: when, kept through a later edit, cleared when taken back.
    let by_hand = |status| store.update_contact(id("p3"), status, "", now, "gongzhufu");
    assert_eq!(by_hand(ContactStatus::Released).await.unwrap().released_at, Some(now));
    let later =
        store.update_contact(id("p3"), ContactStatus::Released, "", now + Duration::hours(1), "x").await;
    assert_eq!(later.unwrap().released_at, Some(now));
    assert_eq!(by_hand(ContactStatus::Quarantined).await.unwrap().released_at, None);
}

both!(contacts_followed_to_release);
