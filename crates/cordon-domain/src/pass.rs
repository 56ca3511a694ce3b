//! 通行证: the content of a pass's QR code, signed by the server.
//!
//! A token is `CP1.<claims>.<signature>`: the claims as compact JSON and an Ed25519 signature
//! over `CP1.<claims>`, both in unpadded base64url. A gate device holding only the public key
//! can tell a forged or altered code from a good one, and whether it is in its window and for
//! its gate, without the server; the server adds what only it knows (revoked, used once).
//! The claims carry the holder's masked name, never an ID number: a code photographed off a
//! phone gives nothing away.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::gates::PassKind;

const PREFIX: &str = "CP1.";

/// What a pass says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassClaims {
    /// The pass id in the register (for revocation and one-time use).
    #[serde(rename = "i")]
    pub id: String,
    #[serde(rename = "k")]
    pub kind: PassKind,
    /// The area whose gates it opens (its own and those of every area inside it).
    #[serde(rename = "a")]
    pub area: String,
    /// Only these gates, when not empty.
    #[serde(rename = "g", default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<i64>,
    /// Valid from and until, in Unix seconds.
    #[serde(rename = "f")]
    pub from: i64,
    #[serde(rename = "u")]
    pub until: i64,
    #[serde(rename = "o", default, skip_serializing_if = "std::ops::Not::not")]
    pub one_time: bool,
    /// The holder as the gate may show them: a masked name, or an organisation.
    #[serde(rename = "h")]
    pub holder: String,
}

impl PassClaims {
    pub fn in_window(&self, at: DateTime<Utc>) -> bool {
        (self.from..self.until).contains(&at.timestamp())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a pass at all (a wrong QR code, a cut-off paste).
    #[error("not a Cordon pass")]
    Malformed,
    /// Well-formed, but the signature does not match the content: forged or altered.
    #[error("the pass's signature does not match its content")]
    BadSignature,
}

/// The server's signing key.
pub struct PassKey(SigningKey);

impl PassKey {
    /// From 32 secret bytes (a key file, an environment variable, the settings table).
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        PassKey(SigningKey::from_bytes(secret))
    }

    pub fn public(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    /// The public key as gate devices take it: 32 bytes in unpadded base64url.
    pub fn public_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public().as_bytes())
    }

    pub fn sign(&self, claims: &PassClaims) -> String {
        let json = serde_json::to_vec(claims).expect("pass claims serialise");
        let signed = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json));
        let signature = self.0.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// Reads a public key given as [`PassKey::public_base64`] writes it.
pub fn public_key(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Checks a token's signature and reads its claims. Whether it is valid here and now is the
/// caller's question ([`PassClaims::in_window`], the gates, revocation).
pub fn verify(token: &str, key: &VerifyingKey) -> Result<PassClaims, TokenError> {
    let token = token.trim();
    let rest = token.strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
    let (claims_b64, sig_b64) = rest.split_once('.').ok_or(TokenError::Malformed)?;
    let sig: [u8; 64] =
        URL_SAFE_NO_PAD.decode(sig_b64).ok().and_then(|b| b.try_into().ok()).ok_or(TokenError::Malformed)?;
    let signed = &token[..PREFIX.len() + claims_b64.len()];
    key.verify_strict(signed.as_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| TokenError::BadSignature)?;
    // Signed by us, so well-formed unless the key signed something else entirely.
    let json = URL_SAFE_NO_PAD.decode(claims_b64).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn claims() -> PassClaims {
        PassClaims {
            id: "P7Q2K9".into(),
            kind: PassKind::Delivery,
            area: "150102001001".into(),
            gates: vec![3, 4],
            from: 1_700_000_000,
            until: 1_700_086_400,
            one_time: false,
            holder: "美团配送 王*".into(),
        }
    }

    #[test]
    fn a_signed_pass_verifies_with_the_public_key_alone() {
        let key = PassKey::from_secret(&[7; 32]);
        let token = key.sign(&claims());
        assert!(token.starts_with("CP1."));
        let public = public_key(&key.public_base64()).unwrap();
        assert_eq!(verify(&token, &public), Ok(claims()));
        // Another server's key does not.
        let other = PassKey::from_secret(&[8; 32]).public();
        assert_eq!(verify(&token, &other), Err(TokenError::BadSignature));
        assert_eq!(verify("https://example.com/", &public), Err(TokenError::Malformed));
        assert_eq!(verify("CP1.abc", &public), Err(TokenError::Malformed));
    }

    #[test]
    fn a_pass_edited_to_last_longer_is_refused() {
        let key = PassKey::from_secret(&[7; 32]);
        let token = key.sign(&claims());
        let (head, sig) = token.rsplit_once('.').unwrap();
        let longer = PassClaims { until: claims().until + 86_400 * 30, ..claims() };
        let forged_head = format!("CP1.{}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&longer).unwrap()));
        assert_ne!(head, forged_head);
        assert_eq!(verify(&format!("{forged_head}.{sig}"), &key.public()), Err(TokenError::BadSignature));
    }

    proptest! {
        /// Any single character changed anywhere in a token makes it fail.
        #[test]
        fn any_altered_character_is_caught(at in any::<prop::sample::Index>(), c in "[A-Za-z0-9_.-]") {
            let key = PassKey::from_secret(&[7; 32]);
            let token = key.sign(&claims());
            let i = at.index(token.len());
            let c = c.chars().next().unwrap();
            prop_assume!(token.as_bytes()[i] as char != c);
            let mut altered = token.clone().into_bytes();
            altered[i] = c as u8;
            let altered = String::from_utf8(altered).unwrap();
            prop_assert!(verify(&altered, &key.public()).is_err(), "{} verified", altered);
        }
    }
}
