//! What every `cordon bench` job hands back besides its printed table: one record per timed
//! job, Cordon's figure beside its peer's of the same run. With `--json` they are printed last,
//! one JSON object a line, so that a script rebuilds BENCHMARKS.md's summary table and a check
//! reads a ratio without parsing prose.

use std::time::Duration;

use serde_json::{Value, json};

/// One timed job: Cordon's time (the median where the job ran several times) and, where the
/// job has one, its peer's on the same rows in the same run.
#[derive(Debug, Clone)]
pub struct Job {
    job: String,
    backend: String,
    rows: u64,
    cordon: Duration,
    runs: usize,
    peer: Option<(String, Duration)>,
    /// Figures of the job's own (a quantile, a rate), printed with the record.
    extra: Vec<(String, Value)>,
}

impl Job {
    /// `job` names what was timed (`samples import`, `sweep first page`); `backend` is the
    /// store's (`sqlite`, `postgres`, or `memory` for jobs that touch no database).
    pub fn new(job: impl Into<String>, backend: impl Into<String>, rows: u64, cordon: Duration) -> Self {
        Job { job: job.into(), backend: backend.into(), rows, cordon, runs: 1, peer: None, extra: Vec::new() }
    }

    /// The median of `runs` (none: zero), the figure a job of several runs reports.
    pub fn median(job: impl Into<String>, backend: impl Into<String>, rows: u64, runs: &[Duration]) -> Self {
        Job { runs: runs.len(), ..Job::new(job, backend, rows, median(runs)) }
    }

    /// The peer's time on the same rows, `name` saying what it is (`sqlite3 .import`).
    pub fn peer(mut self, name: impl Into<String>, took: Duration) -> Self {
        self.peer = Some((name.into(), took));
        self
    }

    /// The peer where it may have failed to run: a job without a peer keeps its own figure.
    pub fn peer_if(self, name: impl Into<String>, took: Option<Duration>) -> Self {
        match took {
            Some(took) => self.peer(name, took),
            None => self,
        }
    }

    /// How many timed runs the figure stands for, where it is not a median of runs given here
    /// (a quantile over that many reads).
    pub fn runs(mut self, runs: usize) -> Self {
        self.runs = runs;
        self
    }

