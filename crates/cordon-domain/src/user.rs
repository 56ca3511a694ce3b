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

/// The rule for a new password. Checked when a password is set, not at login.
pub fn check_new_password(p: &str) -> Result<(), DomainError> {
    if p.len() > MAX_PASSWORD_BYTES {
        return Err(DomainError::invalid("password", format!("is longer than {MAX_PASSWORD_BYTES} bytes")));
    }
    if p.chars().count() < MIN_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "password",
            format!("needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}
