//! What sealing costs per value: `cargo run --release -p cordon-store --example seal_cost`.
use std::time::Instant;

use cordon_store::{Field, Keyring};

fn main() {
    let keys = Keyring::generate();
    let n = 1_000_000;
    let t = Instant::now();
    let sealed: Vec<Vec<u8>> =
        (0..n).map(|i| keys.seal(Field::IdNumber, &format!("P{i:09}"), "11010519491231002X")).collect();
    let seal = t.elapsed();
    let t = Instant::now();
    for i in 0..n {
        std::hint::black_box(keys.blind(Field::IdNumber, &format!("11010519491{i:07}")));
    }
    let blind = t.elapsed();
    let t = Instant::now();
    for (i, s) in sealed.iter().enumerate() {
        std::hint::black_box(keys.open(Field::IdNumber, &format!("P{i:09}"), s).unwrap());
    }
    let open = t.elapsed();
    let per = |d: std::time::Duration| d.as_nanos() as f64 / n as f64;
    println!(
        "{n} values: seal {:.0} ns, blind index {:.0} ns, open {:.0} ns each",
        per(seal),
        per(blind),
        per(open)
    );
}
