//! 消息通知 and the resident's sign-in on both backends: a zone drawn or raised writes one message
//! per household under it in the change's transaction; the sender's phones are each
//! household's distinct ones; settling is one transaction and a code's facts go once settled; a
//! code asked by any phone is counted alike, registered or not, and only a registered one is
//! told; a code opens one session, five wrong tries spend it, and a session ends when revoked.

use chrono::{Duration, SubsecRound, Utc};
use cordon_domain::outbox::{Delivery, MessageKind, RecipientKind, SIGN_IN};
use cordon_domain::{AreaPath, EventKind, Tier};
use cordon_store::{CodeAsked, Settle, Store};

use crate::*;

async fn a_zone_tells_every_household_under_it(store: &dyn Store) {
    seed(store).await;
    let now = Utc::now().trunc_subsecs(0);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now - Duration::days(5)).await.unwrap();
    let z = store.create_zone(&AreaPath::root(), &new_zone("b1", Tier::Controlled, now)).await.unwrap();
    let due = store.due_messages(now, 100).await.unwrap();
    let mut told: Vec<(&str, MessageKind)> = due.iter().map(|m| (m.recipient.as_str(), m.kind)).collect();
    told.sort_by_key(|t| t.0);
    assert_eq!(told, [("h1", MessageKind::ZoneDrawn), ("h2", MessageKind::ZoneDrawn)]);
    assert_eq!(due[0].recipient_kind, RecipientKind::Household);
    assert_eq!(due[0].params["area"], "3号楼");
    assert_eq!(due[0].params["tier"], "controlled");

    // Raised: two more; a positive inside tells nobody.
    store.record_zone_event(z.id, &event(EventKind::Positive, now, "阳性")).await.unwrap();
    store
        .record_zone_event(z.id, &event(EventKind::Raised { tier: Tier::Sealed }, now, "升级"))
        .await
        .unwrap();
    let due = store.due_messages(now, 100).await.unwrap();
    assert_eq!(due.len(), 4);
    assert_eq!(due.iter().filter(|m| m.kind == MessageKind::ZoneRaised).count(), 2);

    // The phones: h1's two members, h2's one; a person's own.
    let phones = store
        .phones_of(&[
            (RecipientKind::Household, "h1".into()),
            (RecipientKind::Household, "h2".into()),
            (RecipientKind::Person, "p4".into()),
        ])
        .await
        .unwrap();
    let mut h1 = phones[&(RecipientKind::Household, "h1".to_owned())].clone();
    h1.sort();
    assert_eq!(h1, ["13900000001", "13900000002"]);
    assert_eq!(phones[&(RecipientKind::Household, "h2".to_owned())], ["13800000003"]);
    assert_eq!(phones[&(RecipientKind::Person, "p4".to_owned())], ["13900000004"]);

    // Settled: sent, tried again later, given up; only the retried one is due again, and
    // only once its time comes.
    let settled = [
        Settle::Sent { id: due[0].id, at: now },
        Settle::Sent { id: due[1].id, at: now },
        Settle::Retry { id: due[2].id, attempts: 1, next: now + Duration::seconds(2), error: "502".into() },
        Settle::Failed { id: due[3].id, attempts: 1, error: "400".into() },
    ];
    store.settle_messages(&settled).await.unwrap();
    assert!(store.due_messages(now, 100).await.unwrap().is_empty());
    let again = store.due_messages(now + Duration::seconds(2), 100).await.unwrap();
    assert_eq!(again.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(), [(due[2].id, 1)]);
    let counts = store.outbox_counts().await.unwrap();
    let n = |kind, state| counts.iter().find(|c| c.kind == kind && c.state == state).map_or(0, |c| c.count);
    assert_eq!(n(MessageKind::ZoneDrawn, Delivery::Sent), 2);
    assert_eq!(n(MessageKind::ZoneRaised, Delivery::Queued), 1);
    assert_eq!(n(MessageKind::ZoneRaised, Delivery::Failed), 1);
    // A settled message is not settled again (a second sender's late answer changes nothing).
    store
        .settle_messages(&[Settle::Failed { id: due[0].id, attempts: 9, error: "late".into() }])
        .await
        .unwrap();
    let to_h = store.messages_to(RecipientKind::Household, &due[0].recipient, 10).await.unwrap();
    assert!(to_h.iter().any(|m| m.id == due[0].id && m.state == Delivery::Sent));

    // Past its shelf life, what is queued expires in one statement.
    let expired = store.expire_messages(MessageKind::ZoneRaised, now + Duration::days(2)).await.unwrap();
    assert_eq!(expired, 1);
    assert!(store.due_messages(now + Duration::days(3), 100).await.unwrap().is_empty());
}

