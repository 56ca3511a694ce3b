//! The words of isolation's pages — the sites' occupancy and a site's rooms — in Chinese and
//! English.

use cordon_domain::isolation::{Guest, RoomState, SiteKind};
use cordon_domain::needs::Rung;
use cordon_domain::transfer::{TransferEventKind, TransferStage};

use crate::web::Page;
use crate::web::i18n::Lang;

pub struct IsolationTexts {
    pub sites: &'static str,
    pub site: &'static str,
    pub kind: &'static str,
    pub area: &'static str,
    pub rooms: &'static str,
    pub beds: &'static str,
    pub occupied: &'static str,
    pub free_beds: &'static str,
    pub cleaning: &'static str,
    pub out_of_service: &'static str,
    pub leaving_by_tomorrow: &'static str,
    pub no_sites: &'static str,
    pub legend_free: &'static str,
    pub legend_partly: &'static str,
    pub legend_full: &'static str,
    pub room: &'static str,
    pub people_hidden: &'static str,
    pub planned_out: &'static str,
    pub check_in: &'static str,
    pub check_out: &'static str,
    pub person_id: &'static str,
    pub guest: &'static str,
    pub contact_id: &'static str,
    pub case_id: &'static str,
    pub reason: &'static str,
    pub set_state: &'static str,
    pub add_rooms: &'static str,
    pub labels: &'static str,
    pub labels_hint: &'static str,
    pub saved: &'static str,
    pub isolated: &'static str,
    pub staying_now: &'static str,
    pub in_hotels: &'static str,
    pub in_cabins: &'static str,
    pub in_hospitals: &'static str,
    pub transfers: &'static str,
    pub transfer: &'static str,
    pub stage: &'static str,
    pub owner: &'static str,
    pub due: &'static str,
    pub overdue: &'static str,
    pub vehicle: &'static str,
    pub passengers: &'static str,
    pub order_transfer: &'static str,
    pub order_lines: &'static str,
    pub order_hint: &'static str,
    pub no_transfers: &'static str,
    pub timeline: &'static str,
    pub assign: &'static str,
    pub picked_up: &'static str,
    pub arrived: &'static str,
    pub cancel: &'static str,
    pub note: &'static str,
    pub add_note: &'static str,
    pub gate_pass: &'static str,
    pub escalated: &'static str,
    pub transfers_open: &'static str,
    pub open_only: &'static str,
    pub all: &'static str,
    pub held_beds: &'static str,
}

pub static ZH_ISOLATION: IsolationTexts = IsolationTexts {
    sites: "隔离点与收治",
    site: "隔离点",
    kind: "类型",
    area: "所在区域",
    rooms: "房间",
    beds: "床位",
    occupied: "在住",
    free_beds: "空床",
    cleaning: "消毒中",
    out_of_service: "停用",
    leaving_by_tomorrow: "明日前到期离开",
    no_sites: "辖区内还没有隔离点。",
    legend_free: "空闲",
    legend_partly: "未满",
    legend_full: "已满",
    room: "房间",
    people_hidden: "人（姓名需病例查看权限）",
    planned_out: "预计解除",
    check_in: "办理入住",
    check_out: "办理离开",
    person_id: "人员编号",
    guest: "入住身份",
    contact_id: "密接记录编号",
    case_id: "病例编号",
    reason: "原因",
    set_state: "设置状态",
    add_rooms: "增加房间",
    labels: "房间号（空格或逗号分隔）",
    labels_hint: "如 301 302 303；方舱床位如 A-01 A-02",
    saved: "已保存",
    isolated: "集中隔离与收治",
    staying_now: "人在住",
    in_hotels: "隔离酒店",
    in_cabins: "方舱",
    in_hospitals: "定点医院",
    transfers: "转运",
    transfer: "转运单",
    stage: "进度",
    owner: "责任层级",
    due: "时限",
    overdue: "已超时",
    vehicle: "车辆",
    passengers: "转运人员",
    order_transfer: "下达转运",
    order_lines: "人员（每行：人员编号 身份 房间 病例或密接记录编号）",
    order_hint: "如 P0000123 case A-07 42；身份 case、close_contact、secondary_contact、companion",
    no_transfers: "辖区内没有转运单。",
    timeline: "经过",
    assign: "派车",
    picked_up: "已接上",
    arrived: "送达并入住",
    cancel: "取消转运",
    note: "备注",
    add_note: "添加备注",
    gate_pass: "通行证（一次性）",
    escalated: "上报",
    transfers_open: "转运中",
    open_only: "只看未完成",
    all: "全部",
    held_beds: "床位为转运预留",
};

