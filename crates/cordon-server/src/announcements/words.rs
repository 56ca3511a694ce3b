//! The words of the notices page, in Chinese and English.

use crate::web::i18n::Lang;

pub struct NoticeTexts {
    pub notices: &'static str,
    pub intro: &'static str,
    pub area: &'static str,
    pub text_zh: &'static str,
    pub text_en: &'static str,
    pub post: &'static str,
    pub posted: &'static str,
    pub none: &'static str,
    pub households: &'static str,
    pub by: &'static str,
}

const ZH: NoticeTexts = NoticeTexts {
    notices: "通知公告",
    intro: "发往楼栋、小区、社区、街道或区的通知：区域内居民在居民页面看到，并逐户发送短信。",
    area: "区域编码",
    text_zh: "通知内容（中文，140 字以内）",
    text_en: "英文（可选）",
    post: "发布",
    posted: "已发布，短信发送至",
    none: "暂无通知。",
    households: "户",
    by: "发布人",
};

const EN: NoticeTexts = NoticeTexts {
    notices: "Notices",
    intro: "A notice to a building, compound, community, street or district: its residents see it on their page, and every household under it is texted.",
    area: "Area code",
    text_zh: "Text (Chinese, up to 140 characters)",
    text_en: "English (optional)",
    post: "Post",
    posted: "Posted; texted to",
    none: "No notices.",
    households: "households",
    by: "by",
};

pub fn texts(lang: Lang) -> &'static NoticeTexts {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}
