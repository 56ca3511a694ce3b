//! The words of the supplies pages in Chinese and English.

use cordon_domain::supplies::{DeliveryOutcome, SupplyItem};

use crate::web::Page;
use crate::web::i18n::Lang;

pub struct SupplyTexts {
    pub supplies: &'static str,
    pub points: &'static str,
    pub point: &'static str,
    pub stock: &'static str,
    pub item: &'static str,
    pub quantity: &'static str,
    pub reason: &'static str,
    pub move_stock: &'static str,
    pub move_hint: &'static str,
    pub rounds: &'static str,
    pub round: &'static str,
    pub area: &'static str,
    pub households: &'static str,
    pub packages: &'static str,
    pub delivered: &'static str,
    pub refused: &'static str,
    pub open: &'static str,
    pub plan_round: &'static str,
    pub area_code: &'static str,
    pub note: &'static str,
    pub overdue: &'static str,
    pub overdue_hint: &'static str,
    pub days: &'static str,
    pub no_overdue: &'static str,
    pub last_delivered: &'static str,
    pub never: &'static str,
    pub door: &'static str,
    pub members: &'static str,
    pub vulnerable: &'static str,
    pub outcome: &'static str,
    pub mark: &'static str,
    pub no_rounds: &'static str,
    pub no_points: &'static str,
    pub open_point: &'static str,
    pub point_id: &'static str,
    pub name: &'static str,
    pub saved: &'static str,
    pub lists: &'static str,
    pub not_tried: &'static str,
    pub fulfils: &'static str,
    pub request_fulfilled: &'static str,
}

pub static ZH_SUPPLIES: SupplyTexts = SupplyTexts {
    supplies: "保供",
    points: "保供点",
    point: "保供点",
    stock: "库存",
    item: "物资",
    quantity: "数量",
    reason: "原因",
    move_stock: "出入库",
    move_hint: "入库为正数，出库为负数",
    rounds: "配送轮次",
    round: "配送轮次",
    area: "区域",
    households: "户数",
    packages: "份数",
    delivered: "已送达",
    refused: "拒收",
    open: "待配送",
    plan_round: "发起配送",
    area_code: "区域编码（楼栋、小区或社区）",
    note: "备注",
    overdue: "保供超时",
    overdue_hint: "封控、管控区域内超过规定天数未送达物资的住户",
    days: "天",
    no_overdue: "没有超时的住户。",
    last_delivered: "上次送达",
    never: "从未",
    door: "门牌",
    members: "人数",
    vulnerable: "重点人群",
    outcome: "结果",
    mark: "登记",
    no_rounds: "还没有配送轮次。",
    no_points: "辖区内还没有保供点。",
    open_point: "新增保供点",
    point_id: "编号",
    name: "名称",
    saved: "已保存",
    lists: "只看本楼",
    not_tried: "未配送",
    fulfils: "同时办结居民诉求",
    request_fulfilled: "已办结诉求",
};

pub static EN_SUPPLIES: SupplyTexts = SupplyTexts {
    supplies: "Supplies",
    points: "Distribution points",
    point: "Point",
    stock: "Stock",
    item: "Item",
    quantity: "Quantity",
    reason: "Reason",
    move_stock: "Move stock",
    move_hint: "positive in, negative out",
    rounds: "Distribution rounds",
    round: "Round",
    area: "Area",
    households: "Households",
    packages: "Packages",
    delivered: "Delivered",
    refused: "Refused",
    open: "Open",
    plan_round: "Plan a round",
    area_code: "Area code (a building, compound or community)",
    note: "Note",
    overdue: "Overdue for supplies",
    overdue_hint: "households of sealed and controlled zones that nothing reached for longer than the rule allows",
    days: "days",
    no_overdue: "No household is overdue.",
    last_delivered: "Last delivered",
    never: "never",
    door: "Door",
    members: "People",
    vulnerable: "Vulnerable",
    outcome: "Outcome",
    mark: "Mark",
    no_rounds: "No round yet.",
    no_points: "No distribution point in your areas yet.",
    open_point: "Open a point",
    point_id: "Id",
    name: "Name",
    saved: "Saved",
    lists: "this building only",
    not_tried: "not tried",
    fulfils: "with it, the household's request",
    request_fulfilled: "fulfilled request",
};

impl Page {
    pub fn sp(&self) -> &'static SupplyTexts {
        self.lang.pick(&ZH_SUPPLIES, &EN_SUPPLIES)
    }

    pub fn item_label(&self, i: &SupplyItem) -> &'static str {
        i.label(self.lang == Lang::Zh)
    }

    pub fn supply_items(&self) -> [SupplyItem; 4] {
        SupplyItem::ALL
    }

    pub fn outcome_label(&self, o: &DeliveryOutcome) -> &'static str {
        o.label(self.lang == Lang::Zh)
    }

    pub fn delivery_outcomes(&self) -> [DeliveryOutcome; 3] {
        DeliveryOutcome::ALL
    }

    pub fn can_view_supplies(&self) -> bool {
        self.user.as_ref().is_some_and(|u| super::VIEW.met_by(u.rights))
    }

    pub fn can_plan_supplies(&self) -> bool {
        self.user.as_ref().is_some_and(super::may_plan)
    }

    pub fn can_deliver(&self) -> bool {
        self.user.as_ref().is_some_and(super::may_deliver)
    }
}
