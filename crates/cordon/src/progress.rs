//! Progress of long work: a bar on a terminal, plain lines (every 10 %) otherwise, so logs of a
//! CI run or a cron job stay readable.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

const PLAIN_LINES_FROM_BYTES: u64 = 16 << 20;

pub struct Bar {
    bar: Option<ProgressBar>,
    label: &'static str,
    total: u64,
    last_tenth: AtomicU64,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Bar {
    pub fn new(label: &'static str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
                    .expect("template")
                    .progress_chars("=> "),
            );
            b.set_message(label);
            b
        });
        Bar { bar, label, total, last_tenth: AtomicU64::new(0), ticker: None }
    }

    /// A bar over bytes, fed from a shared counter by a background ticker.
    pub fn bytes(label: &'static str, total: u64, progress: cordon_import::Progress) -> Self {
        let mut bar = Bar::new(label, total);
        if let Some(b) = &bar.bar {
            b.set_style(
                ProgressStyle::with_template("{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({eta})")
                    .expect("template")
                    .progress_chars("=> "),
            );
        }
        // Off a terminal, a small file gets no progress lines: it is read before anyone waits.
        if bar.bar.is_none() && total < PLAIN_LINES_FROM_BYTES {
            return bar;
        }
        let (b, label) = (bar.bar.clone(), bar.label);
        bar.ticker = Some(tokio::spawn(async move {
            let mut last_tenth = 0;
            loop {
                let pos = progress.bytes();
                match &b {
                    Some(b) => b.set_position(pos),
                    None if total > 0 && pos * 10 / total > last_tenth => {
                        last_tenth = pos * 10 / total;
                        eprintln!("{label}: {}% ({pos}/{total} bytes)", last_tenth * 10);
                    }
                    None => {}
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }));
        bar
    }

    pub fn set(&self, pos: u64) {
        match &self.bar {
            Some(b) => b.set_position(pos),
            None if self.total > 0 => {
                let tenth = pos * 10 / self.total;
                if self.last_tenth.swap(tenth, Ordering::Relaxed) != tenth {
                    eprintln!("{}: {}% ({pos}/{})", self.label, tenth * 10, self.total);
                }
            }
            None => {}
        }
    }

    pub fn finish(&self) {
        if let Some(t) = &self.ticker {
            t.abort();
        }
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