async fn a_code_opens_one_session(store: &dyn Store) {
    seed(store).await;
    let now = Utc::now().trunc_subsecs(0);
    let rule = SIGN_IN;
    // A registered phone is told; a stranger's ask is kept alike and tells nobody.
    assert_eq!(store.ask_code("13900000002", "123456", &rule, now).await.unwrap(), CodeAsked::Kept);
    assert_eq!(store.ask_code("13700000000", "654321", &rule, now).await.unwrap(), CodeAsked::Kept);
    let due = store.due_messages(now, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].kind, due[0].recipient_kind, due[0].recipient.as_str()),
        (MessageKind::SignInCode, RecipientKind::Person, "p2")
    );
    assert_eq!(due[0].params["code"], "123456");
    // Asking again within the minute: told when, for both alike.
    let soon = now + Duration::seconds(10);
    assert_eq!(
        store.ask_code("13900000002", "111111", &rule, soon).await.unwrap(),
        CodeAsked::Wait(now + rule.spacing)
    );
    assert_eq!(
        store.ask_code("13700000000", "111111", &rule, soon).await.unwrap(),
        CodeAsked::Wait(now + rule.spacing)
    );

    // A stranger's phone never signs in, even with the code it was "sent".
    assert_eq!(store.redeem_code("13700000000", "654321", "t0", &rule, soon).await.unwrap(), None);
    // A wrong code, then the right one: a session over the household.
    assert_eq!(store.redeem_code("13900000002", "000000", "t1", &rule, soon).await.unwrap(), None);
    let s = store.redeem_code("13900000002", "123456", "t2", &rule, soon).await.unwrap().unwrap();
    assert_eq!((s.household.as_str(), s.person_id.as_str(), s.household_name.as_str()), ("h1", "p2", "501"));
    assert_eq!(s.expires_at, soon + rule.session);
    // Spent: the same code opens nothing more.
    assert_eq!(store.redeem_code("13900000002", "123456", "t3", &rule, soon).await.unwrap(), None);
    assert_eq!(store.resident_session("t2", soon).await.unwrap(), Some(s.clone()));
    assert_eq!(store.resident_session("t2", s.expires_at).await.unwrap(), None);
    store.end_resident_session("t2", soon).await.unwrap();
    assert_eq!(store.resident_session("t2", soon).await.unwrap(), None);

    // A code sent is a secret only until it is settled.
    store.settle_messages(&[Settle::Sent { id: due[0].id, at: soon }]).await.unwrap();
    let kept = store.messages_to(RecipientKind::Person, "p2", 10).await.unwrap();
    assert_eq!(kept[0].params, serde_json::json!({}));

    // Five wrong tries spend a code: the right one after them opens nothing.
    let later = now + Duration::minutes(2);
    store.ask_code("13800000003", "222222", &rule, later).await.unwrap();
    for _ in 0..rule.tries {
        assert_eq!(store.redeem_code("13800000003", "999999", "x", &rule, later).await.unwrap(), None);
    }
    assert_eq!(store.redeem_code("13800000003", "222222", "t4", &rule, later).await.unwrap(), None);
    // An expired code opens nothing.
    store.ask_code("13900000004", "333333", &rule, later).await.unwrap();
    let late = later + rule.valid_for;
    assert_eq!(store.redeem_code("13900000004", "333333", "t5", &rule, late).await.unwrap(), None);

    // A worker ends every session of a household.
    store.ask_code("13900000001", "444444", &rule, later).await.unwrap();
    store.redeem_code("13900000001", "444444", "t6", &rule, later).await.unwrap().unwrap();
    assert_eq!(store.end_household_sessions(&code("h1"), later).await.unwrap(), 1);
    assert_eq!(store.resident_session("t6", later).await.unwrap(), None);
}

