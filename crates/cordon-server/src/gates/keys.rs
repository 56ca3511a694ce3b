//! The gate's keys and counters: the pass-signing key (read again every half minute, rotated by
//! headquarters) and the throttle on looking up people from elsewhere.

use std::sync::Arc;

use cordon_domain::AreaPath;
use cordon_domain::pass::{PassClaims, PassKey};
use cordon_store::{PassRecord, User};

use super::error::GateError;
use crate::AppState;

const KEY_SETTING: &str = "pass_signing_key";

/// What was typed at the gate to name someone: a register id, or the ID number on their card.
/// An ID number whose check character does not match is a typo: refused before anything is
/// looked up or logged, saying so without repeating the number, so the cadre reads the card
/// again instead of turning someone away as unknown.
pub(super) fn typed_key(typed: &str) -> Result<String, GateError> {
    let b = typed.as_bytes();
    let looks_like_id_number = b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit);
    if looks_like_id_number && cordon_domain::IdNumber::parse(typed).is_err() {
        return Err(GateError::IdNumberMistyped);
    }
    Ok(typed.to_owned())
}

/// Look-ups of people from elsewhere a user, and a gate, may make in a window: a gate on a
/// main road meets many, a walk through the register meets more. Past either, the look-up is
/// refused and headquarters is told (a warning in the log and `cordon_gate_lookup_flags_total`).
const LOOKUPS_PER_USER: u32 = 120;
const LOOKUPS_PER_GATE: u32 = 300;
const LOOKUP_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

/// Counts of look-ups of people from elsewhere, by user and by gate, in the current window.
#[derive(Clone, Default)]
pub struct GateLookups(Arc<std::sync::Mutex<std::collections::HashMap<Counted, Window>>>);

/// Whom look-ups are counted against: (a user, their id) or (a gate, its id).
type Counted = (bool, i64);
/// Look-ups in the window, and when it opened.
type Window = (u32, std::time::Instant);

impl GateLookups {
    pub(super) fn count(&self, user: &User, gate_id: i64) -> Result<(), GateError> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (key, limit) in [((true, user.id), LOOKUPS_PER_USER), ((false, gate_id), LOOKUPS_PER_GATE)] {
            let entry = counts.entry(key).or_insert((0, std::time::Instant::now()));
            if entry.1.elapsed() >= LOOKUP_WINDOW {
                *entry = (0, std::time::Instant::now());
            }
            if entry.0 >= limit {
                let wait = (LOOKUP_WINDOW - entry.1.elapsed()).as_secs().max(1);
                metrics::counter!("cordon_gate_lookup_flags_total").increment(1);
                tracing::warn!(user = %user.username, gate_id, by_user = key.0, limit,
                    "unusual rate of look-ups of people from elsewhere at a gate: refused, flagged to headquarters");
                return Err(GateError::TooManyAttempts(wait));
            }
        }
        for key in [(true, user.id), (false, gate_id)] {
            if let Some(e) = counts.get_mut(&key) {
                e.0 += 1;
            }
        }
        Ok(())
    }
}

/// How long a server trusts the pass key it read from the database: a key rotated by
/// `cordon keys passes` is signing within this time, without a restart.
const PASS_KEY_FRESH: std::time::Duration = std::time::Duration::from_secs(30);

/// The pass key as last read, and when.
#[derive(Clone, Default)]
pub struct PassKeyCell(Arc<tokio::sync::Mutex<Option<ReadKey>>>);

/// A pass key and when it was read.
type ReadKey = (std::time::Instant, Arc<PassKey>);

