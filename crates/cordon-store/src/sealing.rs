//! The sealed columns' upkeep (see `seal.rs` for the sealing itself):
//!
//! - a register from before migration 0014 holds ID numbers and phones in clear: the store seals
//!   them once, when it opens the database, and drops the clear columns;
//! - the setting `sealed_keys` lists the keys values may be sealed under, so a key file that
//!   lacks one is refused when the store opens instead of failing on the first read;
//! - a rotation re-seals every value under the key file's first key, a batch per transaction,
//!   so it can be stopped and run again while the server serves.

use crate::db::{Db, Ex, Query, Tx, query};

use crate::seal::{Field, Keyring};
use crate::{Result, StoreError};

/// Rows read per batch by the upgrade and the rotation.
const BATCH: i64 = 5_000;

/// What a rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resealed {
    pub people: u64,
    pub needs: u64,
    /// Users' two-factor secrets.
    pub users: u64,
    /// The key everything is now sealed under.
    pub key: String,
}

fn split_ids(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn sealed_opt(
    keys: &Keyring,
    field: Field,
    row: &str,
    value: Option<&str>,
) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    match value {
        Some(v) => (Some(keys.seal(field, row, v)), Some(keys.blind(field, v))),
        None => (None, None),
    }
}

/// Seals the clear ID numbers, phones and contact phones of a register from before
/// migration 0014, then drops the clear columns, in one transaction. Returns how
/// many rows it sealed (none on any later opening).
pub(crate) async fn upgrade(pool: &Db, keys: &Keyring) -> Result<u64> {
    let clear: i64 = query(pool.dialect().has_clear_columns).scalar_one(pool).await?;
    if clear == 0 {
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    // A write first, so SQLite takes the write lock now (waiting its turn) rather
    // than refusing the transaction's first write after its reads.
    record_keys(&mut tx, &[keys.current()]).await?;
    let mut sealed = 0u64;
    let mut after = String::new();
    loop {
        let rows = query(
            "SELECT person_id, id_number, phone FROM people WHERE person_id > $1 \
             AND (id_number IS NOT NULL OR phone IS NOT NULL) ORDER BY person_id LIMIT $2",
        )
        .bind(&after)
        .bind(BATCH)
        .fetch_all(&mut tx)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("person_id")?;
        for r in &rows {
            let person: String = r.try_get("person_id")?;
            let id: Option<String> = r.try_get("id_number")?;
            let phone: Option<String> = r.try_get("phone")?;
            let clear = "UPDATE people SET id_sealed = $1, id_index = $2, phone_sealed = $3, \
                         phone_index = $4, id_number = NULL, phone = NULL WHERE person_id = $5";
            put_sealed(&mut tx, clear, keys, &person, id.as_deref(), phone.as_deref()).await?;
            sealed += 1;
        }
    }
    let needs = query("SELECT id, household_code, contact_phone FROM needs WHERE contact_phone IS NOT NULL")
        .fetch_all(&mut tx)
        .await?;
    for r in &needs {
        let id: i64 = r.try_get("id")?;
        let household: String = r.try_get("household_code")?;
        let phone: String = r.try_get("contact_phone")?;
        query("UPDATE needs SET contact_sealed = $1, contact_phone = NULL WHERE id = $2")
            .bind(keys.seal(Field::ContactPhone, &household, &phone))
            .bind(id)
            .execute(&mut tx)
            .await?;
        sealed += 1;
    }
    for ddl in pool.dialect().drop_clear_columns {
        Query::dynamic(ddl).execute(&mut tx).await?;
    }
    tx.commit().await?;
    if sealed > 0 {
        // The clear values are gone from the tables but not yet from the pages they
        // were in: rewrite the files.
        for statement in pool.dialect().seal_vacuum.split(';').filter(|s| !s.trim().is_empty()) {
            Query::dynamic(statement).execute(pool).await?;
        }
    }
    Ok(sealed)
}

/// Refuses `keys` if values are sealed under a key it lacks (the error names the
/// key), and records its first key as one values may now be sealed under.
pub(crate) async fn check_keys(pool: &Db, keys: &Keyring) -> Result<()> {
    // Read and written outside a transaction: a read that turns into a write is
    // refused at once on SQLite while another process writes, and the setting is
    // written only when it changes (a key added), which is rare.
    let listed: Option<String> =
        query("SELECT value FROM settings WHERE key = 'sealed_keys'").scalar_optional(pool).await?;
    let listed = split_ids(listed.as_deref().unwrap_or(""));
    let ring = keys.ids();
    let mut kept = Vec::new();
    for id in &listed {
        if ring.contains(id) {
            kept.push(id.clone());
            continue;
        }
        // Listed but not in the file: refused only if something is sealed under it.
        let probe =
            hex::decode(id).map_err(|_| StoreError::Invalid(format!("setting sealed_keys: {id:?}")))?;
        let used: Option<i32> = query(
            "SELECT 1 FROM people WHERE substr(id_sealed, 2, 4) = $1 OR substr(phone_sealed, 2, 4) = $1 \
             UNION ALL SELECT 1 FROM needs WHERE substr(contact_sealed, 2, 4) = $1 \
             UNION ALL SELECT 1 FROM users WHERE substr(totp_sealed, 2, 4) = $1 LIMIT 1",
        )
        .bind(&probe)
        .scalar_optional(pool)
        .await?;
        if used.is_some() {
            return Err(StoreError::Sealed(format!(
                "the database holds ID numbers or phones sealed under key {id}, which the key file \
                 does not have (it has {}): give the key file they were sealed with",
                ring.join(", ")
            )));
        }
    }
    let current = keys.current();
    if !kept.contains(&current) {
        kept.push(current);
    }
    if kept != listed {
        record_keys(pool, &kept).await?;
    }
    Ok(())
}

/// Writes a person's ID number and phone sealed under the first key, with their
/// blind indexes, through `update` (its parameters in that order, then the person).
async fn put_sealed(
    tx: &mut Tx,
    update: &'static str,
    keys: &Keyring,
    person: &str,
    id: Option<&str>,
    phone: Option<&str>,
) -> Result<()> {
    let (id_sealed, id_index) = sealed_opt(keys, Field::IdNumber, person, id);
    let (phone_sealed, phone_index) = sealed_opt(keys, Field::Phone, person, phone);
    query(update)
        .bind(id_sealed)
        .bind(id_index)
        .bind(phone_sealed)
        .bind(phone_index)
        .bind(person)
        .execute(tx)
        .await?;
    Ok(())
}

async fn record_keys<'a>(ex: impl Into<Ex<'a>>, ids: &[String]) -> Result<()> {
    query(
        "INSERT INTO settings (key, value) VALUES ('sealed_keys', $1) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(ids.join(","))
    .execute(ex)
    .await?;
    Ok(())
}

/// Re-seals every value not under the key file's first key, with a new blind index,
/// a batch per transaction; when all are done, only that key is recorded.
pub(crate) async fn rotate(pool: &Db, keys: &Keyring) -> Result<Resealed> {
    let current = hex::decode(keys.current()).expect("hex");
    let mut done = Resealed { key: keys.current(), ..Default::default() };
    let mut after = String::new();
    loop {
        let mut tx = pool.begin().await?;
        let rows = query(
            "SELECT person_id, id_sealed, phone_sealed FROM people WHERE person_id > $1 \
             AND (substr(id_sealed, 2, 4) <> $2 OR substr(phone_sealed, 2, 4) <> $2) \
             ORDER BY person_id LIMIT $3",
        )
        .bind(&after)
        .bind(&current)
        .bind(BATCH)
        .fetch_all(&mut tx)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("person_id")?;
        for r in &rows {
            let person: String = r.try_get("person_id")?;
            let id = open_opt(keys, Field::IdNumber, &person, r.try_get("id_sealed")?)?;
            let phone = open_opt(keys, Field::Phone, &person, r.try_get("phone_sealed")?)?;
            let reseal = "UPDATE people SET id_sealed = $1, id_index = $2, phone_sealed = $3, \
                          phone_index = $4 WHERE person_id = $5";
            put_sealed(&mut tx, reseal, keys, &person, id.as_deref(), phone.as_deref()).await?;
            done.people += 1;
        }
        tx.commit().await?;
    }
    let mut after = 0i64;
    loop {
        let mut tx = pool.begin().await?;
        let rows = query(
            "SELECT id, household_code, contact_sealed FROM needs WHERE id > $1 \
             AND substr(contact_sealed, 2, 4) <> $2 ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(&current)
        .bind(BATCH)
        .fetch_all(&mut tx)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("id")?;
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let household: String = r.try_get("household_code")?;
            let sealed: Vec<u8> = r.try_get("contact_sealed")?;
            let phone = keys.open(Field::ContactPhone, &household, &sealed)?;
            query("UPDATE needs SET contact_sealed = $1 WHERE id = $2")
                .bind(keys.seal(Field::ContactPhone, &household, &phone))
                .bind(id)
                .execute(&mut tx)
                .await?;
            done.needs += 1;
        }
        tx.commit().await?;
    }
    // The users' two-factor secrets: few, in one transaction.
    let mut tx = pool.begin().await?;
    let rows = query("SELECT id, totp_sealed FROM users WHERE substr(totp_sealed, 2, 4) <> $1")
        .bind(&current)
        .fetch_all(&mut tx)
        .await?;
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let sealed: Vec<u8> = r.try_get("totp_sealed")?;
        let secret = keys.open(Field::TotpSecret, &id.to_string(), &sealed)?;
        query("UPDATE users SET totp_sealed = $1 WHERE id = $2")
            .bind(keys.seal(Field::TotpSecret, &id.to_string(), &secret))
            .bind(id)
            .execute(&mut tx)
            .await?;
        done.users += 1;
    }
    record_keys(&mut tx, &[keys.current()]).await?;
    tx.commit().await?;
    Ok(done)
}

fn open_opt(keys: &Keyring, field: Field, row: &str, sealed: Option<Vec<u8>>) -> Result<Option<String>> {
    sealed.map(|s| keys.open(field, row, &s)).transpose()
}
