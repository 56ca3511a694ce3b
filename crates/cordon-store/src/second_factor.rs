//! 双因素: the TOTP secret of a user, sealed at rest under the key file (bound to the user's id,
//! so a sealed secret copied onto another user does not open), and the last step a code was
//! accepted for. The codes themselves are the server's; the store keeps the secret and makes
//! "this step, once" atomic.

use crate::{Field, Keyring, Result};

const SET: &str = "UPDATE users SET totp_sealed = $1, totp_last_step = NULL WHERE id = $2";
const GET: &str = "SELECT totp_sealed, totp_last_step FROM users WHERE id = $1";
const USE: &str = "UPDATE users SET totp_last_step = $2 \
     WHERE id = $1 AND totp_sealed IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)";

fn row(user_id: i64) -> String {
    user_id.to_string()
}

macro_rules! backend {
    ($name:ident, $pool:ty) => {
        pub(crate) mod $name {
            use super::*;
            use sqlx::Row;

            pub(crate) async fn set(
                pool: &$pool,
                keys: &Keyring,
                user_id: i64,
                secret: Option<&str>,
            ) -> Result<bool> {
                let sealed = secret.map(|s| keys.seal(Field::TotpSecret, &row(user_id), s));
                let done = sqlx::query(SET).bind(sealed).bind(user_id).execute(pool).await?.rows_affected();
                Ok(done == 1)
            }

            pub(crate) async fn get(
                pool: &$pool,
                keys: &Keyring,
                user_id: i64,
            ) -> Result<Option<(String, Option<i64>)>> {
                let Some(r) = sqlx::query(GET).bind(user_id).fetch_optional(pool).await? else {
                    return Ok(None);
                };
                let sealed: Option<Vec<u8>> = r.try_get("totp_sealed")?;
                let Some(sealed) = sealed else { return Ok(None) };
                let secret = keys.open(Field::TotpSecret, &row(user_id), &sealed)?;
                Ok(Some((secret, r.try_get("totp_last_step")?)))
            }

            pub(crate) async fn use_step(pool: &$pool, user_id: i64, step: i64) -> Result<bool> {
                let done = sqlx::query(USE).bind(user_id).bind(step).execute(pool).await?.rows_affected();
                Ok(done == 1)
            }
        }
    };
}

backend!(sqlite, sqlx::SqlitePool);
backend!(postgres, sqlx::PgPool);
