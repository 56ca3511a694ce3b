//! 集中隔离 on both backends: a site's rooms made with it and added after, stays judged by the
//! profile's rule in the transaction that writes them, occupancy counted from the stays, and a
//! room freed (to cleaning) by a check-out or by its contact's release.

use chrono::{Duration, Utc};
use cordon_domain::isolation::{Guest, IsolationRule, RoomState, SiteKind};
use cordon_domain::{AreaPath, ContactKind, ContactSource, ContactStatus};
use cordon_store::{ContactQuery, NewContact, NewSite, NewStay, Store, StoreError};

use crate::*;

async fn stays_fill_and_free_rooms(store: &dyn Store) {
    seed(store).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    let rule = IsolationRule::default();
    let root = AreaPath::root();
    let site = |id: &str, kind, rooms| NewSite {
        id: id.into(),
        name: format!("{id} site"),
        area: code("d1"),
        kind,
        rooms,
        at: now - Duration::days(3),
        by: "hq".into(),
    };
    let hotel = store.create_site(&site("H1", SiteKind::Hotel, 2)).await.unwrap();
    assert_eq!((hotel.kind, hotel.rooms, hotel.occupied), (SiteKind::Hotel, 2, 0));
    store.create_site(&site("F1", SiteKind::CabinHospital, 0)).await.unwrap();
    // A 方舱's hall of beds, added after; a label twice adds nothing.
    assert_eq!(store.add_rooms("F1", &[("A".into(), 3)], now, "hq").await.unwrap(), 1);
    let twice = store.add_rooms("F1", &[("B".into(), 2), ("A".into(), 1)], now, "hq").await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    assert_eq!(store.rooms("F1").await.unwrap().len(), 1);
    assert!(matches!(
        store.add_rooms("X9", &[("1".into(), 1)], now, "hq").await,
        Err(StoreError::NotFound(_))
    ));

    let stay = |person: &str, site: &str, room: &str, guest| NewStay {
        person_id: person.into(),
        site_id: site.into(),
        room_label: room.into(),
        guest,
        case_id: None,
        contact_id: None,
        planned_out: None,
        at: now - Duration::days(2),
        by: "gongzhufu".into(),
    };
    // A family (p1, p2 of h1) together in room 1; another household's contact refused there.
    let first = store.check_in_stay(&stay("p1", "H1", "1", Guest::CloseContact), &rule).await.unwrap();
    assert_eq!(
        (first.site_kind, first.room_label.as_str(), first.name.as_str()),
        (SiteKind::Hotel, "1", "王芳")
    );
    store.check_in_stay(&stay("p2", "H1", "1", Guest::Companion), &rule).await.unwrap_err(); // one bed
    store.add_rooms("H1", &[("family".into(), 3)], now, "hq").await.unwrap();
    store
        .check_out_stay(first.id, now - Duration::days(2), "moved to the family room", "gongzhufu")
        .await
        .unwrap();
    let p1 = store.check_in_stay(&stay("p1", "H1", "family", Guest::CloseContact), &rule).await.unwrap();
    store.check_in_stay(&stay("p2", "H1", "family", Guest::Companion), &rule).await.unwrap();
    let other =
        store.check_in_stay(&stay("p3", "H1", "family", Guest::CloseContact), &rule).await.unwrap_err();
    assert!(other.to_string().contains("another household"), "{other}");
    // Room 1 went to cleaning when p1 left it: nobody checks in until it is ready.
    let cleaning = store.check_in_stay(&stay("p3", "H1", "1", Guest::CloseContact), &rule).await.unwrap_err();
    assert!(cleaning.to_string().contains("cleaned"), "{cleaning}");
    store.set_room_state("H1", "1", RoomState::Ready, now, "hq").await.unwrap();
    store.check_in_stay(&stay("p3", "H1", "1", Guest::CloseContact), &rule).await.unwrap();
    // A case is not placed in a hotel; in the 方舱's hall, yes. One open stay a person.
    let wrong = store.check_in_stay(&stay("p4", "H1", "2", Guest::Case), &rule).await.unwrap_err();
    assert!(wrong.to_string().contains("not placed"), "{wrong}");
    store.check_in_stay(&stay("p4", "F1", "A", Guest::Case), &rule).await.unwrap();
    let again = store.check_in_stay(&stay("p4", "F1", "A", Guest::Case), &rule).await.unwrap_err();
    assert!(again.to_string().contains("check that stay out first"), "{again}");
    let busy = store.set_room_state("F1", "A", RoomState::OutOfService, now, "hq").await.unwrap_err();
    assert!(matches!(busy, StoreError::Conflict(_)), "{busy}");
    assert!(matches!(
        store.check_in_stay(&stay("p9", "H1", "2", Guest::CloseContact), &rule).await,
        Err(StoreError::NotFound(_))
    ));

    // Occupancy is the stays open: on the site and counted by where people live.
    let sites = store.sites(&root).await.unwrap();
    let h1 = sites.iter().find(|s| s.id == "H1").unwrap();
    assert_eq!((h1.rooms, h1.occupied), (3, 3));
    let counts = store.stay_counts(&root).await.unwrap();
    assert_eq!((counts.hotel, counts.cabin_hospital, counts.hospital), (3, 1, 0));
    let rooms = store.rooms("H1").await.unwrap();
    assert_eq!(rooms.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(), ["1", "2", "family"]);
    assert_eq!(rooms[2].occupants.iter().map(|o| o.person_id.as_str()).collect::<Vec<_>>(), ["p1", "p2"]);

    // A check-out before the check-in, or twice: refused.
    let early =
        store.check_out_stay(p1.id, p1.checked_in_at - Duration::hours(1), "x", "hq").await.unwrap_err();
    assert!(early.to_string().contains("before the check-in"), "{early}");

    // p3's release as a contact closes their stay and sends room 1 to cleaning, in its
    // transaction; the release by hand of p1 does the same, but the family room keeps p2.
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap();
    let case = store.open_case(&root, &new_case("p4", now - Duration::days(3))).await.unwrap();
    let contact = |person: &str| NewContact {
        person_id: person.into(),
        kind: ContactKind::Close,
        source: ContactSource::Household,
        via_person_id: "p4".into(),
        venue_id: None,
        exposure_at: now - Duration::days(3),
        quarantine_from: (now - Duration::days(3)).date_naive(),
        plan_ends: Some(now.date_naive()),
    };
    store.save_contacts(case.id, &[contact("p1"), contact("p3")], now, "epi").await.unwrap();
    let all = store.contacts(&root, &ContactQuery { limit: 10, ..Default::default() }).await.unwrap();
    let id = |p: &str| all.iter().find(|c| c.person_id == p).unwrap().id;
    let mut p3 = stay("p3", "H1", "1", Guest::CloseContact);
    p3.contact_id = Some(id("p3"));
    let p3_stay = store.stays_of("p3").await.unwrap()[0].clone();
    store.check_out_stay(p3_stay.id, now - Duration::days(1), "linked to the contact", "hq").await.unwrap();
    store.set_room_state("H1", "1", RoomState::Ready, now, "hq").await.unwrap();
    p3.at = now - Duration::days(1);
    store.check_in_stay(&p3, &rule).await.unwrap();
    // Checked in with the contact named: quarantined there, the place the stay's.
    let q = ContactQuery { limit: 10, ..Default::default() };
    let p3_contact =
        store.contacts(&root, &q).await.unwrap().into_iter().find(|c| c.person_id == "p3").unwrap();
    assert_eq!(
        (p3_contact.status, p3_contact.place.ends_with(" 1")),
        (ContactStatus::Quarantined, true),
        "{p3_contact:?}"
    );
    let mut p1_linked = stay("p1", "H1", "family", Guest::CloseContact);
    p1_linked.contact_id = Some(id("p1"));
    store.check_out_stay(p1.id, now - Duration::days(1), "linked to the contact", "hq").await.unwrap();
    p1_linked.at = now - Duration::days(1);
    store.check_in_stay(&p1_linked, &rule).await.unwrap();

    assert_eq!(store.release_contacts(&[id("p3")], now, "cordon").await.unwrap(), 1);
    let p3_now = &store.stays_of("p3").await.unwrap()[0];
    assert_eq!((p3_now.checked_out_at, p3_now.out_reason.as_deref()), (Some(now), Some("released")));
    let rooms = store.rooms("H1").await.unwrap();
    assert_eq!((rooms[0].state, rooms[0].occupants.len()), (RoomState::Cleaning, 0));
    store.update_contact(id("p1"), ContactStatus::Released, "", now, "epi").await.unwrap();
    let rooms = store.rooms("H1").await.unwrap();
    assert_eq!((rooms[2].state, rooms[2].occupants.len()), (RoomState::Ready, 1), "p2 stays");
    assert_eq!(store.stays_of("p1").await.unwrap()[0].out_reason.as_deref(), Some("released"));
    let again = store.check_out_stay(p3_now.id, now, "x", "hq").await.unwrap_err();
    assert!(again.to_string().contains("was checked out"), "{again}");

    // The case's recovery discharges p4 from the 方舱's hall, which goes to cleaning, in the
    // transaction that records the outcome.
    let p4_old = store.stays_of("p4").await.unwrap()[0].clone();
    store.check_out_stay(p4_old.id, now - Duration::days(1), "linked to the case", "hq").await.unwrap();
    store.set_room_state("F1", "A", RoomState::Ready, now, "hq").await.unwrap();
    let mut p4 = stay("p4", "F1", "A", Guest::Case);
    (p4.case_id, p4.at) = (Some(case.id), now - Duration::days(1));
    let in_cabin = store.check_in_stay(&p4, &rule).await.unwrap();
    // The check-in is the case's outcome: isolated, naming the stay, in the same transaction.
    let placed = store.case(&root, case.id).await.unwrap().unwrap();
    assert_eq!(
        (placed.outcome, placed.outcome_stay_id, placed.outcome_place.ends_with(" A")),
        (Some(cordon_domain::CaseOutcome::Isolated), Some(in_cabin.id), true),
        "{placed:?}"
    );
    let recovered = cordon_store::CaseChange::Outcome {
        from: Some(cordon_domain::CaseOutcome::Isolated),
        outcome: cordon_domain::CaseOutcome::Recovered,
        at: now,
        place: String::new(),
        monitoring_until: None,
        tests: vec![],
        stay_id: None,
    };
    store.change_case(case.id, &recovered, now, "epi").await.unwrap();
    let p4_now = &store.stays_of("p4").await.unwrap()[0];
    assert_eq!((p4_now.checked_out_at, p4_now.out_reason.as_deref()), (Some(now), Some("discharged")));
    assert_eq!(store.rooms("F1").await.unwrap()[0].state, RoomState::Cleaning);
    // Where the course was spent stays on the closed case; a closed case is checked in nowhere,
    // and nothing of the refused check-in is written.
    let closed = store.case(&root, case.id).await.unwrap().unwrap();
    assert_eq!((closed.outcome_stay_id, &closed.outcome_place), (Some(in_cabin.id), &placed.outcome_place));
    store.set_room_state("F1", "A", RoomState::Ready, now, "hq").await.unwrap();
    p4.at = now;
    let refused = store.check_in_stay(&p4, &rule).await.unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");
    assert!(store.stays_of("p4").await.unwrap().iter().all(|y| y.checked_out_at.is_some()));
}

both!(stays_fill_and_free_rooms);
