//! `cordon bench summary RUNS…`: BENCHMARKS.md's summary table rebuilt from the `--json` lines
//! of `cordon bench` runs, each goal of `bench/goals.toml` judged against the latest record that
//! matches it. With `--check` it fails when a measured goal is missed, so a script (or CI on a
//! machine that runs the benchmarks) reads a ratio instead of prose.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Deserialize;
use serde_json::Value;

/// The goals as committed; `--goals FILE` reads another.
const GOALS: &str = include_str!("../../../../bench/goals.toml");

/// `cordon bench summary [--goals FILE] [--check] RUNS…`.
#[derive(Args)]
pub(crate) struct SummaryArgs {
    /// Files of `cordon bench … --json` output, oldest first: a later record of a job overrides
    /// an earlier one. Lines that are not JSON objects (the jobs' own tables) are passed over.
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// The goals to judge (default: the `bench/goals.toml` this binary was built with).
    #[arg(long)]
    goals: Option<PathBuf>,
    /// Fail when a measured goal is missed (a goal not measured is reported, not failed).
    #[arg(long)]
    check: bool,
}

pub(crate) fn run(args: &SummaryArgs) -> Result<()> {
    let goals = match &args.goals {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Goals::parse(&text).with_context(|| format!("{}", path.display()))?
        }
        None => Goals::parse(GOALS).context("bench/goals.toml")?,
    };
    let mut records = Vec::new();
    for path in &args.runs {
        records.extend(read_records(path)?);
    }
    let rows = goals.judge(&records);
    print!("{}", table(&rows));
    let missed: Vec<String> = rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Missed { .. }))
        .map(|r| format!("{} ({})", r.goal.what, r.backend))
        .collect();
    if args.check && !missed.is_empty() {
        bail!("{} goal(s) missed: {}", missed.len(), missed.join("; "));
    }
    Ok(())
}

/// The goals file: `[[goal]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Goals {
    goal: Vec<Goal>,
}

/// One speed goal an issue set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Goal {
    what: String,
    issues: Vec<u32>,
    jobs: Vec<String>,
    backends: Vec<String>,
    #[serde(default)]
    min_rows: u64,
    #[serde(default)]
    when: BTreeMap<String, toml::Value>,
    ratio_at_most: Option<f64>,
    under_s: Option<f64>,
    rows_per_s_at_least: Option<f64>,
}

/// What a goal bounds, and by how much.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    RatioAtMost(f64),
    UnderSeconds(f64),
    RowsPerSecondAtLeast(f64),
}

impl Goal {
    fn bound(&self) -> Result<Bound> {
        match (self.ratio_at_most, self.under_s, self.rows_per_s_at_least) {
            (Some(r), None, None) => Ok(Bound::RatioAtMost(r)),
            (None, Some(s), None) => Ok(Bound::UnderSeconds(s)),
            (None, None, Some(n)) => Ok(Bound::RowsPerSecondAtLeast(n)),
            _ => bail!("goal \"{}\": exactly one of ratio_at_most, under_s, rows_per_s_at_least", self.what),
        }
    }

    /// Whether a record is evidence for this goal on `backend`.
    fn matches(&self, r: &Record, backend: &str) -> bool {
        r.backend == backend
            && r.rows >= self.min_rows
            && self.jobs.contains(&r.job)
            && self.when.iter().all(|(k, v)| serde_json::to_value(v).ok().as_ref() == r.fields.get(k))
    }
}

/// One `--json` line of a bench run.
#[derive(Debug, Clone)]
struct Record {
    job: String,
    backend: String,
    rows: u64,
    cordon_s: f64,
    peer: Option<String>,
    peer_s: Option<f64>,
    ratio: Option<f64>,
    fields: serde_json::Map<String, Value>,
}

impl Record {
    fn from_json(v: Value) -> std::result::Result<Record, String> {
        let Value::Object(fields) = v else { return Err("not a JSON object".into()) };
        let text = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_owned);
        let number = |k: &str| fields.get(k).and_then(Value::as_f64);
        Ok(Record {
            job: text("job").ok_or("field job: missing or not text")?,
            backend: text("backend").ok_or("field backend: missing or not text")?,
            rows: fields.get("rows").and_then(Value::as_u64).ok_or("field rows: missing or not a count")?,
            cordon_s: number("cordon_s").ok_or("field cordon_s: missing or not a number")?,
            peer: text("peer"),
            peer_s: number("peer_s"),
            ratio: number("ratio"),
            fields,
        })
    }

    /// Where and when it was measured, as far as the record says.
    fn provenance(&self) -> String {
        let text = |k: &str| self.fields.get(k).and_then(Value::as_str);
        match (text("at"), text("command")) {
            (Some(at), Some(cmd)) => format!("{} · `{cmd}`", at.get(..10).unwrap_or(at)),
            (None, Some(cmd)) => format!("`{cmd}`"),
            (Some(at), None) => at.get(..10).unwrap_or(at).to_owned(),
            (None, None) => String::new(),
        }
    }
}

