//! 卫生保洁、消杀 on both backends: one open disinfection of a kind a place, sent to a team and
//! done once, never before it was ordered; a sealed building is on the waste board until it is
//! collected, its homes with a case or a contact at home (not in a site) counted apart.

use chrono::{Duration, Utc};
use cordon_domain::isolation::{Guest, IsolationRule, SiteKind};
use cordon_domain::sanitation::DisinfectionKind;
use cordon_domain::{AreaPath, ContactKind, ContactSource, Tier};
use cordon_store::{NewCollection, NewContact, NewDisinfection, NewSite, NewStay, Store, StoreError};

use crate::*;

async fn disinfections_and_waste_follow_the_sealed_building(store: &dyn Store) {
    seed(store).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now - Duration::days(5)).await.unwrap();
    let root = AreaPath::root();
    let elsewhere = AreaPath::root().child(999);

    // Disinfections: one open task of a kind a place.
    let task = |kind, area: &str, due| NewDisinfection {
        kind,
        area: code(area),
        transfer_id: None,
        reason: "超市消杀".into(),
        due,
        at: now - Duration::hours(3),
        by: "hq".into(),
    };
    let stairs = task(DisinfectionKind::Stairs, "b1", now - Duration::hours(1));
    let d = store.create_disinfection(&root, &stairs).await.unwrap().unwrap();
    assert_eq!(
        (d.kind, d.area.as_str(), d.team.as_deref(), d.done_at),
        (DisinfectionKind::Stairs, "b1", None, None)
    );
    assert!(matches!(store.create_disinfection(&root, &stairs).await, Err(StoreError::Conflict(_))));
    assert!(
        store
            .create_disinfection(&elsewhere, &task(DisinfectionKind::Area, "b1", now))
            .await
            .unwrap()
            .is_none()
    );
    store
        .create_disinfection(&root, &task(DisinfectionKind::Home, "h3", now + Duration::hours(5)))
        .await
        .unwrap();
    let counts = store.sanitation_counts(&root, now, now - Duration::hours(24)).await.unwrap();
    assert_eq!((counts.disinfections_open, counts.disinfections_overdue), (2, 1));
    let d1 = scope_of(store, "d1").await;
    assert_eq!(store.sanitation_counts(&d1, now, now).await.unwrap().disinfections_open, 1, "scoped");
    assert!(store.assign_disinfection(&elsewhere, d.id, "消杀一队").await.unwrap().is_none());
    let sent = store.assign_disinfection(&d1, d.id, "消杀一队").await.unwrap().unwrap();
    assert_eq!(sent.team.as_deref(), Some("消杀一队"));
    let early = store.complete_disinfection(&root, d.id, now - Duration::hours(4), "", "team1").await;
    assert!(matches!(early, Err(StoreError::Conflict(_))), "{early:?}");
    let done =
        store.complete_disinfection(&root, d.id, now, "含氯消毒剂 1000mg/L", "team1").await.unwrap().unwrap();
    assert_eq!((done.done_at, done.done_by.as_deref()), (Some(now), Some("team1")));
    assert!(matches!(
        store.complete_disinfection(&root, d.id, now, "", "x").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(store.assign_disinfection(&root, d.id, "二队").await, Err(StoreError::Conflict(_))));
    // Done, the place may be ordered again; the board lists the open first, then the done.
    store.create_disinfection(&root, &stairs).await.unwrap().unwrap();
    let board = store.disinfections(&root, false, 10).await.unwrap();
    assert_eq!(board.iter().map(|t| t.done_at.is_some()).collect::<Vec<_>>(), [false, false, true]);
    assert_eq!(store.disinfections(&root, true, 10).await.unwrap().len(), 2);

    // Waste: b1 sealed two days ago, b2 only controlled.
    store.create_zone(&root, &new_zone("b1", Tier::Sealed, now - Duration::days(2))).await.unwrap();
    store.create_zone(&root, &new_zone("b2", Tier::Controlled, now - Duration::days(2))).await.unwrap();
    let (n, list) = store.waste_buildings(&root, 10).await.unwrap();
    assert_eq!((n, list.len()), (1, 1));
    assert_eq!((list[0].building.as_str(), list[0].last_collected, list[0].apart_homes), ("b1", None, 0));
    let since = now - Duration::hours(24);
    assert_eq!(store.sanitation_counts(&root, now, since).await.unwrap().waste_overdue, 1);
    assert_eq!(
        store.sanitation_counts(&root, now, now - Duration::days(3)).await.unwrap().waste_overdue,
        0,
        "not overdue before it was sealed an interval"
    );

    // p1 of h1 a case at home, p3 of h2 a contact: both homes' waste apart, until p3 goes to a
    // hotel.
    let case = store.open_case(&root, &new_case("p1", now - Duration::days(1))).await.unwrap();
    let contact = NewContact {
        person_id: "p3".into(),
        kind: ContactKind::Close,
        source: ContactSource::Household,
        via_person_id: "p1".into(),
        venue_id: None,
        exposure_at: now - Duration::days(2),
        quarantine_from: now.date_naive(),
        plan_ends: None,
    };
    store.save_contacts(case.id, &[contact], now, "epi").await.unwrap();
    let b1 = scope_of(store, "b1").await;
    let homes = store.apart_homes(&b1).await.unwrap();
    assert_eq!(homes.iter().map(|h| h.as_str()).collect::<Vec<_>>(), ["h1", "h2"]);
    store
        .create_site(&NewSite {
            id: "H1".into(),
            name: "如家酒店".into(),
            area: code("d1"),
            kind: SiteKind::Hotel,
            rooms: 2,
            at: now - Duration::days(3),
            by: "hq".into(),
        })
        .await
        .unwrap();
    let room = store.room_slots(&root).await.unwrap()[0].label.clone();
    let contact_id =
        store.contacts(&root, &cordon_store::ContactQuery { limit: 10, ..Default::default() }).await.unwrap()
            [0]
        .id;
    let stay = NewStay {
        person_id: "p3".into(),
        site_id: "H1".into(),
        room_label: room,
        guest: Guest::CloseContact,
        case_id: None,
        contact_id: Some(contact_id),
        planned_out: None,
        at: now,
        by: "hq".into(),
    };
    store.check_in_stay(&stay, &IsolationRule::default()).await.unwrap();
    let homes = store.apart_homes(&b1).await.unwrap();
    assert_eq!(homes.iter().map(|h| h.as_str()).collect::<Vec<_>>(), ["h1"], "p3 is in the hotel");
    assert_eq!(store.waste_buildings(&root, 10).await.unwrap().1[0].apart_homes, 1);

    let collection = |building: &str| NewCollection {
        building: code(building),
        collected_at: now - Duration::hours(1),
        team: "环卫三班".into(),
        bags: 12,
        apart_bags: 1,
        apart_homes: 1,
        note: String::new(),
        at: now,
        by: "cleaner".into(),
    };
    assert!(store.record_collection(&elsewhere, &collection("b1")).await.unwrap().is_none());
    assert!(store.record_collection(&root, &collection("h1")).await.unwrap().is_none(), "a building's");
    let c = store.record_collection(&root, &collection("b1")).await.unwrap().unwrap();
    assert_eq!((c.bags, c.apart_bags, c.apart_homes, c.team.as_str()), (12, 1, 1, "环卫三班"));
    let (_, list) = store.waste_buildings(&root, 10).await.unwrap();
    assert_eq!(list[0].last_collected, Some(now - Duration::hours(1)));
    assert_eq!(store.sanitation_counts(&root, now, since).await.unwrap().waste_overdue, 0);
    assert_eq!(store.collections(&root, 10).await.unwrap().len(), 1);
    assert!(store.collections(&elsewhere, 10).await.unwrap().is_empty());
}

both!(disinfections_and_waste_follow_the_sealed_building);
