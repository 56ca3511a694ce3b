//! The figures on both backends: counts per day, briefings and the export pages.

use chrono::{Duration, Utc};
use cordon_domain::AreaPath;
use cordon_store::{Store, StoreError};

use crate::*;

/// Day-by-day counts, briefings by revision, export audit and the register paged by keyset.
async fn figures_per_day_briefings_and_export_pages(store: &dyn Store) {
    use cordon_domain::CaseClass;
    use cordon_domain::needs::{NeedCategory, NeedEvent, NeedEventKind, Rung, default_need_rules, rule_for};
    use cordon_store::{
        CaseChange, NeedDayCounts, NewBriefing, NewExport, NewNeed, NewNeedEvent, PositiveCounts,
    };
    seed(store).await;
    let day = |d: u32| format!("2022-10-0{d}T00:00:00Z").parse::<chrono::DateTime<Utc>>().unwrap();
    let bounds = [day(1), day(2), day(3)];
    store.ensure_profiles(&cordon_domain::protocol::builtin(), day(1)).await.unwrap();
    let city = AreaPath::root();
    let d1 = scope_of(store, "d1").await;
    let d2 = scope_of(store, "d2").await;

    // p1 (d1) asymptomatic on day 1, reclassified on day 2; p3 (d1) confirmed on day 2; p4 (d2)
    // on day 2; one before the window.
    let c1 = store.open_case(&city, &new_case("p1", day(1) + Duration::hours(10))).await.unwrap();
    store
        .change_case(
            c1.id,
            &CaseChange::Reclassified { from: CaseClass::Asymptomatic, to: CaseClass::Confirmed },
            day(2) + Duration::hours(9),
            "epi",
        )
        .await
        .unwrap();
    let mut c3 = new_case("p3", day(2) + Duration::hours(1));
    c3.class = CaseClass::Confirmed;
    store.open_case(&city, &c3).await.unwrap();
    store.open_case(&city, &new_case("p4", day(2) + Duration::hours(23))).await.unwrap();
    store.open_case(&city, &new_case("p2", day(1) - Duration::hours(1))).await.unwrap();
    let pos = |a, c, r| PositiveCounts { asymptomatic: a, confirmed: c, reclassified: r };
    assert_eq!(store.positives_per_bucket(&d1, &bounds).await.unwrap(), vec![pos(1, 0, 0), pos(0, 1, 1)]);
    assert_eq!(store.positives_per_bucket(&city, &bounds).await.unwrap(), vec![pos(1, 0, 0), pos(1, 1, 1)]);
    assert_eq!(store.positives_per_bucket(&d2, &bounds[..2]).await.unwrap(), vec![pos(0, 0, 0)]);
    assert!(store.positives_per_bucket(&d2, &bounds[..1]).await.unwrap().is_empty());

    // A need raised on day 1 and resolved on day 2; an emergency raised on day 2.
    let rules = default_need_rules();
    let need = |household: &str, category, emergency, at| NewNeed {
        household: code(household),
        person_id: Some("p1".into()),
        category,
        emergency,
        contact_phone: Some("13900000001".into()),
        description: "需要送药".into(),
        rung: Rung::Community,
        owner_worker: None,
        profile_key: "ninth-edition".into(),
        pass_id: None,
        plan_key: None,
        at,
        by: "grid".into(),
    };
    let food_rule = rule_for(&rules, NeedCategory::Food, false).unwrap();
    let food = store
        .create_need(&d1, &need("h1", NeedCategory::Food, false, day(1) + Duration::hours(8)), food_rule)
        .await
        .unwrap();
    let at = day(2) + Duration::hours(2);
    for kind in [NeedEventKind::Acknowledged, NeedEventKind::Resolved] {
        let e = NewNeedEvent {
            event: NeedEvent { at, kind },
            note: String::new(),
            by: "grid".into(),
            recorded_at: at,
        };
        store.record_need_event(&d1, food.id, &e, food_rule).await.unwrap().unwrap();
    }
    let care_rule = rule_for(&rules, NeedCategory::MedicalCare, true).unwrap();
    store
        .create_need(
            &d1,
            &need("h2", NeedCategory::MedicalCare, true, day(2) + Duration::hours(5)),
            care_rule,
        )
        .await
        .unwrap();
    let counts =
        |opened, emergencies, resolved| NeedDayCounts { opened, emergencies, care_planned: 0, resolved };
    assert_eq!(store.needs_per_bucket(&d1, &bounds).await.unwrap(), vec![counts(1, 0, 0), counts(1, 1, 1)]);
    assert_eq!(store.needs_per_bucket(&d2, &bounds).await.unwrap(), vec![counts(0, 0, 0); 2]);

    // Briefings: a second publication of a day is its next revision; only inside the scope.
    let briefing = |area: &str, text: &str| NewBriefing {
        area: code(area),
        day: chrono::NaiveDate::from_ymd_opt(2022, 10, 2).unwrap(),
        text_zh: format!("# {text}"),
        text_en: format!("# {text} (en)"),
        figures: "{}".into(),
        at: day(3),
        by: "hq".into(),
    };
    let first = store.publish_briefing(&city, &briefing("d1", "第一版")).await.unwrap();
    let second = store.publish_briefing(&d1, &briefing("d1", "第二版")).await.unwrap();
    assert_eq!((first.revision, second.revision, second.area_name.as_str()), (1, 2, "新城区"));
    assert!(matches!(
        store.publish_briefing(&d2, &briefing("d1", "x")).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    let listed = store.briefings(&d1, 10).await.unwrap();
    assert_eq!(listed.iter().map(|b| b.revision).collect::<Vec<_>>(), vec![2, 1]);
    assert!(store.briefings(&d2, 10).await.unwrap().is_empty());
    assert_eq!(store.briefing(&d1, first.id).await.unwrap().unwrap().text_zh, "# 第一版");
    assert_eq!(store.briefing(&d2, first.id).await.unwrap(), None);

    // The register page by page, one person a page: each once, in household order, in scope.
    let mut seen = vec![];
    let mut after: Option<(AreaPath, String)> = None;
    loop {
        let page = store.people_page(&city, after.as_ref().map(|(p, id)| (p, id.as_str())), 1).await.unwrap();
        let Some((last, _)) = page.last() else { break };
        after = Some((last.path.clone(), last.person_id.as_str().to_owned()));
        seen.extend(page.iter().map(|(p, _)| p.person_id.as_str().to_owned()));
    }
    assert_eq!(seen, vec!["p1", "p2", "p3", "p4"]);
    let d1_people = store.people_page(&d1, None, 100).await.unwrap();
    assert_eq!(
        d1_people.iter().map(|(p, _)| p.person_id.as_str()).collect::<Vec<_>>(),
        vec!["p1", "p2", "p3"]
    );
    assert_eq!(d1_people.iter().map(|(_, h)| h.as_str()).collect::<Vec<_>>(), vec!["501", "501", "502"]);

    // An export is audited as it starts and counted as it goes.
    let id = store
        .begin_export(&NewExport {
            user_id: 1,
            username: "hq".into(),
            list: "people".into(),
            area: code("d1"),
            format: "csv".into(),
            pseudonymised: true,
            at: day(3),
        })
        .await
        .unwrap();
    store.export_progress(id, 3, true).await.unwrap();
    let e = &store.exports(10).await.unwrap()[0];
    assert_eq!(
        (e.list.as_str(), e.area.as_str(), e.rows, e.finished, e.pseudonymised),
        ("people", "d1", 3, true, true)
    );
}

both!(figures_per_day_briefings_and_export_pages);
