//! Signing in and one's own account: passwords, the sign-in throttle, a change of password.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::Utc;
use cordon_domain::user::MAX_PASSWORD_BYTES;
use cordon_store::User;

use super::error::AccountError;
use crate::AppState;
use crate::http::auth::*;

/// Hashes a password with Argon2id on a blocking thread: hashing takes tens of milliseconds of
/// CPU and must not stall the async workers.
pub async fn hash_password(password: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Internal(format!("hashing: {e}")))
    })
    .await
    .map_err(|e| AccountError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash. Without a hash (unknown user) it still does the
/// work of one check, against a hash nobody's password matches, so response time does not tell
/// which usernames exist.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let check = |h: &str| {
            PasswordHash::new(h)
                .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        };
        match &hash {
            Some(h) => check(h),
            None => {
                let dummy = DUMMY_HASH.get_or_init(|| {
                    let mut random = [0u8; 32];
                    rand::fill(&mut random);
                    Argon2::default().hash_password(&random).map(|h| h.to_string()).unwrap_or_default()
                });
                check(dummy);
                false
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// Failed sign-ins an account may have within [`LOCKOUT`] before it is refused for the rest of it.
pub const MAX_FAILED_LOGINS: u32 = 5;

/// Failed sign-ins one address may have within [`LOCKOUT`], whatever the names tried: a flood
/// of guesses spread over many accounts (or made-up names) stops here. Higher than an
/// account's, since an office's desks share one address.
pub const MAX_FAILED_LOGINS_PER_ADDRESS: u32 = 30;

pub const LOCKOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The failed sign-ins of each account name tried and of each address they came from, in this
/// server's memory: a flood of guesses meets 429 after [`MAX_FAILED_LOGINS`] at one account or
/// [`MAX_FAILED_LOGINS_PER_ADDRESS`] from one address, whatever the password, until the window
/// passes (a right password inside the window does not open it either, or the flood could go on
/// guessing).
#[derive(Default)]
pub struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<Attempter, (u32, std::time::Instant)>>,
}

/// Who the failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Attempter {
    Account(String),
    Address(std::net::IpAddr),
}

impl Attempter {
    fn limit(&self) -> u32 {
        match self {
            Attempter::Account(_) => MAX_FAILED_LOGINS,
            Attempter::Address(_) => MAX_FAILED_LOGINS_PER_ADDRESS,
        }
    }
}

impl LoginThrottle {
    /// Seconds to wait, if `who` is locked out now.
    fn locked(&self, who: &Attempter) -> Option<u64> {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (count, since) = *f.get(who)?;
        let elapsed = since.elapsed();
        if elapsed >= LOCKOUT {
            f.remove(who);
            return None;
        }
        (count >= who.limit()).then(|| (LOCKOUT - elapsed).as_secs().max(1))
    }

    fn failed(&self, who: Attempter) {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget windows that passed, so guesses at made-up names cannot fill the memory.
        if f.len() > 100_000 {
            f.retain(|_, (_, since)| since.elapsed() < LOCKOUT);
        }
        let e = f.entry(who).or_insert((0, std::time::Instant::now()));
        e.0 += 1;
    }

    /// A right password clears its account's failures, not its address's: one account's
    /// owner must not reset the count of guesses made at others from the same place.
    fn succeeded(&self, account: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&Attempter::Account(account.to_owned()));
    }
}

/// `Err(TooManyAttempts)` while the account or the address is locked out.
fn not_locked(
    state: &AppState,
    account: &Attempter,
    address: Option<&Attempter>,
) -> Result<(), AccountError> {
    for who in std::iter::once(account).chain(address) {
        if let Some(wait) = state.logins.locked(who) {
            match who {
                Attempter::Account(name) => {
                    tracing::warn!(username = %name, "refused: too many failed passwords at the account")
                }
                Attempter::Address(a) => {
                    tracing::warn!(address = %a, "refused: too many failed passwords from the address")
                }
            }
            return Err(AccountError::TooManyAttempts(wait));
        }
    }
    Ok(())
}

/// A wrong password, counted at the account and at the address.
fn failed(state: &AppState, account: Attempter, address: Option<Attempter>) {
    state.logins.failed(account);
    if let Some(address) = address {
        state.logins.failed(address);
    }
}

