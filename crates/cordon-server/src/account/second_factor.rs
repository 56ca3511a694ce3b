//! 双因素登录: headquarters signs in with a code from an authenticator app (TOTP, RFC 6238:
//! six digits, thirty seconds, HMAC-SHA-1 as every app reads it) besides the password.
//!
//! Who: the holders of headquarters' rights (`command`, `review_audit`). Where the deployment
//! requires it (`cordon serve` does unless told otherwise), such a user without a second factor
//! may do one thing once signed in: enrol one. Enrolling proves the password again, so a stolen
//! session cannot tie the account to someone else's phone. A code counts once (the store keeps
//! the last step used), and a wrong one counts as a failed sign-in.

use cordon_store::User;
use serde::{Deserialize, Serialize};
use totp_rs::{Builder, Secret, Totp};
use utoipa::ToSchema;

use super::error::AccountError;
use crate::AppState;

/// The issuer an authenticator app shows beside the account.
const ISSUER: &str = "Cordon";
/// 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;

fn totp(secret_base32: &str, username: &str) -> Result<Totp, AccountError> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|_| AccountError::invalid("secret", "is not the base32 secret this server gave"))?;
    if secret.as_ref().len() != SECRET_BYTES {
        return Err(AccountError::invalid("secret", "is not the base32 secret this server gave"));
    }
    Builder::new()
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(username)
        .build()
        .map_err(|e| AccountError::Internal(format!("a TOTP of a valid secret: {e}")))
}

fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

/// The step `code` is valid for under `secret` now (a step either side for a clock adrift).
fn step_of(secret_base32: &str, username: &str, code: &str) -> Result<Option<i64>, AccountError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(secret_base32, username)?.check(&code, now_secs()).and_then(|s| i64::try_from(s).ok()))
}

/// Checks the code of an enrolled user and spends its step: true once per code.
pub async fn check_code(state: &AppState, user: &User, code: &str) -> Result<bool, AccountError> {
    let Some((secret, _)) = state.store.totp_secret(user.id).await? else {
        return Ok(false);
    };
    match step_of(&secret, &user.username, code)? {
        Some(step) => Ok(state.store.use_totp_step(user.id, step).await?),
        None => Ok(false),
    }
}

#[derive(Serialize, ToSchema)]
pub struct TwoFactorSetup {
    /// The secret, base32, to type into an authenticator app (or scan as `url`). It is kept only
    /// once confirmed with a code.
    pub secret: String,
    /// `otpauth://totp/Cordon:<username>?secret=…&issuer=Cordon`, for a QR code.
    pub url: String,
}

/// A fresh secret for `user` to enrol (nothing is stored until they confirm it).
pub fn setup(user: &User) -> Result<TwoFactorSetup, AccountError> {
    if user.two_factor {
        return Err(AccountError::Conflict(
            "two-factor sign-in is on already; an operator resets it with `cordon user two-factor --reset`"
                .into(),
        ));
    }
    setup_again(user, Secret::from(rand::random::<[u8; SECRET_BYTES]>()).to_base32())
}

/// The setup of a secret given back by a form that was refused (the app holds it already).
pub fn setup_again(user: &User, secret: String) -> Result<TwoFactorSetup, AccountError> {
    let url = totp(&secret, &user.username)?.to_url().map_err(|e| AccountError::Internal(e.to_string()))?;
    Ok(TwoFactorSetup { secret, url })
}

/// Enrols `secret` for `user`, who proves their password and a code of the secret.
pub async fn confirm(
    state: &AppState,
    user: &User,
    req: &TwoFactorConfirm,
    from: Option<std::net::IpAddr>,
) -> Result<(), AccountError> {
    if user.two_factor {
        return Err(AccountError::Conflict("two-factor sign-in is on already".into()));
    }
    crate::account::prove_password(state, user, &req.password, from).await?;
    let Some(step) = step_of(&req.secret, &user.username, &req.code)? else {
        return Err(AccountError::invalid(
            "code",
            "is not the code the app shows for this secret now (check the phone's clock)",
        ));
    };
    state.store.set_totp_secret(user.id, Some(&req.secret)).await?;
    // The code that confirmed cannot sign in as well.
    state.store.use_totp_step(user.id, step).await?;
    tracing::info!(username = %user.username, "two-factor sign-in enrolled");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's own test vector (SHA-1, the 20-byte ASCII secret "12345678901234567890").
    #[test]
    fn codes_are_rfc_6238() {
        let secret = Secret::from(*b"12345678901234567890").to_base32();
        let t = totp(&secret, "admin").unwrap();
        assert_eq!(t.generate(59).to_string(), "287082");
        assert_eq!(t.generate(1_111_111_109).to_string(), "081804");
        assert!(t.to_url().unwrap().starts_with("otpauth://totp/Cordon:admin?secret="));
    }

    #[test]
    fn a_code_is_six_digits_of_now() {
        let secret = Secret::from([7u8; SECRET_BYTES]).to_base32();
        let code = totp(&secret, "admin").unwrap().generate(now_secs()).to_string();
        assert!(step_of(&secret, "admin", &code).unwrap().is_some());
        assert!(step_of(&secret, "admin", &format!("{} {}", &code[..3], &code[3..])).unwrap().is_some());
        for wrong in ["", "12345", "1234567", "abcdef", "１２３４５６"] {
            assert_eq!(step_of(&secret, "admin", wrong).unwrap(), None, "{wrong:?}");
        }
        assert!(step_of("not base32!", "admin", "123456").is_err());
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TwoFactorConfirm {
    /// The secret `POST /api/v1/auth/two-factor` gave.
    pub secret: String,
    /// The six digits the app shows for it now.
    pub code: String,
    /// The account's password, again.
    pub password: String,
}
