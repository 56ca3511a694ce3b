//! Every reader of `cordon import` on arbitrary bytes: the first byte picks the reader (and the
//! file's extension), the rest is the file. A reader may refuse the file, never panic.
#![no_main]

use std::path::PathBuf;

use cordon_import::{Limits, PeopleReader, Progress, SampleReader};
use libfuzzer_sys::fuzz_target;

fn file(ext: &str, data: &[u8]) -> PathBuf {
    // One file per process and extension, rewritten each run (in memory where there is /dev/shm).
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("cordon-fuzz-{}.{ext}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    path
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, data)) = data.split_first() else { return };
    let limits = Limits { max_file_bytes: 1 << 20, max_line_bytes: 64 << 10 };
    let progress = Progress::default();
    let tz = chrono_tz::Asia::Shanghai;
    let now = chrono::Utc::now();
    match pick % 7 {
        0 => {
            let _ = cordon_import::read_areas(&file("csv", data), limits, &progress);
        }
        1 => {
            let _ = cordon_import::read_areas(&file("geojson", data), limits, &progress);
        }
        2 => {
            if let Ok(mut r) = PeopleReader::open(&file("csv", data), limits, &progress, 2026) {
                while !r.next_batch(64).rows.is_empty() {}
                let _ = r.finish();
            }
        }
        3 => {
            if let Ok(mut r) = SampleReader::open(&file("csv", data), limits, &progress, tz, now, 20) {
                while !r.next_batch(64).is_empty() {}
                let _ = r.finish();
            }
        }
        4 => {
            let _ = cordon_import::read_results(&file("csv", data), limits, &progress, tz, now);
        }
        5 => {
            let _ = cordon_import::read_venues(&file("csv", data), limits, &progress);
        }
        _ => {
            let _ = cordon_import::read_workers(&file("csv", data), limits, &progress);
        }
    }
});
