//! `cordon verify-pass`: a pass's QR content checked offline with the public key alone.

use anyhow::{Result, bail};
use clap::Args;

#[derive(Args)]
pub(crate) struct VerifyPassArgs {
    /// The public key (`GET /api/v1/passes/public-key`), unpadded base64url — which starts with
    /// `-` one time in 64, so a value that looks like a flag is taken as the key.
    #[arg(long, env = "CORDON_PASS_PUBLIC_KEY", allow_hyphen_values = true)]
    pub(crate) public_key: String,
    /// The QR code's content, `CP1.…`.
    pub(crate) token: String,
}

pub(crate) fn verify_pass(a: &VerifyPassArgs) -> Result<()> {
    let key = cordon_domain::pass::public_key(&a.public_key)
        .ok_or_else(|| anyhow::anyhow!("--public-key: not an Ed25519 public key in unpadded base64url"))?;
    let claims = cordon_domain::pass::verify(&a.token, &key).map_err(|e| anyhow::anyhow!("refused: {e}"))?;
    let at = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .map_or_else(|| s.to_string(), |t| t.with_timezone(&chrono_tz::Asia::Shanghai).to_rfc3339())
    };
    let gates = if claims.gates.is_empty() {
        "every gate of the area".to_owned()
    } else {
        claims.gates.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    };
    println!("signature: good (issued by the server with this key)");
    println!(
        "pass:      {} ({}){}",
        claims.id,
        claims.kind.as_str(),
        if claims.one_time { ", one passage" } else { "" }
    );
    println!("holder:    {}", claims.holder);
    println!("area:      {} · gates: {gates}", claims.area);
    println!("valid:     {} to {}", at(claims.from), at(claims.until));
    if !claims.in_window(chrono::Utc::now()) {
        bail!("refused: outside its window");
    }
    println!("in its window now; ask the server whether it was revoked or used");
    Ok(())
}
