//! 双因素: the TOTP secret of a user, sealed at rest under the key file (bound to the user's id,
//! so a sealed secret copied onto another user does not open), and the last step a code was
//! accepted for. The codes themselves are the server's; the store keeps the secret and makes
//! "this step, once" atomic.

use crate::db::{Db, query};
use crate::{Field, Keyring, Result};

const SET: &str = "UPDATE users SET totp_sealed = $1, totp_last_step = NULL WHERE id = $2";
const GET: &str = "SELECT totp_sealed, totp_last_step FROM users WHERE id = $1";
const USE: &str = "UPDATE users SET totp_last_step = $2 \
     WHERE id = $1 AND totp_sealed IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)";

fn row(user_id: i64) -> String {
    user_id.to_string()
}

/// A user's secret as stored, and the last step a code was accepted for.
#[derive(sqlx::FromRow)]
struct Stored {
    totp_sealed: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
}

/// Sets (or with `None` removes) a user's secret, sealed; false when there is no such user.
pub(crate) async fn set(db: &Db, keys: &Keyring, user_id: i64, secret: Option<&str>) -> Result<bool> {
    let sealed = secret.map(|s| keys.seal(Field::TotpSecret, &row(user_id), s));
    Ok(db.execute(query(SET).bind(sealed).bind(user_id)).await? == 1)
}

/// A user's secret, opened, and the last step a code was accepted for; none without a secret.
pub(crate) async fn get(db: &Db, keys: &Keyring, user_id: i64) -> Result<Option<(String, Option<i64>)>> {
    let Some(r) = db.fetch_optional::<Stored>(query(GET).bind(user_id)).await? else { return Ok(None) };
    let Some(sealed) = r.totp_sealed else { return Ok(None) };
    let secret = keys.open(Field::TotpSecret, &row(user_id), &sealed)?;
    Ok(Some((secret, r.totp_last_step)))
}

/// Spends `step` for the user: true once, false for the same step or an earlier one again.
pub(crate) async fn use_step(db: &Db, user_id: i64, step: i64) -> Result<bool> {
    Ok(db.execute(query(USE).bind(user_id).bind(step)).await? == 1)
}
