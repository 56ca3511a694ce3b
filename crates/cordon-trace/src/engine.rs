//! Venue scans as columns sorted by (venue, time), people and venues interned to dense ids, and
//! the derivation of close and secondary contacts by binary search inside each venue's block.
//! The rules are those of `formats.md` (`cordon trace`), which the DuckDB reference implements.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;

/// Interned byte strings: ids are dense, in order of first appearance. Names live in one
/// arena. Ids shaped like the first one seen — a fixed prefix and a fixed number of digits, as
/// `P00004019` — are looked up by their number in a table, without hashing; any other id goes
/// through a hash map. Both paths give the same answers.
#[derive(Default)]
pub struct Interner {
    arena: Vec<u8>,
    ends: Vec<usize>,
    /// The shape of the first id: its prefix and the count of digits after it.
    shape: Option<(Box<[u8]>, usize)>,
    /// By number, for ids of that shape: id + 1 (0: not seen).
    by_number: Vec<u32>,
    others: FxHashMap<Box<[u8]>, u32>,
}

/// Numbers above this go to the hash map, so a stray huge number cannot allocate a huge table.
const MAX_NUMBERED: u64 = 1 << 27;

fn shape_of(s: &[u8]) -> Option<(usize, u64)> {
    let digits = s.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 18 {
        return None;
    }
    let start = s.len() - digits;
    let n = s[start..].iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'));
    Some((start, n))
}

impl Interner {
    pub fn intern(&mut self, s: &[u8]) -> u32 {
        if let Some(slot) = self.numbered_slot(s) {
            if self.by_number[slot] != 0 {
                return self.by_number[slot] - 1;
            }
            let id = self.push_name(s);
            self.by_number[slot] = id + 1;
            return id;
        }
        if let Some(&id) = self.others.get(s) {
            return id;
        }
        let id = self.push_name(s);
        self.others.insert(s.into(), id);
        id
    }

    /// The table slot of an id of the first id's shape (learning the shape from the first).
    fn numbered_slot(&mut self, s: &[u8]) -> Option<usize> {
        let (start, n) = shape_of(s)?;
        if n >= MAX_NUMBERED {
            return None;
        }
        match &self.shape {
            None if self.ends.is_empty() => self.shape = Some((s[..start].into(), s.len() - start)),
            None => return None,
            Some((prefix, width)) if **prefix == s[..start] && *width == s.len() - start => {}
            Some(_) => return None,
        }
        let slot = n as usize;
        if slot >= self.by_number.len() {
            self.by_number.resize((slot + 1).next_power_of_two(), 0);
        }
        Some(slot)
    }

    fn push_name(&mut self, s: &[u8]) -> u32 {
        let id = self.ends.len() as u32;
        self.arena.extend_from_slice(s);
        self.ends.push(self.arena.len());
        id
    }

    pub fn get(&self, s: &[u8]) -> Option<u32> {
        if let (Some((prefix, width)), Some((start, n))) = (&self.shape, shape_of(s))
            && **prefix == s[..start]
            && *width == s.len() - start
            && n < MAX_NUMBERED
        {
            return self.by_number.get(n as usize).and_then(|&v| v.checked_sub(1));
        }
        self.others.get(s).copied()
    }

