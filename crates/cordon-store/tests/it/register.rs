//! The register on both backends: areas and people land, scopes hold, users and sessions and the
//! audit.

use chrono::{Duration, Utc};
use cordon_domain::{AreaCode, AreaLevel, AreaPath, IdNumber, PersonId, PersonStatus, Role, Sex, Tags};
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
    // Named in one read, only inside the scope; an id nobody has is left out.
    let ids = ["p1".to_owned(), "nobody".to_owned()];
    let named = store.names_in(&d1, &ids).await.unwrap();
    assert_eq!(named.get("p1").map(String::as_str), Some(rec.name.as_str()));
    assert_eq!(named.len(), 1);
    assert!(store.names_in(&d2, &ids).await.unwrap().is_empty(), "nobody outside the scope");
    assert!(store.names_in(&root, &[]).await.unwrap().is_empty());

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
        created_by: "test".into(),
    };
    let u = store.create_user(&new).await.unwrap();
    assert_eq!(u.scope_name, "新城区");
    let shown = store.display_names(&["wang".to_owned(), "gone".to_owned()]).await.unwrap();
    assert_eq!(shown.into_iter().collect::<Vec<_>>(), [("wang".to_owned(), "王主任".to_owned())]);
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

/// 用户管理: a change lands whole with its lines; a disabling, a new role or new areas end the
/// user's sessions; a scope naming no area changes nothing; users are listed by their areas.
async fn users_changed_whole(store: &dyn Store) {
    seed(store).await;
    let new = |name: &str, role, scope: &str| NewUser {
        username: name.into(),
        display_name: name.into(),
        role,
        scope: code(scope),
        password_hash: "x".into(),
        created_by: "boss".into(),
    };
    let li = store.create_user(&new("li", Role::Cadre, "b1")).await.unwrap();
    store.create_user(&new("zhao", Role::Sampler, "b2")).await.unwrap();
    assert_eq!(li.disabled_at, None);
    let d1 = store.area(&AreaPath::root(), &code("d1")).await.unwrap().unwrap().area.path;
    let names = |us: Vec<cordon_store::User>| us.into_iter().map(|u| u.username).collect::<Vec<_>>();
    assert_eq!(names(store.users_in(&d1).await.unwrap()), ["li"]);
    assert_eq!(names(store.users_in(&AreaPath::root()).await.unwrap()), ["li", "zhao"]);

    let now = Utc::now();
    let at = now - Duration::minutes(1);
    store.create_session("s1", li.id, now, now + Duration::hours(1)).await.unwrap();
    // Only the name: the session lives on.
    let c = cordon_store::UserChange {
        username: "li",
        by: "boss",
        at,
        display_name: Some("李干部"),
        ..Default::default()
    };
    assert_eq!(store.change_user(&c).await.unwrap().unwrap().display_name, "李干部");
    assert!(store.session_user("s1", now).await.unwrap().is_some());
    // A scope naming no area: refused, and the role given with it not changed either.
    let nowhere = code("zz");
    let bad = cordon_store::UserChange { role: Some(Role::Sampler), scope: Some(&nowhere), ..c.clone() };
    assert!(matches!(store.change_user(&bad).await, Err(cordon_store::StoreError::Invalid(_))));
    assert_eq!(store.user_by_name("li").await.unwrap().unwrap().role, Role::Cadre);
    // Disabled: no session, and the line says by whom and why.
    let off = cordon_store::UserChange {
        disabled: Some(true),
        reason: Some("调离"),
        display_name: None,
        ..c.clone()
    };
    let u = store.change_user(&off).await.unwrap().unwrap();
    assert!(u.disabled_at.is_some());
    assert!(store.session_user("s1", now).await.unwrap().is_none(), "a disabled user's session is gone");
    store.create_session("s2", li.id, now, now + Duration::hours(1)).await.unwrap();
    assert!(store.session_user("s2", now).await.unwrap().is_none(), "a disabled user holds no session");
    let on = cordon_store::UserChange { disabled: Some(false), display_name: None, ..c.clone() };
    assert_eq!(store.change_user(&on).await.unwrap().unwrap().disabled_at, None);
    assert!(store.session_user("s2", now).await.unwrap().is_some());
    let d2 = code("d2");
    let moved = cordon_store::UserChange { scope: Some(&d2), display_name: None, ..c.clone() };
    assert_eq!(store.change_user(&moved).await.unwrap().unwrap().scope_name, "回民区");
    assert!(store.session_user("s2", now).await.unwrap().is_none(), "new areas end the sessions");

    let lines = store.user_changes("li", 10).await.unwrap();
    let kinds: Vec<_> = lines.iter().map(|l| l.change.as_str()).collect();
    assert_eq!(kinds, ["scope", "enabled", "disabled", "display_name", "created"]);
    assert_eq!((lines[0].before.as_deref(), lines[0].after.as_deref()), (Some("b1"), Some("d2")));
    assert_eq!((lines[2].by.as_str(), lines[2].reason.as_deref()), ("boss", Some("调离")));
    let missing = cordon_store::UserChange { username: "nobody", ..c };
    assert!(store.change_user(&missing).await.unwrap().is_none());
}

