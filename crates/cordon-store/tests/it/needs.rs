//! Residents' needs on both backends: the timeline, the board and the sweep.

use chrono::{Duration, Utc};
use cordon_store::{Store, StoreError};

use crate::*;

async fn needs_timeline_board_and_sweep(store: &dyn Store) {
    use cordon_domain::needs::{
        NeedCategory, NeedEvent, NeedEventKind, NeedStatus, Rung, default_need_rules, rule_for,
    };
    use cordon_store::{NeedQuery, NewNeed, NewNeedEvent};
    seed(store).await;
    let t0 = "2022-02-12T08:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
    let m = |n: i64| t0 + Duration::minutes(n);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), t0).await.unwrap();
    let rules = default_need_rules();
    let d1 = scope_of(store, "d1").await;
    let d2 = scope_of(store, "d2").await;
    let need = |household: &str, category, emergency, rung| NewNeed {
        household: code(household),
        person_id: Some("p1".into()),
        category,
        emergency,
        contact_phone: Some("13900000001".into()),
        description: "需要送药".into(),
        rung,
        owner_worker: None,
        profile_key: "ninth-edition".into(),
        pass_id: None,
        plan_key: None,
        at: t0,
        by: "grid".into(),
    };
    let food_rule = rule_for(&rules, NeedCategory::Food, false).unwrap();
    let food = store
        .create_need(&d1, &need("h1", NeedCategory::Food, false, Rung::Community), food_rule)
        .await
        .unwrap();
    assert_eq!(
        (food.status, food.rung, food.due, food.escalates),
        (NeedStatus::Open, Rung::Community, Some(m(120)), true)
    );
    // Only a household of the user's areas.
    let err = store
        .create_need(&d1, &need("b1", NeedCategory::Food, false, Rung::Community), food_rule)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("a need is raised for a household"), "{err}");
    let err = store
        .create_need(&d2, &need("h1", NeedCategory::Food, false, Rung::Community), food_rule)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");

    // Acknowledged once; twice is a conflict; out of scope is none.
    let ack = |at, by: &str| NewNeedEvent {
        event: NeedEvent { at, kind: NeedEventKind::Acknowledged },
        note: String::new(),
        by: by.into(),
        recorded_at: at,
    };
    let r = store.record_need_event(&d1, food.id, &ack(m(10), "grid"), food_rule).await.unwrap().unwrap();
    assert_eq!((r.status, r.due), (NeedStatus::Acknowledged, Some(m(1440))));
    let twice = store.record_need_event(&d1, food.id, &ack(m(11), "grid"), food_rule).await.unwrap_err();
    assert!(
        matches!(twice, StoreError::Conflict(_)) && twice.to_string().contains("acknowledged already"),
        "{twice}"
    );
    assert!(store.record_need_event(&d2, food.id, &ack(m(11), "x"), food_rule).await.unwrap().is_none());

    // An emergency with its pass, owned by the building's cadre, that nobody acknowledges.
    let e_rule = rule_for(&rules, NeedCategory::Childbirth, true).unwrap();
    let mut urgent = need("h2", NeedCategory::Childbirth, true, Rung::Cadre);
    urgent.pass_id = Some("PE1".into());
    urgent.owner_worker = None;
    let e = store.create_need(&d1, &urgent, e_rule).await.unwrap();
    assert_eq!((e.due, e.pass_id.as_deref()), (Some(m(5)), Some("PE1")));
    let kinds: Vec<String> =
        store.need_events(e.id).await.unwrap().iter().map(|x| x.event.kind.key().to_owned()).collect();
    assert_eq!(kinds, ["created", "pass_issued"]);
    assert!(store.needs_due(m(4), 100).await.unwrap().is_empty());
    let due = store.needs_due(m(21), 100).await.unwrap();
    assert_eq!(due.iter().map(|d| (d.id, d.emergency)).collect::<Vec<_>>(), [(e.id, true)]);
    let climbed = store.escalate_needs(&[(e.id, e_rule.clone())], m(21), "cordon").await.unwrap();
    assert_eq!(climbed.len(), 1);
    let steps: Vec<_> = climbed[0].1.iter().map(|s| s.at).collect();
    assert_eq!(steps, [m(5), m(10), m(15), m(20)], "each step at the moment it was due");
    assert_eq!(
        (climbed[0].0.rung, climbed[0].0.escalates, climbed[0].0.escalations),
        (Rung::Headquarters, false, 4)
    );
    assert!(store.needs_due(m(60), 100).await.unwrap().is_empty(), "nothing above headquarters");
    assert!(
        store.escalate_needs(&[(e.id, e_rule.clone())], m(60), "cordon").await.unwrap().is_empty(),
        "nothing twice"
    );

    // The board: the overdue emergency first; the counts at a moment.
    let board = store
        .needs_board(
            &d1,
            &NeedQuery { include_resolved: false, limit: 50, offset: 0, now: m(30), waiting_on: None },
        )
        .await
        .unwrap();
    assert_eq!(board.iter().map(|n| n.id).collect::<Vec<_>>(), [e.id, food.id]);
    assert!(
        store
            .needs_board(
                &d2,
                &NeedQuery { include_resolved: true, limit: 50, offset: 0, now: m(30), waiting_on: None }
            )
            .await
            .unwrap()
            .is_empty()
    );
    // Headquarters' inbox holds the emergency that climbed to it; the street's holds nothing.
    let inbox = |rung| NeedQuery {
        include_resolved: false,
        limit: 50,
        offset: 0,
        now: m(30),
        waiting_on: Some(rung),
    };
    let hq = store.needs_board(&d1, &inbox(Rung::Headquarters)).await.unwrap();
    assert_eq!(hq.iter().map(|n| n.id).collect::<Vec<_>>(), [e.id]);
    assert!(store.needs_board(&d1, &inbox(Rung::Street)).await.unwrap().is_empty());
    let counts = store.need_counts(&d1, m(30)).await.unwrap();
    assert_eq!((counts.open, counts.acknowledged, counts.overdue, counts.emergencies_overdue), (1, 1, 1, 1));

    // Resolved, it leaves the board unless asked for; reopened, its clock starts again.
    let resolve =
        NewNeedEvent { event: NeedEvent { at: m(40), kind: NeedEventKind::Resolved }, ..ack(m(40), "grid") };
    store.record_need_event(&d1, food.id, &resolve, food_rule).await.unwrap().unwrap();
    let open_only = store
        .needs_board(
            &d1,
            &NeedQuery { include_resolved: false, limit: 50, offset: 0, now: m(30), waiting_on: None },
        )
        .await
        .unwrap();
    assert_eq!(open_only.len(), 1);
    let all = store
        .needs_board(
            &d1,
            &NeedQuery { include_resolved: true, limit: 50, offset: 0, now: m(30), waiting_on: None },
        )
        .await
        .unwrap();
    assert_eq!(all.iter().map(|n| n.id).collect::<Vec<_>>(), [e.id, food.id]);
    // A page at a time: the second page of one starts inside the resolved.
    let page = |offset| NeedQuery { include_resolved: true, limit: 1, offset, now: m(30), waiting_on: None };
    let ids = |v: Vec<cordon_store::NeedRecord>| v.iter().map(|n| n.id).collect::<Vec<_>>();
    assert_eq!(ids(store.needs_board(&d1, &page(0)).await.unwrap()), [e.id]);
    assert_eq!(ids(store.needs_board(&d1, &page(1)).await.unwrap()), [food.id]);
    assert!(store.needs_board(&d1, &page(2)).await.unwrap().is_empty());
    let again = store.record_need_event(&d1, food.id, &ack(m(50), "grid"), food_rule).await.unwrap_err();
    assert!(again.to_string().contains("resolved"), "{again}");
    let reopen =
        NewNeedEvent { event: NeedEvent { at: m(60), kind: NeedEventKind::Reopened }, ..ack(m(60), "grid") };
    let r = store.record_need_event(&d1, food.id, &reopen, food_rule).await.unwrap().unwrap();
    assert_eq!((r.status, r.due), (NeedStatus::Open, Some(m(180))));
    assert_eq!(store.need_events(food.id).await.unwrap().len(), 4);

    // Many at once: all land, or — one bad — none, the bad one named.
    let before = store
        .needs_board(
            &d1,
            &NeedQuery { include_resolved: true, limit: 50, offset: 0, now: m(30), waiting_on: None },
        )
        .await
        .unwrap()
        .len();
    let daily = |h: &str| (need(h, NeedCategory::DailyCheck, false, Rung::Community), food_rule.clone());
    let err = store.create_needs(&d1, &[daily("h1"), daily("b1"), daily("h2")]).await.unwrap_err();
    assert!(err.to_string().contains("need 2"), "{err}");
    let after = store
        .needs_board(
            &d1,
            &NeedQuery { include_resolved: true, limit: 50, offset: 0, now: m(30), waiting_on: None },
        )
        .await
        .unwrap()
        .len();
    assert_eq!(before, after, "nothing half-written");
    assert_eq!(store.create_needs(&d1, &[daily("h1"), daily("h2")]).await.unwrap().len(), 2);
}

both!(needs_timeline_board_and_sweep);
