//! Privacy: pseudonyms (化名) for the lists that leave the command without names, and the hash
//! chain that makes the audit of reads tamper-evident.

use sha2::{Digest, Sha256};

/// Stable pseudonyms for one deployment: the same person has the same pseudonym in every
/// export, so pseudonymised lists can still be joined, and nobody without the key can go back.
///
/// A pseudonym is a prefix and the first 12 hex digits of SHA-256 over the key, a zero byte
/// and the value. The server's paged exports and the store's bulk register both make them
/// here, so a person's pseudonym is the same in every list.
#[derive(Clone)]
pub struct Pseudonyms {
    key: [u8; 32],
}

impl Pseudonyms {
    pub fn new(key: [u8; 32]) -> Self {
        Pseudonyms { key }
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

/// One entry of the audit of reads (who read whom, when, through what), as the chain hashes it.
#[derive(Debug, Clone, Copy)]
pub struct AuditRead<'a> {
    /// To the microsecond: both backends keep that much, so a stored entry hashes as written.
    pub at: chrono::DateTime<chrono::Utc>,
    pub user_id: i64,
    pub username: &'a str,
    pub person_id: &'a str,
    pub route: &'a str,
}

/// The link of the audit's hash chain for `entry` after the link `previous` (empty before the
/// first): SHA-256, in hex, over the previous link and the entry's fields. Removing, altering
/// or reordering an entry breaks every link from there on.
pub fn audit_link(previous: &str, entry: &AuditRead<'_>) -> String {
    let mut h = Sha256::new();
    h.update(previous.as_bytes());
    h.update(b"\n");
    h.update(entry.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).as_bytes());
    for field in [&entry.user_id.to_string(), entry.username, entry.person_id, entry.route] {
        h.update(b"\t");
        h.update(field.as_bytes());
    }
    let digest = h.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `cordon audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainReport {
    /// Entries read: linked, written before the chain began, and queued for their link.
    pub entries: u64,
    /// Entries written before the chain began (stored without a link), all at the start.
    pub unchained: u64,
    /// Entries appended and queued, not linked yet (the linker takes them within a second or
    /// two; an entry removed with its place in the queue before then leaves no trace).
    pub pending: u64,
    /// The last link: worth noting down elsewhere, since whoever can rewrite the whole table
    /// can rewrite the chain with it.
    pub head: String,
    /// The first entry that does not hold (0: the end of the chain), and why.
    pub broken: Option<(i64, String)>,
}

impl ChainReport {
    /// Entries the chain holds.
    pub fn linked(&self) -> u64 {
        self.entries - self.unchained - self.pending
    }
}

/// Checks the chain link by link, in the order they were linked (which is not always the
/// order of the entries' ids: readers commit in their own time, and the linker takes the queue
/// as it finds it).
#[derive(Debug, Default)]
pub struct ChainCheck {
    report: ChainReport,
}

impl ChainCheck {
    /// Entries written before the chain began, stored without a link: counted, not held
    /// against it.
    pub fn unchained(&mut self, n: u64) {
        self.report.entries += n;
        self.report.unchained += n;
    }

    /// The next link, kept for the entry `entry_id`, with the entry as stored (`None`: gone).
    pub fn link(&mut self, entry_id: i64, entry: Option<&AuditRead<'_>>, link: &str) {
        let r = &mut self.report;
        r.entries += 1;
        if r.broken.is_some() {
            return;
        }
        let Some(entry) = entry else {
            r.broken = Some((entry_id, "the entry was removed (its link is still kept)".into()));
            return;
        };
        let expected = audit_link(&r.head, entry);
        if link == expected {
            r.head = expected;
        } else {
            r.broken = Some((
                entry_id,
                "the entry does not match its link: altered, or an entry before it removed".into(),
            ));
        }
    }

    /// An entry written after the chain began that is neither linked nor queued for its link.
    pub fn stray(&mut self, entry_id: i64) {
        let r = &mut self.report;
        if r.broken.is_none() {
            r.broken = Some((
                entry_id,
                "the entry is neither linked nor queued for its link: its link or its place in the queue was removed".into(),
            ));
        }
    }

    /// Entries queued for their link.
    pub fn pending(&mut self, n: u64) {
        self.report.entries += n;
        self.report.pending += n;
    }

    /// The report, checked against the head and the count kept beside the table (which a
    /// removal of the newest links would not match).
    pub fn finish(self, kept_head: &str, kept_linked: u64) -> ChainReport {
        let mut r = self.report;
        if r.broken.is_none() {
            let linked = r.linked();
            if r.head != kept_head || linked != kept_linked {
                r.broken = Some((
                    0,
                    format!(
                        "the table ends at {linked} linked entries and link {}, the chain's head is {kept_linked} and {}: entries removed from the end",
                        short(&r.head),
                        short(kept_head)
                    ),
                ));
            }
        }
        r
    }
}

fn short(link: &str) -> &str {
    if link.is_empty() { "(none)" } else { &link[..link.len().min(12)] }
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
        // The first 12 hex digits of SHA-256(key ‖ 0 ‖ value).
        let mut h = Sha256::new();
        h.update([7u8; 32]);
        h.update([0]);
        h.update(b"P0000001");
        let hex: String = h.finalize()[..6].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(p, format!("P-{hex}"));
    }

    fn read(at_s: i64, person: &str) -> AuditRead<'_> {
        AuditRead {
            at: chrono::DateTime::from_timestamp(1_780_000_000 + at_s, 123_456_000).unwrap(),
            user_id: 3,
            username: "gongzhufu",
            person_id: person,
            route: "GET /api/v1/people/{id}",
        }
    }

    #[test]
    fn the_chain_holds_and_an_alteration_a_removal_or_a_cut_is_found() {
        let people = ["P1", "P2", "P3", "P4"];
        let mut links = vec![];
        let mut head = String::new();
        for (i, p) in people.iter().enumerate() {
            head = audit_link(&head, &read(i as i64, p));
            links.push(head.clone());
        }
        let check = |rows: &[(i64, AuditRead<'_>, &str)], kept: (&str, u64)| {
            let mut c = ChainCheck::default();
            for (id, e, l) in rows {
                c.link(*id, Some(e), l);
            }
            c.finish(kept.0, kept.1)
        };
        let rows: Vec<(i64, AuditRead<'_>, &str)> = people
            .iter()
            .enumerate()
            .map(|(i, p)| (i as i64 + 10, read(i as i64, p), links[i].as_str()))
            .collect();
        let ok = check(&rows, (&head, 4));
        assert_eq!(ok.broken, None);
        assert_eq!((ok.entries, ok.linked(), ok.head.as_str()), (4, 4, head.as_str()));

        // Entries before the chain began, and those queued for their link, are counted, not
        // held against it.
        let mut c = ChainCheck::default();
        c.unchained(1);
        for (id, e, l) in &rows {
            c.link(*id, Some(e), l);
        }
        c.pending(2);
        let r = c.finish(&head, 4);
        assert_eq!((r.broken.clone(), r.entries, r.unchained, r.pending, r.linked()), (None, 7, 1, 2, 4));

        // An altered person, a removed entry (its link kept, or its link removed too), a
        // cut-off end.
        let mut altered = rows.clone();
        altered[1].1.person_id = "P9";
        assert_eq!(check(&altered, (&head, 4)).broken.unwrap().0, 11);
        let mut c = ChainCheck::default();
        for (i, (id, e, l)) in rows.iter().enumerate() {
            c.link(*id, Some(e).filter(|_| i != 1), l);
        }
        let gone = c.finish(&head, 4).broken.unwrap();
        assert_eq!(gone.0, 11);
        assert!(gone.1.contains("removed"), "{gone:?}");
        let mut removed = rows.clone();
        removed.remove(1);
        assert_eq!(check(&removed, (&head, 4)).broken.unwrap().0, 12);
        let cut = &rows[..3];
        assert_eq!(check(cut, (&head, 4)).broken.unwrap().0, 0);
        // An entry neither linked nor queued (its place in the queue removed).
        let mut c = ChainCheck::default();
        for (id, e, l) in &rows {
            c.link(*id, Some(e), l);
        }
        c.stray(14);
        assert_eq!(c.finish(&head, 4).broken.unwrap().0, 14);
    }
}
