//! Personal identifiers sealed at rest: ID numbers and phones are stored encrypted
//! (AES-256-GCM) beside a keyed hash of each (the blind index), which finds a person by
//! an exact number without the number being in the database.
//!
//! The keys come from a key file the database never sees (see [`Keyring`]). The first key seals;
//! every key in the file opens and is searched, so a new key can be put first and the rows
//! re-sealed (`cordon keys rotate`) while the server keeps serving.
//!
//! A sealed value is `2 ‖ key id (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`. Nonces are random:
//! a key seals far fewer than the 2³² values GCM allows under random nonces (a city's register
//! is some 10⁸ values, and each rotation starts a new key). AES-GCM rather than
//! XChaCha20-Poly1305 because, with the CPU's AES instructions, it seals a short value in a
//! fraction of the time (measured with `examples/seal_cost.rs`). The associated data
//! binds it to its field and its row (a person's register id, a need's household), so a sealed
//! number copied onto another person does not open.

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

const VERSION: u8 = 2;
const NONCE: usize = 12;
const HEADER: usize = 1 + 4 + NONCE;
/// Bytes of the blind index kept: 128 bits, so two numbers never share one in practice; a
/// look-up still opens what it finds.
const BLIND_LEN: usize = 16;

/// The personal fields that are sealed, each with its own associated data and blind index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    IdNumber,
    Phone,
    /// The phone a resident gives with a request (求助电话).
    ContactPhone,
    /// A user's two-factor (TOTP) secret.
    TotpSecret,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
            Field::ContactPhone => "contact_phone",
            Field::TotpSecret => "totp_secret",
        }
    }

    /// How an error names the field, never its value.
    pub fn describe(self) -> &'static str {
        match self {
            Field::IdNumber => "ID number",
            Field::Phone => "phone",
            Field::ContactPhone => "contact phone",
            Field::TotpSecret => "two-factor secret",
        }
    }
}

struct FieldKey {
    secret: [u8; 32],
    id: [u8; 4],
    cipher: Aes256Gcm,
    /// HMAC-SHA-256 keyed for the blind index, cloned per value instead of re-keyed.
    index: Hmac<Sha256>,
}

impl FieldKey {
    fn new(secret: [u8; 32]) -> Self {
        // Each use gets its own subkey, so the cipher's key and the index's never meet.
        let sub = |label: &[u8]| -> [u8; 32] {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&secret).expect("HMAC takes any key");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let mut id = [0u8; 4];
        id.copy_from_slice(&Sha256::digest([b"cordon key id\0".as_slice(), &secret].concat())[..4]);
        FieldKey {
            secret,
            id,
            cipher: Aes256Gcm::new(&sub(b"cordon seal v2").into()),
            index: <Hmac<Sha256> as KeyInit>::new_from_slice(&sub(b"cordon blind index v1"))
                .expect("HMAC takes any key"),
        }
    }

    fn blind(&self, field: Field, value: &str) -> Vec<u8> {
        let mut mac = self.index.clone();
        mac.update(field.label().as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes()[..BLIND_LEN].to_vec()
    }
}

/// The keys that seal and open personal identifiers: the first seals, all open.
///
/// Its text form, the key file, is one key per line in hex (64 digits), newest first; `#` starts
/// a comment. A key is named by its id, 8 hex digits derived from it, which is also written in
/// every value it seals.
pub struct Keyring {
    keys: Vec<FieldKey>,
}

impl Keyring {
    /// A keyring of one fresh random key.
    pub fn generate() -> Keyring {
        Keyring { keys: vec![FieldKey::new(fresh_secret())] }
    }

    /// Reads a key file's text. Errors name the line, never a key.
    pub fn parse(text: &str) -> Result<Keyring> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let secret =
                hex::decode(line).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or_else(|| {
                    StoreError::Invalid(format!("line {}: a key is 64 hex digits (32 bytes)", n + 1))
                })?;
            let key = FieldKey::new(secret);
            if keys.iter().any(|k: &FieldKey| k.id == key.id) {
                return Err(StoreError::Invalid(format!("line {}: the same key is listed twice", n + 1)));
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(StoreError::Invalid("it holds no key".into()));
        }
        Ok(Keyring { keys })
    }

