//! Gates on both backends: checkpoints, passes and the log.

use chrono::{Duration, Utc};
use cordon_domain::{AreaPath, PersonId, Role, Tier};
use cordon_store::{NewUser, Store};

use crate::*;

async fn gates_passes_and_the_log(store: &dyn Store) {
    use cordon_domain::gates::{Direction, Outcome, PassKind, RuleId, Standing, Subject};
    use cordon_store::{NewGate, NewPass, NewPassage, OfflineStamp, PassageQuery, Recorded};
    seed(store).await;
    let hq = store
        .create_user(&NewUser {
            username: "gatekeeper".into(),
            display_name: "李干部".into(),
            role: Role::Cadre,
            scope: code("d1"),
            password_hash: "x".into(),
            created_by: "test".into(),
        })
        .await
        .unwrap();
    let t0 = "2026-11-29T08:10:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
    let new_gate = NewGate { area: code("b1"), name: "东门".into(), at: t0, by: "wang".into() };
    let gate = store.create_gate(&new_gate).await.unwrap();
    assert_eq!((gate.area_name.as_str(), gate.name.as_str()), ("3号楼", "东门"));
    assert!(matches!(store.create_gate(&new_gate).await, Err(cordon_store::StoreError::Conflict(_))));
    let unknown = NewGate { area: code("zz"), ..new_gate.clone() };
    assert!(matches!(store.create_gate(&unknown).await, Err(cordon_store::StoreError::NotFound(_))));
    let d1 = scope_of(store, "d1").await;
    let d2 = scope_of(store, "d2").await;
    assert_eq!(store.gates(&d1, 10).await.unwrap(), vec![gate.clone()]);
    assert!(store.gates(&d2, 10).await.unwrap().is_empty());

    // Standing: by register id or ID number; a held retest and a case show.
    let s = store.gate_subject("p1").await.unwrap().unwrap();
    assert_eq!((s.person.name.as_str(), s.standing()), ("王芳", Standing::Clear));
    assert_eq!(
        store.gate_subject("11010519491231002X").await.unwrap().unwrap().person.person_id.as_str(),
        "p1"
    );
    assert!(store.gate_subject("nobody").await.unwrap().is_none());
    store.ensure_profiles(&cordon_domain::protocol::builtin(), t0).await.unwrap();
    store.open_case(&AreaPath::root(), &new_case("p2", t0)).await.unwrap();
    assert_eq!(store.gate_subject("p2").await.unwrap().unwrap().standing(), Standing::Positive);

    let pass = NewPass {
        id: "PX1".into(),
        kind: PassKind::Medical,
        person_id: Some("p1".into()),
        holder: "王*".into(),
        area: code("b1"),
        gate_ids: vec![gate.id],
        valid_from: t0,
        valid_until: t0 + Duration::hours(6),
        one_time: true,
        reason: "透析".into(),
        at: t0,
        by: "wang".into(),
    };
    let issued = store.issue_pass(&pass).await.unwrap();
    assert_eq!((issued.gate_ids.clone(), issued.one_time, issued.used_at), (vec![gate.id], true, None));
    assert_eq!(store.passes(&d1, 10).await.unwrap().len(), 1);

    let out = NewPassage {
        gate_id: Some(gate.id),
        path: gate.path.clone(),
        at: t0 + Duration::minutes(5),
        direction: Direction::Out,
        subject: Subject::Resident,
        person_id: Some("p1".into()),
        pass_id: Some("PX1".into()),
        outcome: Outcome::Allowed,
        rule: RuleId::PassAdmits,
        gate_tier: Some(Tier::Sealed),
        home_tier: Some(Tier::Sealed),
        standing: Standing::Clear,
        lives_inside: true,
        confirmed: false,
        note: String::new(),
        finding: None,
        finding_detail: String::new(),
        offline: None,
    };
    let Recorded::Kept(kept) = store.record_passage(&out, Some("PX1"), &hq, "gate").await.unwrap() else {
        panic!("the first use of a one-time pass is kept")
    };
    assert_eq!(
        (kept.name.as_deref(), kept.gate_name.as_deref(), kept.rule),
        (Some("王芳"), Some("东门"), RuleId::PassAdmits)
    );
    assert_eq!(store.pass("PX1").await.unwrap().unwrap().used_gate_id, Some(gate.id));
    // The same one-time pass again: nothing written.
    let again = NewPassage { at: t0 + Duration::minutes(7), ..out.clone() };
    assert_eq!(store.record_passage(&again, Some("PX1"), &hq, "gate").await.unwrap(), Recorded::PassUsed);
    let refused = NewPassage {
        outcome: Outcome::Refused,
        rule: RuleId::PassRefused,
        pass_id: Some("PX1".into()),
        ..again
    };
    store.record_passage(&refused, None, &hq, "gate").await.unwrap();
    // An unknown gate's refusal is kept under the cadre's scope.
    let nowhere = NewPassage {
        gate_id: None,
        path: d1.clone(),
        person_id: None,
        pass_id: None,
        outcome: Outcome::Refused,
        rule: RuleId::UnknownGate,
        ..out.clone()
    };
    store.record_passage(&nowhere, None, &hq, "gate").await.unwrap();

    let log = store.passages(&d1, &PassageQuery::default(), 10).await.unwrap();
    assert_eq!(
        log.iter().map(|p| p.rule).collect::<Vec<_>>(),
        [RuleId::UnknownGate, RuleId::PassRefused, RuleId::PassAdmits]
    );
    assert!(store.passages(&d2, &PassageQuery::default(), 10).await.unwrap().is_empty());
    let at_gate = PassageQuery { gate_id: Some(gate.id), ..Default::default() };
    assert_eq!(store.passages(&d1, &at_gate, 10).await.unwrap().len(), 2);
    let older = PassageQuery { before_id: Some(log[1].id), ..Default::default() };
    assert_eq!(store.passages(&d1, &older, 10).await.unwrap()[0].rule, RuleId::PassAdmits);
    let reads = store.reads_of(&PersonId::parse("p1").unwrap(), 10).await.unwrap();
    assert_eq!(reads.len(), 2, "{reads:?}");

    let traffic =
        store.gate_traffic(&d1, None, t0 - Duration::hours(1), t0 + Duration::hours(1)).await.unwrap();
    assert_eq!(traffic.len(), 1);
    assert_eq!(traffic[0].hour, "2026-11-29T08:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap());
    assert_eq!((traffic[0].allowed_in, traffic[0].allowed_out, traffic[0].refused), (0, 1, 1));

    // Presence: p1 is out on the pass.
    let presence = store.presence(&d1, 10).await.unwrap();
    assert_eq!(presence.len(), 1);
    let p = &presence[0];
    assert_eq!(
        (p.person_id.as_deref(), p.direction, p.pass_kind, p.pass_revoked),
        (Some("p1"), Direction::Out, Some(PassKind::Medical), false)
    );
    // Back in, confirmed into a zone they do not live in: they stay there.
    let back = NewPassage {
        at: t0 + Duration::hours(2),
        direction: Direction::In,
        pass_id: None,
        lives_inside: false,
        confirmed: true,
        rule: RuleId::ConfirmedStaying,
        ..out.clone()
    };
    store.record_passage(&back, None, &hq, "gate").await.unwrap();
    assert_eq!(store.presence(&d1, 10).await.unwrap()[0].direction, Direction::In);
    assert_eq!(store.gate_subject("p1").await.unwrap().unwrap().staying_in, Some(gate.path.clone()));
    let revoked =
        store.revoke_pass("PX1", t0 + Duration::hours(3), "wang", "trip done").await.unwrap().unwrap();
    assert_eq!(revoked.revoke_reason.as_deref(), Some("trip done"));
    assert!(store.revoke_pass("nope", t0, "wang", "x").await.unwrap().is_none());

    // Decided on a device without the network, then sent twice (a retry, a second tab): kept
    // once, with the device's time and the server's.
    let offline = NewPassage {
        at: t0 + Duration::hours(4),
        direction: Direction::Out,
        pass_id: None,
        outcome: Outcome::Refused,
        rule: RuleId::TierKeepsIn,
        offline: Some(OfflineStamp {
            action: "dev-1-0001".into(),
            received_at: t0 + Duration::hours(5),
            conflict: Some("服务器判定不同".into()),
        }),
        ..out.clone()
    };
    let Recorded::Kept(first) = store.record_passage(&offline, None, &hq, "gate").await.unwrap() else {
        panic!("an offline passage is kept the first time")
    };
    assert_eq!((first.at, first.received_at), (t0 + Duration::hours(4), Some(t0 + Duration::hours(5))));
    assert_eq!(first.conflict.as_deref(), Some("服务器判定不同"));
    let Recorded::Already(second) = store.record_passage(&offline, None, &hq, "gate").await.unwrap() else {
        panic!("the same device action sent again is not kept again")
    };
    assert_eq!(second.id, first.id);
    let at_gate = PassageQuery { gate_id: Some(gate.id), ..Default::default() };
    let log = store.passages(&d1, &at_gate, 50).await.unwrap();
    assert_eq!(log.iter().filter(|p| p.received_at.is_some()).count(), 1);

    // What a gate device keeps: the building's people, p3 among them, and p1 staying there.
    let post = store.gate_post(&gate.path, &hq, "field", t0).await.unwrap();
    let ids: Vec<&str> = post.iter().map(|s| s.person.person_id.as_str()).collect();
    assert!(ids.contains(&"p1") && ids.contains(&"p3"), "{ids:?}");
    assert!(post.iter().all(|s| gate.path.contains(&s.person.path) || s.staying_in.is_some()));
    assert_eq!(
        post.iter().find(|s| s.person.person_id.as_str() == "p2").unwrap().standing(),
        Standing::Positive
    );
    let read = store.reads_of(&PersonId::parse("p3").unwrap(), 10).await.unwrap();
    assert_eq!(read.iter().filter(|r| r.route == "field").count(), 1, "each person kept is audited");
    // The passes that may open it: issued for its area or one above it, within their window.
    let over = store.passes_over(&gate.path.lineage(), t0).await.unwrap();
    assert_eq!(
        over.iter().map(|p| (p.id.as_str(), p.revoked_at.is_some())).collect::<Vec<_>>(),
        [("PX1", true)]
    );
    assert!(store.passes_over(&d2.lineage(), t0).await.unwrap().is_empty());
    assert!(store.passes_over(&gate.path.lineage(), t0 + Duration::hours(7)).await.unwrap().is_empty());
}

both!(gates_passes_and_the_log);
