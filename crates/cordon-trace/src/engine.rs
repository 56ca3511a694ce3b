//! Venue scans as columns sorted by (venue, time), people and venues interned to dense ids, and
//! the derivation of close and secondary contacts by binary search inside each venue's block.
//! The rules are those of `formats.md` (`cordon trace`), which the DuckDB reference implements.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;

/// Interned byte strings with dense ids. Ids shaped like the first one seen — a fixed prefix
/// and a fixed number of digits, as `P00004019` — are their own number: interning them touches
/// no table at all, which matters when 20 M rows each look one up. Any other name (or a number
/// beyond the numbered range, once another name has been seen) gets the next id above that
/// range through a hash map. Comparing two numbered names is comparing their numbers, since
/// they share prefix and width.
#[derive(Default, Clone)]
pub struct Interner {
    /// The shape of numbered names: prefix and count of digits.
    shape: Option<(Box<[u8]>, usize)>,
    /// One more than the largest numbered id handed out.
    numbered: u32,
    /// Set when the first other name arrives: from then on only numbers below `numbered` are
    /// numbered ids, and other names take ids from `numbered` upwards.
    fixed: bool,
    arena: Vec<u8>,
    ends: Vec<usize>,
    others: FxHashMap<Box<[u8]>, u32>,
    /// Numbers from here up are never numbered ids, so the arrays indexed by id stay in
    /// proportion to the input (see `ScansBuilder::for_rows`); 0: `MIN_NUMBERED_LIMIT`.
    limit: u64,
}