async fn a_notice_reaches_the_area_under_it(store: &dyn Store) {
    seed(store).await;
    let now = Utc::now().trunc_subsecs(0);
    let notice = |area: &str| cordon_store::NewAnnouncement {
        area: code(area),
        text_zh: "核酸检测 明早7:00 东门".into(),
        text_en: None,
        at: now,
        by: "gongzhufu".into(),
    };
    let d1 = scope_of(store, "d1").await;
    let posted = store.post_announcement(&d1, &notice("b1")).await.unwrap();
    assert_eq!((posted.area_name.as_str(), posted.households), ("3号楼", 2));
    let due = store.due_messages(now, 10).await.unwrap();
    assert_eq!(due.len(), 2);
    assert!(
        due.iter()
            .all(|m| m.kind == MessageKind::Announcement && m.params["text"] == "核酸检测 明早7:00 东门")
    );
    // Outside the poster's areas: not found, and nothing written.
    assert!(matches!(
        store.post_announcement(&d1, &notice("b2")).await,
        Err(cordon_store::StoreError::NotFound(_))
    ));
    assert_eq!(store.due_messages(now, 10).await.unwrap().len(), 2);
    // A household under it reads it; one elsewhere does not; the district above sees it.
    let h1 = scope_of(store, "h1").await;
    let h3 = scope_of(store, "h3").await;
    assert_eq!(store.announcements(&h1, 10).await.unwrap(), std::slice::from_ref(&posted));
    assert!(store.announcements(&h3, 10).await.unwrap().is_empty());
    assert_eq!(store.announcements(&AreaPath::root(), 10).await.unwrap().len(), 1);

    // A round scheduled over d1 tells its three households (h1, h2 under b1; none elsewhere).
    let round = cordon_store::NewRound {
        round_key: "R1".into(),
        name: "第一轮".into(),
        name_en: String::new(),
        area: code("d1"),
        starts_at: now + Duration::hours(12),
        deadline: now + Duration::hours(24),
        profile_key: "ninth-edition".into(),
        at: now,
        by: "hq".into(),
    };
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap();
    store.create_round(&AreaPath::root(), &round).await.unwrap();
    let told: Vec<_> = store
        .due_messages(now, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == MessageKind::RoundScheduled)
        .collect();
    let mut to: Vec<&str> = told.iter().map(|m| m.recipient.as_str()).collect();
    to.sort();
    assert_eq!(to, ["h1", "h2"]);
    assert_eq!(told[0].params["round"], "第一轮");
}

/// A request's emergency reaches the users answering where it was raised; an escalation, those
/// of the rung it climbed to — in the change's transaction, straight to their inboxes, never to
/// the sender; the top bar's count falls as they read.
async fn workers_are_told_in_their_inbox(store: &dyn Store) {
    use cordon_domain::Role;
    use cordon_domain::needs::{NeedCategory, Rung, default_need_rules, rule_for};
    seed(store).await;
    let t0 = Utc::now().trunc_subsecs(0);
    store.ensure_profiles(&cordon_domain::protocol::builtin(), t0).await.unwrap();
    for (username, scope) in [("hq", "c"), ("xincheng", "d1"), ("huimin", "d2")] {
        let u = cordon_store::NewUser {
            username: username.into(),
            display_name: username.into(),
            role: Role::CommunityWorker,
            scope: code(scope),
            password_hash: "x".into(),
            created_by: "test".into(),
        };
        store.create_user(&u).await.unwrap();
    }
    let rules = default_need_rules();
    let rule = rule_for(&rules, NeedCategory::MedicalCare, true).unwrap();
    let need = cordon_store::NewNeed {
        household: code("h1"),
        person_id: Some("p1".into()),
        category: NeedCategory::MedicalCare,
        emergency: true,
        contact_phone: None,
        description: "透析中断".into(),
        rung: Rung::District,
        owner_worker: None,
        profile_key: "ninth-edition".into(),
        pass_id: None,
        plan_key: None,
        at: t0,
        by: "grid".into(),
    };
    let e = store.create_need(&scope_of(store, "d1").await, &need, rule).await.unwrap();
    let inbox = |u: &'static str| async move { store.messages_to(RecipientKind::User, u, 10).await.unwrap() };
    let told = inbox("xincheng").await;
    assert_eq!(told.len(), 1);
    assert_eq!(
        (told[0].kind, told[0].state, told[0].read_at),
        (MessageKind::NeedEmergency, Delivery::Sent, None)
    );
    assert_eq!(told[0].params["need"], e.id);
    assert!(inbox("huimin").await.is_empty(), "another district's worker is told nothing");
    assert!(inbox("hq").await.is_empty());
    assert!(store.due_messages(t0, 10).await.unwrap().is_empty(), "an inbox's message is no SMS");

    // Nobody acknowledges it: it climbs to headquarters, who are told once.
    let climbed =
        store.escalate_needs(&[(e.id, rule.clone())], t0 + Duration::hours(2), "cordon").await.unwrap();
    assert_eq!(climbed[0].0.rung, Rung::Headquarters);
    let hq = inbox("hq").await;
    assert_eq!(hq.len(), 1);
    assert_eq!(
        (hq[0].kind, hq[0].params["rung"].as_str()),
        (MessageKind::NeedEscalated, Some("headquarters"))
    );

    // Read: the count falls to nought, and only the reader's.
    assert_eq!(store.unread_messages("xincheng").await.unwrap(), 1);
    assert_eq!(store.mark_messages_read("xincheng", told[0].id, t0).await.unwrap(), 1);
    assert_eq!(store.unread_messages("xincheng").await.unwrap(), 0);
    assert_eq!(store.unread_messages("hq").await.unwrap(), 1);
    assert_eq!(store.mark_messages_read("xincheng", i64::MAX, t0).await.unwrap(), 0);
}

