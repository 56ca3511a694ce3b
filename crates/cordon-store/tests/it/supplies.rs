//! 保供 on both backends: stock moved in and out, never below zero; a round over a building
//! gives each household one delivery sized by its members, the vulnerable first, its packages
//! taken out of the stock in the same transaction (a short stock writes nothing); a delivery is
//! closed once delivered or refused, tried again when nobody was home; a household of a sealed
//! zone with nothing delivered is overdue until a delivery reaches it.

use chrono::{Duration, Utc};
use cordon_domain::needs::{
    NeedCategory, NeedEvent, NeedEventKind, NeedStatus, Rung, default_need_rules, rule_for,
};
use cordon_domain::supplies::{DeliveryOutcome, SupplyItem};
use cordon_domain::{AreaPath, Tier};
use cordon_store::{
    DeliveryMark, Fulfilment, NewDistribution, NewNeed, NewNeedEvent, NewSupplyPoint, Store, StoreError,
};

use crate::*;

fn mark(
    outcome: DeliveryOutcome,
    note: &str,
    at: chrono::DateTime<Utc>,
    by: &str,
    fulfils: Option<Fulfilment>,
) -> DeliveryMark {
    DeliveryMark { outcome, note: note.into(), at, by: by.into(), fulfils }
}

async fn a_round_reaches_every_household_once(store: &dyn Store) {
    seed(store).await;
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now - Duration::days(5)).await.unwrap();
    let root = AreaPath::root();
    let point = NewSupplyPoint {
        id: "SP1".into(),
        name: "新城区保供点".into(),
        area: code("d1"),
        at: now,
        by: "hq".into(),
    };
    store.create_supply_point(&point).await.unwrap();
    assert!(matches!(store.create_supply_point(&point).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.move_stock("SP1", SupplyItem::Vegetables, 2, "送达", now, "hq").await.unwrap(), 2);
    let below = store.move_stock("SP1", SupplyItem::Vegetables, -3, "出库", now, "hq").await.unwrap_err();
    assert!(below.to_string().contains("holds 2"), "{below}");
    assert!(matches!(
        store.move_stock("SP9", SupplyItem::Vegetables, 1, "x", now, "hq").await,
        Err(StoreError::NotFound(_))
    ));

    // b1 holds h1 (p1 on dialysis, p2) and h2 (p3, pregnant): one package each at three a
    // package. Two in stock would do — but d1 as a whole is asked first with too little.
    let round = |area: &str| NewDistribution {
        area: code(area),
        point_id: "SP1".into(),
        item: SupplyItem::Vegetables,
        sizing: cordon_domain::supplies::Sizing::PerMembers(3),
        note: String::new(),
        at: now - Duration::days(4),
        by: "gongzhufu".into(),
    };
    store.move_stock("SP1", SupplyItem::Vegetables, -1, "损耗", now, "hq").await.unwrap();
    let short = store.create_distribution(&root, &round("b1")).await.unwrap_err();
    assert!(matches!(short, StoreError::Conflict(_)), "{short}");
    assert!(store.distributions(&root, 10).await.unwrap().is_empty(), "nothing of a refused round");
    store.move_stock("SP1", SupplyItem::Vegetables, 10, "到货", now, "hq").await.unwrap();
    let outside = store.create_distribution(&AreaPath::root().child(999), &round("b1")).await;
    assert!(matches!(outside, Err(StoreError::NotFound(_))), "{outside:?}");
    let d = store.create_distribution(&root, &round("b1")).await.unwrap();
    assert_eq!((d.households, d.packages, d.open), (2, 2, 2));
    let points = store.supply_points(&root).await.unwrap();
    assert_eq!(points[0].stock, vec![(SupplyItem::Vegetables, 9)]);
    let list = store.deliveries(d.id, &root).await.unwrap();
    assert_eq!(
        list.iter().map(|x| (x.household.as_str(), x.members, x.vulnerable)).collect::<Vec<_>>(),
        [("h1", 2, true), ("h2", 1, true)]
    );

    // A sealed zone over b1: both households overdue (nothing delivered) until one is reached.
    let zone = new_zone("b1", Tier::Sealed, now - Duration::days(5));
    store.create_zone(&root, &zone).await.unwrap();
    let since = now - Duration::days(3);
    let (n, overdue) = store.overdue_households(&root, since, 10).await.unwrap();
    assert_eq!((n, overdue.len()), (2, 2));
    let h1 = list[0].id;
    let away = store
        .record_delivery(
            &root,
            h1,
            &mark(DeliveryOutcome::NobodyHome, "敲门无人", now - Duration::hours(2), "v1", None),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(away.outcome, Some(DeliveryOutcome::NobodyHome));
    store
        .record_delivery(
            &root,
            h1,
            &mark(DeliveryOutcome::Delivered, "", now - Duration::hours(1), "v1", None),
        )
        .await
        .unwrap()
        .unwrap();
    let again = store
        .record_delivery(&root, h1, &mark(DeliveryOutcome::Refused, "", now, "v1", None))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("was delivered"), "{again}");
    assert!(
        store
            .record_delivery(
                &AreaPath::root().child(999),
                list[1].id,
                &mark(DeliveryOutcome::Delivered, "", now, "v1", None)
            )
            .await
            .unwrap()
            .is_none()
    );
    let (n, overdue) = store.overdue_households(&root, since, 10).await.unwrap();
    assert_eq!((n, overdue.iter().map(|o| o.household.as_str()).collect::<Vec<_>>()), (1, vec!["h2"]));
    // What is open, from the round's counts (the city, the building it covers) and from its
    // doors (a household inside it): h2's only; h1, delivered, none.
    for (area, open) in [("c", 1), ("d1", 1), ("b1", 1), ("h2", 1), ("h1", 0), ("d2", 0)] {
        let scope = store.area(&root, &code(area)).await.unwrap().unwrap().area.path;
        assert_eq!(store.open_deliveries(&scope).await.unwrap(), open, "{area}");
    }
    assert_eq!(store.open_deliveries(&root).await.unwrap(), 1);

    // h2 asked for food: its delivery fulfils the request, resolved with it. h1's closed
    // delivery cannot, and h2's request is not h1's to fulfil: nothing is written.
    let rule = rule_for(&default_need_rules(), NeedCategory::Food, false).unwrap().clone();
    let asked = NewNeed {
        household: code("h2"),
        person_id: Some("p3".into()),
        category: NeedCategory::Food,
        emergency: false,
        contact_phone: None,
        description: "家里没有菜了".into(),
        rung: Rung::Community,
        owner_worker: None,
        profile_key: "ninth-edition".into(),
        pass_id: None,
        plan_key: None,
        at: now - Duration::hours(3),
        by: "p3".into(),
    };
    let need = store.create_need(&root, &asked, &rule).await.unwrap();
    let fulfils = Fulfilment {
        need_id: need.id,
        event: NewNeedEvent {
            event: NeedEvent { at: now, kind: NeedEventKind::Resolved },
            note: "随配送送达".into(),
            by: "v1".into(),
            recorded_at: now,
        },
        rule,
    };
    let h3 = store.create_distribution(&root, &round("d2")).await.unwrap();
    let other = store.deliveries(h3.id, &root).await.unwrap()[0].id;
    let wrong = store
        .record_delivery(
            &root,
            other,
            &mark(DeliveryOutcome::Delivered, "", now, "v1", Some(fulfils.clone())),
        )
        .await
        .unwrap_err();
    assert!(matches!(wrong, StoreError::Conflict(_)), "{wrong}");
    assert!(store.deliveries(h3.id, &root).await.unwrap()[0].outcome.is_none(), "nothing written");
    let done = store
        .record_delivery(
            &root,
            list[1].id,
            &mark(DeliveryOutcome::Delivered, "", now, "v1", Some(fulfils.clone())),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.need_id, Some(need.id));
    assert_eq!(store.need(&root, need.id).await.unwrap().unwrap().status, NeedStatus::Resolved);
    let d = store.distribution(&root, d.id).await.unwrap().unwrap();
    assert_eq!((d.delivered, d.refused, d.open), (2, 0, 0));

    // Formula is for the young children only: none in b1 is refused with nothing taken; a
    // baby and a toddler born into h2 make it h2's alone, a package each; a four-year-old is not.
    store.move_stock("SP1", SupplyItem::BabyFormula, 5, "到货", now, "hq").await.unwrap();
    let formula = |since| NewDistribution {
        item: SupplyItem::BabyFormula,
        sizing: cordon_domain::supplies::Sizing::PerChildBornSince(since),
        ..round("b1")
    };
    let none = store.create_distribution(&root, &formula(2024)).await.unwrap_err();
    assert!(none.to_string().contains("no young child"), "{none}");
    let tags = cordon_domain::Tags::default();
    for (name, born) in [("李小宝", 2026), ("李二宝", 2024), ("李大宝", 2022)] {
        let child = cordon_store::NewPerson {
            scope: &root,
            name,
            id_number: None,
            phone: None,
            birth_year: Some(born),
            sex: cordon_domain::Sex::Male,
            household: &code("h2"),
            tags: &tags,
            by: "grid",
            reason: "出生登记",
            at: now,
        };
        store.register_person(&child).await.unwrap();
    }
    let f = store.create_distribution(&root, &formula(2024)).await.unwrap();
    assert_eq!((f.households, f.packages), (1, 2));
    let list = store.deliveries(f.id, &root).await.unwrap();
    assert_eq!(list.iter().map(|x| (x.household.as_str(), x.members)).collect::<Vec<_>>(), [("h2", 4)]);
    let stock = store.supply_points(&root).await.unwrap().remove(0).stock;
    assert!(stock.contains(&(SupplyItem::BabyFormula, 3)), "{stock:?}");
}

both!(a_round_reaches_every_household_once);
