//! The key file that seals ID numbers and phones ([`Keyring`]): where it is, and making it
//! when missing.
//!
//! A SQLite database's key file sits beside it (`cordon.db` → `cordon.db.keys`) unless
//! `--keys` / `CORDON_KEYS` names another; a PostgreSQL database needs one named, since the key
//! must not live where the data does. An in-memory database gets a key of its own that dies
//! with it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use cordon_store::Keyring;

/// `--keys`, given once for the whole command line.
static KEY_FILE: OnceLock<Option<PathBuf>> = OnceLock::new();

pub fn set_key_file(path: Option<PathBuf>) {
    let _ = KEY_FILE.set(path);
}

/// The keyring for the database at `url`: read from its key file, which is made if missing.
pub fn load(url: &str) -> Result<Keyring> {
    let Some(path) = path_for(url)? else { return Ok(Keyring::generate()) };
    if path.exists() {
        return read(&path);
    }
    let ring = Keyring::generate();
    create(&path, &ring)?;
    tracing::warn!(
        file = %path.display(),
        key = %ring.current(),
        "made a new key file for ID numbers and phones: keep a copy apart from the database, which cannot be read without it"
    );
    Ok(ring)
}

/// Where the key file of the database at `url` is (none: a database in memory).
pub(crate) fn path_for(url: &str) -> Result<Option<PathBuf>> {
    if let Some(path) = KEY_FILE.get().cloned().flatten() {
        return Ok(Some(path));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let file = rest.trim_start_matches("//").split('?').next().unwrap_or("");
        if file.is_empty() || file == ":memory:" || url.contains("mode=memory") {
            return Ok(None);
        }
        return Ok(Some(PathBuf::from(format!("{file}.keys"))));
    }
    bail!(
        "a PostgreSQL database needs the key file that seals its ID numbers and phones: --keys PATH or \
         CORDON_KEYS=PATH (made if missing; keep it apart from the database)"
    )
}

pub(crate) fn read(path: &Path) -> Result<Keyring> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the key file {}", path.display()))?;
    warn_if_shared(path);
    Keyring::parse(&text).with_context(|| format!("the key file {}", path.display()))
}

/// Writes a new key file, failing if one appeared meanwhile (two processes starting at once
/// must not each seal under a key of their own).
pub(crate) fn create(path: &Path, ring: &Keyring) -> Result<()> {
    let tmp = temp_beside(path);
    write_private(&tmp, ring)?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("the key file {} was made by another process meanwhile: run again", path.display())
        }
        Err(e) => Err(e).with_context(|| format!("making the key file {}", path.display())),
    }
}

pub(crate) fn write_replacing(path: &Path, ring: &Keyring) -> Result<()> {
    let tmp = temp_beside(path);
    write_private(&tmp, ring)?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing the key file {}", path.display()))
}

fn temp_beside(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

fn write_private(path: &Path, ring: &Keyring) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).with_context(|| format!("writing the key file {}", path.display()))?;
    f.write_all(ring.to_text().as_bytes())?;
    f.sync_all()?;
    Ok(())
}

fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(file = %path.display(), "the key file can be read by others than its owner: chmod 600 it");
        }
    }
}
