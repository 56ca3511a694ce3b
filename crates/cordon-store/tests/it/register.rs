//! The register on both backends: areas and people land, scopes hold, users and sessions and the
//! audit.

use chrono::{Duration, Utc};
use cordon_domain::{AreaLevel, AreaPath, PersonId, Role};
use cordon_store::{NewUser, PeopleQuery, Store};

use crate::*;

async fn register_and_scopes(store: &dyn Store) {
    seed(store).await;
    let root = AreaPath::root();
    let city = store.area(&root, &code("c")).await.unwrap().unwrap();
    assert_eq!((city.stats.residents, city.stats.households, city.stats.vulnerable), (4, 3, 2));
    assert_eq!(city.children, 2);
    let d1 = scope_of(store, "d1").await;

    // Children and counts, scoped.
    let kids = store.children(&root, &code("b1")).await.unwrap();
    let counts: Vec<_> = kids.iter().map(|k| (k.area.code.as_str().to_owned(), k.stats.residents)).collect();
    assert_eq!(counts, [("h1".to_owned(), 2), ("h2".to_owned(), 1)]);
    assert!(store.children(&d1, &code("c")).await.unwrap().iter().all(|k| k.area.code.as_str() == "d1"));
    assert!(store.area(&d1, &code("d2")).await.unwrap().is_none(), "another district is invisible");

    // Search by name prefix, whole phone and ID number, inside the scope only.
    let names = |v: Vec<cordon_store::PersonRecord>| v.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let q = PeopleQuery::NamePrefix("王".into());
    assert_eq!(names(store.search_people(&root, &q, 10).await.unwrap()), ["王刚", "王小明", "王芳"]);
    assert_eq!(names(store.search_people(&d1, &q, 10).await.unwrap()), ["王小明", "王芳"]);
    assert_eq!(names(store.search_people(&d1, &q, 1).await.unwrap()), ["王小明"]);
    let q = PeopleQuery::Phone("13800000003".into());
    assert_eq!(names(store.search_people(&root, &q, 10).await.unwrap()), ["李娜"]);
    assert!(
        store.search_people(&d1, &PeopleQuery::Phone("13900000004".into()), 10).await.unwrap().is_empty()
    );
    let q = PeopleQuery::IdNumber("11010519491231002X".into());
    assert_eq!(names(store.search_people(&d1, &q, 10).await.unwrap()), ["王芳"]);
    let q = PeopleQuery::Household(code("h1"));
    assert_eq!(store.search_people(&root, &q, 10).await.unwrap().len(), 2);

    let p1 = PersonId::parse("p1").unwrap();
    let rec = store.person(&d1, &p1).await.unwrap().unwrap();
    assert_eq!(rec.tags.to_stored(), "dialysis");
    assert_eq!(rec.phone.as_deref(), Some("13900000001"));
    let d2 = scope_of(store, "d2").await;
    assert!(store.person(&d2, &p1).await.unwrap().is_none(), "a person outside the scope is not found");

    let h1 = scope_of(store, "h1").await;
    let areas = store.areas_on(std::slice::from_ref(&h1)).await.unwrap();
    let codes: Vec<_> = cordon_store::lineage(&areas, &h1).iter().map(|a| a.code.as_str()).collect();
    assert_eq!(codes, ["c", "d1", "b1", "h1"]);
}

async fn second_import_adds_and_refuses_duplicates(store: &dyn Store) {
    seed(store).await;
    let known = store.known_areas(&[code("b1"), code("zz")]).await.unwrap();
    assert_eq!(known.len(), 1);
    assert_eq!(known[&code("b1")].parent, Some(code("d1")));
    let mut import = store.begin_import(false).await.unwrap();
    import.areas(&[area("h4", Some("b2"), AreaLevel::Household, "102")]).await.unwrap();
    let rejected = import
        .people(&[
            person("p1", "重复", "h4", "13900000009", ""),
            person("p9", "孙七", "h4", "13900000010", ""),
        ])
        .await
        .unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].reason, "p1 is already registered");
    import.commit().await.unwrap();
    let d2 = store.area(&AreaPath::root(), &code("d2")).await.unwrap().unwrap();
    assert_eq!((d2.stats.residents, d2.stats.households), (2, 2));
}

async fn an_import_dropped_before_commit_leaves_nothing(store: &dyn Store) {
    seed(store).await;
    {
        let mut import = store.begin_import(false).await.unwrap();
        import.areas(&[area("h9", Some("b2"), AreaLevel::Household, "109")]).await.unwrap();
        import.people(&[person("p9", "孙七", "h9", "13900000010", "")]).await.unwrap();
    }
    let totals = store.totals().await.unwrap();
    assert_eq!((totals.areas, totals.people), (8, 4));
    assert!(store.known_areas(&[code("h9")]).await.unwrap().is_empty());
}

async fn users_sessions_and_audit(store: &dyn Store) {
    seed(store).await;
    let new = NewUser {
        username: "wang".into(),
        display_name: "王主任".into(),
        role: Role::District,
        scope: code("d1"),
        password_hash: "x".into(),
    };
    let u = store.create_user(&new).await.unwrap();
    assert_eq!(u.scope_name, "新城区");
    assert!(matches!(store.create_user(&new).await, Err(cordon_store::StoreError::Conflict(_))));
    let bad = NewUser { username: "nobody".into(), scope: code("zz"), ..new.clone() };
    assert!(matches!(store.create_user(&bad).await, Err(cordon_store::StoreError::Invalid(_))));

    let now = Utc::now();
    store.create_session("t1", u.id, now, now + Duration::hours(1)).await.unwrap();
    store.create_session("t2", u.id, now - Duration::hours(2), now - Duration::hours(1)).await.unwrap();
    assert_eq!(store.session_user("t1", now).await.unwrap().unwrap().username, "wang");
    assert!(store.session_user("t2", now).await.unwrap().is_none(), "an expired session is dead");
    store.delete_session("t1").await.unwrap();
    assert!(store.session_user("t1", now).await.unwrap().is_none());
    store.create_session("t3", u.id, now, now + Duration::hours(1)).await.unwrap();
    assert!(store.set_password("wang", "y").await.unwrap());
    assert!(store.session_user("t3", now).await.unwrap().is_none(), "a new password ends old sessions");

    let p = [PersonId::parse("p1").unwrap(), PersonId::parse("p2").unwrap()];
    store.audit_reads(&u, &p, "GET /api/v1/people/{id}", now).await.unwrap();
    let reads = store.reads_of(&p[0], 10).await.unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!((reads[0].username.as_str(), reads[0].route.as_str()), ("wang", "GET /api/v1/people/{id}"));

    // The audit is a hash chain: intact, with the head of the last entry; appends extend it.
    let first = store.verify_audit().await.unwrap();
    assert_eq!((first.entries, first.unchained, first.broken.clone()), (2, 0, None));
    // Nanoseconds are cut to what both backends keep, so an entry hashes as it is read back.
    let later = now + Duration::nanoseconds(1_234_567_891);
    store.audit_reads(&u, &p[..1], "GET /api/v1/households/{code}", later).await.unwrap();
    let second = store.verify_audit().await.unwrap();
    assert_eq!((second.entries, second.broken), (3, None));
    assert_ne!(second.head, first.head);
    assert_eq!(second.head.len(), 64);
}

both!(
    register_and_scopes,
    second_import_adds_and_refuses_duplicates,
    an_import_dropped_before_commit_leaves_nothing,
    users_sessions_and_audit
);
