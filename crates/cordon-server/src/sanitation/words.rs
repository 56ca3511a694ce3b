//! The words of the sanitation page in Chinese and English.

use cordon_domain::sanitation::DisinfectionKind;

use crate::web::Page;
use crate::web::i18n::Lang;

pub struct SanitationTexts {
    pub sanitation: &'static str,
    pub disinfections: &'static str,
    pub disinfections_hint: &'static str,
    pub kind: &'static str,
    pub place: &'static str,
    pub reason: &'static str,
    /// The reason of a task a transfer's pick-up left, with its number after.
    pub picked_up: &'static str,
    pub due: &'static str,
    pub team: &'static str,
    pub send: &'static str,
    pub done: &'static str,
    pub mark_done: &'static str,
    pub how: &'static str,
    pub open: &'static str,
    pub overdue: &'static str,
    pub none_open: &'static str,
    pub order: &'static str,
    pub area_code: &'static str,
    pub waste: &'static str,
    pub waste_hint: &'static str,
    pub waste_short: &'static str,
    pub hours: &'static str,
    pub building: &'static str,
    pub sealed: &'static str,
    pub last_collected: &'static str,
    pub never: &'static str,
    pub next_due: &'static str,
    pub apart_homes: &'static str,
    pub apart_hint: &'static str,
    pub bags: &'static str,
    pub apart_bags: &'static str,
    pub note: &'static str,
    pub collect: &'static str,
    pub no_sealed: &'static str,
    pub recent: &'static str,
    pub saved: &'static str,
}

pub static ZH_SANITATION: SanitationTexts = SanitationTexts {
    sanitation: "消杀清运",
    disinfections: "消杀任务",
    disinfections_hint: "病例转运离家后，其住户终末消毒与楼道公共区域消杀自动生成，限时完成。",
    kind: "类别",
    place: "地点",
    reason: "原因",
    picked_up: "病例转运离家，转运单",
    due: "时限",
    team: "队伍",
    send: "派队",
    done: "已完成",
    mark_done: "标记完成",
    how: "消毒剂与浓度、覆盖范围",
    open: "未完成",
    overdue: "超时",
    none_open: "没有未完成的消杀任务。",
    order: "下达消杀任务",
    area_code: "区域编码",
    waste: "封控楼栋垃圾清运",
    waste_short: "清运超时楼栋",
    waste_hint: "封控楼栋按时清运；有病例或密接居家的住户，其垃圾单独收集、消毒、按医疗废物处置。",
    hours: "小时",
    building: "楼栋",
    sealed: "封控起",
    last_collected: "上次清运",
    never: "从未",
    next_due: "下次应清运",
    apart_homes: "单独收集户",
    apart_hint: "有单独收集户时，须填写单独收集袋数，或在备注说明为何没有。",
    bags: "袋数",
    apart_bags: "单独收集袋数",
    note: "备注",
    collect: "登记清运",
    no_sealed: "辖区内没有封控楼栋。",
    recent: "最近清运",
    saved: "已保存",
};

pub static EN_SANITATION: SanitationTexts = SanitationTexts {
    sanitation: "Sanitation",
    disinfections: "Disinfections",
    disinfections_hint: "A case's pick-up orders the terminal disinfection of their home and their building's stairs, each with a deadline.",
    kind: "Kind",
    place: "Place",
    reason: "Reason",
    picked_up: "A case left home by transfer",
    due: "Due",
    team: "Team",
    send: "Send",
    done: "Done",
    mark_done: "Mark done",
    how: "disinfectant and strength, what was covered",
    open: "open",
    overdue: "overdue",
    none_open: "No disinfection is open.",
    order: "Order a disinfection",
    area_code: "Area code",
    waste: "Waste of sealed buildings",
    waste_short: "buildings uncollected",
    waste_hint: "Sealed buildings are collected on schedule; the waste of homes with a case or a contact at home is collected apart, disinfected and treated as medical waste.",
    hours: "hours",
    building: "Building",
    sealed: "Sealed since",
    last_collected: "Last collected",
    never: "never",
    next_due: "Next due",
    apart_homes: "Homes apart",
    apart_hint: "With homes apart, give their bags, or say in the note why there were none.",
    bags: "Bags",
    apart_bags: "Bags apart",
    note: "Note",
    collect: "Record a collection",
    no_sealed: "No sealed building in your areas.",
    recent: "Latest collections",
    saved: "Saved",
};

impl Page {
    pub fn sn(&self) -> &'static SanitationTexts {
        self.lang.pick(&ZH_SANITATION, &EN_SANITATION)
    }

    pub fn disinfection_label(&self, k: &DisinfectionKind) -> &'static str {
        k.label(self.lang == Lang::Zh)
    }

    pub fn disinfection_kinds(&self) -> [DisinfectionKind; 3] {
        DisinfectionKind::ALL
    }

    pub fn can_view_sanitation(&self) -> bool {
        self.user.as_ref().is_some_and(|u| super::VIEW.met_by(u.rights))
    }

    pub fn can_work_sanitation(&self) -> bool {
        self.user.as_ref().is_some_and(super::may_work)
    }

    pub fn can_order_disinfection(&self) -> bool {
        self.user.as_ref().is_some_and(super::may_order)
    }
}
