//! A message's words, written when it is sent from the facts it keeps. Residents read Chinese;
//! every text is short (one SMS) and names no ID number and no health detail.

use cordon_domain::Tier;
use cordon_domain::outbox::MessageKind;

/// The sender's signature, as Chinese SMS gateways require one (签名).
const SIGNATURE: &str = "【疫情防控】";

/// The text of a message of `kind` from its `params`; `None` when the facts it needs are gone
/// (a code blanked), so nothing meaningless is sent.
pub fn text(kind: MessageKind, params: &serde_json::Value, tz: chrono_tz::Tz) -> Option<String> {
    let s = |k: &str| params.get(k).and_then(|v| v.as_str());
    // An instant, in the deployment's time zone, as a resident reads a time: 12月7日 07:00.
    let when = |k: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(s(k)?).ok()?;
        Some(t.with_timezone(&tz).format("%-m月%-d日 %H:%M").to_string())
    };
    let tier = || s("tier").and_then(|t| Tier::parse(t).ok()).map(tier_zh);
    let body = match kind {
        MessageKind::SignInCode => {
            let code = s("code")?;
            let minutes = params.get("minutes").and_then(|m| m.as_i64()).unwrap_or(5);
            format!("您的登录验证码为{code}，{minutes}分钟内有效。请勿告诉他人。")
        }
        MessageKind::ZoneDrawn => {
            format!("{}已划为{}，请留意社区通知，登录居民页面查看解封倒计时。", s("area")?, tier()?)
        }
        MessageKind::ZoneRaised => {
            format!("{}已升级为{}，请遵守相应管理要求，登录居民页面查看详情。", s("area")?, tier()?)
        }
        MessageKind::ZoneSteppedDown => {
            format!("{}已降为{}，请登录居民页面查看新的管理要求。", s("area")?, tier()?)
        }
        MessageKind::ZoneLifted => format!("{}的{}已解除管控，感谢您的配合。", s("area")?, tier()?),
        MessageKind::NeedAcknowledged => {
            format!("您家的诉求（{}）已受理，负责人会尽快联系您。", s("category_zh")?)
        }
        MessageKind::NeedResolved => format!("您家的诉求（{}）已办结。", s("category_zh")?),
        MessageKind::Announcement => format!("{}通知：{}", s("area")?, s("text")?),
        MessageKind::DoorRetest => {
            "您需进行一次复核采样，工作人员将上门采样，请在家等候，暂勿外出。".to_owned()
        }
        MessageKind::ResultReady => "您的核酸检测结果已出，请登录居民页面查看。".to_owned(),
        // A worker's: read in their inbox, in their language, never texted.
        MessageKind::NeedEscalated | MessageKind::NeedEmergency => return None,
        MessageKind::RoundScheduled => format!(
            "{}将于{}起开展核酸检测（{}），请按通知时间下楼检测，{}前完成。",
            s("area")?,
            when("starts_at")?,
            s("round")?,
            when("deadline")?
        ),
    };
    Some(format!("{SIGNATURE}{body}"))
}

fn tier_zh(t: Tier) -> &'static str {
    t.name_zh()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_code_and_a_zone_read_plainly() {
        let tz = chrono_tz::Asia::Shanghai;
        let code = text(MessageKind::SignInCode, &json!({"code": "042917", "minutes": 5}), tz).unwrap();
        assert_eq!(code, "【疫情防控】您的登录验证码为042917，5分钟内有效。请勿告诉他人。");
        let raised =
            text(MessageKind::ZoneRaised, &json!({"zone": 3, "area": "呼铁佳园C区", "tier": "sealed"}), tz)
                .unwrap();
        assert!(raised.contains("呼铁佳园C区已升级为封控区"), "{raised}");
        let round = json!({"round": "第三轮", "area": "海拉尔东路街道", "starts_at": "2026-12-06T23:00:00Z",
            "deadline": "2026-12-07T10:00:00Z"});
        let round = text(MessageKind::RoundScheduled, &round, tz).unwrap();
        assert!(round.contains("海拉尔东路街道将于12月7日 07:00起开展核酸检测（第三轮）"), "{round}");
        assert!(round.contains("18:00前完成"), "{round}");
    }

    #[test]
    fn a_blanked_code_is_not_sent() {
        assert_eq!(text(MessageKind::SignInCode, &json!({}), chrono_tz::Asia::Shanghai), None);
    }
}
