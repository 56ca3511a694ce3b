//! The words of the field pages' device state (离线可用): online or not, what waits to be sent,
//! how old the phone's data is. Every field page (a gate, a building's sweep) shows them alike.

use crate::web::Page;

pub struct FieldWords {
    pub online: &'static str,
    pub offline: &'static str,
    /// "{n}" is the count.
    pub waiting: &'static str,
    /// "{n}" is minutes.
    pub synced_ago: &'static str,
    pub never_synced: &'static str,
    /// "{n}" is minutes.
    pub data_age: &'static str,
    pub no_data: &'static str,
    pub expired: &'static str,
    pub not_kept: &'static str,
    /// "{n}" is the count.
    pub unsynced_sign_out: &'static str,
    pub storage_lost: &'static str,
    pub sync_now: &'static str,
    /// "{n}" is the count.
    pub left: &'static str,
    pub all_done: &'static str,
    /// The sweep list's way to its field page.
    pub sweep_offline: &'static str,
}

pub static ZH_FIELD_WORDS: FieldWords = FieldWords {
    online: "在线",
    offline: "离线",
    waiting: "待上报 {n} 条",
    synced_ago: "上次同步 {n} 分钟前",
    never_synced: "尚未同步",
    data_age: "数据更新于 {n} 分钟前",
    no_data: "本机还没有本卡口的数据：请在有网络时打开一次本页。",
    expired: "本机数据已超过有效时间未更新，停止离线判定：请联网同步后再用。",
    not_kept: "未能记录",
    unsynced_sign_out: "还有 {n} 条未上报：退出会留下它们，下次登录后上报。仍要退出吗？",
    storage_lost: "本机存储已被清除：未上报的记录无法找回，请向上级说明。",
    sync_now: "立即同步",
    left: "还剩 {n} 人未采样",
    all_done: "本楼名单已全部记录",
    sweep_offline: "断网也能用的扫楼",
};

pub static EN_FIELD_WORDS: FieldWords = FieldWords {
    online: "Online",
    offline: "Offline",
    waiting: "{n} waiting to sync",
    synced_ago: "last sync {n} min ago",
    never_synced: "not synced yet",
    data_age: "data from {n} min ago",
    no_data: "This phone holds no data for this gate yet: open this page once with the network.",
    expired: "This phone's data is past its time without a sync: it no longer decides offline. Sync with the network first.",
    not_kept: "not kept",
    unsynced_sign_out: "{n} passages are not sent yet: they stay on this phone and are sent after the next sign-in. Sign out anyway?",
    storage_lost: "This phone's storage was cleared: what was not sent cannot be recovered; tell your supervisor.",
    sync_now: "Sync now",
    left: "{n} still to sample",
    all_done: "Every door on this list is recorded",
    sweep_offline: "Sweep, offline-ready",
};

impl FieldWords {
    /// The words every field page's script shows alike, to merge into its own (`field-store.mjs`
    /// reads them under these names).
    pub fn script_words(&self) -> serde_json::Map<String, serde_json::Value> {
        let pairs = [
            ("online", self.online),
            ("offline", self.offline),
            ("waiting", self.waiting),
            ("synced_ago", self.synced_ago),
            ("never_synced", self.never_synced),
            ("data_age", self.data_age),
            ("no_data", self.no_data),
            ("expired", self.expired),
            ("not_kept", self.not_kept),
            ("unsynced_sign_out", self.unsynced_sign_out),
            ("storage_lost", self.storage_lost),
            ("left", self.left),
            ("all_done", self.all_done),
        ];
        pairs.into_iter().map(|(k, v)| (k.to_owned(), serde_json::Value::from(v))).collect()
    }
}

impl Page {
    /// The field pages' device-state words, in the page's language.
    pub fn field_words(&self) -> &'static FieldWords {
        self.lang.pick(&ZH_FIELD_WORDS, &EN_FIELD_WORDS)
    }
}