    /// The key file's text.
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# Cordon's field keys: they seal ID numbers and phones. The first key seals, every key opens.\n\
             # Keep a copy apart from the database: without it the sealed numbers cannot be read.\n",
        );
        for k in &self.keys {
            out.push_str(&hex::encode(k.secret));
            out.push_str("  # ");
            out.push_str(&hex::encode(k.id));
            out.push('\n');
        }
        out
    }

    /// The same keys with a fresh one first: what seals from now on.
    pub fn with_new_key(&self) -> Keyring {
        let mut keys = vec![FieldKey::new(fresh_secret())];
        keys.extend(self.keys.iter().map(|k| FieldKey::new(k.secret)));
        Keyring { keys }
    }

    /// The key that seals, by id.
    pub fn current(&self) -> String {
        hex::encode(self.keys[0].id)
    }

    /// Every key's id, the sealing one first.
    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| hex::encode(k.id)).collect()
    }

    /// Seals `value` of `field` for the row `row`.
    pub fn seal(&self, field: Field, row: &str, value: &str) -> Vec<u8> {
        let key = &self.keys[0];
        // From the thread's CSPRNG (seeded by the OS), not a system call per value.
        let nonce = Nonce::from(rand::random::<[u8; NONCE]>());
        let aad = aad(field, row);
        let sealed = key
            .cipher
            .encrypt(&nonce, Payload { msg: value.as_bytes(), aad: &aad })
            .expect("AES-GCM seals any short value");
        let mut out = Vec::with_capacity(HEADER + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value [`Keyring::seal`] made. The error names the field and the row, never the
    /// value: a missing key, or a value altered or moved to another row.
    pub fn open(&self, field: Field, row: &str, sealed: &[u8]) -> Result<String> {
        let fail = |why: String| StoreError::Sealed(format!("the {} of {row} {why}", field.describe()));
        if sealed.len() < HEADER + 16 || sealed[0] != VERSION {
            return Err(fail("is not a sealed value".into()));
        }
        let id = &sealed[1..5];
        let key = self.keys.iter().find(|k| k.id == id).ok_or_else(|| {
            fail(format!("is sealed under key {}, which is not in the key file", hex::encode(id)))
        })?;
        let nonce = Nonce::try_from(&sealed[5..HEADER]).expect("12 bytes");
        let aad = aad(field, row);
        let plain = key
            .cipher
            .decrypt(&nonce, Payload { msg: &sealed[HEADER..], aad: &aad })
            .map_err(|_| fail("does not open: it was altered or belongs to another row".into()))?;
        String::from_utf8(plain).map_err(|_| fail("is not text".into()))
    }

    /// The blind index of `value` under the sealing key: what is stored beside the sealed value.
    pub fn blind(&self, field: Field, value: &str) -> Vec<u8> {
        self.keys[0].blind(field, value)
    }

    /// The blind index of `value` under every key: what a look-up searches for, so rows not yet
    /// re-sealed under a new key are still found.
    pub fn blinds(&self, field: Field, value: &str) -> Vec<Vec<u8>> {
        self.keys.iter().map(|k| k.blind(field, value)).collect()
    }

    /// Whether `sealed` is sealed under the current key (a rotation skips those).
    pub fn is_current(&self, sealed: &[u8]) -> bool {
        sealed.get(1..5) == Some(&self.keys[0].id[..])
    }
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring({})", self.ids().join(", "))
    }
}

fn aad(field: Field, row: &str) -> Vec<u8> {
    [field.label().as_bytes(), b"\0", row.as_bytes()].concat()
}

fn fresh_secret() -> [u8; 32] {
    aes_gcm::Key::<Aes256Gcm>::generate().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_field_and_row() {
        let ring = Keyring::generate();
        let sealed = ring.seal(Field::IdNumber, "P1", "11010519491231002X");
        assert!(!sealed.windows(18).any(|w| w == b"11010519491231002X"));
        assert_eq!(ring.open(Field::IdNumber, "P1", &sealed).unwrap(), "11010519491231002X");
        // Another row, another field, a flipped bit: each refused, and the error holds no number.
        for (field, row) in [(Field::IdNumber, "P2"), (Field::Phone, "P1")] {
            let e = ring.open(field, row, &sealed).unwrap_err().to_string();
            assert!(e.contains("does not open") && !e.contains("1101"), "{e}");
        }
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(ring.open(Field::IdNumber, "P1", &bad).is_err());
        // Two seals of one value differ (random nonces); their blind index does not.
        assert_ne!(sealed, ring.seal(Field::IdNumber, "P1", "11010519491231002X"));
        assert_eq!(ring.blind(Field::Phone, "13800000000"), ring.blind(Field::Phone, "13800000000"));
        assert_ne!(ring.blind(Field::Phone, "13800000000"), ring.blind(Field::IdNumber, "13800000000"));
    }

    #[test]
    fn a_rotated_ring_opens_the_old_and_finds_both() {
        let old = Keyring::generate();
        let sealed = old.seal(Field::Phone, "P1", "13800000000");
        let new = Keyring::parse(&old.with_new_key().to_text()).unwrap();
        assert_eq!(new.ids()[1], old.current());
        assert_eq!(new.open(Field::Phone, "P1", &sealed).unwrap(), "13800000000");
        assert!(!new.is_current(&sealed));
        let blinds = new.blinds(Field::Phone, "13800000000");
        assert_eq!(blinds[1], old.blind(Field::Phone, "13800000000"));
        assert_ne!(blinds[0], blinds[1]);
        // Without the old key, the error names the missing key.
        let alone =
            Keyring::parse(new.to_text().lines().take(3).collect::<Vec<_>>().join("\n").as_str()).unwrap();
        let e = alone.open(Field::Phone, "P1", &sealed).unwrap_err().to_string();
        assert!(e.contains(&old.current()) && e.contains("not in the key file"), "{e}");
    }

    #[test]
    fn a_bad_key_file_is_named_by_line() {
        let e = Keyring::parse("# keys\n\nabcd\n").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("64 hex digits"), "{e}");
        assert!(Keyring::parse("# nothing\n").unwrap_err().to_string().contains("no key"));
        let one = Keyring::generate().to_text();
        let twice = format!("{one}{one}");
        assert!(Keyring::parse(&twice).unwrap_err().to_string().contains("twice"));
    }
}
