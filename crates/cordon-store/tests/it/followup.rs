//! 医学观察 on both backends: a contact's samples and health checks read back, the contacts due
//! found by their plan's end, and the release landing only on those still followed up.

use chrono::{Duration, Utc};
use cordon_domain::followup::{HealthCheck, Symptom};
use cordon_domain::{AreaPath, ContactKind, ContactSource, ContactStatus, TubeResult};
use cordon_store::{ContactQuery, DueRange, NewContact, Store, StoreError};

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
        name_en: String::new(),
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
    store.add_check(id("p1"), &fever, "gongzhufu", None).await.unwrap();
    store.add_check(id("p1"), &well, "gongzhufu", Some("check-test-0001")).await.unwrap();
    assert!(matches!(store.add_check(999_999, &well, "x", None).await, Err(StoreError::NotFound(_))));
    let checks = store.checks(&[id("p1"), id("p2")]).await.unwrap();
    assert_eq!(checks.iter().map(|c| c.check.temperature).collect::<Vec<_>>(), [365, 379]);
    assert_eq!(checks[1].check.symptoms, [Symptom::Cough, Symptom::SoreThroat]);
    assert_eq!(checks[1].recorded_by, "gongzhufu");
    // A check a phone sent under its own id: found by it, and kept once.
    assert_eq!(store.check_by_action("check-test-0001").await.unwrap().map(|c| c.id), Some(checks[0].id));
    assert!(store.check_by_action("check-test-9999").await.unwrap().is_none());
    assert!(store.add_check(id("p1"), &well, "gongzhufu", Some("check-test-0001")).await.is_err());
    assert_eq!(store.checks(&[id("p1")]).await.unwrap().len(), 2);

    // Due: the plan ended, found on its index in the order of (end, id) with the samples and
    // the latest check up to the moment read at; an end not recorded is read apart, to record.
    let unplanned = store.unplanned_contacts(0, 10).await.unwrap();
    assert_eq!(unplanned.iter().map(|c| c.person_id.as_str()).collect::<Vec<_>>(), ["p3"]);
    assert_eq!((unplanned[0].kind, unplanned[0].quarantine_from), (ContactKind::Close, start.date_naive()));
    assert_eq!(unplanned[0].case_profile_key, "ninth-edition");
    let due = |today, at, after| async move {
        let plans = store.due_plans(today, at, DueRange { after, through: None }).await.unwrap();
        plans.iter().map(|p| p.contact.person_id.clone()).collect::<Vec<_>>()
    };
    let plans = store.due_plans(today, now, DueRange::default()).await.unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!((plans[0].contact.person_id.as_str(), plans[0].samples.len()), ("p1", 1));
    assert_eq!(plans[0].samples[0].result, Some(TubeResult::Negative));
    assert_eq!(plans[0].last_check.as_ref().map(|c| c.temperature), Some(379), "the latest check");
    let earlier = store.due_plans(today, now - Duration::hours(4), DueRange::default()).await.unwrap();
    assert_eq!(earlier[0].last_check.as_ref().map(|c| c.temperature), Some(365), "none after the moment");
    let p1_end = (today - Duration::days(2), id("p1"));
    assert!(due(today, now, Some(p1_end)).await.is_empty(), "paged by (end, id)");
    store.set_plan_ends(&[(id("p3"), today - Duration::days(1))]).await.unwrap();
    assert!(store.unplanned_contacts(0, 10).await.unwrap().is_empty());
    assert_eq!(due(today, now, None).await, ["p1", "p3"]);
    assert_eq!(due(today, now, Some(p1_end)).await, ["p3"]);
    assert_eq!(due(today - Duration::days(2), now, None).await, ["p1"]);
    // Cut in stretches to read side by side: each through the last key of its size, the last
    // one open; together, each contact due once.
    let p3_end = (today - Duration::days(1), id("p3"));
    let stretches = store.due_stretches(today, 1).await.unwrap();
    let cut = [(None, Some(p1_end)), (Some(p1_end), Some(p3_end)), (Some(p3_end), None)];
    assert_eq!(stretches, cut.map(|(after, through)| DueRange { after, through }));
    let mut read = Vec::new();
    for range in stretches {
        let plans = store.due_plans(today, now, range).await.unwrap();
        read.extend(plans.into_iter().map(|p| p.contact.person_id));
    }
    assert_eq!(read, ["p1", "p3"]);
    assert_eq!(
        store.due_stretches(today, 2).await.unwrap(),
        [DueRange { after: None, through: Some(p3_end) }, DueRange { after: Some(p3_end), through: None }]
    );
    assert_eq!(store.due_stretches(today - Duration::days(2), 5).await.unwrap(), [DueRange::default()]);
    let within = DueRange { after: None, through: Some(p1_end) };
    assert_eq!(store.due_plans(today, now, within).await.unwrap().len(), 1, "through its last key");
    // A stretch that begins and ends on one day: bounded by both ids.
    let one_day = |after: i64, through: i64| DueRange {
        after: Some((p1_end.0, after)),
        through: Some((p1_end.0, through)),
    };
    assert_eq!(store.due_plans(today, now, one_day(id("p1") - 1, id("p1"))).await.unwrap().len(), 1);
    assert!(store.due_plans(today, now, one_day(id("p1"), id("p1"))).await.unwrap().is_empty());
    assert!(store.due_plans(today, now, one_day(id("p1") - 2, id("p1") - 1)).await.unwrap().is_empty());

    // 应检未检: marked by the day the quarantine began, where no readable sample lies in the
    // window; looked at again when one lands in it.
    assert_eq!(store.earliest_followed().await.unwrap(), Some(start.date_naive()));
    let window = |from, until| cordon_store::TestWindow {
        profile_key: "ninth-edition".into(),
        kind: ContactKind::Close,
        quarantine_from: start.date_naive(),
        window: cordon_store::Missed { from, until },
    };
    let around = window(sampled - Duration::hours(1), Some(sampled + Duration::hours(1)));
    assert_eq!(store.mark_overdue(&around).await.unwrap(), 2, "p2 and p3; p1 gave a sample");
    assert_eq!(store.mark_overdue(&around).await.unwrap(), 0, "once");
    let other_start = cordon_store::TestWindow { quarantine_from: today, ..around.clone() };
    assert_eq!(store.mark_overdue(&other_start).await.unwrap(), 0);
    let after_it = window(sampled + Duration::hours(1), None);
    assert_eq!(store.mark_overdue(&after_it).await.unwrap(), 1, "p1, with nothing after");
    let overdue = ContactQuery { overdue_only: true, active_only: true, limit: 10, ..Default::default() };
    let listed = store.contacts(&root, &overdue).await.unwrap();
    assert_eq!(listed.len(), 3);
    let p3 = listed.iter().find(|c| c.person_id == "p3").unwrap();
    assert_eq!(p3.overdue_since, Some(sampled - Duration::hours(1)));
    let counts = store.followup_counts(&root, now, now).await.unwrap();
    assert_eq!((counts.managed, counts.overdue), (3, 3));
    assert!(store.made_up_plans(now, 0, 10).await.unwrap().is_empty(), "nobody sampled in their window");
    // p3 gives a sample in the window (a tube recorded late): looked at again, and cleared.
    load(store, "s2", &[sample(2, "C2", "p3", r.id)], &[tube(2, "C2", r.id, 1, sampled)], &[]).await.unwrap();
    let again = store.made_up_plans(now, 0, 10).await.unwrap();
    assert_eq!(again.iter().map(|p| p.contact.person_id.as_str()).collect::<Vec<_>>(), ["p3"]);
    assert_eq!((again[0].samples.len(), again[0].samples[0].result), (1, None));
    store.set_overdue(&[(id("p3"), None)]).await.unwrap();
    assert!(store.made_up_plans(now, 0, 10).await.unwrap().is_empty());
    assert_eq!(store.followup_counts(&root, now, now).await.unwrap().overdue, 2);
    let later = cordon_store::Missed { from: sampled + Duration::days(1), until: None };
    store.set_overdue(&[(id("p2"), Some(later))]).await.unwrap();
    let p2 = store.contact(&root, id("p2")).await.unwrap().unwrap();
    assert_eq!(p2.overdue_since, Some(later.from));

    // A contact who became a case is linked to it, and a release passes them by.
    let c2 = store.open_case(&root, &new_case("p2", now)).await.unwrap();
    let p2 = store.contact(&root, id("p2")).await.unwrap().unwrap();
    assert_eq!((p2.status, p2.became_case_id), (ContactStatus::BecameCase, Some(c2.id)));
    let released = store.release_contacts(&[id("p1"), id("p2")], now, "cordon").await.unwrap();
    assert_eq!(released, 1);
    let p1 = store.contact(&root, id("p1")).await.unwrap().unwrap();
    assert_eq!((p1.status, p1.released_at), (ContactStatus::Released, Some(now)));
    assert_eq!(store.release_contacts(&[id("p1")], now, "cordon").await.unwrap(), 0, "once");
    assert_eq!(due(today, now, None).await, ["p3"]);
    let counts = store.followup_counts(&root, now, now).await.unwrap();
    assert_eq!((counts.managed, counts.overdue), (1, 0), "p1 released, p2 a case");

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

    // Followed again: found by the release's run to record its plan's end anew; unreachable,
    // out of the follow-up and its figures; quarantined at a site, back in.
    let managed = || async { store.followup_counts(&root, now, now).await.unwrap().managed };
    assert_eq!(store.unplanned_contacts(0, 10).await.unwrap().len(), 1);
    assert_eq!(managed().await, 1);
    let gone = by_hand(ContactStatus::Unreachable).await.unwrap();
    assert_eq!((gone.plan_ends, gone.overdue_since), (None, None));
    assert!(store.unplanned_contacts(0, 10).await.unwrap().is_empty());
    assert!(due(today, now, None).await.is_empty());
    assert_eq!((managed().await, store.earliest_followed().await.unwrap()), (0, None));
    by_hand(ContactStatus::Quarantined).await.unwrap();
    store.set_plan_ends(&[(id("p3"), today)]).await.unwrap();
    assert_eq!(due(today, now, None).await, ["p3"]);
    assert_eq!(store.contact(&root, id("p3")).await.unwrap().unwrap().plan_ends, Some(today));

    // Two register entries of one person, both contacts of the case: the kept one's contact
    // stays, the other goes with its follow-up.
    let (keep, duplicate) =
        (cordon_domain::PersonId::parse("p1").unwrap(), cordon_domain::PersonId::parse("p3").unwrap());
    let merge = cordon_store::PersonMerge {
        scope: &root,
        keep: &keep,
        duplicate: &duplicate,
        by: "hq",
        reason: "one person entered twice",
        at: now,
    };
    store.merge_people(&merge).await.unwrap();
    assert!(due(today, now, None).await.is_empty());
    assert_eq!(store.followups_out_of_step().await.unwrap(), 0);
}

both!(contacts_followed_to_release);
