//! What the in-process benchmarks report of their timed runs.

use std::time::Duration;

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `q` quantile of sorted latencies, in milliseconds (the nearest rank; 0 when none).
pub fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    ms(sorted[i])
}

/// The median, best and worst of some runs, in milliseconds.
pub fn median(mut runs: Vec<Duration>) -> (f64, f64, f64) {
    runs.sort();
    (ms(runs[runs.len() / 2]), ms(runs[0]), ms(runs[runs.len() - 1]))
}

/// Times the database's own shell (`sqlite3`, `psql`) running `sql`, sent on standard input:
/// the peer the benches measure against, in the same run on the same database.
pub fn shell(db: &str, sql: &str) -> anyhow::Result<Duration> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let (program, args): (&str, Vec<String>) = match db.strip_prefix("sqlite://") {
        Some(path) => ("sqlite3", vec!["-readonly".into(), path.into()]),
        None => ("psql", vec![db.to_owned(), "-Atq".into()]),
    };
    let t = std::time::Instant::now();
    let mut child = Command::new(program)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().ok_or_else(|| anyhow::anyhow!("{program}: no stdin"))?.write_all(sql.as_bytes())?;
    let out = child.wait_with_output()?;
    let took = t.elapsed();
    if !out.status.success() {
        anyhow::bail!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(took)
}