pub static EN_ISOLATION: IsolationTexts = IsolationTexts {
    sites: "Isolation sites",
    site: "Site",
    kind: "Kind",
    area: "Area",
    rooms: "Rooms",
    beds: "Beds",
    occupied: "Staying",
    free_beds: "Free beds",
    cleaning: "Being cleaned",
    out_of_service: "Out of service",
    leaving_by_tomorrow: "Due to leave by tomorrow",
    no_sites: "No isolation site in your areas yet.",
    legend_free: "free",
    legend_partly: "partly taken",
    legend_full: "full",
    room: "Room",
    people_hidden: "people (names need the right to view cases)",
    planned_out: "planned end",
    check_in: "Check in",
    check_out: "Check out",
    person_id: "Person id",
    guest: "Staying as",
    contact_id: "Contact record id",
    case_id: "Case id",
    reason: "Reason",
    set_state: "Set state",
    add_rooms: "Add rooms",
    labels: "Room labels (spaces or commas between)",
    labels_hint: "e.g. 301 302 303; a 方舱's beds A-01 A-02",
    saved: "Saved",
    isolated: "Isolated and treated",
    staying_now: "staying now",
    in_hotels: "hotels",
    in_cabins: "cabin hospitals",
    in_hospitals: "hospitals",
    transfers: "Transfers",
    transfer: "Transfer",
    stage: "Stage",
    owner: "Owned by",
    due: "Due",
    overdue: "overdue",
    vehicle: "Vehicle",
    passengers: "People",
    order_transfer: "Order a transfer",
    order_lines: "People (a line each: person id, guest, room, case or contact record id)",
    order_hint: "e.g. P0000123 case A-07 42; guest is case, close_contact, secondary_contact or companion",
    no_transfers: "No transfers in your areas.",
    timeline: "Timeline",
    assign: "Assign a vehicle",
    picked_up: "Picked up",
    arrived: "Arrived and checked in",
    cancel: "Cancel",
    note: "Note",
    add_note: "Add a note",
    gate_pass: "Gate pass (one use)",
    escalated: "escalated",
    transfers_open: "transfers under way",
    open_only: "Open only",
    all: "All",
    held_beds: "beds held for transfers on the way",
};

impl Page {
    pub fn i(&self) -> &'static IsolationTexts {
        self.lang.pick(&ZH_ISOLATION, &EN_ISOLATION)
    }

    fn zh(&self) -> bool {
        self.lang == Lang::Zh
    }

    pub fn site_kind(&self, k: &SiteKind) -> &'static str {
        k.label(self.zh())
    }

    pub fn room_state(&self, s: &RoomState) -> &'static str {
        s.label(self.zh())
    }

    pub fn guest_label(&self, g: &Guest) -> &'static str {
        g.label(self.zh())
    }

    pub fn stage_label(&self, s: &TransferStage) -> &'static str {
        s.label(self.zh())
    }

    pub fn rung_label(&self, r: &Rung) -> &'static str {
        match self.zh() {
            true => r.name_zh(),
            false => r.as_str(),
        }
    }

    pub fn step_label(&self, k: &TransferEventKind) -> String {
        let zh = self.zh();
        match k {
            TransferEventKind::Requested { .. } => self.i().order_transfer.to_owned(),
            TransferEventKind::Assigned { vehicle, .. } => format!("{} {vehicle}", self.i().assign),
            TransferEventKind::PickedUp => TransferStage::PickedUp.label(zh).to_owned(),
            TransferEventKind::Arrived => self.i().arrived.to_owned(),
            TransferEventKind::Cancelled { reason } => {
                format!("{}: {reason}", TransferStage::Cancelled.label(zh))
            }
            TransferEventKind::Escalated { to } => {
                format!("{} → {}", self.i().escalated, self.rung_label(to))
            }
            TransferEventKind::Note => self.i().note.to_owned(),
        }
    }

    /// A passenger's place on the order: a bed held on the way, checked in, or off.
    pub fn passenger_state(&self, state: &str) -> &'static str {
        match (state, self.zh()) {
            ("held", true) => "床位已预留",
            ("held", false) => "bed held",
            ("in", true) => "已入住",
            ("in", false) => "checked in",
            (_, true) => "已取消",
            (_, false) => "cancelled",
        }
    }

    pub fn can_view_transfers(&self) -> bool {
        self.user.as_ref().is_some_and(|u| super::VIEW_TRANSFERS.met_by(u.rights))
    }

    pub fn guests(&self) -> [Guest; 4] {
        Guest::ALL
    }

    pub fn site_kinds(&self) -> [SiteKind; 3] {
        SiteKind::ALL
    }

    pub fn room_states(&self) -> [RoomState; 3] {
        RoomState::ALL
    }

    pub fn can_view_isolation(&self) -> bool {
        self.user.as_ref().is_some_and(|u| super::VIEW.met_by(u.rights))
    }

    pub fn can_move_people(&self) -> bool {
        self.user.as_ref().is_some_and(super::may_move_people)
    }

    pub fn can_manage_rooms(&self) -> bool {
        self.user.as_ref().is_some_and(super::may_manage_rooms)
    }
}
