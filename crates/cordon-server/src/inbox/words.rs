//! A worker's message in words, in the page's language, from the facts the outbox keeps.

use cordon_domain::needs::{NeedCategory, Rung};
use cordon_domain::outbox::MessageKind;

/// Which language a message is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tongue {
    Zh,
    En,
}

/// The words of the inbox page.
pub struct InboxTexts {
    pub messages: &'static str,
    pub none: &'static str,
    pub unread: &'static str,
    pub open_need: &'static str,
    pub mark_read: &'static str,
}

pub const ZH: InboxTexts = InboxTexts {
    messages: "消息",
    none: "暂无消息。",
    unread: "未读",
    open_need: "查看诉求",
    mark_read: "全部标为已读",
};

pub const EN: InboxTexts = InboxTexts {
    messages: "Messages",
    none: "No messages.",
    unread: "unread",
    open_need: "Open the request",
    mark_read: "Mark all read",
};

fn rung_name(r: Rung, t: Tongue) -> &'static str {
    match (t, r) {
        (Tongue::Zh, r) => r.name_zh(),
        (Tongue::En, Rung::Cadre) => "the building's cadre",
        (Tongue::En, Rung::Community) => "the community",
        (Tongue::En, Rung::Street) => "the street",
        (Tongue::En, Rung::District) => "the district command",
        (Tongue::En, Rung::Headquarters) => "headquarters",
    }
}

/// The text of a worker's message; `None` for a kind that is no worker's or facts it lacks.
pub fn text(kind: MessageKind, params: &serde_json::Value, t: Tongue) -> Option<String> {
    let need = params.get("need")?.as_i64()?;
    let category = params
        .get("category")
        .and_then(|c| serde_json::from_value::<NeedCategory>(c.clone()).ok())
        .unwrap_or(NeedCategory::Other);
    let category = match t {
        Tongue::Zh => category.name_zh(),
        Tongue::En => category.name_en(),
    };
    let rung = params.get("rung").and_then(|r| r.as_str()).and_then(Rung::parse).unwrap_or(Rung::Community);
    let emergency = params.get("emergency").and_then(|e| e.as_bool()).unwrap_or(false);
    Some(match (kind, t) {
        (MessageKind::NeedEscalated, Tongue::Zh) => format!(
            "{}诉求 #{need}（{category}）超时无人受理，已上报至{}，请立即处理。",
            if emergency { "紧急" } else { "" },
            rung_name(rung, t)
        ),
        (MessageKind::NeedEscalated, Tongue::En) => format!(
            "{} #{need} ({category}) was not acknowledged in time and now rests with {}: act on it now.",
            if emergency { "Emergency request" } else { "Request" },
            rung_name(rung, t)
        ),
        (MessageKind::NeedEmergency, Tongue::Zh) => {
            format!("紧急诉求 #{need}（{category}）：医疗急症走绿色通道，请立即受理。")
        }
        (MessageKind::NeedEmergency, Tongue::En) => {
            format!("Emergency request #{need} ({category}): the green channel applies, acknowledge it now.")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_escalation_names_the_request_and_the_rung() {
        let p = json!({"need": 12, "category": "medical_care", "rung": "street", "emergency": false});
        assert_eq!(
            text(MessageKind::NeedEscalated, &p, Tongue::Zh).unwrap(),
            "诉求 #12（就医）超时无人受理，已上报至街道，请立即处理。"
        );
        let en = text(MessageKind::NeedEscalated, &p, Tongue::En).unwrap();
        assert!(en.starts_with("Request #12 (medical care) was not acknowledged"), "{en}");
        assert!(en.contains("the street"), "{en}");
        let p = json!({"need": 3, "category": "medical_care", "rung": "community", "emergency": true});
        let en = text(MessageKind::NeedEscalated, &p, Tongue::En).unwrap();
        assert!(en.starts_with("Emergency request #3"), "{en}");
        assert!(text(MessageKind::NeedEmergency, &p, Tongue::Zh).unwrap().starts_with("紧急诉求 #3（就医）"));
        assert_eq!(text(MessageKind::ZoneRaised, &p, Tongue::Zh), None);
    }
}