/// The numbered range of an interner that does not know how many rows will come.
const MIN_NUMBERED_LIMIT: u64 = 1 << 22;

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
    /// The numbered id of `s`, if it has the shape and the number is in range.
    fn numbered_id(&self, s: &[u8]) -> Option<u32> {
        let (prefix, width) = self.shape.as_ref()?;
        let (start, n) = shape_of(s)?;
        let limit = self.limit.max(MIN_NUMBERED_LIMIT).min(u64::from(u32::MAX / 2));
        let in_range = n < limit && (!self.fixed || n < u64::from(self.numbered));
        (in_range && start == prefix.len() && s.len() - start == *width && s[..start] == **prefix)
            .then_some(n as u32)
    }

    pub fn intern(&mut self, s: &[u8]) -> u32 {
        if self.shape.is_none()
            && self.numbered == 0
            && !self.fixed
            && let Some((start, _)) = shape_of(s)
        {
            self.shape = Some((s[..start].into(), s.len() - start));
        }
        if let Some(n) = self.numbered_id(s) {
            self.numbered = self.numbered.max(n + 1);
            return n;
        }
        self.fixed = true;
        if let Some(&id) = self.others.get(s) {
            return id;
        }
        let id = self.numbered + self.ends.len() as u32;
        self.arena.extend_from_slice(s);
        self.ends.push(self.arena.len());
        self.others.insert(s.into(), id);
        id
    }

    /// The id of `s`. A numbered name in range has its id even if it was never interned (it
    /// then has no scans).
    pub fn get(&self, s: &[u8]) -> Option<u32> {
        match self.numbered_id(s) {
            Some(n) if n < self.numbered => Some(n),
            Some(_) => None,
            None => self.others.get(s).copied(),
        }
    }

    pub fn name(&self, id: u32) -> std::borrow::Cow<'_, [u8]> {
        if id < self.numbered {
            let (prefix, width) = self.shape.as_ref().expect("numbered ids have a shape");
            let mut out = prefix.to_vec();
            out.extend_from_slice(format!("{id:0width$}").as_bytes());
            return out.into();
        }
        let i = (id - self.numbered) as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        std::borrow::Cow::Borrowed(&self.arena[start..self.ends[i]])
    }

    /// Byte order of the names of two ids.
    pub fn cmp_names(&self, a: u32, b: u32) -> Ordering {
        if a < self.numbered && b < self.numbered {
            return a.cmp(&b);
        }
        self.name(a).cmp(&self.name(b))
    }

    /// Writes the name of an id.
    pub fn write_name(&self, out: &mut impl std::io::Write, id: u32) -> std::io::Result<()> {
        if id < self.numbered {
            let (prefix, width) = self.shape.as_ref().expect("numbered ids have a shape");
            out.write_all(prefix)?;
            return write!(out, "{id:0width$}");
        }
        out.write_all(&self.name(id))
    }

    /// Takes in another interner's names; returns how its ids map to this one's (`None`: they
    /// are the same ids, as when both hold only numbered names of one shape).
    pub fn absorb(&mut self, other: &Interner) -> Option<Vec<u32>> {
        let same_shape = self.shape == other.shape || (self.is_empty() && !self.fixed);
        if other.others.is_empty() && same_shape && (!self.fixed || other.numbered <= self.numbered) {
            if self.shape.is_none() {
                self.shape = other.shape.clone();
            }
            self.numbered = self.numbered.max(other.numbered);
            return None;
        }
        let map: Vec<u32> = (0..other.len() as u32).map(|id| self.intern(&other.name(id))).collect();
        if map.iter().enumerate().all(|(i, &m)| i as u32 == m) { None } else { Some(map) }
    }

    /// Ids run from 0 to `len() - 1` (some numbered ones may be unused).
    pub fn len(&self) -> usize {
        self.numbered as usize + self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Scans being gathered, in any order.
#[derive(Default, Clone)]
pub struct ScansBuilder {
    pub people: Interner,
    pub venues: Interner,
    person: Vec<u32>,
    venue: Vec<u32>,
    time: Vec<i64>,
}

impl ScansBuilder {
    pub fn with_capacity(n: usize) -> Self {
        Self::for_rows(n, n)
    }

    /// A builder for about `rows` rows of a file of `total_rows`: numbered ids may go up to
    /// twice the total, so a city with 10 M people numbered densely keeps every id numbered,
    /// and every part of one file agrees on which ids are.
    pub fn for_rows(rows: usize, total_rows: usize) -> Self {
        let mut b = ScansBuilder {
            person: Vec::with_capacity(rows),
            venue: Vec::with_capacity(rows),
            time: Vec::with_capacity(rows),
            ..Default::default()
        };
        let limit = (total_rows as u64).saturating_mul(2);
        b.people.limit = limit;
        b.venues.limit = limit;
        b
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

    /// The rows by name, in the order they came: (person, venue, microseconds).
    pub fn named_rows(
        &self,
    ) -> impl Iterator<Item = (std::borrow::Cow<'_, [u8]>, std::borrow::Cow<'_, [u8]>, i64)> {
        (0..self.len())
            .map(|i| (self.people.name(self.person[i]), self.venues.name(self.venue[i]), self.time[i]))
    }

    /// The rows as (person, venue, time) ids, in the order they came.
    pub fn clone_rows(&self) -> Vec<(u32, u32, i64)> {
        (0..self.len()).map(|i| (self.person[i], self.venue[i], self.time[i])).collect()
    }

    /// Appends the scans another builder gathered (a later part of the same file).
    pub fn append(&mut self, other: ScansBuilder) {
        let people = self.people.absorb(&other.people);
        let venues = self.venues.absorb(&other.venues);
        let remap = |ids: Vec<u32>, map: Option<Vec<u32>>| match map {
            None => ids,
            Some(m) => ids.into_iter().map(|i| m[i as usize]).collect(),
        };
        self.person.extend(remap(other.person, people));
        self.venue.extend(remap(other.venue, venues));
        self.time.extend(other.time);
    }

    /// Sorts by (venue, time) and indexes venues and people.
    pub fn finish(self) -> Scans {
        self.finish_timed().0
    }

    /// `finish`, with the time of each phase: scattering into venue blocks, sorting the
    /// blocks, indexing people.
    pub fn finish_timed(self) -> (Scans, [std::time::Duration; 3]) {
        let started = std::time::Instant::now();
        let ScansBuilder { people, venues, person, venue, time } = self;
        // Sort by venue with a counting sort (venues are dense), then by time inside each venue.
        let nv = venues.len();
        let (venue_start, mut rows) = counting_sort(&venue, nv, |i| (time[i], person[i]));
        drop(venue);
        drop(time);
        drop(person);
        let scattered = started.elapsed();
        let mut time = vec![0i64; rows.len()];
        let mut person = vec![0u32; rows.len()];
        sort_blocks(&mut rows, &venue_start, &mut time, &mut person);
        drop(rows);
        let sorted = started.elapsed();

        // Who has scans at all (an interned number range may have gaps).
        let mut seen = vec![0u64; people.len().div_ceil(64)];
        for &p in &person {
            seen[p as usize / 64] |= 1 << (p % 64);
        }
        let people_with_scans = seen.iter().map(|w| w.count_ones() as usize).sum();
        let phases = [scattered, sorted - scattered, started.elapsed() - sorted];
        let scans = Scans {
            people,
            venues,
            venue_start,
            time,
            person,
            people_with_scans,
            people_index: std::sync::OnceLock::new(),
        };
        (scans, phases)
    }
}

/// The machine's cores, at most `cap`.
fn cores(cap: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(cap)
}

/// Venue indices that cut the venues into about `parts` runs of about equal scans (not equal
/// venues): strictly increasing, from 0 to the number of venues.
fn venue_cuts(venue_start: &[u32], parts: usize) -> Vec<usize> {
    let venues = venue_start.len().saturating_sub(1);
    let rows = venue_start.last().copied().unwrap_or(0) as usize;
    let mut cuts = vec![0usize];
    for k in 1..parts {
        let target = (rows * k / parts) as u32;
        let v = venue_start.partition_point(|&s| s < target).min(venues);
        if v > *cuts.last().expect("starts with 0") {
            cuts.push(v);
        }
    }
    if venues > *cuts.last().expect("starts with 0") {
        cuts.push(venues);
    }
    cuts
}

/// A stable counting sort on the machine's cores: each core counts the keys of its part of the
/// rows, the counts give every (core, key) its own run of slots, and each core writes the values
/// of its rows into its runs. Returns where each key's run starts (`nk + 1` entries) and the
/// values, key by key, each key's in input order.
fn counting_sort<T: Copy + Default + Send + Sync>(
    keys: &[u32],
    nk: usize,
    value: impl Fn(usize) -> T + Sync,
) -> (Vec<u32>, Vec<T>) {
    let n = keys.len();
    let threads = if n < 1_000_000 { 1 } else { cores(8) };
    let part = n.div_ceil(threads).max(1);
    let counts: Vec<Vec<u32>> = std::thread::scope(|scope| {
        let handles: Vec<_> = keys
            .chunks(part)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut c = vec![0u32; nk];
                    for &k in chunk {
                        c[k as usize] += 1;
                    }
                    c
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a counting thread panicked")).collect()
    });
    let mut starts = vec![0u32; nk + 1];
    // next[j][k]: where part j writes its next value of key k.
    let mut next: Vec<Vec<u32>> = vec![vec![0u32; nk]; counts.len()];
    let mut at = 0u32;
    for k in 0..nk {
        starts[k] = at;
        for (j, c) in counts.iter().enumerate() {
            next[j][k] = at;
            at += c[k];
        }
    }
    starts[nk] = at;
    drop(counts);
    let mut out: Vec<T> = vec![T::default(); n];
    let ptr = OutPtr(out.as_mut_ptr());
    let value = &value;
    std::thread::scope(|scope| {
        for (j, mut next) in next.into_iter().enumerate() {
            let lo = j * part;
            let hi = (lo + part).min(n);
            let keys = &keys[lo..hi];
            scope.spawn(move || {
                let ptr = ptr;
                for (i, &k) in keys.iter().enumerate() {
                    let slot = &mut next[k as usize];
                    // SAFETY: the runs of slots of different (part, key) pairs are disjoint and
                    // lie inside `out` (they partition 0..n), and only this thread writes this
                    // part's runs, so no slot is written twice or by two threads; `out` outlives
                    // the scope.
                    unsafe { ptr.0.add(*slot as usize).write(value(lo + i)) };
                    *slot += 1;
                }
            });
        }
    });
    (starts, out)
}

/// The values being scattered, shared by the scattering threads (each writing its own slots).
struct OutPtr<T>(*mut T);
impl<T> Clone for OutPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for OutPtr<T> {}
// SAFETY: see `counting_sort`: the threads write disjoint slots of values that are Send.
unsafe impl<T: Send> Send for OutPtr<T> {}
unsafe impl<T: Send> Sync for OutPtr<T> {}

/// Sorts each venue's block of `rows` by time (the order of equal times matters to no rule) and
/// writes the sorted rows out as the time and person columns, the blocks shared out among the
/// machine's cores in contiguous runs of about equal size.
fn sort_blocks(rows: &mut [(i64, u32)], venue_start: &[u32], time: &mut [i64], person: &mut [u32]) {
    let threads = cores(16);
    let sort_range =
        |rows: &mut [(i64, u32)], base: usize, starts: &[u32], time: &mut [i64], person: &mut [u32]| {
            for w in starts.windows(2) {
                rows[w[0] as usize - base..w[1] as usize - base].sort_unstable_by_key(|r| r.0);
            }
            for ((r, t), p) in rows.iter().zip(time.iter_mut()).zip(person.iter_mut()) {
                *t = r.0;
                *p = r.1;
            }
        };
    if threads < 2 || rows.len() < 100_000 {
        sort_range(rows, 0, venue_start, time, person);
        return;
    }
    let cuts = venue_cuts(venue_start, threads);
    std::thread::scope(|scope| {
        let (mut rest, mut rest_t, mut rest_p) = (rows, time, person);
        let mut base = 0usize;
        for w in cuts.windows(2) {
            let (from, to) = (w[0], w[1]);
            let end = venue_start[to] as usize;
            let (mine, tail) = rest.split_at_mut(end - base);
            let (mine_t, tail_t) = rest_t.split_at_mut(end - base);
            let (mine_p, tail_p) = rest_p.split_at_mut(end - base);
            let starts = &venue_start[from..=to];
            let b = base;
            scope.spawn(move || sort_range(mine, b, starts, mine_t, mine_p));
            (rest, rest_t, rest_p) = (tail, tail_t, tail_p);
            base = end;
        }
    });
}

/// Scans sorted by (venue, time).
pub struct Scans {
    pub people: Interner,
    pub venues: Interner,
    /// Venue v's scans are `venue_start[v]..venue_start[v + 1]`.
    venue_start: Vec<u32>,
    time: Vec<i64>,
    person: Vec<u32>,
    people_with_scans: usize,
    /// Every person's scans, built on demand (`index_people`): a server tracing case after case
    /// wants it; one run over a file finds its few people's scans faster by one pass.
    people_index: std::sync::OnceLock<PeopleIndex>,
}

/// Person p's scans are `positions[start[p]..start[p + 1]]`, in order.
struct PeopleIndex {
    start: Vec<u32>,
    positions: Vec<u32>,
}

/// The scans of some people, from the index or gathered for them.
enum Positions<'a> {
    Indexed(&'a PeopleIndex),
    Gathered(FxHashMap<u32, Vec<u32>>),
}

impl Positions<'_> {
    fn of(&self, p: u32) -> &[u32] {
        match self {
            Positions::Indexed(ix) => {
                &ix.positions[ix.start[p as usize] as usize..ix.start[p as usize + 1] as usize]
            }
            Positions::Gathered(m) => m.get(&p).map_or(&[], Vec::as_slice),
        }
    }
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

    /// People with at least one scan.
    pub fn people_count(&self) -> usize {
        self.people_with_scans
    }

    /// Indexes every person's scans now (on all cores), so each later trace finds its people's
    /// scans without a pass over all of them: what the server does once per index.
    pub fn index_people(&self) {
        self.people_index();
    }

    fn people_index(&self) -> &PeopleIndex {
        self.people_index.get_or_init(|| {
            let (start, positions) = counting_sort(&self.person, self.people.len(), |i| i as u32);
            PeopleIndex { start, positions }
        })
    }

    /// The scans of `wanted`: from the index when it is built, otherwise gathered by one pass
    /// over the person column.
    fn positions_of(&self, wanted: &[u32]) -> Positions<'_> {
        if let Some(ix) = self.people_index.get() {
            return Positions::Indexed(ix);
        }
        let mut bits = vec![0u64; self.people.len().div_ceil(64)];
        for &p in wanted {
            bits[p as usize / 64] |= 1 << (p % 64);
        }
        let mut found: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for (i, &p) in self.person.iter().enumerate() {
            if bits[p as usize / 64] & (1 << (p % 64)) != 0 {
                found.entry(p).or_default().push(i as u32);
            }
        }
        Positions::Gathered(found)
    }

    /// How many different people scanned the venue named `venue` at a time in `[from, until]`:
    /// the k of a public notice. An unknown venue saw nobody.
    pub fn visitors(&self, venue: &[u8], from: i64, until: i64) -> u64 {
        let Some(v) = self.venues.get(venue) else { return 0 };
        if v as usize + 1 >= self.venue_start.len() {
            return 0;
        }
        let mut seen: Vec<u32> = self.together(v, from, until).map(|i| self.person[i]).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len() as u64
    }

    /// The size of the self-join: pairs of scans at the same venue no more than `window_us`
    /// apart (each pair once), by a sliding window over each venue's block, on every core.
    pub fn pairs_within(&self, window_us: i64) -> u64 {
        let cuts = venue_cuts(&self.venue_start, cores(16));
        std::thread::scope(|scope| {
            let parts: Vec<_> = cuts
                .windows(2)
                .map(|w| {
                    let (a, b) = (w[0], w[1]);
                    scope.spawn(move || {
                        let mut pairs = 0u64;
                        for v in a..b {
                            let block =
                                &self.time[self.venue_start[v] as usize..self.venue_start[v + 1] as usize];
                            let mut j = 0;
                            for (i, &t) in block.iter().enumerate() {
                                j = j.max(i + 1);
                                while j < block.len() && block[j] - t <= window_us {
                                    j += 1;
                                }
                                pairs += (j - i - 1) as u64;
                            }
                        }
                        pairs
                    })
                })
                .collect();
            parts.into_iter().map(|h| h.join().expect("a pair-counting thread panicked")).sum()
        })
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
/// A dense array when many people may be found (a batch of cases over a whole city), a map when
/// few (one new case in the server), so a single case does not pay for every person.
enum Best {
    Dense(Vec<Option<(i64, u32, u32)>>),
    Sparse(FxHashMap<u32, (i64, u32, u32)>),
}

impl Best {
    fn new(people: usize, expected: usize) -> Self {
        if expected < people { Best::Sparse(FxHashMap::default()) } else { Best::Dense(vec![None; people]) }
    }

    fn offer(&mut self, scans: &Scans, person: u32, t: i64, via: u32, venue: u32) {
        let offer = (t, via, venue);
        match self {
            Best::Dense(v) => {
                let slot = &mut v[person as usize];
                if slot.is_none_or(|b| better(scans, offer, b)) {
                    *slot = Some(offer);
                }
            }
            Best::Sparse(m) => {
                let slot = m.entry(person).or_insert(offer);
                if better(scans, offer, *slot) {
                    *slot = offer;
                }
            }
        }
    }

    fn into_contacts(self, kind: Kind) -> Vec<Contact> {
        match self {
            Best::Dense(v) => v
                .into_iter()
                .enumerate()
                .filter_map(|(p, b)| {
                    b.map(|(t, via, venue)| Contact { person: p as u32, kind, via, venue, exposure: t })
                })
                .collect(),
            Best::Sparse(m) => m
                .into_iter()
                .map(|(p, (t, via, venue))| Contact { person: p, kind, via, venue, exposure: t })
                .collect(),
        }
    }
}

/// Whether pairing `a` (time, via, venue) beats `b`: earlier, then the smaller via id, then the
/// smaller venue id, as strings.
fn better(scans: &Scans, a: (i64, u32, u32), b: (i64, u32, u32)) -> bool {
    match a.0.cmp(&b.0) {
        Ordering::Less => true,
        Ordering::Greater => false,
        Ordering::Equal => {
            let by_via = scans.people.cmp_names(a.1, b.1);
            by_via.then_with(|| scans.venues.cmp_names(a.2, b.2)) == Ordering::Less
        }
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
    trace_with(scans, cases, window_us, secondary, None)
}

/// `trace`, with the choice of a sparse or dense table forced (for the tests of both).
fn trace_with(
    scans: &Scans,
    cases: &[Case],
    window_us: i64,
    secondary: bool,
    sparse: Option<bool>,
) -> (Vec<Contact>, TraceStats) {
    let np = scans.people.len();
    let table = |expected: usize| match sparse {
        Some(true) => Best::Sparse(FxHashMap::default()),
        Some(false) => Best::Dense(vec![None; np]),
        None => Best::new(np, expected),
    };
    let mut stats = TraceStats { cases: cases.len(), ..Default::default() };
    let mut is_case = vec![false; np];
    let ids: Vec<Option<u32>> = cases.iter().map(|c| scans.people.get(&c.person)).collect();
    let case_scans = scans.positions_of(&ids.iter().flatten().copied().collect::<Vec<_>>());
    let mut case_list = Vec::with_capacity(cases.len());
    for (c, id) in cases.iter().zip(ids) {
        match id.filter(|&p| !case_scans.of(p).is_empty()) {
            Some(p) => {
                is_case[p as usize] = true;
                case_list.push((p, c.from, c.until));
            }
            None => stats.cases_without_scans += 1,
        }
    }

    let mut close = table(case_list.len().saturating_mul(256));
    for &(c, from, until) in &case_list {
        for pos in case_scans.of(c).iter().map(|&i| i as usize) {
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
        let mut best = table(close.len().saturating_mul(64));
        let close_scans = scans.positions_of(&close.iter().map(|c| c.person).collect::<Vec<_>>());
        for c in &close {
            for pos in close_scans.of(c.person).iter().map(|&i| i as usize) {
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

    let by_name = |a: &Contact, b: &Contact| scans.people.cmp_names(a.person, b.person);
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
        let name = pname;
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
        close.sort();
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
            out[close.len()..].sort();
        }
        out
    }

    /// Most people numbered alike, some not (other prefix, no padding), to cover both kinds of id.
    fn pname(p: u8) -> String {
        if p % 7 == 3 { format!("Q{p}") } else { format!("P{p:02}") }
    }

    proptest! {
        #[test]
        fn builders_joined_equal_one_builder(
            rows in prop::collection::vec((0u8..40, 0u8..9, 0i64..50), 0..120),
            cut in any::<prop::sample::Index>(),
        ) {
            let name = |p: u8| if p % 5 == 1 { format!("X{p}") } else { format!("P{p:03}") };
            let one = {
                let mut b = ScansBuilder::default();
                for &(p, v, t) in &rows {
                    b.push(name(p).as_bytes(), format!("V{v}").as_bytes(), t);
                }
                b
            };
            let at = if rows.is_empty() { 0 } else { cut.index(rows.len()) };
            let mut first = ScansBuilder::default();
            let mut second = ScansBuilder::default();
            for (i, &(p, v, t)) in rows.iter().enumerate() {
                let b = if i < at { &mut first } else { &mut second };
                b.push(name(p).as_bytes(), format!("V{v}").as_bytes(), t);
            }
            first.append(second);
            let named = |b: &ScansBuilder| -> Vec<(Vec<u8>, Vec<u8>, i64)> {
                (0..b.len()).map(|i| (b.people.name(b.person[i]).to_vec(), b.venues.name(b.venue[i]).to_vec(), b.time[i])).collect()
            };
            prop_assert_eq!(named(&first), named(&one));
        }
    }

    #[test]
    fn the_person_index_on_threads_lists_each_persons_positions_in_order() {
        let n = 1_200_000usize;
        let person: Vec<u32> = (0..n).map(|i| ((i as u64 * 2_654_435_761) % 50_021) as u32).collect();
        let mut person_start = vec![0u32; 50_022];
        for &p in &person {
            person_start[p as usize + 1] += 1;
        }
        for i in 0..50_021 {
            person_start[i + 1] += person_start[i];
        }
        let (starts, by_person) = counting_sort(&person, 50_021, |i| i as u32);
        assert_eq!(starts, person_start);
        for p in [0usize, 1, 7, 25_000, 50_020] {
            let listed = &by_person[person_start[p] as usize..person_start[p + 1] as usize];
            let expected: Vec<u32> = (0..n as u32).filter(|&i| person[i as usize] as usize == p).collect();
            assert_eq!(listed, &expected[..], "person {p}");
        }
    }

    #[test]
    fn the_scatter_on_threads_is_a_stable_sort_by_venue() {
        let n = 1_300_000usize;
        let nv = 7_919;
        let venue: Vec<u32> = (0..n).map(|i| ((i as u64 * 2_654_435_761) % nv as u64) as u32).collect();
        let time: Vec<i64> = (0..n as i64).map(|i| (i * 31) % 10_007).collect();
        let person: Vec<u32> = (0..n as u32).collect();
        let (starts, rows) = counting_sort(&venue, nv, |i| (time[i], person[i]));
        let mut expected: Vec<(u32, i64, u32)> = (0..n).map(|i| (venue[i], time[i], person[i])).collect();
        expected.sort_by_key(|r| r.0);
        let got: Vec<(i64, u32)> = expected.iter().map(|r| (r.1, r.2)).collect();
        assert_eq!(rows, got);
        for v in [0usize, 1, 4_000, nv - 1] {
            let count = venue.iter().filter(|&&x| x as usize == v).count() as u32;
            assert_eq!(starts[v + 1] - starts[v], count, "venue {v}");
        }
        assert_eq!(starts[nv] as usize, n);
    }

    #[test]
    fn blocks_sorted_on_threads_equal_blocks_sorted_in_turn() {
        let n = 300_000u32;
        let mut starts = vec![0u32];
        while *starts.last().unwrap() < n {
            let next = (*starts.last().unwrap() + 1 + starts.len() as u32 * 7 % 23).min(n);
            starts.push(next);
        }
        let rows: Vec<(i64, u32)> =
            (0..n).map(|i| ((i64::from(i) * 7_919) % 1_000, i.wrapping_mul(2_654_435_761) % 97)).collect();
        let mut threaded = rows.clone();
        let (mut time, mut person) = (vec![0i64; rows.len()], vec![0u32; rows.len()]);
        sort_blocks(&mut threaded, &starts, &mut time, &mut person);
        let columns: Vec<(i64, u32)> = time.into_iter().zip(person).collect();
        assert_eq!(columns, threaded, "the columns are the sorted rows");
        let mut serial = rows;
        for w in starts.windows(2) {
            serial[w[0] as usize..w[1] as usize].sort_unstable_by_key(|r| r.0);
        }
        assert_eq!(threaded, serial);
    }

    proptest! {
        #[test]
        fn pairs_and_visitors_agree_with_counting_by_hand(
            rows in prop::collection::vec((0u8..30, 0u8..6, 0i64..200), 0..300),
            w in 0i64..40,
            (from, until) in (0i64..200, 0i64..200),
        ) {
            let mut b = ScansBuilder::default();
            for &(p, v, t) in &rows {
                b.push(pname(p).as_bytes(), format!("V{v}").as_bytes(), t);
            }
            let scans = b.finish();
            let mut pairs = 0u64;
            for (i, a) in rows.iter().enumerate() {
                for c in &rows[i + 1..] {
                    if a.1 == c.1 && (a.2 - c.2).abs() <= w {
                        pairs += 1;
                    }
                }
            }
            prop_assert_eq!(scans.pairs_within(w), pairs);
            let seen: std::collections::HashSet<u8> =
                rows.iter().filter(|r| r.1 == 2 && from <= r.2 && r.2 <= until).map(|r| r.0).collect();
            prop_assert_eq!(scans.visitors(b"V2", from, until), seen.len() as u64);
            prop_assert_eq!(scans.visitors(b"nowhere", from, until), 0);
        }
    }

    proptest! {
        #[test]
        fn interning_is_a_bijection_whatever_the_shapes(names in prop::collection::vec("(P|X|)[0-9]{0,4}|[a-z]{1,3}|P[0-9]{20}", 1..60)) {
            let mut i = Interner::default();
            let ids: Vec<u32> = names.iter().map(|n| i.intern(n.as_bytes())).collect();
            for (n, id) in names.iter().zip(&ids) {
                prop_assert_eq!(&*i.name(*id), n.as_bytes());
                prop_assert_eq!(i.get(n.as_bytes()), Some(*id));
                prop_assert_eq!(i.intern(n.as_bytes()), *id);
            }
            let distinct: std::collections::HashSet<&String> = names.iter().collect();
            let ids: std::collections::HashSet<u32> = ids.into_iter().collect();
            prop_assert_eq!(ids.len(), distinct.len());
            prop_assert_eq!(i.get(b"never-seen-x"), None);
            // Name order is byte order, whichever way the ids were made.
            for a in &ids {
                for b in &ids {
                    prop_assert_eq!(i.cmp_names(*a, *b), i.name(*a).cmp(&i.name(*b)));
                }
            }
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
                b.push(pname(p).as_bytes(), format!("V{v}").as_bytes(), t);
            }
            let scans = b.finish();
            let cs: Vec<Case> = cases.iter().map(|&(p, f, u)| Case { person: pname(p).into_bytes(), from: f, until: u }).collect();
            let (got, _) = trace_with(&scans, &cs, w, secondary, Some(false));
            let (sparse, _) = trace_with(&scans, &cs, w, secondary, Some(true));
            prop_assert_eq!(&sparse, &got);
            scans.index_people();
            let (indexed, _) = trace_with(&scans, &cs, w, secondary, None);
            prop_assert_eq!(&indexed, &got, "with every person indexed as the server does");
            let got: Vec<_> = got
                .iter()
                .map(|c| {
                    let s = |b: std::borrow::Cow<[u8]>| String::from_utf8(b.to_vec()).unwrap();
                    (s(scans.people.name(c.person)), c.kind.as_str(), s(scans.people.name(c.via)), s(scans.venues.name(c.venue)), c.exposure)
                })
                .collect();
            prop_assert_eq!(got, naive(&raw, &cases, w, secondary));
        }
    }
}
