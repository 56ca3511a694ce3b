//! Users, their roles and what they may see.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::DomainError;

/// What a user does. Each role sees only the subtree of its scope area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 指挥部
    Headquarters,
    /// 区
    District,
    /// 街道办
    Street,
    /// 社区工作者 / 网格员
    CommunityWorker,
    /// 下沉干部 / 党员
    Cadre,
    /// 采样员
    Sampler,
    /// 检测机构
    Lab,
    /// 流调人员
    Epidemiologist,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Headquarters,
        Role::District,
        Role::Street,
        Role::CommunityWorker,
        Role::Cadre,
        Role::Sampler,
        Role::Lab,
        Role::Epidemiologist,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Headquarters => "headquarters",
            Role::District => "district",
            Role::Street => "street",
            Role::CommunityWorker => "community_worker",
            Role::Cadre => "cadre",
            Role::Sampler => "sampler",
            Role::Lab => "lab",
            Role::Epidemiologist => "epidemiologist",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| DomainError::invalid("role", format!("unknown role {s:?}")))
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Headquarters => "指挥部",
            Role::District => "区防控办",
            Role::Street => "街道办",
            Role::CommunityWorker => "社区工作者",
            Role::Cadre => "下沉干部",
            Role::Sampler => "采样员",
            Role::Lab => "检测机构",
            Role::Epidemiologist => "流调人员",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Role::Headquarters => "headquarters",
            Role::District => "district office",
            Role::Street => "street office",
            Role::CommunityWorker => "community worker",
            Role::Cadre => "cadre",
            Role::Sampler => "sampler",
            Role::Lab => "lab",
            Role::Epidemiologist => "epidemiologist",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

/// Who the logs say did what the system did by itself (a need's escalation, a zone's sweep).
pub const SYSTEM_ACTOR: &str = "cordon";

impl Username {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if s.is_empty() || s.len() > 64 {
            return Err(DomainError::invalid("username", "must be 1 to 64 characters"));
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            return Err(DomainError::invalid(
                "username",
                "may hold only ASCII letters, digits, '_', '-' and '.'",
            ));
        }
        // The logs name the system's own actions `cordon`: a person by that name would sign them.
        if s.eq_ignore_ascii_case(SYSTEM_ACTOR) {
            return Err(DomainError::invalid("username", "`cordon` is the system's own name in the logs"));
        }
        Ok(Username(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Passwords longer than this are refused before hashing: argon2 over a megabyte is a cheap
/// way to make a server burn CPU.
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Words a guesser tries first, whatever digits and marks are added around them (the lists of
/// leaked passwords, English and Chinese pinyin alike, are led by these).
const GUESSED_FIRST: [&str; 22] = [
    "password",
    "passwd",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbn",
    "zxcvbnm",
    "1qaz2wsx",
    "1q2w3e4r",
    "qazwsx",
    "woaini",
    "iloveyou",
    "admin",
    "administrator",
    "root",
    "cordon",
    "welcome",
    "aa",
];

/// Rows a finger runs along, and the alphabet: letters that are one stretch of one of them, with
/// digits and marks around, are one guess (`abc19850317`, `1qaz2wsx3edc`).
const LETTER_RUNS: [&str; 5] = [
    "abcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcba",
    "qwertyuiopasdfghjklzxcvbnm",
    "mnbvcxzlkjhgfdsapoiuytrewq",
    "qazwsxedcrfvtgbyhnujmikolp",
];

/// At least this many different characters: `aaaaaaaaaa` and `1212121212` are not passwords.
const MIN_DISTINCT_CHARS: usize = 5;

/// The rule for a new password of `username`. Checked when a password is set, not at login:
/// long enough, not the username, not one of the passwords guessed first (a common word with
/// digits around it, only digits such as a birthday or a phone number, letters along the
/// keyboard or the alphabet), not a character or two repeated.
pub fn check_new_password(p: &str, username: &str) -> Result<(), DomainError> {
    let refuse = |why: String| Err(DomainError::invalid("password", why));
    if p.len() > MAX_PASSWORD_BYTES {
        return refuse(format!("is longer than {MAX_PASSWORD_BYTES} bytes"));
    }
    if p.chars().count() < MIN_PASSWORD_CHARS {
        return refuse(format!("needs at least {MIN_PASSWORD_CHARS} characters"));
    }
    let lower = p.to_lowercase();
    let name = username.trim().to_lowercase();
    if name.chars().count() >= 3 && lower.contains(&name) {
        return refuse("holds the username".into());
    }
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return refuse(format!("needs at least {MIN_DISTINCT_CHARS} different characters"));
    }
    // What is left once the digits and marks a guesser adds are taken away.
    let core: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    if core.is_empty() {
        return refuse(
            "is only digits and marks (a date or a phone number is guessed first): add words".into(),
        );
    }
    if GUESSED_FIRST.contains(&core.as_str()) || LETTER_RUNS.iter().any(|run| run.contains(&core)) {
        return refuse("is one of the passwords guessed first: choose words of your own".into());
    }
    Ok(())
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[test]
    fn the_system_name_is_nobody_s_username() {
        assert!(Username::parse("cordon").is_err());
        assert!(Username::parse("Cordon").is_err());
        assert!(Username::parse("cordon2").is_ok());
    }

    #[test]
    fn a_password_guessed_first_is_refused_with_why() {
        for (p, why) in [
            ("short1!", "at least 10"),
            ("gongzhufu2022!", "username"),
            ("GongZhuFu-abc-99", "username"),
            ("aaaaaaaaaaaa", "different characters"),
            ("1212121212", "different characters"),
            ("19850317!!", "only digits"),
            ("13957108246", "only digits"),
            ("Password2022!", "guessed first"),
            ("woaini1314520", "guessed first"),
            ("1qaz2wsx3edc", "guessed first"),
            ("Admin@123456", "guessed first"),
            ("qwertyuiop", "guessed first"),
            ("abcdefghijk", "guessed first"),
            ("9876543210", "only digits"),
            ("abc19850317", "guessed first"),
            ("ZXCVBNM,./123", "guessed first"),
        ] {
            let e = check_new_password(p, "gongzhufu").expect_err(p);
            assert_eq!(e.field(), "password");
            assert!(e.reason().contains(why), "{p}: {}", e.reason());
        }
    }

    #[test]
    fn a_password_of_ones_own_is_taken() {
        for p in [
            "test-password-42",
            "呼铁佳园C区的大门朝东",
            "horse battery staple",
            "Lantern-Orbit-71",
            "k9#Vq2!mZt",
        ] {
            assert_eq!(check_new_password(p, "gongzhufu"), Ok(()), "{p}");
        }
    }
}