    /// A figure of the job's own beside the common ones (`p99_ms`, `rows_per_s`).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.retain(|(k, _)| k != key);
        self.extra.push((key.to_owned(), value.into()));
        self
    }

    /// Cordon's time over the peer's; none without a peer or when the peer took no time.
    pub fn ratio(&self) -> Option<f64> {
        let (_, peer) = self.peer.as_ref()?;
        (peer.as_secs_f64() > 0.0).then(|| self.cordon.as_secs_f64() / peer.as_secs_f64())
    }

    /// The record's keys and values: the common ones first, in one order, then the job's own.
    fn fields(&self) -> Vec<(&str, Value)> {
        let mut fields = vec![
            ("job", json!(self.job)),
            ("backend", json!(self.backend)),
            ("rows", json!(self.rows)),
            ("cordon_s", json!(round(self.cordon.as_secs_f64()))),
            ("runs", json!(self.runs)),
            ("peer", json!(self.peer.as_ref().map(|(name, _)| name))),
            ("peer_s", json!(self.peer.as_ref().map(|(_, d)| round(d.as_secs_f64())))),
            ("ratio", json!(self.ratio().map(round))),
        ];
        fields.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.clone())));
        fields
    }

    /// The record as one JSON object (what a reader of the line parses it to).
    #[cfg(test)]
    fn to_json(&self) -> Value {
        Value::Object(self.fields().into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// The record as one line of JSON, its keys in [`Job::fields`]' order (a map would sort
    /// them, and a reader of the line wants the job's name first), then the run's own (`at`,
    /// `command`).
    pub fn to_line(&self, run: &[(&str, Value)]) -> String {
        let body: Vec<String> = self
            .fields()
            .into_iter()
            .chain(run.iter().cloned())
            .map(|(k, v)| format!("{}:{v}", Value::from(k)))
            .collect();
        format!("{{{}}}", body.join(","))
    }
}

/// The median of some runs (the upper one of an even count; none: zero).
pub fn median(runs: &[Duration]) -> Duration {
    let mut sorted = runs.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// Six significant digits are more than any of these clocks can tell apart.
fn round(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(5 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// The records of one `cordon bench` run, in the order the jobs were timed.
#[derive(Debug, Default)]
pub struct Report {
    jobs: Vec<Job>,
    /// What every record of the run carries last: when it ran and the command that ran it, so
    /// that the summary table built from the records says where each figure comes from.
    run: Vec<(&'static str, Value)>,
}

impl Report {
    /// A report of this process's run: its start (UTC) and its command line.
    pub fn stamped() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        Report {
            jobs: Vec::new(),
            run: vec![("at", json!(at)), ("command", json!(format!("cordon {}", args.join(" "))))],
        }
    }

    pub fn push(&mut self, job: Job) {
        self.jobs.push(job);
    }

    /// One JSON object a line, each a job.
    pub fn json_lines(&self) -> String {
        self.jobs.iter().map(|j| format!("{}\n", j.to_line(&self.run))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_carries_the_keys_a_script_reads_and_the_ratio_of_the_same_run() {
        let job = Job::median(
            "samples import",
            "sqlite",
            405_000,
            &[Duration::from_millis(900), Duration::from_millis(300), Duration::from_millis(600)],
        )
        .peer("sqlite3 .import", Duration::from_millis(200))
        .with("p99_ms", 12.5);
        let v = job.to_json();
        assert_eq!(v["job"], "samples import");
        assert_eq!(v["backend"], "sqlite");
        assert_eq!(v["rows"], 405_000);
        assert_eq!(v["cordon_s"], 0.6, "the median of three runs");
        assert_eq!(v["runs"], 3);
        assert_eq!(v["peer"], "sqlite3 .import");
        assert_eq!(v["peer_s"], 0.2);
        assert_eq!(v["ratio"], 3.0);
        assert_eq!(v["p99_ms"], 12.5);
        let line = job.to_line(&[]);
        assert_eq!(serde_json::from_str::<Value>(&line).unwrap(), v, "the line is the record");
        let at = |key: &str| line.find(&format!("\"{key}\":")).unwrap();
        let keys = ["job", "backend", "rows", "cordon_s", "runs", "peer", "peer_s", "ratio", "p99_ms"];
        assert!(keys.windows(2).all(|w| at(w[0]) < at(w[1])), "the common keys first, in one order: {line}");
    }

    #[test]
    fn a_job_without_a_peer_says_so_rather_than_inventing_a_ratio() {
        let v = Job::new("dashboard read", "postgres", 10, Duration::from_millis(3))
            .peer_if("psql", None)
            .to_json();
        assert!(v["peer"].is_null() && v["peer_s"].is_null() && v["ratio"].is_null());
        let zero = Job::new("x", "sqlite", 1, Duration::from_millis(3)).peer("p", Duration::ZERO);
        assert_eq!(zero.ratio(), None);
    }

    #[test]
    fn every_line_is_one_object_and_the_order_is_the_order_timed() {
        let mut r = Report::default();
        r.push(Job::new("a", "sqlite", 1, Duration::from_secs(1)));
        r.push(Job::new("b", "sqlite", 2, Duration::from_secs(2)));
        let lines: Vec<Value> = r.json_lines().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].get("at").is_none(), "a report not stamped says nothing of its run");
        let stamped = Report { jobs: r.jobs.clone(), ..Report::stamped() };
        let line = stamped.json_lines().lines().next().unwrap().to_owned();
        assert!(line.find("\"ratio\"").unwrap() < line.find("\"at\"").unwrap(), "{line}");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert!(v["command"].as_str().unwrap().starts_with("cordon"), "{v}");
        assert_eq!(v["at"].as_str().unwrap().len(), "2026-12-07T23:00:00Z".len(), "{v}");
        assert_eq!(lines[0]["job"], "a");
        assert_eq!(lines[1]["cordon_s"], 2.0);
    }

    #[test]
    fn figures_keep_six_significant_digits() {
        assert_eq!(round(0.123_456_789), 0.123_457);
        assert_eq!(round(1_234.567_89), 1234.57);
        assert_eq!(round(0.0), 0.0);
    }
}
