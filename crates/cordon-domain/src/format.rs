//! How figures and personal data are shown to people.

/// Keeps the first `head` and last `tail` characters and stars the rest: `139****0000`.
/// Short values are starred whole: a mask must never reveal more than it hides.
pub fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Masks a name for lists where the person is not the subject: 王芳 → 王*, 欧阳娜娜 → 欧阳**.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let keep = if chars.len() >= 4 { 2 } else { 1 };
    let mut out: String = chars.iter().take(keep).collect();
    out.extend(std::iter::repeat_n('*', chars.len().saturating_sub(keep)));
    out
}

/// A count in Chinese style: below 10,000 as is (22598 stays 22598 only when exact figures are
/// wanted: see `exact`), above as 万 or 亿 with one decimal where it is not zero.
pub fn count_zh(n: i64, exact: bool) -> String {
    let a = n.unsigned_abs();
    if exact || a < 10_000 {
        return n.to_string();
    }
    let (unit, div) = if a >= 100_000_000 { ("亿", 100_000_000f64) } else { ("万", 10_000f64) };
    let v = n as f64 / div;
    let s = format!("{v:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s);
    format!("{s}{unit}")
}

/// A count in English style, with thousands separators: 64,000.
pub fn count_en(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A CSV cell as written to a file a spreadsheet will open: one that would run as a formula
/// (CSV injection) is written as text, after an apostrophe.
pub fn spreadsheet_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}").into() } else { s.into() }
}

/// Whether `id` may name an action a phone made without the network (a passage at a gate, a
/// door of the sweep): 8 to 64 ASCII letters, digits, `-` or `_`. The server keeps each such
/// action once under it, so it must be long enough to be unique and short enough to index.
pub fn is_device_id(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// When an action a phone took offline happened, on the server's clock: the phone's time
/// corrected by how far off its clock was when it sent (`sent_at` against `now`), never later
/// than now.
pub fn device_time(
    at: chrono::DateTime<chrono::Utc>,
    sent_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    (at + (now - sent_at)).min(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_people_expect() {
        assert_eq!(count_zh(64_000, false), "6.4万");
        assert_eq!(count_zh(22_598, false), "2.3万");
        assert_eq!(count_zh(22_598, true), "22598");
        assert_eq!(count_zh(3_500_000, false), "350万");
        assert_eq!(count_zh(126_000_000, false), "1.3亿");
        assert_eq!(count_zh(6_700, false), "6700");
        assert_eq!(count_en(64_000), "64,000");
        assert_eq!(count_en(3_500_000), "3,500,000");
        assert_eq!(count_en(999), "999");
        assert_eq!(count_en(-1234), "-1,234");
    }

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(mask_middle("13900000000", 3, 4), "139****0000");
        assert_eq!(mask_middle("abc", 3, 4), "***");
        assert_eq!(mask_name("王芳"), "王*");
        assert_eq!(mask_name("欧阳娜娜"), "欧阳**");
    }
}

/// A character free text may not hold: control characters other than a tab or a line break
/// (NUL, escape: they end strings in other tools and drive terminals) and the invisible format
/// characters that reorder or hide what is shown (a right-to-left override turns `exe.txt`
/// into `txt.exe` on a headquarters screen).
pub fn hidden_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod hidden_tests {
    use super::{hidden_char, is_device_id};

    #[test]
    fn hidden_characters() {
        for c in ['\0', '\u{1b}', '\u{7f}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{feff}', '\u{85}'] {
            assert!(hidden_char(c), "{c:?}");
        }
        for c in ['a', '王', '\n', '\t', ' ', '·', '—', '！'] {
            assert!(!hidden_char(c), "{c:?}");
        }
    }

    #[test]
    fn device_ids_are_bounded() {
        assert!(is_device_id("g3-m9x2kq-ab12cd"));
        assert!(!is_device_id("short"));
        assert!(!is_device_id("has space in it"));
        assert!(!is_device_id(&"x".repeat(65)));
    }
}
