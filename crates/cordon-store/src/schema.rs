//! The two migration folders, checked against each other (a test only).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::Keyring;
use crate::db::{Backed, Db, query};

/// Every table's columns and every index the migrations made, by name: `table.column` and
/// `index table.name`, leaving out what each engine keeps for itself (sqlx's ledger, SQLite's
/// automatic indexes, PostgreSQL's indexes behind a primary key or unique constraint, and the
/// views Citus adds to a cluster's database).
async fn outline(db: &Db) -> BTreeSet<String> {
    let (columns, indexes) = match db {
        Db::Sqlite(_) => (
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' \
             AND name NOT LIKE 'sqlite_autoindex_%'",
        ),
        Db::Postgres(..) => (
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' \
             AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = current_schema())",
            "SELECT CAST(tablename AS TEXT), CAST(indexname AS TEXT) FROM pg_indexes \
             WHERE schemaname = current_schema() \
             AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        ),
    };
    let mut out = BTreeSet::new();
    for r in query(columns).fetch_all(db).await.unwrap() {
        out.insert(format!("{}.{}", r.try_get::<String, _>(0).unwrap(), r.try_get::<String, _>(1).unwrap()));
    }
    for r in query(indexes).fetch_all(db).await.unwrap() {
        out.insert(format!(
            "index {}.{}",
            r.try_get::<String, _>(0).unwrap(),
            r.try_get::<String, _>(1).unwrap()
        ));
    }
    out
}

/// The two migration folders make the same tables, columns and indexes: a query written once
/// finds on each backend what it names.
#[tokio::test]
async fn both_schemas_have_the_same_tables_columns_and_indexes() {
    let Some(url) = crate::postgres::scratch_database("cordon_schema").await else { return };
    let dir = tempfile::tempdir().unwrap();
    let keys = || Arc::new(Keyring::generate());
    let lite = crate::sqlite::open(&format!("sqlite://{}", dir.path().join("s.db").display()), keys())
        .await
        .unwrap();
    let pg = crate::postgres::open(&url, keys()).await.unwrap();
    let (lite, pg) = (outline(lite.db()).await, outline(pg.db()).await);
    assert!(lite.len() > 100, "the SQLite outline is too small to be the schema: {lite:?}");
    let only_lite: Vec<_> = lite.difference(&pg).collect();
    let only_pg: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "only on SQLite: {only_lite:?}\nonly on PostgreSQL: {only_pg:?}"
    );
}