/// Checks a username and password and opens a session. `Err(BadLogin)` says nothing of which
/// was wrong; after [`MAX_FAILED_LOGINS`] failures at the account, or
/// [`MAX_FAILED_LOGINS_PER_ADDRESS`] from the address `from`, within [`LOCKOUT`],
/// `Err(TooManyAttempts)`.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    code: Option<&str>,
    from: Option<std::net::IpAddr>,
) -> Result<(String, User), AccountError> {
    if password.len() > MAX_PASSWORD_BYTES || username.len() > 64 {
        return Err(AccountError::BadLogin);
    }
    let account = Attempter::Account(username.trim().to_lowercase());
    let address = from.map(Attempter::Address);
    not_locked(state, &account, address.as_ref())?;
    let user = state.store.user_by_name(username).await?;
    let ok = verify_password(password.to_owned(), user.as_ref().map(|u| u.password_hash.clone())).await;
    let (true, Some(user)) = (ok, user) else {
        failed(state, account, address);
        tracing::info!(username, "failed login");
        return Err(AccountError::BadLogin);
    };
    // Said only to whoever knows the password: a stranger learns nothing of the account.
    if user.disabled_at.is_some() {
        tracing::info!(username, "refused: the sign-in is disabled");
        return Err(AccountError::Disabled);
    }
    if user.two_factor {
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            // The password was right: the caller is asked for the code, nothing is counted.
            None => return Err(AccountError::TwoFactorCode),
            Some(code) => {
                if !crate::account::second_factor::check_code(state, &user, code).await? {
                    failed(state, account, address);
                    tracing::info!(username, "failed login: wrong or spent two-factor code");
                    return Err(AccountError::BadCode);
                }
            }
        }
    }
    state.logins.succeeded(&username.trim().to_lowercase());
    let token = new_token();
    let now = Utc::now();
    let expires = now + state.config.session_ttl;
    state.store.create_session(&token_hash(&token), user.id, now, expires).await?;
    tracing::info!(username, "login");
    Ok((token, user))
}

/// A signed-in `user` proves their password again (to change it, to enrol a second factor). A
/// wrong one counts as a failed sign-in, so a stolen session cannot guess it.
pub async fn prove_password(
    state: &AppState,
    user: &User,
    password: &str,
    from: Option<std::net::IpAddr>,
) -> Result<(), AccountError> {
    let account = Attempter::Account(user.username.to_lowercase());
    let address = from.map(Attempter::Address);
    not_locked(state, &account, address.as_ref())?;
    let ok = password.len() <= MAX_PASSWORD_BYTES
        && verify_password(password.to_owned(), Some(user.password_hash.clone())).await;
    if !ok {
        failed(state, account, address);
        tracing::info!(username = %user.username, "the password proven again was wrong");
        return Err(AccountError::invalid("password", "is not your current password"));
    }
    Ok(())
}

/// Changes the password of a signed-in `user`, who proves the current one: the new one must
/// follow the rule (`check_new_password`); every session of the user ends, this one too. A
/// wrong current password counts as a failed sign-in, so a stolen session cannot guess it.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current: &str,
    new: &str,
    from: Option<std::net::IpAddr>,
) -> Result<(), AccountError> {
    prove_password(state, user, current, from).await.map_err(|e| match e {
        AccountError::Invalid { message, .. } => AccountError::invalid("current_password", message),
        other => other,
    })?;
    cordon_domain::user::check_new_password(new, &user.username)?;
    if new == current {
        return Err(AccountError::invalid("new_password", "is the current password"));
    }
    let hash = hash_password(new.to_owned()).await?;
    state.store.set_password(&user.username, &hash).await?;
    tracing::info!(username = %user.username, "password changed; the user's sessions are closed");
    Ok(())
}

/// A password made for a user: 16 characters from an alphabet without look-alikes (0/O, 1/l/I),
/// about 93 bits, to be read out or typed from a note.
pub fn random_password() -> String {
    use rand::RngExt;
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

/// A hash of 32 random bytes, made once: the stand-in for users that do not exist.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