    pub fn name(&self, id: u32) -> &[u8] {
        let end = self.ends[id as usize];
        let start = if id == 0 { 0 } else { self.ends[id as usize - 1] };
        &self.arena[start..end]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Scans being gathered, in any order.
#[derive(Default)]
pub struct ScansBuilder {
    pub people: Interner,
    pub venues: Interner,
    person: Vec<u32>,
    venue: Vec<u32>,
    time: Vec<i64>,
}

impl ScansBuilder {
    pub fn with_capacity(n: usize) -> Self {
        ScansBuilder {
            person: Vec::with_capacity(n),
            venue: Vec::with_capacity(n),
            time: Vec::with_capacity(n),
            ..Default::default()
        }
    }

    /// One scan; `time` in microseconds since the epoch.
    pub fn push(&mut self, person: &[u8], venue: &[u8], time: i64) {
        let p = self.people.intern(person);
        let v = self.venues.intern(venue);
        self.push_ids(p, v, time);
    }

    pub fn push_ids(&mut self, person: u32, venue: u32, time: i64) {
        self.person.push(person);
        self.venue.push(venue);
        self.time.push(time);
    }

    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Sorts by (venue, time) and indexes venues and people.
    pub fn finish(self) -> Scans {
        let ScansBuilder { people, venues, person, venue, time } = self;
        let n = time.len();
        // Sort by venue with a counting sort (venues are dense), then by time inside each venue.
        let nv = venues.len();
        let mut venue_start = vec![0u32; nv + 1];
        for &v in &venue {
            venue_start[v as usize + 1] += 1;
        }
        for i in 0..nv {
            venue_start[i + 1] += venue_start[i];
        }
        let mut next = venue_start.clone();
        let mut order = vec![0u32; n];
        for (i, &v) in venue.iter().enumerate() {
            order[next[v as usize] as usize] = i as u32;
            next[v as usize] += 1;
        }
        drop(next);
        drop(venue);
        let mut rows: Vec<(i64, u32)> =
            order.iter().map(|&i| (time[i as usize], person[i as usize])).collect();
        drop(order);
        drop(time);
        drop(person);
        for v in 0..nv {
            let (a, b) = (venue_start[v] as usize, venue_start[v + 1] as usize);
            rows[a..b].sort_unstable();
        }
        let time: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let person: Vec<u32> = rows.iter().map(|r| r.1).collect();
        drop(rows);

        // Each person's scans as positions in the sorted columns (CSR).
        let np = people.len();
        let mut person_start = vec![0u32; np + 1];
        for &p in &person {
            person_start[p as usize + 1] += 1;
        }
        for i in 0..np {
            person_start[i + 1] += person_start[i];
        }
        let mut next = person_start.clone();
        let mut by_person = vec![0u32; n];
        for (i, &p) in person.iter().enumerate() {
            by_person[next[p as usize] as usize] = i as u32;
            next[p as usize] += 1;
        }
        Scans { people, venues, venue_start, time, person, person_start, by_person }
    }
}

/// Scans sorted by (venue, time).
pub struct Scans {
    pub people: Interner,
    pub venues: Interner,
    /// Venue v's scans are `venue_start[v]..venue_start[v + 1]`.
    venue_start: Vec<u32>,
    time: Vec<i64>,
    person: Vec<u32>,
    /// Person p's scans are `by_person[person_start[p]..person_start[p + 1]]` (positions).
    person_start: Vec<u32>,
    by_person: Vec<u32>,
}

impl Scans {
    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    fn venue_of(&self, pos: usize) -> u32 {
        // The venue whose block holds pos.
        (self.venue_start.partition_point(|&s| s as usize <= pos) - 1) as u32
    }

    fn scans_of(&self, p: u32) -> impl Iterator<Item = usize> + '_ {
        let (a, b) = (self.person_start[p as usize] as usize, self.person_start[p as usize + 1] as usize);
        self.by_person[a..b].iter().map(|&i| i as usize)
    }

    /// Positions of venue v's scans with time in [lo, hi].
    fn together(&self, v: u32, lo: i64, hi: i64) -> std::ops::Range<usize> {
        let (a, b) = (self.venue_start[v as usize] as usize, self.venue_start[v as usize + 1] as usize);
        let block = &self.time[a..b];
        let from = block.partition_point(|&t| t < lo);
        let to = block.partition_point(|&t| t <= hi);
        a + from..a + to
    }
}

/// A case: infectious from `from` until `until` (exclusive; none: not isolated yet).
#[derive(Debug, Clone)]
pub struct Case {
    pub person: Vec<u8>,
    pub from: i64,
    pub until: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Close,
    Secondary,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Close => "close",
            Kind::Secondary => "secondary",
        }
    }
}

/// One contact: who, how, through whom, where and when first exposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub person: u32,
    pub kind: Kind,
    pub via: u32,
    pub venue: u32,
    pub exposure: i64,
}

/// The earliest pairing per person; ties by the via person's id, then the venue's id, as
/// strings byte by byte.
struct Best {
    best: Vec<Option<(i64, u32, u32)>>,
}

impl Best {
    fn new(n: usize) -> Self {
        Best { best: vec![None; n] }
    }

