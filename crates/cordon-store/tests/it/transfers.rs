//! 转运 on both backends: an order holds a room for each passenger (counted as taken by every
//! other order and check-in), a family kept together, a full room refused with nothing held; a
//! vehicle assigned writes its pass with the step, a replaced one revokes it; the arrival checks
//! every passenger in, out of where they stayed; a cancellation frees the rooms; an order past
//! its deadline climbs once, and a second sweep writes nothing.

use chrono::{Duration, Utc};
use cordon_domain::AreaPath;
use cordon_domain::gates::PassKind;
use cordon_domain::isolation::{Guest, IsolationRule, SiteKind};
use cordon_domain::needs::Rung;
use cordon_domain::sanitation::DisinfectionKind;
use cordon_domain::transfer::{
    TransferEvent, TransferEventKind, TransferStage, default_transfer_rules, rule_for,
};
use cordon_store::{
    NewDisinfection, NewPass, NewPassenger, NewSite, NewStay, NewTransfer, NewTransferEvent, Store,
    StoreError,
};

use crate::*;

async fn transfers_hold_rooms_and_arrive(store: &dyn Store) {
    seed(store).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now - Duration::days(5)).await.unwrap();
    let isolation = IsolationRule::default();
    let rules = default_transfer_rules();
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
    store.create_site(&site("H1", SiteKind::Hotel, 0)).await.unwrap();
    store.add_rooms("H1", &[("family".into(), 3), ("single".into(), 1)], now, "hq").await.unwrap();
    let passenger = |person: &str, room: &str, guest| NewPassenger {
        person_id: person.into(),
        room_label: room.into(),
        guest,
        case_id: None,
        contact_id: None,
        planned_out: None,
    };
    let order = |household: &str, people: Vec<NewPassenger>, at| NewTransfer {
        household: code(household),
        site_id: "H1".into(),
        passengers: people,
        profile_key: "ninth-edition".into(),
        reason: "close contacts to the hotel".into(),
        rung: Rung::District,
        at,
        by: "gongzhufu".into(),
    };
    let contact_rule = rule_for(&rules, [Guest::CloseContact]).unwrap();

    // h1's family together in the family room; h2's p3 cannot join them there (the beds are
    // held for h1), and an order naming p3 with h1 is refused: one household an order.
    let family = order(
        "h1",
        vec![passenger("p1", "family", Guest::CloseContact), passenger("p2", "family", Guest::Companion)],
        now - Duration::hours(20),
    );
    let t1 = store.create_transfer(&root, &family, &contact_rule, &isolation).await.unwrap();
    assert_eq!(
        (t1.stage, t1.rung, t1.guest),
        (TransferStage::Requested, Rung::District, Guest::CloseContact)
    );
    assert_eq!(
        t1.due,
        Some(now - Duration::hours(20) + Duration::minutes(contact_rule.assign_minutes.into()))
    );
    assert_eq!(
        t1.passengers.iter().map(|p| (p.person_id.as_str(), p.state.as_str())).collect::<Vec<_>>(),
        [("p1", "held"), ("p2", "held")]
    );
    let other = store
        .create_transfer(
            &root,
            &order("h2", vec![passenger("p3", "family", Guest::CloseContact)], now),
            &contact_rule,
            &isolation,
        )
        .await
        .unwrap_err();
    assert!(other.to_string().contains("another household"), "{other}");
    let mixed = order("h1", vec![passenger("p3", "single", Guest::CloseContact)], now);
    let mixed = store.create_transfer(&root, &mixed, &contact_rule, &isolation).await.unwrap_err();
    assert!(mixed.to_string().contains("one household"), "{mixed}");
    // A check-in by hand cannot take a held bed either; p1 is on one open order at most.
    let walk_in = NewStay {
        person_id: "p3".into(),
        site_id: "H1".into(),
        room_label: "family".into(),
        guest: Guest::CloseContact,
        case_id: None,
        contact_id: None,
        planned_out: None,
        at: now,
        by: "hq".into(),
    };
    assert!(matches!(store.check_in_stay(&walk_in, &isolation).await, Err(StoreError::Conflict(_))));
    let twice = order("h1", vec![passenger("p1", "single", Guest::CloseContact)], now);
    let twice = store.create_transfer(&root, &twice, &contact_rule, &isolation).await.unwrap_err();
    assert!(twice.to_string().contains("on transfer"), "{twice}");
    // Nothing of the refused orders was written.
    assert_eq!(store.transfers(&root, false, 10).await.unwrap().len(), 1);
    let held: usize = store.room_slots(&root).await.unwrap().iter().map(|r| r.occupants.len()).sum();
    assert_eq!(held, 2, "the planner sees the held beds as taken");
    let closing = store
        .set_room_state("H1", "family", cordon_domain::isolation::RoomState::OutOfService, now, "hq")
        .await;
    assert!(matches!(closing, Err(StoreError::Conflict(_))), "a held room stays in service: {closing:?}");

    // A step out of order is refused; a vehicle writes its pass with the step; a second vehicle
    // revokes the first pass.
    // A pick-up brings what it calls for (the server's rule: the home, the stairs), written
    // with the step.
    let step = |kind: TransferEventKind, at, pass: Option<NewPass>| NewTransferEvent {
        disinfections: match kind {
            TransferEventKind::PickedUp => ["h1", "b1"]
                .into_iter()
                .zip([DisinfectionKind::Home, DisinfectionKind::Stairs])
                .map(|(area, kind)| NewDisinfection {
                    kind,
                    area: code(area),
                    transfer_id: Some(t1.id),
                    reason: "case picked up".into(),
                    due: at + Duration::hours(12),
                    at,
                    by: "gongzhufu".into(),
                })
                .collect(),
            _ => Vec::new(),
        },
        event: TransferEvent { at, kind },
        note: String::new(),
        by: "gongzhufu".into(),
        recorded_at: at,
        pass,
    };
    let early = store
        .record_transfer_event(
            &root,
            t1.id,
            &step(TransferEventKind::Arrived, now, None),
            &contact_rule,
            &isolation,
        )
        .await;
    assert!(matches!(early, Err(StoreError::Conflict(_))), "{early:?}");
    let pass = |id: &str| NewPass {
        id: id.into(),
        kind: PassKind::Transfer,
        person_id: None,
        holder: "转运 蒙A·D1 · 2人".into(),
        area: code("b1"),
        gate_ids: vec![],
        valid_from: now - Duration::hours(19),
        valid_until: now + Duration::hours(5),
        one_time: true,
        reason: format!("转运 #{}", t1.id),
        at: now - Duration::hours(19),
        by: "gongzhufu".into(),
    };
    let assigned =
        |v: &str, p: &str| TransferEventKind::Assigned { vehicle: v.into(), pass_id: Some(p.into()) };
    let t = store
        .record_transfer_event(
            &root,
            t1.id,
            &step(assigned("蒙A·D1", "PT1"), now - Duration::hours(19), Some(pass("PT1"))),
            &contact_rule,
            &isolation,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (t.stage, t.vehicle.as_deref(), t.pass_id.as_deref()),
        (TransferStage::Assigned, Some("蒙A·D1"), Some("PT1"))
    );
    store
        .record_transfer_event(
            &root,
            t1.id,
            &step(assigned("蒙A·D2", "PT2"), now - Duration::hours(18), Some(pass("PT2"))),
            &contact_rule,
            &isolation,
        )
        .await
        .unwrap();
    assert!(store.pass("PT1").await.unwrap().unwrap().revoked_at.is_some());
    assert!(store.pass("PT2").await.unwrap().unwrap().revoked_at.is_none());

    // p1 was staying elsewhere (moved from another hotel): the arrival checks them out of it,
    // and both in to the family room, in one transaction.
    store.create_site(&site("H0", SiteKind::Hotel, 1)).await.unwrap();
    let mut before = walk_in.clone();
    (before.person_id, before.site_id, before.room_label, before.at) =
        ("p1".into(), "H0".into(), "1".into(), now - Duration::days(1));
    store.check_in_stay(&before, &isolation).await.unwrap();
    store
        .record_transfer_event(
            &root,
            t1.id,
            &step(TransferEventKind::PickedUp, now - Duration::hours(17), None),
            &contact_rule,
            &isolation,
        )
        .await
        .unwrap();
    let tasks = store.disinfections(&root, true, 10).await.unwrap();
    assert_eq!(
        tasks.iter().map(|d| (d.kind, d.area.as_str(), d.transfer_id)).collect::<Vec<_>>(),
        [(DisinfectionKind::Home, "h1", Some(t1.id)), (DisinfectionKind::Stairs, "b1", Some(t1.id))],
        "the pick-up wrote its disinfections"
    );
    let t = store
        .record_transfer_event(
            &root,
            t1.id,
            &step(TransferEventKind::Arrived, now - Duration::hours(16), None),
            &contact_rule,
            &isolation,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((t.stage, t.due), (TransferStage::Arrived, None));
    assert!(t.passengers.iter().all(|p| p.state == "in" && p.stay_id.is_some()), "{:?}", t.passengers);
    let p1 = store.stays_of("p1").await.unwrap();
    assert_eq!(
        (p1[0].site_id.as_str(), p1[0].room_label.as_str(), p1[0].checked_out_at),
        ("H1", "family", None)
    );
    assert_eq!(p1[1].out_reason.as_deref(), Some("transferred to H1 site"));
    let rooms = store.rooms("H1").await.unwrap();
    assert_eq!(rooms.iter().find(|r| r.label == "family").unwrap().occupants.len(), 2);

    // h2's p3 to the single room; nobody assigns a vehicle: the sweep climbs it once, to
    // headquarters, and a second sweep writes nothing. A cancellation frees the room.
    let t2 = store
        .create_transfer(
            &root,
            &order("h2", vec![passenger("p3", "single", Guest::CloseContact)], now - Duration::hours(6)),
            &contact_rule,
            &isolation,
        )
        .await
        .unwrap();
    let due = store.transfers_due(now, 10).await.unwrap();
    assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), [t2.id]);
    let climbed = store.escalate_transfers(&[(t2.id, contact_rule.clone())], now, "sweep").await.unwrap();
    assert_eq!(climbed.len(), 1);
    assert_eq!((climbed[0].0.rung, climbed[0].1.len()), (Rung::Headquarters, 1));
    assert!(
        store.escalate_transfers(&[(t2.id, contact_rule.clone())], now, "sweep").await.unwrap().is_empty()
    );
    assert!(store.transfers_due(now, 10).await.unwrap().is_empty(), "nobody above headquarters");
    let counts = store.transfer_counts(&root, now).await.unwrap();
    assert_eq!((counts.open, counts.overdue), (1, 1));
    let board = store.transfers(&root, true, 10).await.unwrap();
    assert_eq!(board.iter().map(|t| t.id).collect::<Vec<_>>(), [t2.id]);
    let cancelled = TransferEventKind::Cancelled { reason: "tested negative twice".into() };
    store
        .record_transfer_event(&root, t2.id, &step(cancelled, now, None), &contact_rule, &isolation)
        .await
        .unwrap();
    assert_eq!(store.transfer_counts(&root, now).await.unwrap().open, 0);
    let single = store.room_slots(&root).await.unwrap();
    assert!(single.iter().find(|r| r.label == "single").unwrap().occupants.is_empty());
    // Out of scope: not found; the timeline keeps every step.
    assert!(store.transfer(&AreaPath::root().child(999), t2.id).await.unwrap().is_none());
    let timeline = store.transfer_events(t1.id).await.unwrap();
    assert_eq!(
        timeline.iter().map(|e| e.event.kind.key()).collect::<Vec<_>>(),
        ["requested", "assigned", "assigned", "picked_up", "arrived"]
    );
}

both!(transfers_hold_rooms_and_arrive);