/// The server's pass key: from the configuration (a key file), else kept in the settings
/// table, made on first use and read again every half minute (so a rotation takes hold).
pub async fn pass_key(state: &AppState) -> Result<Arc<PassKey>, GateError> {
    let mut cell = state.pass_key.0.lock().await;
    if let Some((read, key)) = cell.as_ref()
        && (state.config.pass_secret.is_some() || read.elapsed() < PASS_KEY_FRESH)
    {
        return Ok(key.clone());
    }
    let key = match state.config.pass_secret {
        Some(secret) => PassKey::from_secret(&secret.0),
        None => {
            let stored = state.store.setting(KEY_SETTING).await?;
            let secret = match stored.as_deref().map(hex::decode) {
                Some(Ok(bytes)) => bytes
                    .try_into()
                    .map_err(|_| GateError::Internal("the stored pass key is not 32 bytes".into()))?,
                Some(Err(_)) => return Err(GateError::Internal("the stored pass key is not hex".into())),
                None => {
                    let secret = new_pass_secret();
                    state.store.set_setting(KEY_SETTING, &hex::encode(secret)).await?;
                    tracing::info!(
                        "made a pass signing key and kept it in the database (--pass-key-file gives one from a file)"
                    );
                    secret
                }
            };
            PassKey::from_secret(&secret)
        }
    };
    let key = Arc::new(key);
    *cell = Some((std::time::Instant::now(), key.clone()));
    Ok(key)
}

fn new_pass_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    rand::fill(&mut secret);
    secret
}

/// What a rotation of the pass key did.
#[derive(Debug, Clone)]
pub struct PassKeyRotation {
    /// The new public key, for the gate devices that check passes offline.
    pub public_key: String,
    /// The passes still to be used: their tokens are signed anew (their QR codes change), and
    /// every token signed before is refused.
    pub reissued: usize,
}

/// 更换通行证签名密钥: a new key signs every pass from now on, so a token read by someone who
/// should not have held it opens no gate. The active passes keep their ids, holders and windows;
/// their tokens (signed from the pass when read) are new, to be printed or sent again. A
/// deployment that signs with a key file (`--pass-key-file`) rotates by writing a new file.
pub async fn rotate_pass_key(state: &AppState) -> Result<PassKeyRotation, GateError> {
    if state.config.pass_secret.is_some() {
        return Err(GateError::Conflict(
            "passes are signed with a key file: write a new one (openssl rand -hex 32) and restart".into(),
        ));
    }
    let secret = new_pass_secret();
    state.store.set_setting(KEY_SETTING, &hex::encode(secret)).await?;
    let key = Arc::new(PassKey::from_secret(&secret));
    *state.pass_key.0.lock().await = Some((std::time::Instant::now(), key.clone()));
    let now = state.now();
    let reissued = state
        .store
        .passes(&AreaPath::root(), u32::MAX)
        .await?
        .iter()
        .filter(|p| p.revoked_at.is_none() && p.valid_until > now && !(p.one_time && p.used_at.is_some()))
        .count();
    tracing::warn!(reissued, "the pass signing key was rotated: every earlier token is refused");
    Ok(PassKeyRotation { public_key: key.public_base64(), reissued })
}

/// What a pass's token signs: the pass as the register holds it, so a new key reissues it.
pub(super) fn claims_of(p: &PassRecord) -> PassClaims {
    PassClaims {
        id: p.id.clone(),
        kind: p.kind,
        area: p.area.as_str().to_owned(),
        gates: p.gate_ids.clone(),
        from: p.valid_from.timestamp(),
        until: p.valid_until.timestamp(),
        one_time: p.one_time,
        holder: p.holder.clone(),
    }
}

/// The passes still valid of these people (a resident's household): what the household page
/// shows with their QR codes. The caller has cut `people` to what its principal may see.
pub async fn live_passes_of(
    state: &AppState,
    people: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<super::PassView>, GateError> {
    let mut out = Vec::new();
    for p in state.store.live_passes_of(people, now).await? {
        out.push(super::service::pass_view(state, &p).await?);
    }
    Ok(out)
}

/// A pass's token as the QR code a gate scans, in SVG.
pub fn qr_svg(text: &str) -> Result<String, GateError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| GateError::Internal(format!("QR code: {e}")))?;
    Ok(code.render::<qrcode::render::svg::Color>().min_dimensions(280, 280).quiet_zone(true).build())
}
