//! Free text folded to what VNPay signs safely: ASCII letters, digits and ` :._-`.
//!
//! VNPay asks for order texts "in Vietnamese without diacritics", and the encoders of its
//! demos disagree on other punctuation, so a text with it may be signed differently on the two
//! sides; `protocols::vnpay` refuses anything else.

/// VNPay's longest `vnp_OrderInfo`.
pub const MAX_LEN: usize = 255;

/// Each lower-case Vietnamese letter with a diacritic, after the plain letter it folds to.
/// Upper-case letters fold through their lower case; letters written decomposed (a base letter
/// and combining marks) lose their marks, which are not in the kept set.
const LETTERS: [(char, &str); 7] = [
    ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
    ('d', "đ"),
    ('e', "èéẻẽẹêềếểễệ"),
    ('i', "ìíỉĩị"),
    ('o', "òóỏõọôồốổỗộơờớởỡợ"),
    ('u', "ùúủũụưừứửữự"),
    ('y', "ỳýỷỹỵ"),
];

/// `text` without diacritics, whitespace of any kind as single spaces, everything else dropped,
/// trimmed and cut to [`MAX_LEN`]; it may come out empty.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let kept = if c.is_ascii_alphanumeric() || ":._-".contains(c) {
            Some(c)
        } else if c.is_whitespace() {
            Some(' ')
        } else {
            letter(c)
        };
        match kept {
            Some(' ') if out.is_empty() || out.ends_with(' ') => {}
            Some(k) => out.push(k),
            None => {}
        }
    }
    // Only ASCII is pushed, so cutting at a byte count cuts between characters.
    out.truncate(MAX_LEN);
    out.trim_end().to_string()
}

/// The plain letter `c` folds to, in `c`'s case, if it is a Vietnamese letter with a diacritic.
fn letter(c: char) -> Option<char> {
    let lower = c.to_lowercase().next()?;
    let (base, _) = LETTERS.iter().find(|(_, with)| with.contains(lower))?;
    Some(if c.is_uppercase() {
        base.to_ascii_uppercase()
    } else {
        *base
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_folds_to_its_letters_without_diacritics() {
        assert_eq!(
            plain("Đơn hàng số 42: Áo thun Ưu Đãi"),
            "Don hang so 42: Ao thun Uu Dai"
        );
        assert_eq!(
            plain("Tiếng Việt: ằắẳẵặ ẦẤẨẪẬ ễ ỗ ự ỵ đ Đ"),
            "Tieng Viet: aaaaa AAAAA e o u y d D"
        );
        // "Việt" written decomposed: e, combining circumflex, combining dot below.
        assert_eq!(plain("Vie\u{302}\u{323}t"), "Viet");
    }

    #[test]
    fn other_characters_are_dropped_and_spaces_collapsed() {
        assert_eq!(plain("  50% off!\tÁo (size L)\n"), "50 off Ao size L");
        assert_eq!(plain("Quà 🎁 tặng"), "Qua tang");
        assert_eq!(plain("order_no.7-b"), "order_no.7-b");
        assert_eq!(plain("🎁 ! ?"), "");
    }

    #[test]
    fn a_long_text_is_cut_to_vnpay_s_limit() {
        let long = "Áo ".repeat(100);
        let folded = plain(&long);
        assert_eq!(
            folded.len(),
            MAX_LEN - 1,
            "the trailing space of the cut is trimmed"
        );
        assert!(folded.starts_with("Ao Ao"));
    }
}
