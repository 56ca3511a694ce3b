//! Pseudonyms (化名): what stands for a person in a list that leaves the command without names.

use sha2::{Digest, Sha256};

/// Stable pseudonyms for one deployment: the same person has the same pseudonym in every
/// export, so pseudonymised lists can still be joined, and nobody without the key can go back.
///
/// A pseudonym is a prefix and the first 12 hex digits of SHA-256 over the key, a zero byte
/// and the value. The PostgreSQL store computes the same in SQL (`sha256()`), so the rule is
/// written twice; the store tests hold the two to each other.
#[derive(Clone)]
pub struct Pseudonyms {
    key: [u8; 32],
}

impl Pseudonyms {
    pub fn new(key: [u8; 32]) -> Self {
        Pseudonyms { key }
    }

    /// The key, for a database to make the same pseudonyms itself.
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// Appends the pseudonym of `value` to `out`, without allocating.
    pub fn write(&self, prefix: &str, value: &str, out: &mut String) {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update([0]);
        h.update(value.as_bytes());
        let digest = h.finalize();
        out.push_str(prefix);
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for b in &digest[..6] {
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }

    fn of(&self, prefix: &str, value: &str) -> String {
        let mut s = String::with_capacity(prefix.len() + 12);
        self.write(prefix, value, &mut s);
        s
    }

    /// A person's pseudonym (`P-…`), in place of their register id and their name.
    pub fn person(&self, person_id: &str) -> String {
        self.of("P-", person_id)
    }

    /// An ID number's pseudonym (`ID-…`).
    pub fn id_number(&self, id_number: &str) -> String {
        self.of("ID-", id_number)
    }
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pseudonym_is_stable_keyed_and_short() {
        let a = Pseudonyms::new([7; 32]);
        let b = Pseudonyms::new([8; 32]);
        let p = a.person("P0000001");
        assert_eq!(p, a.person("P0000001"));
        assert_ne!(p, b.person("P0000001"));
        assert_ne!(p, a.person("P0000002"));
        assert!(p.starts_with("P-") && p.len() == 14, "{p}");
        assert!(a.id_number("150102199001011234").starts_with("ID-"));
        // The first 12 hex digits of SHA-256(key ‖ 0 ‖ value), as PostgreSQL computes them.
        let mut h = Sha256::new();
        h.update([7u8; 32]);
        h.update([0]);
        h.update(b"P0000001");
        let hex: String = h.finalize()[..6].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(p, format!("P-{hex}"));
    }
}