fn new_person<'a>(
    scope: &'a AreaPath,
    household: &'a AreaCode,
    name: &'a str,
    tags: &'a Tags,
) -> cordon_store::NewPerson<'a> {
    cordon_store::NewPerson {
        scope,
        name,
        id_number: None,
        phone: None,
        birth_year: Some(1940),
        sex: Sex::Male,
        household,
        tags,
        by: "grid",
        reason: "入户发现",
        at: Utc::now(),
    }
}

/// 户籍维护: a person registered, moved, marked deceased — each whole, with its lines and the
/// counts of every area above; a second death refused inside the transaction; ids numbered by
/// the register even when two clerks add at once.
async fn register_kept_whole(store: &dyn Store) {
    seed(store).await;
    let root = AreaPath::root();
    let d1 = scope_of(store, "d1").await;
    let counts = |c: &'static str| async move {
        let s = store.area(&AreaPath::root(), &code(c)).await.unwrap().unwrap().stats;
        (s.residents, s.households, s.vulnerable)
    };
    assert_eq!(counts("c").await, (4, 3, 2));
    let tags = Tags::parse("elderly_alone").unwrap();
    let (h2, h3) = (code("h2"), code("h3"));
    // Two clerks at once: two numbers, both counted.
    let (zhang, liu) = (new_person(&d1, &h2, "张大爷", &tags), new_person(&d1, &h2, "刘奶奶", &tags));
    let (a, b) = tokio::join!(store.register_person(&zhang), store.register_person(&liu));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.person_id.is_registered_here() && b.person_id.is_registered_here());
    assert_ne!(a.person_id, b.person_id);
    assert_eq!(counts("c").await, (6, 3, 4));
    assert_eq!(counts("b1").await, (5, 2, 4));
    // Another district's household is not the clerk's: nothing written.
    let outside = store.register_person(&new_person(&d1, &h3, "外人", &tags)).await;
    assert!(matches!(outside, Err(cordon_store::StoreError::NotFound(_))), "{outside:?}");
    assert_eq!(counts("c").await, (6, 3, 4));

    // 李娜 (p3) was h2's first; moving her and both new people to h1 empties h2.
    let h1 = code("h1");
    let p3 = PersonId::parse("p3").unwrap();
    for id in [&p3, &a.person_id, &b.person_id] {
        let c = cordon_store::PersonChange {
            scope: &d1,
            person: id,
            phone: None,
            tags: None,
            household: Some(&h1),
            status: None,
            by: "grid",
            reason: "搬家",
            at: Utc::now(),
        };
        assert_eq!(store.change_person(&c).await.unwrap().unwrap().household, h1);
    }
    assert_eq!(counts("b1").await, (5, 1, 4), "h2 holds no one now");
    let h1_path = scope_of(store, "h1").await;
    assert_eq!(store.person(&h1_path, &p3).await.unwrap().unwrap().path, h1_path);

    // A death: out of the counts; a second one refused, changing nothing.
    let dead = cordon_store::PersonChange {
        scope: &d1,
        person: &a.person_id,
        phone: None,
        tags: None,
        household: None,
        status: Some(PersonStatus::Deceased),
        by: "grid",
        reason: "病故",
        at: Utc::now(),
    };
    let after = store.change_person(&dead).await.unwrap().unwrap();
    assert_eq!(after.status, PersonStatus::Deceased);
    assert_eq!(counts("c").await, (5, 2, 3));
    let again = store.change_person(&dead).await;
    assert!(matches!(again, Err(cordon_store::StoreError::Rule(_))), "{again:?}");
    assert_eq!(counts("c").await, (5, 2, 3));
    // Outside the scope: none.
    let d2 = scope_of(store, "d2").await;
    assert!(
        store
            .change_person(&cordon_store::PersonChange { scope: &d2, ..dead.clone() })
            .await
            .unwrap()
            .is_none()
    );

    let lines = store.person_changes(&a.person_id, 10).await.unwrap();
    let kinds: Vec<_> = lines.iter().map(|l| (l.change.as_str(), l.reason.as_str())).collect();
    assert_eq!(kinds, [("status", "病故"), ("household", "搬家"), ("registered", "入户发现")]);
    assert_eq!((lines[1].before.as_deref(), lines[1].after.as_deref()), (Some("h2"), Some("h1")));
    assert!(store.person_changes(&p3, 10).await.unwrap().len() == 1);

    // The look-alikes of a new entry: name and birth year in the household, found by look-up.
    let probe = cordon_store::LookAlike {
        scope: &root,
        name: "刘奶奶",
        id_number: None,
        phone: None,
        birth_year: Some(1940),
        household: &h1,
    };
    let found = store.look_alikes(&probe).await.unwrap();
    assert!(
        matches!(&found[..], [cordon_store::Match::Seen(p, _)] if p.person_id == b.person_id),
        "{found:?}"
    );
    let p1_id = IdNumber::parse("11010519491231002X").unwrap();
    let probe = cordon_store::LookAlike { scope: &d2, id_number: Some(&p1_id), ..probe };
    let found = store.look_alikes(&probe).await.unwrap();
    assert!(matches!(&found[..], [cordon_store::Match::Elsewhere]), "an ID number outside: said, not shown");
}

both!(
    register_kept_whole,
    users_changed_whole,
    register_and_scopes,
    second_import_adds_and_refuses_duplicates,
    an_import_dropped_before_commit_leaves_nothing,
    users_sessions_and_audit
);
