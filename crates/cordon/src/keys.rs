//! `cordon keys`: a new key in the key file, and every sealed value re-sealed under it.

use crate::keyfile::{create, path_for, read, write_replacing};
use anyhow::{Result, bail};
use clap::Subcommand;
use cordon_store::Keyring;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Puts a fresh key first in the key file (made if missing): it seals from now on, and the
    /// keys after it still open what they sealed. A running server reads the file when it
    /// starts: restart it, then run `cordon keys rotate`.
    New(crate::common::DbArg),
    /// Re-seals every ID number and phone under the key file's first key, in batches (stopped,
    /// it can be run again, with the server serving). Afterwards the older keys are no longer
    /// needed by this database.
    Rotate(crate::common::DbArg),
    /// A new pass-signing key (更换通行证签名密钥): every pass token signed before is refused
    /// at the gates from now on, and the active passes are reissued under the new key (same
    /// pass, new QR code: print or send them again). Run it when a token may have been read by
    /// someone who should not hold it. A running server takes the key within half a minute;
    /// gate devices checking offline need the new public key it prints.
    Passes(crate::common::DbArg),
}

pub async fn run(cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::New(db) => {
            let url = db.url(crate::common::DEFAULT_DB);
            let Some(path) = path_for(&url)? else { bail!("an in-memory database has no key file") };
            let ring = if path.exists() {
                let old = read(&path)?;
                let ring = old.with_new_key();
                write_replacing(&path, &ring)?;
                ring
            } else {
                let ring = Keyring::generate();
                create(&path, &ring)?;
                ring
            };
            println!(
                "{}: key {} seals from now on; it holds {}",
                path.display(),
                ring.current(),
                ring.ids().join(", ")
            );
            Ok(())
        }
        KeysCommand::Passes(db) => {
            let store = crate::common::open(&db.url(crate::common::DEFAULT_DB)).await?;
            let state = cordon_server::AppState::new(store, cordon_server::Config::default());
            let done = cordon_server::gates::rotate_pass_key(&state).await?;
            println!(
                "a new key signs the passes: every earlier token is refused; {} active passes reissued \
                 (their QR codes changed: print or send them again from the passes page)",
                done.reissued
            );
            println!("the gate devices' public key is now {}", done.public_key);
            Ok(())
        }
        KeysCommand::Rotate(db) => {
            let store = crate::common::open(&db.url(crate::common::DEFAULT_DB)).await?;
            let done = store.rotate_keys().await?;
            println!(
                "re-sealed {} people, {} needs and {} users' two-factor secrets: everything is sealed under key {}; \
                 the other keys in the file are no longer needed by this database",
                done.people, done.needs, done.users, done.key
            );
            Ok(())
        }
    }
}
