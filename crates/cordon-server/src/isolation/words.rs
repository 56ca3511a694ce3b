//! The words of isolation's pages — the sites' occupancy and a site's rooms — in Chinese and
//! English.

use cordon_domain::isolation::{Guest, RoomState, SiteKind};

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