    fn offer(&mut self, scans: &Scans, person: u32, t: i64, via: u32, venue: u32) {
        let slot = &mut self.best[person as usize];
        let better = match slot {
            None => true,
            Some((bt, bvia, bvenue)) => match t.cmp(bt) {
                Ordering::Less => true,
                Ordering::Greater => false,
                Ordering::Equal => {
                    let by_via = scans.people.name(via).cmp(scans.people.name(*bvia));
                    by_via.then_with(|| scans.venues.name(venue).cmp(scans.venues.name(*bvenue)))
                        == Ordering::Less
                }
            },
        };
        if better {
            *slot = Some((t, via, venue));
        }
    }

    fn into_contacts(self, kind: Kind) -> Vec<Contact> {
        self.best
            .into_iter()
            .enumerate()
            .filter_map(|(p, b)| {
                b.map(|(t, via, venue)| Contact { person: p as u32, kind, via, venue, exposure: t })
            })
            .collect()
    }
}

/// What a derivation found, and about its input.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TraceStats {
    pub cases: usize,
    /// Cases that never scanned anywhere.
    pub cases_without_scans: usize,
    pub case_scans: usize,
    pub close: usize,
    pub secondary: usize,
}

/// Close contacts of `cases` (and secondary contacts, when asked), rows sorted as formats.md
/// says: close first, then secondary, each by person id byte by byte.
pub fn trace(scans: &Scans, cases: &[Case], window_us: i64, secondary: bool) -> (Vec<Contact>, TraceStats) {
    let np = scans.people.len();
    let mut stats = TraceStats { cases: cases.len(), ..Default::default() };
    let mut is_case = vec![false; np];
    let mut case_list = Vec::with_capacity(cases.len());
    for c in cases {
        match scans.people.get(&c.person) {
            Some(p) => {
                is_case[p as usize] = true;
                case_list.push((p, c.from, c.until));
            }
            None => stats.cases_without_scans += 1,
        }
    }

    let mut close = Best::new(np);
    for &(c, from, until) in &case_list {
        for pos in scans.scans_of(c) {
            let tc = scans.time[pos];
            if tc < from || until.is_some_and(|u| tc >= u) {
                continue;
            }
            stats.case_scans += 1;
            let venue = scans.venue_of(pos);
            for i in scans.together(venue, tc.saturating_sub(window_us), tc.saturating_add(window_us)) {
                let p = scans.person[i];
                if !is_case[p as usize] {
                    close.offer(scans, p, scans.time[i], c, venue);
                }
            }
        }
    }
    let mut close = close.into_contacts(Kind::Close);
    stats.close = close.len();

    let mut out_secondary = Vec::new();
    if secondary {
        let mut excluded = is_case;
        for c in &close {
            excluded[c.person as usize] = true;
        }
        let mut best = Best::new(np);
        for c in &close {
            for pos in scans.scans_of(c.person) {
                let tp = scans.time[pos];
                if tp < c.exposure {
                    continue;
                }
                let venue = scans.venue_of(pos);
                for i in scans.together(venue, tp.saturating_sub(window_us), tp.saturating_add(window_us)) {
                    let q = scans.person[i];
                    if !excluded[q as usize] {
                        best.offer(scans, q, scans.time[i], c.person, venue);
                    }
                }
            }
        }
        out_secondary = best.into_contacts(Kind::Secondary);
        stats.secondary = out_secondary.len();
    }

    let by_name = |a: &Contact, b: &Contact| scans.people.name(a.person).cmp(scans.people.name(b.person));
    close.sort_unstable_by(by_name);
    out_secondary.sort_unstable_by(by_name);
    close.extend(out_secondary);
    (close, stats)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The rules of formats.md, written the slow and obvious way.
    fn naive(
        raw: &[(u8, u8, i64)],
        cases: &[(u8, i64, Option<i64>)],
        w: i64,
        secondary: bool,
    ) -> Vec<(String, &'static str, String, String, i64)> {
        let name = |p: u8| format!("P{p:02}");
        let venue = |v: u8| format!("V{v}");
        let is_case = |p: u8| cases.iter().any(|c| c.0 == p);
        let counting =
            |p: u8, t: i64| cases.iter().any(|&(c, f, u)| c == p && t >= f && u.is_none_or(|u| t < u));
        let mut close: Vec<(String, &str, String, String, i64)> = Vec::new();
        let people: std::collections::BTreeSet<u8> = raw.iter().map(|r| r.0).collect();
        for &p in &people {
            if is_case(p) {
                continue;
            }
            let mut best: Option<(i64, String, String)> = None;
            for &(sp, sv, st) in raw.iter().filter(|r| r.0 == p) {
                for &(cp, cv, ct) in raw {
                    if cv == sv && is_case(cp) && counting(cp, ct) && (st - ct).abs() <= w {
                        let cand = (st, name(cp), venue(sv));
                        if best.as_ref().is_none_or(|b| cand < *b) {
                            best = Some(cand);
                        }
                    }
                }
                let _ = sp;
            }
            if let Some((t, via, v)) = best {
                close.push((name(p), "close", via, v, t));
            }
        }
        let mut out = close.clone();
        if secondary {
            let exposure = |p: &str| close.iter().find(|c| c.0 == p).map(|c| c.4);
            for &q in &people {
                if is_case(q) || exposure(&name(q)).is_some() {
                    continue;
                }
                let mut best: Option<(i64, String, String)> = None;
                for &(_, sv, st) in raw.iter().filter(|r| r.0 == q) {
                    for &(pp, pv, pt) in raw {
                        if let Some(e) = exposure(&name(pp))
                            && pv == sv
                            && pt >= e
                            && (st - pt).abs() <= w
                        {
                            let cand = (st, name(pp), venue(sv));
                            if best.as_ref().is_none_or(|b| cand < *b) {
                                best = Some(cand);
                            }
                        }
                    }
                }
                if let Some((t, via, v)) = best {
                    out.push((name(q), "secondary", via, v, t));
                }
            }
        }
        out
    }

    proptest! {
        #[test]
        fn interning_is_a_bijection_whatever_the_shapes(names in prop::collection::vec("(P|X|)[0-9]{0,4}|[a-z]{1,3}|P[0-9]{20}", 1..60)) {
            let mut i = Interner::default();
            let ids: Vec<u32> = names.iter().map(|n| i.intern(n.as_bytes())).collect();
            for (n, id) in names.iter().zip(&ids) {
                prop_assert_eq!(i.name(*id), n.as_bytes());
                prop_assert_eq!(i.get(n.as_bytes()), Some(*id));
                prop_assert_eq!(i.intern(n.as_bytes()), *id);
            }
            let distinct: std::collections::HashSet<&String> = names.iter().collect();
            prop_assert_eq!(i.len(), distinct.len());
            prop_assert_eq!(i.get(b"never-seen-0"), None);
        }

        #[test]
        fn agrees_with_the_rules_written_plainly(
            raw in prop::collection::vec((0u8..30, 0u8..6, 0i64..200), 0..150),
            case_people in prop::collection::vec((0u8..30, 0i64..150, prop::option::of(0i64..100)), 1..5),
            w in 0i64..20,
            secondary in any::<bool>(),
        ) {
            let mut cases: Vec<(u8, i64, Option<i64>)> = Vec::new();
            for (p, f, d) in case_people {
                if !cases.iter().any(|c| c.0 == p) {
                    cases.push((p, f, d.map(|d| f + d)));
                }
            }
            let mut b = ScansBuilder::default();
            for &(p, v, t) in &raw {
                b.push(format!("P{p:02}").as_bytes(), format!("V{v}").as_bytes(), t);
            }
            let scans = b.finish();
            let cs: Vec<Case> = cases.iter().map(|&(p, f, u)| Case { person: format!("P{p:02}").into_bytes(), from: f, until: u }).collect();
            let (got, _) = trace(&scans, &cs, w, secondary);
            let got: Vec<_> = got
                .iter()
                .map(|c| {
                    let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
                    (s(scans.people.name(c.person)), c.kind.as_str(), s(scans.people.name(c.via)), s(scans.venues.name(c.venue)), c.exposure)
                })
                .collect();
            prop_assert_eq!(got, naive(&raw, &cases, w, secondary));
        }
    }
}
