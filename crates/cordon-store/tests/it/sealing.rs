//! Sealing on both backends: ID numbers and phones never in clear, found by their blind index,
//! re-sealed under a new key.

use chrono::Utc;
use cordon_domain::{AreaPath, PersonId};
use cordon_store::{Keyring, PeopleQuery};

use crate::*;

/// ID numbers and phones are sealed: not in the tables in clear, found by their blind index,
/// re-sealed under a new key while still found, and a key file without their key is refused.
async fn sealed_at_rest(db: Db) {
    let store = &*db.store;
    seed(store).await;
    let root = AreaPath::root();
    let by_id = PeopleQuery::IdNumber("11010519491231002X".into());
    let by_phone = PeopleQuery::Phone("13800000003".into());
    let names = |v: Vec<cordon_store::PersonRecord>| v.into_iter().map(|p| p.name).collect::<Vec<_>>();

    // A need's contact phone is sealed too, and opens on the way out.
    let now = Utc::now();
    store.ensure_profiles(&cordon_domain::protocol::builtin(), now).await.unwrap();
    let rule = cordon_domain::needs::NeedRule {
        category: "medicine".into(),
        priority: cordon_domain::needs::Priority::Urgent,
        acknowledge_minutes: 30,
        resolve_minutes: 240,
        escalate_minutes: 30,
    };
    let new_need = cordon_store::NewNeed {
        household: code("h1"),
        person_id: Some("p1".into()),
        category: cordon_domain::needs::NeedCategory::Medicine,
        emergency: false,
        contact_phone: Some("13712345678".into()),
        description: "insulin".into(),
        rung: cordon_domain::needs::Rung::Cadre,
        owner_worker: None,
        profile_key: "ninth-edition".into(),
        pass_id: None,
        plan_key: None,
        at: now,
        by: "cadre".into(),
    };
    let need = store.create_need(&root, &new_need, &rule).await.unwrap();
    assert_eq!(need.contact_phone.as_deref(), Some("13712345678"));

    // A register from before sealing: the clear columns back, holding the numbers, as
    // migration 0014 finds an older database. Opening it seals them and drops the columns.
    drop(db.store);
    raw(
        &db.url,
        "ALTER TABLE people ADD COLUMN id_number TEXT; ALTER TABLE people ADD COLUMN phone TEXT; \
         ALTER TABLE needs ADD COLUMN contact_phone TEXT; \
         UPDATE people SET id_number = '11010519491231002X', id_sealed = NULL, id_index = NULL WHERE person_id = 'p1'; \
         UPDATE people SET phone = '13800000003', phone_sealed = NULL, phone_index = NULL WHERE person_id = 'p3'; \
         UPDATE needs SET contact_phone = '13712345678', contact_sealed = NULL;",
    );
    let store = cordon_store::connect(&db.url, Keyring::parse(&db.keys).unwrap()).await.unwrap();
    assert_eq!(names(store.search_people(&root, &by_id, 10).await.unwrap()), ["王芳"]);
    assert_eq!(names(store.search_people(&root, &by_phone, 10).await.unwrap()), ["李娜"]);
    assert_eq!(
        store.need(&root, need.id).await.unwrap().unwrap().contact_phone.as_deref(),
        Some("13712345678")
    );
    drop(store);

    // Opened again with a second key put first: the values sealed under the first are still
    // read and still found (by the first key's blind index).
    let two = Keyring::parse(&db.keys).unwrap().with_new_key();
    let old_id = Keyring::parse(&db.keys).unwrap().current();
    let store = cordon_store::connect(&db.url, Keyring::parse(&two.to_text()).unwrap()).await.unwrap();
    assert_eq!(names(store.search_people(&root, &by_id, 10).await.unwrap()), ["王芳"]);
    assert_eq!(names(store.search_people(&root, &by_phone, 10).await.unwrap()), ["李娜"]);

    // Rotated: everything under the new key; the old key can go.
    let done = store.rotate_keys().await.unwrap();
    assert_eq!((done.people, done.needs, done.key.as_str()), (4, 1, two.current().as_str()));
    assert_eq!(store.rotate_keys().await.unwrap().people, 0, "a second rotation has nothing to do");
    drop(store);
    let only_new =
        Keyring::parse(two.to_text().lines().take(3).collect::<Vec<_>>().join("\n").as_str()).unwrap();
    assert_eq!(only_new.ids(), [two.current()]);
    let store = cordon_store::connect(&db.url, only_new).await.unwrap();
    let p1 = store.person(&root, &PersonId::parse("p1").unwrap()).await.unwrap().unwrap();
    assert_eq!(p1.id_number.as_deref(), Some("11010519491231002X"));
    assert_eq!(names(store.search_people(&root, &by_id, 10).await.unwrap()), ["王芳"]);
    let need = store.need(&root, need.id).await.unwrap().unwrap();
    assert_eq!(need.contact_phone.as_deref(), Some("13712345678"));
    drop(store);

    // A key file of another key entirely is refused by name, before anything is read.
    let e = cordon_store::connect(&db.url, Keyring::generate()).await.err().expect("refused").to_string();
    assert!(e.contains(&two.current()) && e.contains("does not have"), "{e}");
    assert!(!e.contains(&old_id), "the rotated-away key is no longer needed: {e}");
}

/// Runs SQL on the database behind the store's back, with the database's own client.
fn raw(url: &str, sql: &str) {
    let out = match url.strip_prefix("sqlite://") {
        Some(file) => std::process::Command::new("sqlite3").arg(file).arg(sql).output(),
        None => std::process::Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql]).output(),
    }
    .expect("the database's client");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn sealed_at_rest_on_sqlite() {
    let db = sqlite().await;
    let file = db.url.trim_start_matches("sqlite://").to_owned();
    sealed_at_rest(db).await;
    // Nor in the file, its journal, or anywhere on disk beside it.
    for path in [file.clone(), format!("{file}-wal")] {
        let bytes = std::fs::read(&path).unwrap_or_default();
        for needle in ["11010519491231002X", "13800000003", "13712345678"] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} in {path}");
        }
    }
}

#[tokio::test]
async fn sealed_at_rest_on_postgres() {
    if let Some(db) = postgres().await {
        sealed_at_rest(db).await;
    }
}
