//! The words of sampling's teams and the sampler's field page (离线采样), in Chinese and English.

use crate::web::Page;

pub struct SamplingTexts {
    pub team: &'static str,
    pub team_intro: &'static str,
    pub pick: &'static str,
    pub give: &'static str,
    pub sampler: &'static str,
    pub area: &'static str,
    pub given_by: &'static str,
    pub take_back: &'static str,
    pub nobody: &'static str,
    pub no_samplers: &'static str,
    pub saved: &'static str,
    pub field: &'static str,
    pub field_title: &'static str,
    // The field page's script's words.
    pub tube: &'static str,
    pub scan: &'static str,
    pub scan_stop: &'static str,
    pub close_tube: &'static str,
    pub cancel_tube: &'static str,
    pub add: &'static str,
    /// "{n}" people in the tube, "{max}" the most it may hold.
    pub in_tube: &'static str,
    pub no_buildings: &'static str,
    pub tube_used: &'static str,
    pub tube_empty: &'static str,
    pub tube_full: &'static str,
    pub not_on_list: &'static str,
    pub closed: &'static str,
    pub round_closed: &'static str,
    pub refused: &'static str,
    pub refused_intro: &'static str,
    pub taken_at: &'static str,
    pub what: &'static str,
    pub why: &'static str,
    pub malformed: &'static str,
    pub other: &'static str,
}

pub static ZH_SAMPLING: SamplingTexts = SamplingTexts {
    team: "采样分工",
    team_intro: "把本轮的楼栋交给采样员：他们的手机保存这些楼栋尚未采样的人员，断网也能扫码采样。分到同一楼栋的采样员即为该楼的采样小组。",
    pick: "选择楼栋（或小区）",
    give: "分配给",
    sampler: "采样员",
    area: "楼栋",
    given_by: "分配人",
    take_back: "收回",
    nobody: "本轮还没有分配楼栋。",
    no_samplers: "你的辖区内没有可分配的采样员。",
    saved: "已分配。",
    field: "离线采样",
    field_title: "采样",
    tube: "试管条码",
    scan: "扫码",
    scan_stop: "停止扫码",
    close_tube: "封管",
    cancel_tube: "清空本管",
    add: "加入本管",
    in_tube: "本管 {n} / {max} 人",
    no_buildings: "本轮还没有分配给你的楼栋：请联系本轮负责人在“采样分工”中分配。",
    tube_used: "该试管条码已使用过，请换一支试管",
    tube_empty: "请先扫描或输入试管条码，并加入至少一人",
    tube_full: "本管已满：按此人住址的混采规则最多 {max} 人一管",
    not_on_list: "此人不在你的楼栋名单中",
    closed: "已封管，待上报",
    round_closed: "本轮已结束，未能入库：请联系本轮负责人",
    refused: "离线记录未入库",
    refused_intro: "采样员、扫楼人员在断网时记录、联网后被系统拒收的记录：请逐条核实处理，手机上也会提示本人。",
    taken_at: "记录时间",
    what: "记录",
    why: "原因",
    malformed: "记录格式有误",
    other: "未通过系统核验",
};

pub static EN_SAMPLING: SamplingTexts = SamplingTexts {
    team: "Sampling team",
    team_intro: "Give the round's buildings to samplers: their phones keep the people of those buildings still to sample, and they scan and sample without the network. Samplers given the same building are its team.",
    pick: "Pick a building (or compound)",
    give: "Give to",
    sampler: "Sampler",
    area: "Building",
    given_by: "Given by",
    take_back: "Take back",
    nobody: "No building of this round is given yet.",
    no_samplers: "No sampler in your areas to give it to.",
    saved: "Given.",
    field: "Sample offline",
    field_title: "Sampling",
    tube: "Tube barcode",
    scan: "Scan",
    scan_stop: "Stop scanning",
    close_tube: "Seal tube",
    cancel_tube: "Empty this tube",
    add: "Add to tube",
    in_tube: "{n} / {max} in this tube",
    no_buildings: "No building of this round is given to you yet: ask whoever plans the round to give you some under Sampling team.",
    tube_used: "This tube's barcode is used already: take another tube",
    tube_empty: "Scan or type the tube's barcode and add at least one person first",
    tube_full: "The tube is full: this person's home allows at most {max} to a tube",
    not_on_list: "Not on your buildings' list",
    closed: "Sealed, waiting to sync",
    round_closed: "The round closed before this tube arrived: ask whoever plans the round",
    refused: "Field records not kept",
    refused_intro: "What samplers and sweep teams recorded without the network and the server refused when it arrived: settle each; their phones tell them too.",
    taken_at: "Taken",
    what: "Record",
    why: "Why",
    malformed: "The record is malformed",
    other: "Refused by the server's checks",
};

impl Page {
    pub fn sampling_texts(&self) -> &'static SamplingTexts {
        self.lang.pick(&ZH_SAMPLING, &EN_SAMPLING)
    }

    /// A refused field record's reason, in the page's language.
    pub fn refusal_reason(&self, reason: &str) -> &'static str {
        let s = self.sampling_texts();
        match reason {
            "tube_used" => s.tube_used,
            "not_on_list" => s.not_on_list,
            "round_closed" => s.round_closed,
            "malformed" => s.malformed,
            _ => s.other,
        }
    }
}
