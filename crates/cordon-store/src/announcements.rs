//! 通知公告 in the store: a notice posted to an area, texted to every household under it in the
//! same transaction, and read by whoever lives under the area or oversees it.

use chrono::{DateTime, Utc};
use cordon_domain::outbox::MessageKind;
use cordon_domain::{AreaCode, AreaPath};

use crate::db::{Backed, DbRow, Query, query};
use crate::outbox::enqueue_households_in;
use crate::zones::{in_scope, scope_params};
use crate::{Result, StoreError, code_of};

/// A notice to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnnouncement {
    pub area: AreaCode,
    pub text_zh: String,
    pub text_en: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A notice as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementRecord {
    pub id: i64,
    pub area: AreaCode,
    pub area_name: String,
    pub path: AreaPath,
    pub text_zh: String,
    pub text_en: Option<String>,
    /// Households it was texted to.
    pub households: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[async_trait::async_trait]
pub trait Announcements: Send + Sync {
    /// Posts a notice to an area inside `scope`, and writes its message to every household under
    /// the area, in one transaction. `NotFound` outside the scope.
    async fn post_announcement(&self, scope: &AreaPath, a: &NewAnnouncement) -> Result<AnnouncementRecord>;
    /// The notices on areas inside `scope` or above it, newest first.
    async fn announcements(&self, scope: &AreaPath, limit: u32) -> Result<Vec<AnnouncementRecord>>;
}

const SELECT: &str = "SELECT n.id, n.area_code, a.name AS area_name, n.path, n.text_zh, n.text_en, \
     n.households, n.created_at, n.created_by FROM announcements n JOIN areas a ON a.code = n.area_code";

fn record_of(r: &DbRow) -> Result<AnnouncementRecord> {
    Ok(AnnouncementRecord {
        id: r.try_get("id")?,
        area: code_of(r.try_get("area_code")?)?,
        area_name: r.try_get("area_name")?,
        path: AreaPath::from_stored(r.try_get("path")?),
        text_zh: r.try_get("text_zh")?,
        text_en: r.try_get("text_en")?,
        households: r.try_get("households")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

#[async_trait::async_trait]
impl<S: Backed> Announcements for S {
    async fn post_announcement(&self, scope: &AreaPath, a: &NewAnnouncement) -> Result<AnnouncementRecord> {
        let (lo, hi) = scope.subtree_range();
        let mut tx = self.db().begin().await?;
        let area =
            query("SELECT path, name, district_code FROM areas WHERE code = $1 AND path >= $2 AND path < $3")
                .bind(a.area.as_str())
                .bind(lo)
                .bind(hi)
                .fetch_optional(&mut tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("area {} (in your areas)", a.area)))?;
        let path = AreaPath::from_stored(area.try_get("path")?);
        let name: String = area.try_get("name")?;
        let district: Option<String> = area.try_get("district_code")?;
        let params = serde_json::json!({ "area": name, "text": a.text_zh });
        let households =
            enqueue_households_in(&mut tx, &path, MessageKind::Announcement, &params, a.at).await?;
        let id: i64 = query(
            "INSERT INTO announcements (area_code, path, district_code, text_zh, text_en, households, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(a.area.as_str())
        .bind(path.as_str())
        .bind(district)
        .bind(a.text_zh.as_str())
        .bind(a.text_en.clone())
        .bind(households as i64)
        .bind(a.at)
        .bind(a.by.as_str())
        .fetch_one(&mut tx)
        .await?
        .try_get("id")?;
        let sql = format!("{SELECT} WHERE n.id = $1");
        let record = record_of(&Query::dynamic(sql).bind(id).fetch_one(&mut tx).await?)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn announcements(&self, scope: &AreaPath, limit: u32) -> Result<Vec<AnnouncementRecord>> {
        let (lo, hi, lineage) = scope_params(scope);
        let sql = format!("{SELECT} WHERE {} ORDER BY n.created_at DESC, n.id DESC LIMIT $10", in_scope("n"));
        let mut q = Query::dynamic(sql).bind(lo).bind(hi);
        for p in lineage {
            q = q.bind(p);
        }
        q.bind(i64::from(limit)).fetch_all(self.db()).await?.iter().map(record_of).collect()
    }
}
