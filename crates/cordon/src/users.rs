//! `cordon user` and `cordon roles`: the users, and each role's rights.

use std::io::{BufRead, IsTerminal};

use anyhow::{Result, bail};
use clap::Subcommand;
use cordon_domain::{AreaCode, Role};
use cordon_store::NewUser;

use crate::common::{DEFAULT_DB, DbArg, open, random_password};

#[derive(Subcommand)]
pub(crate) enum RolesCommand {
    /// Every role with the rights it holds (and who changed them last).
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Grant rights to a role.
    Grant {
        /// headquarters, district, street, community_worker, cadre, sampler, lab, epidemiologist
        role: String,
        /// see_id_number, see_phone, see_health, keep_gate, … (`cordon roles list` names them all)
        #[arg(required = true)]
        rights: Vec<String>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Revoke rights from a role.
    Revoke {
        role: String,
        #[arg(required = true)]
        rights: Vec<String>,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user. The password is read from standard input (first line), or generated and printed.
    Add {
        username: String,
        /// headquarters, district, street, community_worker, cadre, sampler, lab, epidemiologist
        #[arg(long)]
        role: String,
        /// The code of the area whose subtree the user sees.
        #[arg(long)]
        scope: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Set a user's password (read from standard input, or generated and printed). Ends their sessions.
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Turn a user's two-factor sign-in off (a phone lost or replaced): they enrol again at
    /// their next sign-in (headquarters must, where the server requires it). Ends their sessions.
    TwoFactor {
        username: String,
        /// Required: what the command does.
        #[arg(long, required = true)]
        reset: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// List users with their roles and scopes.
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

/// A new password for `username`: read from standard input (and checked), or generated.
pub(crate) fn read_password(from_stdin: bool, username: &str) -> Result<(String, bool)> {
    if !from_stdin {
        return Ok((random_password(), true));
    }
    if std::io::stdin().is_terminal() {
        eprint!("password: ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    cordon_domain::user::check_new_password(&p, username)?;
    Ok((p, false))
}

pub(crate) async fn roles(cmd: RolesCommand) -> Result<()> {
    let (role, rights, granted, db) = match cmd {
        RolesCommand::List { db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            let held = store.role_rights().await?;
            for role in Role::ALL {
                let mine: Vec<_> = held.iter().filter(|h| h.role == role).collect();
                let granted: Vec<&str> =
                    mine.iter().filter(|h| h.granted).map(|h| h.right.as_str()).collect();
                println!("{} ({}): {}", role.as_str(), role.name_zh(), granted.join(" "));
                for h in mine.iter().filter(|h| h.changed_at.is_some()) {
                    println!(
                        "    {} {} by {} at {}",
                        if h.granted { "granted" } else { "revoked" },
                        h.right,
                        h.changed_by.as_deref().unwrap_or("?"),
                        h.changed_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                    );
                }
            }
            return Ok(());
        }
        RolesCommand::Grant { role, rights, db } => (role, rights, true, db),
        RolesCommand::Revoke { role, rights, db } => (role, rights, false, db),
    };
    let role = Role::parse(&role)?;
    // Every name is checked before anything changes: a typo in the third right changes nothing.
    let rights = rights.iter().map(|r| cordon_domain::Right::parse(r)).collect::<Result<Vec<_>, _>>()?;
    if let Some(r) = rights.iter().find(|r| !granted && role.keeps(**r)) {
        bail!("{} keeps {r}: without it no one could undo a change or see who read whom", role.as_str());
    }
    let store = open(&db.url(DEFAULT_DB)).await?;
    let by = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "operator".into()));
    for r in rights {
        let changed = store.set_role_right(role, r, granted, &by, chrono::Utc::now()).await?;
        let (done, verb) = if granted { ("granted", "holds") } else { ("revoked", "lacks") };
        match changed {
            true => println!("{} {r} {done}", role.as_str()),
            false => println!("{} already {verb} {r}", role.as_str()),
        }
    }
    Ok(())
}

pub(crate) async fn user(cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add { username, role, scope, display_name, password_stdin, db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            let name = cordon_domain::Username::parse(&username)?;
            let role = Role::parse(&role)?;
            let scope = AreaCode::parse(&scope)?;
            let (password, generated) = read_password(password_stdin, &username)?;
            let password_hash = cordon_server::hash_password(password.clone()).await?;
            let display_name = display_name.unwrap_or_else(|| username.clone());
            let u = store
                .create_user(&NewUser {
                    username: name.as_str().into(),
                    display_name,
                    role,
                    scope,
                    password_hash,
                    created_by: format!(
                        "cli:{}",
                        std::env::var("USER").unwrap_or_else(|_| "operator".into())
                    ),
                })
                .await?;
            println!("added {} ({}, scope {} {})", u.username, u.role.as_str(), u.scope, u.scope_name);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::Passwd { username, password_stdin, db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            let (password, generated) = read_password(password_stdin, &username)?;
            let hash = cordon_server::hash_password(password.clone()).await?;
            if !store.set_password(&username, &hash).await? {
                bail!("no user {username}");
            }
            println!("password of {username} changed; their sessions are closed");
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::TwoFactor { username, reset: _, db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            let Some(u) = store.user_by_name(&username).await? else { bail!("no user {username}") };
            store.set_totp_secret(u.id, None).await?;
            // Whoever holds the lost phone and a session keeps nothing: every session ends.
            store.set_password(&u.username, &u.password_hash).await?;
            println!("two-factor sign-in of {username} is off; their sessions are closed");
        }
        UserCommand::List { db } => {
            let store = open(&db.url(DEFAULT_DB)).await?;
            for u in store.users().await? {
                let second = if u.two_factor { "2fa" } else { "" };
                println!(
                    "{:<16} {:<17} {:<16} {:<4} {}",
                    u.username,
                    u.role.as_str(),
                    u.scope,
                    second,
                    u.scope_name
                );
            }
        }
    }
    Ok(())
}
