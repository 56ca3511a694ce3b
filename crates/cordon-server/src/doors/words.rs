//! The words of the sweep's doors (扫楼入户) on the sweep list and the round's page, in Chinese
//! and English.

use cordon_domain::door::DoorOutcome;

use crate::web::Page;
use crate::web::i18n::Lang;

pub struct DoorTexts {
    pub door: &'static str,
    pub record: &'static str,
    pub reason: &'static str,
    pub left_city: &'static str,
    pub home_visit: &'static str,
    pub not_home_n: &'static str,
    pub found: &'static str,
    pub found_intro: &'static str,
    pub household: &'static str,
    pub name: &'static str,
    pub birth_year: &'static str,
    pub sex: &'static str,
    pub male: &'static str,
    pub female: &'static str,
    pub phone: &'static str,
    pub sampled_on_spot: &'static str,
    pub register: &'static str,
    pub figures: &'static str,
    pub home_visits: &'static str,
    pub saved: &'static str,
}

pub static ZH_DOORS: DoorTexts = DoorTexts {
    door: "入户结果",
    record: "记录",
    reason: "原因（拒绝、搬离必填）",
    left_city: "已迁出本市（同时登记迁出）",
    home_visit: "上门采样",
    not_home_n: "不在家 {} 次",
    found: "发现未登记人员",
    found_intro: "住在本址却不在户籍登记中的人：当场登记，进入本轮名单；当场已采样的请勾选。",
    household: "住户",
    name: "姓名",
    birth_year: "出生年份",
    sex: "性别",
    male: "男",
    female: "女",
    phone: "电话（可不填）",
    sampled_on_spot: "已当场采样",
    register: "登记",
    figures: "入户情况",
    home_visits: "待上门采样",
    saved: "已记录。",
};

pub static EN_DOORS: DoorTexts = DoorTexts {
    door: "At the door",
    record: "Record",
    reason: "Reason (needed for refused and moved out)",
    left_city: "Left the city (record the move in the register)",
    home_visit: "home visit",
    not_home_n: "not home {} times",
    found: "Someone unregistered found",
    found_intro: "Someone living here who is not on the register: registered now and put on this round's list; tick if sampled on the spot.",
    household: "Household",
    name: "Name",
    birth_year: "Birth year",
    sex: "Sex",
    male: "male",
    female: "female",
    phone: "Phone (optional)",
    sampled_on_spot: "Sampled on the spot",
    register: "Register",
    figures: "At the doors",
    home_visits: "home visits to make",
    saved: "Recorded.",
};

impl Page {
    pub fn door_texts(&self) -> &'static DoorTexts {
        self.lang.pick(&ZH_DOORS, &EN_DOORS)
    }

    /// An outcome's name; taken by value or by reference, as a template holds it.
    pub fn door_label(&self, o: impl std::borrow::Borrow<DoorOutcome>) -> &'static str {
        o.borrow().label(self.lang == Lang::Zh)
    }

    /// The outcomes a worker picks for a person on the list (someone found has their own form),
    /// not at home first: a slip of the thumb keeps the person on the list rather than taking
    /// them off it.
    pub fn door_choices(&self) -> [DoorOutcome; 4] {
        [DoorOutcome::NotHome, DoorOutcome::Sampled, DoorOutcome::Refused, DoorOutcome::MovedOut]
    }

    pub fn not_home_times(&self, n: &u32) -> String {
        self.door_texts().not_home_n.replace("{}", &n.to_string())
    }

    pub fn can_record_doors(&self) -> bool {
        self.user.as_ref().is_some_and(super::may_record_doors)
    }
}
