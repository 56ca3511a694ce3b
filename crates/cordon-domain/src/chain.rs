//! The transmission chain (传播链): cases linked to the case they caught it from, grouped into
//! clusters (聚集性疫情), and laid out as trees for drawing.
//!
//! A case names at most one source, so every cluster is a tree (a forest, if a source is not
//! known); a source that would close a loop (a typing slip) is ignored, never followed forever.

use std::collections::{HashMap, HashSet};

/// A case as the chain needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCase {
    pub id: i64,
    pub source: Option<i64>,
}

/// A case placed on the drawing: `column` across (in leaf widths), `depth` down (generations).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub id: i64,
    pub column: f64,
    pub depth: u32,
    pub cluster: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChainLayout {
    pub cases: Vec<Placed>,
    /// (source, case) pairs to draw.
    pub links: Vec<(i64, i64)>,
    /// Width in leaf columns and height in generations.
    pub columns: f64,
    pub depths: u32,
    /// The cases of each cluster, its root first; the largest cluster first.
    pub clusters: Vec<Vec<i64>>,
}

/// The source each case really has: unknown sources and sources that close a loop are dropped.
fn sources(cases: &[ChainCase]) -> HashMap<i64, i64> {
    let known: HashSet<i64> = cases.iter().map(|c| c.id).collect();
    let mut parent: HashMap<i64, i64> = HashMap::new();
    let mut by_id: Vec<&ChainCase> = cases.iter().collect();
    by_id.sort_by_key(|c| c.id);
    for c in by_id {
        let Some(s) = c.source.filter(|s| known.contains(s) && *s != c.id) else { continue };
        // Walk up from the source: reaching the case itself would make a loop.
        let mut at = s;
        let mut loops = false;
        while let Some(&up) = parent.get(&at) {
            if up == c.id {
                loops = true;
                break;
            }
            at = up;
        }
        if !loops {
            parent.insert(c.id, s);
        }
    }
    parent
}

/// Lays every cluster out as a tidy tree: leaves one column apart, a parent above the middle of
/// its children, clusters side by side, the largest first.
pub fn layout(cases: &[ChainCase]) -> ChainLayout {
    let parent = sources(cases);
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for (&c, &p) in &parent {
        children.entry(p).or_default().push(c);
    }
    for v in children.values_mut() {
        v.sort_unstable();
    }
    let mut roots: Vec<i64> = cases.iter().map(|c| c.id).filter(|id| !parent.contains_key(id)).collect();
    roots.sort_unstable();
    roots.dedup();

    let mut clusters: Vec<Vec<i64>> = roots
        .iter()
        .map(|&r| {
            let mut members = Vec::new();
            let mut stack = vec![r];
            while let Some(id) = stack.pop() {
                members.push(id);
                if let Some(ch) = children.get(&id) {
                    stack.extend(ch.iter().rev());
                }
            }
            members
        })
        .collect();
    clusters.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));

    let mut placed = Vec::with_capacity(cases.len());
    let mut next_leaf = 0.0;
    let mut depths = 0;
    for (cluster, members) in clusters.iter().enumerate() {
        place(members[0], 0, cluster, &children, &mut next_leaf, &mut placed, &mut depths);
    }
    let mut links: Vec<(i64, i64)> = parent.iter().map(|(&c, &p)| (p, c)).collect();
    links.sort_unstable();
    ChainLayout { cases: placed, links, columns: next_leaf, depths, clusters }
}

fn place(
    id: i64,
    depth: u32,
    cluster: usize,
    children: &HashMap<i64, Vec<i64>>,
    next_leaf: &mut f64,
    out: &mut Vec<Placed>,
    depths: &mut u32,
) -> f64 {
    *depths = (*depths).max(depth + 1);
    let column = match children.get(&id) {
        Some(ch) if !ch.is_empty() => {
            let xs: Vec<f64> =
                ch.iter().map(|&c| place(c, depth + 1, cluster, children, next_leaf, out, depths)).collect();
            (xs[0] + xs[xs.len() - 1]) / 2.0
        }
        _ => {
            let x = *next_leaf;
            *next_leaf += 1.0;
            x
        }
    };
    out.push(Placed { id, column, depth, cluster });
    column
}

/// The chain of one case: its sources up to the first known one, then the case and everyone it
/// passed the infection on to, in that order.
pub fn chain_of(cases: &[ChainCase], id: i64) -> Vec<i64> {
    let parent = sources(cases);
    let mut up = Vec::new();
    let mut at = id;
    while let Some(&p) = parent.get(&at) {
        up.push(p);
        at = p;
    }
    up.reverse();
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for (&c, &p) in &parent {
        children.entry(p).or_default().push(c);
    }
    let mut down = Vec::new();
    let mut stack = vec![id];
    while let Some(c) = stack.pop() {
        down.push(c);
        if let Some(ch) = children.get(&c) {
            let mut ch = ch.clone();
            ch.sort_unstable_by(|a, b| b.cmp(a));
            stack.extend(ch);
        }
    }
    up.extend(down);
    up
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(id: i64, source: Option<i64>) -> ChainCase {
        ChainCase { id, source }
    }

    #[test]
    fn a_tree_is_laid_out_parents_over_children() {
        let cases = [c(1, None), c(2, Some(1)), c(3, Some(1)), c(4, Some(2)), c(9, None)];
        let l = layout(&cases);
        assert_eq!(l.clusters, vec![vec![1, 2, 4, 3], vec![9]]);
        let at = |id| *l.cases.iter().find(|p| p.id == id).unwrap();
        assert_eq!(at(1).depth, 0);
        assert_eq!(at(4).depth, 2);
        assert_eq!(at(1).column, (at(2).column + at(3).column) / 2.0);
        assert_eq!(l.depths, 3);
        assert_eq!(l.columns, 3.0);
        assert_eq!(chain_of(&cases, 2), vec![1, 2, 4]);
        assert_eq!(chain_of(&cases, 4), vec![1, 2, 4]);
    }

    #[test]
    fn a_loop_of_sources_is_broken() {
        let cases = [c(1, Some(3)), c(2, Some(1)), c(3, Some(2))];
        let l = layout(&cases);
        assert_eq!(l.cases.len(), 3);
        assert_eq!(l.links.len(), 2);
    }

    proptest! {
        #[test]
        fn every_case_is_placed_once_whatever_the_sources(
            sources in proptest::collection::vec(proptest::option::of(0i64..40), 1..40)
        ) {
            let cases: Vec<ChainCase> =
                sources.iter().enumerate().map(|(i, s)| c(i as i64, *s)).collect();
            let l = layout(&cases);
            let mut ids: Vec<i64> = l.cases.iter().map(|p| p.id).collect();
            ids.sort_unstable();
            prop_assert_eq!(ids, (0..cases.len() as i64).collect::<Vec<_>>());
            prop_assert_eq!(l.clusters.iter().map(Vec::len).sum::<usize>(), cases.len());
            // A link goes one generation down.
            for (p, ch) in &l.links {
                let dp = l.cases.iter().find(|x| x.id == *p).unwrap().depth;
                let dc = l.cases.iter().find(|x| x.id == *ch).unwrap().depth;
                prop_assert_eq!(dp + 1, dc);
            }
        }
    }
}