/// The records of one file; a line that opens as JSON but is not a record is an error naming
/// the file, the line and the field.
fn read_records(path: &Path) -> Result<Vec<Record>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_records(&text).map_err(|(line, e)| anyhow::anyhow!("{}, line {line}: {e}", path.display()))
}

fn parse_records(text: &str) -> std::result::Result<Vec<Record>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('{') {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| (i + 1, e.to_string()))?;
        out.push(Record::from_json(v).map_err(|e| (i + 1, e))?);
    }
    Ok(out)
}

/// How a goal stands on one backend.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    NotMeasured,
    /// A record matched, but the goal is a ratio and that run had no peer.
    NoPeer,
    Met,
    /// `short` is how many times over the bound the figure is (1.8 = 1.8× short).
    Missed {
        short: f64,
    },
}

/// One line of the table.
#[derive(Debug)]
struct Row<'g> {
    goal: &'g Goal,
    bound: Bound,
    backend: String,
    /// The record that decides the verdict (the worst of the goal's jobs).
    record: Option<Record>,
    verdict: Verdict,
}

impl Goals {
    fn parse(text: &str) -> Result<Goals> {
        let goals: Goals = toml::from_str(text)?;
        for g in &goals.goal {
            g.bound()?;
            if g.jobs.is_empty() || g.backends.is_empty() {
                bail!("goal \"{}\": names no job or no backend", g.what);
            }
        }
        Ok(goals)
    }

    /// Each goal on each of its backends against the latest matching record of each of its
    /// jobs (records in the order measured); the worst job decides.
    fn judge(&self, records: &[Record]) -> Vec<Row<'_>> {
        let mut rows = Vec::new();
        for goal in &self.goal {
            let bound = goal.bound().expect("checked when parsed");
            for backend in &goal.backends {
                let mut latest: BTreeMap<&str, &Record> = BTreeMap::new();
                for r in records.iter().filter(|r| goal.matches(r, backend)) {
                    latest.insert(&r.job, r);
                }
                let judged: Vec<(&Record, Verdict)> =
                    latest.values().map(|r| (*r, verdict(bound, r))).collect();
                let worst = judged.iter().max_by(|a, b| badness(&a.1).total_cmp(&badness(&b.1)));
                rows.push(Row {
                    goal,
                    bound,
                    backend: backend.clone(),
                    record: worst.map(|(r, _)| (*r).clone()),
                    verdict: worst.map(|(_, v)| v.clone()).unwrap_or(Verdict::NotMeasured),
                });
            }
        }
        rows
    }
}

fn verdict(bound: Bound, r: &Record) -> Verdict {
    let short = match bound {
        Bound::RatioAtMost(most) => match r.ratio {
            Some(ratio) => ratio / most,
            None => return Verdict::NoPeer,
        },
        Bound::UnderSeconds(under) => r.cordon_s / under,
        Bound::RowsPerSecondAtLeast(least) => least / rows_per_s(r),
    };
    // A time equal to an "under" bound is not under it; a ratio equal to "at most" is.
    let met = match bound {
        Bound::UnderSeconds(_) => short < 1.0,
        _ => short <= 1.0,
    };
    if met { Verdict::Met } else { Verdict::Missed { short } }
}

/// Orders verdicts from best to worst, so that the worst of a goal's jobs speaks for it.
fn badness(v: &Verdict) -> f64 {
    match v {
        Verdict::NotMeasured => -2.0,
        Verdict::Met => -1.0,
        Verdict::NoPeer => 0.0,
        Verdict::Missed { short } => *short,
    }
}

fn rows_per_s(r: &Record) -> f64 {
    if r.cordon_s > 0.0 { r.rows as f64 / r.cordon_s } else { f64::INFINITY }
}

fn seconds(s: f64) -> String {
    if s >= 1.0 { format!("{s:.2} s") } else { format!("{:.1} ms", s * 1e3) }
}

