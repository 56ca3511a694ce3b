//! The words of keeping the register (a person added, changed, their history), in Chinese and
//! English; the pages ask for them by name.

use cordon_domain::PersonStatus;

/// The texts of the register's keeping pages.
pub struct KeepTexts {
    pub keep: &'static str,
    pub keep_hint: &'static str,
    pub add_person: &'static str,
    pub add_here: &'static str,
    pub add_hint: &'static str,
    pub household_code: &'static str,
    pub name: &'static str,
    pub birth_year: &'static str,
    pub sex: &'static str,
    pub phone: &'static str,
    pub phone_hint: &'static str,
    pub id_number: &'static str,
    pub tags: &'static str,
    pub tags_hint: &'static str,
    pub reason: &'static str,
    pub reason_new_hint: &'static str,
    pub not_a_duplicate: &'static str,
    pub may_repeat: &'static str,
    pub save: &'static str,
    pub change_phone: &'static str,
    pub change_tags: &'static str,
    pub move_to: &'static str,
    pub move_hint: &'static str,
    pub standing: &'static str,
    pub set_standing: &'static str,
    pub left_register: &'static str,
    pub back_to_active: &'static str,
    pub history: &'static str,
    pub by: &'static str,
    pub no_history: &'static str,
    pub ev_registered: &'static str,
    pub ev_phone: &'static str,
    pub ev_tags: &'static str,
    pub ev_household: &'static str,
    pub ev_status: &'static str,
    pub phone_set: &'static str,
    pub phone_none: &'static str,
}

pub static ZH_KEEP: KeepTexts = KeepTexts {
    keep: "维护登记",
    keep_hint: "每项变更都须写明理由，连同经办人与时间记入此人的变更记录；电话号码只记“已变更”，不留旧号。",
    add_person: "登记人员",
    add_here: "在此户登记人员",
    add_hint: "新出生、新迁入或入户排查时发现未登记的人员。系统按证件号、姓名加电话、同户姓名加出生年份查重；编号由系统生成（R- 开头）。",
    household_code: "户编码",
    name: "姓名",
    birth_year: "出生年份",
    sex: "性别",
    phone: "电话",
    phone_hint: "留空即删除电话",
    id_number: "证件号（选填）",
    tags: "标签",
    tags_hint: "以分号分隔，如 dialysis;elderly_alone",
    reason: "理由",
    reason_new_hint: "如：新生儿、新迁入、入户发现",
    not_a_duplicate: "已核实：不是上列人员，仍要登记",
    may_repeat: "可能重复登记",
    save: "保存",
    change_phone: "更改电话",
    change_tags: "更改标签",
    move_to: "迁往本辖区另一户",
    move_hint: "在管密接与待复检任务随人转入新户所在网格；采样、扫码与卡口记录留在原处。",
    standing: "人员状态",
    set_standing: "更改状态",
    left_register: "此人已不在册：不计入人数，不列入排查与居民名单。",
    back_to_active: "恢复在册（更正误登记）",
    history: "变更记录",
    by: "经办",
    no_history: "导入以来无变更。",
    ev_registered: "登记",
    ev_phone: "电话",
    ev_tags: "标签",
    ev_household: "迁户",
    ev_status: "状态",
    phone_set: "有",
    phone_none: "无",
};

pub static EN_KEEP: KeepTexts = KeepTexts {
    keep: "Keep the register",
    keep_hint: "Every change needs a reason, kept with who and when in the person's history; a phone change is recorded as changed, the old number is not kept.",
    add_person: "Register a person",
    add_here: "Register a person in this household",
    add_hint: "A newborn, a new arrival, someone found unregistered at the door. The entry is checked for duplicates by ID number, name and phone, and name and birth year in the household; Cordon gives the id (starting R-).",
    household_code: "Household code",
    name: "Name",
    birth_year: "Birth year",
    sex: "Sex",
    phone: "Phone",
    phone_hint: "empty removes the phone",
    id_number: "ID number (optional)",
    tags: "Tags",
    tags_hint: "separated by ';', e.g. dialysis;elderly_alone",
    reason: "Reason",
    reason_new_hint: "e.g. newborn, moved in, found at the door",
    not_a_duplicate: "Checked: not the person listed, register anyway",
    may_repeat: "May already be registered",
    save: "Save",
    change_phone: "Change the phone",
    change_tags: "Change the tags",
    move_to: "Move to another household of your areas",
    move_hint: "Contact follow-up and open retests move with the person to the new household's workers; tubes, scans and gate records stay where they happened.",
    standing: "Standing",
    set_standing: "Change the standing",
    left_register: "No longer in the register: not counted, not on the sweep or residents' lists.",
    back_to_active: "Back in the register (correcting a mistake)",
    history: "History",
    by: "by",
    no_history: "No change since the import.",
    ev_registered: "registered",
    ev_phone: "phone",
    ev_tags: "tags",
    ev_household: "moved",
    ev_status: "standing",
    phone_set: "set",
    phone_none: "none",
};

impl crate::web::Page {
    /// The words of keeping the register, in the page's language.
    pub fn k(&self) -> &'static KeepTexts {
        self.lang.pick(&ZH_KEEP, &EN_KEEP)
    }

    /// A line of a person's history, named.
    pub fn person_change_name(&self, change: &str) -> &'static str {
        let k = self.k();
        match change {
            "registered" => k.ev_registered,
            "phone" => k.ev_phone,
            "tags" => k.ev_tags,
            "household" => k.ev_household,
            "status" => k.ev_status,
            _ => "",
        }
    }

    /// A value of a person's history as the page says it: a standing by its name, a phone's
    /// `set`/`none` in the page's words, anything else as kept.
    pub fn person_change_value(&self, change: &str, value: &str) -> String {
        match change {
            "status" => self.person_status_name(&PersonStatus::from_stored(value)).to_owned(),
            "phone" if value == "set" => self.k().phone_set.to_owned(),
            "phone" => self.k().phone_none.to_owned(),
            _ => value.to_owned(),
        }
    }

    /// A standing in the page's language.
    pub fn person_status_name(&self, s: &PersonStatus) -> &'static str {
        s.label(matches!(self.lang, crate::web::i18n::Lang::Zh))
    }
}
