//! The corpus that holds the gate device's interpreter of the rules (`static/gate-rules.mjs`) to
//! `gates::decide`: passages drawn from every direction, subject, gate rule, home rule, standing,
//! pass and confirmation, each with the decision Rust takes. The file is committed
//! (`tests/field/gate-corpus.json`) and CI runs the JavaScript over it
//! (`node tests/field/gate-rules.test.mjs`); this test fails when `decide` changes and the corpus
//! was not written again (`UPDATE_CORPUS=1 cargo test -p cordon-domain --test gate_corpus`).

use cordon_domain::Tier;
use cordon_domain::gates::{
    Direction, GateRule, Movement, PassKind, PassShown, Passage, Standing, Subject, decide,
};
use serde_json::{Value, json};

/// How many passages the corpus holds (the issue asks for at least 500).
const SIZE: usize = 1200;

fn rules() -> Vec<Option<GateRule>> {
    let moves = [Movement::Free, Movement::PassOnly, Movement::Confirm];
    let mut out = vec![None];
    for (i, leave) in moves.into_iter().enumerate() {
        for enter in moves {
            let tier = [Tier::Sealed, Tier::Controlled, Tier::Precaution][i];
            out.push(Some(GateRule { tier, leave, enter }));
        }
    }
    out
}

fn passes() -> Vec<PassShown> {
    let mut out = vec![
        PassShown::None,
        PassShown::Expired,
        PassShown::Revoked,
        PassShown::OtherGate,
        PassShown::Forged,
        PassShown::Replayed,
        PassShown::NotTheirs,
    ];
    out.extend(PassKind::ALL.into_iter().map(PassShown::Valid));
    out
}

/// Every combination, in a fixed order.
fn space() -> Vec<Passage> {
    let mut all = Vec::new();
    let subjects = [Subject::Resident, Subject::Worker, Subject::Delivery, Subject::Ambulance];
    let standings = [Standing::Clear, Standing::HeldForRetest, Standing::Contact, Standing::Positive];
    for direction in [Direction::In, Direction::Out] {
        for subject in subjects {
            for gate in rules() {
                for home in rules() {
                    for lives_inside in [false, true] {
                        for standing in standings {
                            for pass in passes() {
                                for confirmed in [false, true] {
                                    all.push(Passage {
                                        direction,
                                        subject,
                                        gate,
                                        home,
                                        lives_inside,
                                        standing,
                                        pass,
                                        confirmed,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    all
}

/// A fixed sample of the space: a linear congruential walk, so the file does not change unless
/// `decide` does.
fn corpus() -> Value {
    let all = space();
    let mut seed: u64 = 0x5eed_ca7e;
    let mut picked = std::collections::BTreeSet::new();
    while picked.len() < SIZE {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        picked.insert((seed >> 33) as usize % all.len());
    }
    let cases: Vec<Value> = picked
        .into_iter()
        .map(|i| {
            let p = &all[i];
            let d = decide(p);
            json!({
                "passage": {
                    "direction": p.direction, "subject": p.subject, "gate": p.gate, "home": p.home,
                    "lives_inside": p.lives_inside, "standing": p.standing, "pass": p.pass,
                    "confirmed": p.confirmed,
                },
                "outcome": d.outcome,
                "rule": d.rule,
            })
        })
        .collect();
    Value::Array(cases)
}

#[test]
fn the_device_corpus_is_what_decide_says() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/field/gate-corpus.json");
    let lines: Vec<String> = corpus().as_array().unwrap().iter().map(Value::to_string).collect();
    let text = format!("[\n{}\n]\n", lines.join(",\n"));
    if std::env::var_os("UPDATE_CORPUS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == text,
        "{} is not what gates::decide says now: write it again with \
         UPDATE_CORPUS=1 cargo test -p cordon-domain --test gate_corpus, and check the device's rules agree",
        path.display()
    );
    // Every rule the device may meet is in it.
    let rules: std::collections::BTreeSet<&str> =
        lines.iter().filter_map(|l| l.split("\"rule\":\"").nth(1)?.split('"').next()).collect();
    for r in
        ["ambulance", "emergency_pass", "pass_refused", "pass_of_another", "tier_keeps_in", "home_keeps_in"]
    {
        assert!(rules.contains(r), "the corpus never reaches {r}: {rules:?}");
    }
}
