//! Zones on both backends: their history, proposals and scope.

use chrono::{Duration, Utc};
use cordon_domain::{AreaPath, EventKind, Tier};
use cordon_store::{Decision, ProposalStatus, Store, StoreError, ZoneChange, ZoneQuery};

use crate::*;

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

both!(zones_history_and_scope);
