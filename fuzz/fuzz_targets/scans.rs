//! The venue-code scans and the cases of `cordon trace` and `cordon import scans`: CSV read in
//! memory, and Parquet from a file (the first byte picks which). Refused or read, never a panic.
#![no_main]

use cordon_trace::ScansBuilder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, data)) = data.split_first() else { return };
    let tz = chrono_tz::Asia::Shanghai;
    match pick % 3 {
        0 => {
            let mut into = ScansBuilder::with_capacity(16);
            let _ = cordon_trace::read::read_scans("scans.csv", data, tz, &mut into);
        }
        1 => {
            let _ = cordon_trace::read::read_cases("cases.csv", data, tz);
        }
        _ => {
            let dir = if std::path::Path::new("/dev/shm").is_dir() {
                std::path::PathBuf::from("/dev/shm")
            } else {
                std::env::temp_dir()
            };
            let path = dir.join(format!("cordon-fuzz-{}.parquet", std::process::id()));
            std::fs::write(&path, data).unwrap();
            let _ = cordon_trace::columnar::read_scans_parquet(&path, tz, 1);
        }
    }
});