/// A household without a phone of its own is reached through a relative's, added with a reason:
/// it is sent the household's messages, signs in to its page, and is signed out when removed.
async fn a_relative_reaches_the_household(store: &dyn Store) {
    use cordon_store::NewHouseholdPhone;
    seed(store).await;
    let now = Utc::now().trunc_subsecs(0);
    let d1 = scope_of(store, "d1").await;
    let added = |household: &str| NewHouseholdPhone {
        household: code(household),
        phone: "13700000009".into(),
        relation: "女儿".into(),
        reason: "独居老人无手机".into(),
        at: now,
        by: "grid".into(),
    };
    let r = store.add_household_phone(&d1, &added("h2")).await.unwrap();
    assert_eq!((r.phone.as_str(), r.relation.as_str()), ("13700000009", "女儿"));
    assert!(matches!(
        store.add_household_phone(&d1, &added("h2")).await,
        Err(cordon_store::StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.add_household_phone(&d1, &added("h3")).await,
        Err(cordon_store::StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.add_household_phone(&d1, &added("b1")).await,
        Err(cordon_store::StoreError::NotFound(_))
    ));
    assert_eq!(store.household_phones(&d1, &code("h2")).await.unwrap(), std::slice::from_ref(&r));
    assert!(store.household_phones(&scope_of(store, "d2").await, &code("h2")).await.unwrap().is_empty());
    let h2 = (RecipientKind::Household, "h2".to_owned());
    let phones = store.phones_of(std::slice::from_ref(&h2)).await.unwrap();
    assert_eq!(phones[&h2], ["13800000003", "13700000009"], "the member's own first");

    // Its code is sent to it, and it opens the household's page.
    let rule = SIGN_IN;
    store.ask_code("13700000009", "123456", &rule, now).await.unwrap();
    let due = store.due_messages(now, 10).await.unwrap();
    assert_eq!(
        (due[0].recipient_kind, due[0].recipient.clone()),
        (RecipientKind::Relative, r.id.to_string())
    );
    let to = (RecipientKind::Relative, r.id.to_string());
    assert_eq!(store.phones_of(std::slice::from_ref(&to)).await.unwrap()[&to], ["13700000009"]);
    let s = store.redeem_code("13700000009", "123456", "rt", &rule, now).await.unwrap().unwrap();
    assert_eq!((s.household.as_str(), s.person_id.clone()), ("h2", cordon_store::relative_principal(r.id)));

    // Removed: signed out, and no longer sent anything.
    let gone = store.remove_household_phone(&d1, &code("h2"), r.id, now, "grid").await.unwrap();
    assert_eq!(gone.map(|g| g.id), Some(r.id));
    assert_eq!(store.resident_session("rt", now).await.unwrap(), None);
    assert_eq!(store.phones_of(std::slice::from_ref(&h2)).await.unwrap()[&h2], ["13800000003"]);
    assert_eq!(store.remove_household_phone(&d1, &code("h2"), r.id, now, "grid").await.unwrap(), None);
}

both!(
    a_zone_tells_every_household_under_it,
    a_code_opens_one_session,
    a_notice_reaches_the_area_under_it,
    workers_are_told_in_their_inbox,
    a_relative_reaches_the_household
);