fn count(n: f64) -> String {
    let digits = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn describe(bound: Bound) -> String {
    match bound {
        Bound::RatioAtMost(r) => format!("≤ {r}× the peer"),
        Bound::UnderSeconds(s) => format!("< {}", seconds(s)),
        Bound::RowsPerSecondAtLeast(n) => format!("≥ {} rows/s", count(n)),
    }
}

/// The summary as a Markdown table, one row a goal on a backend.
fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| goal (issues) | bound | backend | rows | Cordon | peer, same run | ratio | status | measured |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for row in rows {
        let issues: Vec<String> = row.goal.issues.iter().map(u32::to_string).collect();
        let cells: [String; 5] = match &row.record {
            None => Default::default(),
            Some(r) => {
                let figure = match row.bound {
                    Bound::RowsPerSecondAtLeast(_) => format!("{} rows/s", count(rows_per_s(r))),
                    _ => seconds(r.cordon_s),
                };
                let peer = match (&r.peer, r.peer_s) {
                    (Some(name), Some(s)) => format!("{name} {}", seconds(s)),
                    _ => "—".into(),
                };
                let ratio = r.ratio.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into());
                let job = if row.goal.jobs.len() > 1 { format!(" ({})", r.job) } else { String::new() };
                [count(r.rows as f64), format!("{figure}{job}"), peer, ratio, r.provenance()]
            }
        };
        let status = match &row.verdict {
            Verdict::NotMeasured => "not measured".to_owned(),
            Verdict::NoPeer => "no peer in that run".to_owned(),
            Verdict::Met => "met".to_owned(),
            Verdict::Missed { short } => format!("**not met** ({short:.2}× short)"),
        };
        let dash = |s: &str| if s.is_empty() { "—".to_owned() } else { s.to_owned() };
        out.push_str(&format!(
            "| {} ({}) | {} | {} | {} | {} | {} | {} | {status} | {} |\n",
            row.goal.what,
            issues.join(", "),
            describe(row.bound),
            row.backend,
            dash(&cells[0]),
            dash(&cells[1]),
            dash(&cells[2]),
            dash(&cells[3]),
            dash(&cells[4]),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goals() -> Goals {
        Goals::parse(GOALS).expect("the committed goals parse")
    }

    fn line(job: &str, backend: &str, rows: u64, cordon_s: f64, peer_s: Option<f64>, extra: &str) -> String {
        let (peer, peer_s, ratio) = match peer_s {
            Some(p) => ("\"bare\"".to_owned(), p.to_string(), (cordon_s / p).to_string()),
            None => ("null".to_owned(), "null".to_owned(), "null".to_owned()),
        };
        format!(
            "{{\"job\":\"{job}\",\"backend\":\"{backend}\",\"rows\":{rows},\"cordon_s\":{cordon_s},\"runs\":3,\
             \"peer\":{peer},\"peer_s\":{peer_s},\"ratio\":{ratio}{extra}}}"
        )
    }

    fn row<'a>(rows: &'a [Row], what: &str, backend: &str) -> &'a Row<'a> {
        rows.iter().find(|r| r.goal.what == what && r.backend == backend).unwrap()
    }

    #[test]
    fn the_committed_goals_name_jobs_the_benchmarks_print() {
        let g = goals();
        assert!(g.goal.len() >= 20);
        let sources: String = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/bench"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        for goal in &g.goal {
            for job in &goal.jobs {
                // A list's job is its row's name with " p99"; a district's sweep is formatted.
                let stem = job.trim_end_matches(" p99").replace("a district,", "a {what},");
                assert!(
                    sources.contains(&format!("\"{stem}")),
                    "goal \"{}\" names a job no bench prints: {job}",
                    goal.what
                );
            }
        }
    }

    #[test]
    fn the_latest_record_of_a_job_at_the_goals_size_decides() {
        let runs = [
            line("city load", "sqlite", 3_740_000, 171.2, Some(31.0), ""),
            // A tiny run is not evidence for a goal stated at the city's size.
            line("city load", "sqlite", 9_000, 1.0, Some(1.0), ""),
            "cordon bench load: 3740000 people … ratio 2.7".to_owned(),
            line("city load", "sqlite", 3_740_000, 80.0, Some(31.0), ",\"at\":\"2026-12-07T23:00:00Z\""),
        ]
        .join("\n");
        let records = parse_records(&runs).unwrap();
        assert_eq!(records.len(), 3, "the table's line is passed over");
        let g = goals();
        let rows = g.judge(&records);
        let load = row(&rows, "the city's load, ID numbers and phones sealed", "sqlite");
        assert_eq!(load.verdict, Verdict::Met, "80 / 31 = 2.58 ≤ 3");
        assert_eq!(load.record.as_ref().unwrap().cordon_s, 80.0);
        let earlier = g.judge(&records[..1]);
        let Verdict::Missed { short } =
            row(&earlier, "the city's load, ID numbers and phones sealed", "sqlite").verdict
        else {
            panic!("171.2 / 31 is 5.5, over 3")
        };
        assert!((short - 171.2 / 31.0 / 3.0).abs() < 1e-9);
        let table = table(&rows);
        assert!(table.contains("| the city's load, ID numbers and phones sealed (2, 30) | ≤ 3× the peer | sqlite | 3,740,000 | 80.00 s | bare 31.00 s | 2.58 | met | 2026-12-07 |"), "{table}");
        assert!(table.contains("| a round's samples file, at 10 M rows (5, 30) | ≤ 3× the peer | postgres | — | — | — | — | not measured | — |"), "{table}");
    }

    #[test]
    fn bounds_read_as_written_and_the_worst_job_speaks_for_a_goal() {
        let runs = [
            line("export pseudonymised", "postgres", 3_740_000, 7.0, None, ""),
            line("export pseudonymised", "sqlite", 3_740_000, 8.0, None, ""),
            line("gate decision p99", "sqlite", 450_000, 0.004, None, ",\"rate\":200"),
            line("gate decision p99", "sqlite", 450_000, 0.030, None, ",\"rate\":500"),
            line("cases of the city (20) p99", "sqlite", 450_000, 0.050, None, ""),
            line("sweep of one building (25) p99", "sqlite", 450_000, 0.250, None, ""),
            line("samples import", "postgres", 10_100_000, 50.0, None, ""),
            // A run smaller than the goal's size is history: the 10 M-row run above decides.
            line("samples import", "postgres", 405_000, 1.0, Some(1.0), ""),
        ]
        .join("\n");
        let records = parse_records(&runs).unwrap();
        let g = goals();
        let rows = g.judge(&records);
        let export = |b| row(&rows, "the pseudonymised export of the city", b).verdict.clone();
        assert_eq!(export("postgres"), Verdict::Met, "534,286 rows/s");
        assert!(
            matches!(export("sqlite"), Verdict::Missed { short } if (short - 500_000.0 * 8.0 / 3_740_000.0).abs() < 1e-9)
        );
        assert_eq!(
            row(&rows, "a gate decision, p99 at 200/s", "sqlite").verdict,
            Verdict::Met,
            "only the 200/s run"
        );
        assert!(matches!(
            row(&rows, "a gate decision, p99 at 500/s", "sqlite").verdict,
            Verdict::Missed { .. }
        ));
        let lists = row(&rows, "each field list's first page, p99", "sqlite");
        assert_eq!(lists.record.as_ref().unwrap().job, "sweep of one building (25) p99");
        assert!(table(&rows).contains("250.0 ms (sweep of one building (25) p99)"));
        assert_eq!(row(&rows, "a round's samples file, at 10 M rows", "postgres").verdict, Verdict::NoPeer);
        assert_eq!(
            verdict(Bound::UnderSeconds(0.2), &records[0].clone_with(0.2)),
            Verdict::Missed { short: 1.0 }
        );
    }

    #[test]
    fn a_bad_line_or_a_bad_goal_is_named() {
        let (line_no, e) =
            parse_records("table\n{\"job\":\"x\",\"backend\":\"sqlite\",\"rows\":\"many\"}").unwrap_err();
        assert_eq!(line_no, 2);
        assert!(e.contains("rows"), "{e}");
        let (line_no, _) = parse_records("{\"job\":").unwrap_err();
        assert_eq!(line_no, 1);
        let two = "[[goal]]\nwhat = \"x\"\nissues = [1]\njobs = [\"a\"]\nbackends = [\"sqlite\"]\nunder_s = 1\nratio_at_most = 2\n";
        assert!(Goals::parse(two).unwrap_err().to_string().contains("exactly one"));
        assert!(Goals::parse("[[goal]]\nwhat = \"x\"\nspeed = 3\n").is_err(), "an unknown key is refused");
    }

    impl Record {
        fn clone_with(&self, cordon_s: f64) -> Record {
            Record { cordon_s, ..self.clone() }
        }
    }
}
