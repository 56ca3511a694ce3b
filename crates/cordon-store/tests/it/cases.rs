//! Cases on both backends: contacts, trajectories and notices.

use chrono::{Duration, Utc};
use cordon_domain::AreaPath;
use cordon_store::{Store, StoreError};

use crate::*;

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
        plan_ends: None,
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

/// 转归: an outcome lands with its event; a closed course takes no more (checked in the writing
/// transaction), a stale view is a conflict; a recovered case's person is no longer positive at a
/// gate; a death is the person's in the register too, out of the counts.
async fn outcomes_to_the_end(store: &dyn Store) {
    use cordon_domain::{CaseOutcome, PersonStatus};
    use cordon_store::CaseChange;
    seed(store).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap();
    let root = AreaPath::root();
    let c1 = store.open_case(&root, &new_case("p2", now - Duration::days(12))).await.unwrap();
    let c2 = store.open_case(&root, &new_case("p4", now - Duration::days(3))).await.unwrap();
    assert!(c1.outcome.is_none() && c1.is_open());
    let positive = |id: &'static str| async move { store.gate_subject(id).await.unwrap().unwrap().positive };
    assert!(positive("p2").await);
    // The place is the stay's site and bed, as the service names them.
    let outcome = |from, outcome, stay_id: Option<i64>, monitoring_until| CaseChange::Outcome {
        from,
        outcome,
        at: now - Duration::days(1),
        place: if stay_id.is_some() { "HOSP 院 1".into() } else { String::new() },
        monitoring_until,
        tests: vec![],
        stay_id,
    };
    // Admitted names the stay that holds the case: none, or one at a 方舱, is refused.
    let none =
        store.change_case(c1.id, &outcome(None, CaseOutcome::Hospitalised, None, None), now, "epi").await;
    assert!(matches!(none, Err(StoreError::Invalid(_))), "{none:?}");
    let new_site = |id: &str, kind| cordon_store::NewSite {
        id: id.into(),
        name: format!("{id} 院"),
        area: code("c"),
        kind,
        rooms: 1,
        at: now,
        by: "hq".into(),
    };
    store.create_site(&new_site("HOSP", cordon_domain::isolation::SiteKind::Hospital)).await.unwrap();
    let rule = cordon_domain::protocol::builtin()[0].isolation.clone();
    let bed = cordon_store::NewStay {
        person_id: "p2".into(),
        site_id: "HOSP".into(),
        room_label: "1".into(),
        guest: cordon_domain::isolation::Guest::Case,
        case_id: None,
        contact_id: None,
        planned_out: None,
        at: now - Duration::days(2),
        by: "hq".into(),
    };
    // Checked in without the case named: the outcome is recorded by hand, naming the stay.
    let stay = store.check_in_stay(&bed, &rule).await.unwrap();
    let wrong = store
        .change_case(c1.id, &outcome(None, CaseOutcome::Isolated, Some(stay.id), None), now, "epi")
        .await;
    assert!(matches!(wrong, Err(StoreError::Rule(_))), "a hospital's bed is not 方舱 isolation: {wrong:?}");
    store
        .change_case(c1.id, &outcome(None, CaseOutcome::Hospitalised, Some(stay.id), None), now, "epi")
        .await
        .unwrap();
    // Seen as open by a second recorder: a conflict, nothing written.
    let stale = store
        .change_case(c1.id, &outcome(None, CaseOutcome::Hospitalised, Some(stay.id), None), now, "epi")
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let until = now + Duration::days(6);
    let recovered = outcome(Some(CaseOutcome::Hospitalised), CaseOutcome::Recovered, None, Some(until));
    store.change_case(c1.id, &recovered, now, "epi").await.unwrap();
    let c1 = store.case(&root, c1.id).await.unwrap().unwrap();
    assert_eq!(
        (c1.outcome, c1.outcome_place.as_str(), c1.outcome_stay_id, c1.monitoring_until),
        (Some(CaseOutcome::Recovered), "HOSP 院 1", Some(stay.id), Some(until))
    );
    assert!(!c1.is_open());
    assert!(!positive("p2").await, "a recovered case is not positive at a gate");
    assert!(store.stays_of("p2").await.unwrap()[0].checked_out_at.is_some(), "discharged from the bed");
    let closed = outcome(Some(CaseOutcome::Recovered), CaseOutcome::Died, None, None);
    assert!(matches!(store.change_case(c1.id, &closed, now, "epi").await, Err(StoreError::Rule(_))));
    let kinds: Vec<&str> = store.case_events(c1.id).await.unwrap().iter().map(|e| e.change.kind()).collect();
    assert_eq!(kinds, ["opened", "note", "outcome", "outcome"], "the opening note, then the course");

    // A death: the person's standing too, and the counts of their areas.
    let before = store.area(&root, &code("c")).await.unwrap().unwrap().stats.residents;
    store.change_case(c2.id, &outcome(None, CaseOutcome::Died, None, None), now, "epi").await.unwrap();
    let p4 = store.person(&root, &PersonId::parse("p4").unwrap()).await.unwrap().unwrap();
    assert_eq!(p4.status, PersonStatus::Deceased);
    assert_eq!(store.area(&root, &code("c")).await.unwrap().unwrap().stats.residents, before - 1);
    assert_eq!(store.person_changes(&p4.person_id, 5).await.unwrap()[0].after.as_deref(), Some("deceased"));
    assert!(!positive("p4").await);
}

both!(cases_contacts_and_notices, outcomes_to_the_end);
