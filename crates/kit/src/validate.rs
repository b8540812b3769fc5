//! Parse-don't-validate types: a value of one of these types is valid by construction, so
//! handlers check input once, at the edge, and the rest of the code cannot forget to.
//!
//! Each parser answers 422 `validation` with a message naming the field.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};

fn invalid(field: &str, why: &str) -> ApiError {
    ApiError::validation(format!("{field}: {why}"))
}

/// An e-mail address: one `@`, a non-empty local part, a dotted domain, at most 254 bytes,
/// stored lower-case — every letter, not only ASCII ones, so that one address is one value
/// whoever writes it (registration, a profile change, sign-in all parse it here) and agrees with
/// PostgreSQL's `lower()`, which the column's check compares it with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Email(String);

impl Email {
    /// Parses the `field` value.
    pub fn parse(field: &str, s: &str) -> ApiResult<Email> {
        let s = s.trim().to_lowercase();
        let ok = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && domain
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                    && !local.chars().any(|c| c.is_whitespace() || c.is_control())
            });
        if !ok {
            return Err(invalid(
                field,
                "must be an e-mail address like name@example.com",
            ));
        }
        Ok(Email(s))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A username: 3–30 characters of ASCII letters, digits, `_` and `.`, starting with a letter;
/// compared case-insensitively, stored lower-case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Username(String);

impl Username {
    /// Parses the `field` value.
    pub fn parse(field: &str, s: &str) -> ApiResult<Username> {
        let s = s.trim().to_ascii_lowercase();
        let ok = (3..=30).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if !ok {
            return Err(invalid(
                field,
                "must be 3-30 letters, digits, '_' or '.', starting with a letter",
            ));
        }
        Ok(Username(s))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 form: `+`, then 8–15 digits, the first not 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Phone(String);

impl Phone {
    /// Parses the `field` value; spaces, dashes and parentheses are dropped first.
    pub fn parse(field: &str, s: &str) -> ApiResult<Phone> {
        let compact: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let ok = compact.strip_prefix('+').is_some_and(|digits| {
            (8..=15).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0')
        });
        if !ok {
            return Err(invalid(
                field,
                "must be an international number like +84901234567",
            ));
        }
        Ok(Phone(compact))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// ISO 3166-1 alpha-2 codes with the ISO 4217 currency each uses.
const COUNTRIES: &str = "\
    AD:EUR AE:AED AF:AFN AG:XCD AI:XCD AL:ALL AM:AMD AO:AOA AR:ARS AS:USD AT:EUR AU:AUD AW:AWG \
    AX:EUR AZ:AZN BA:BAM BB:BBD BD:BDT BE:EUR BF:XOF BG:BGN BH:BHD BI:BIF BJ:XOF BL:EUR BM:BMD \
    BN:BND BO:BOB BQ:USD BR:BRL BS:BSD BT:BTN BW:BWP BY:BYN BZ:BZD CA:CAD CC:AUD CD:CDF CF:XAF \
    CG:XAF CH:CHF CI:XOF CK:NZD CL:CLP CM:XAF CN:CNY CO:COP CR:CRC CU:CUP CV:CVE CW:ANG CX:AUD \
    CY:EUR CZ:CZK DE:EUR DJ:DJF DK:DKK DM:XCD DO:DOP DZ:DZD EC:USD EE:EUR EG:EGP EH:MAD ER:ERN \
    ES:EUR ET:ETB FI:EUR FJ:FJD FK:FKP FM:USD FO:DKK FR:EUR GA:XAF GB:GBP GD:XCD GE:GEL GF:EUR \
    GG:GBP GH:GHS GI:GIP GL:DKK GM:GMD GN:GNF GP:EUR GQ:XAF GR:EUR GT:GTQ GU:USD GW:XOF GY:GYD \
    HK:HKD HN:HNL HR:EUR HT:HTG HU:HUF ID:IDR IE:EUR IL:ILS IM:GBP IN:INR IO:USD IQ:IQD IR:IRR \
    IS:ISK IT:EUR JE:GBP JM:JMD JO:JOD JP:JPY KE:KES KG:KGS KH:KHR KI:AUD KM:KMF KN:XCD KP:KPW \
    KR:KRW KW:KWD KY:KYD KZ:KZT LA:LAK LB:LBP LC:XCD LI:CHF LK:LKR LR:LRD LS:LSL LT:EUR LU:EUR \
    LV:EUR LY:LYD MA:MAD MC:EUR MD:MDL ME:EUR MF:EUR MG:MGA MH:USD MK:MKD ML:XOF MM:MMK MN:MNT \
    MO:MOP MP:USD MQ:EUR MR:MRU MS:XCD MT:EUR MU:MUR MV:MVR MW:MWK MX:MXN MY:MYR MZ:MZN NA:NAD \
    NC:XPF NE:XOF NF:AUD NG:NGN NI:NIO NL:EUR NO:NOK NP:NPR NR:AUD NU:NZD NZ:NZD OM:OMR PA:PAB \
    PE:PEN PF:XPF PG:PGK PH:PHP PK:PKR PL:PLN PM:EUR PN:NZD PR:USD PS:ILS PT:EUR PW:USD PY:PYG \
    QA:QAR RE:EUR RO:RON RS:RSD RU:RUB RW:RWF SA:SAR SB:SBD SC:SCR SD:SDG SE:SEK SG:SGD SH:SHP \
    SI:EUR SJ:NOK SK:EUR SL:SLE SM:EUR SN:XOF SO:SOS SR:SRD SS:SSP ST:STN SV:USD SX:ANG SY:SYP \
    SZ:SZL TC:USD TD:XAF TG:XOF TH:THB TJ:TJS TK:NZD TL:USD TM:TMT TN:TND TO:TOP TR:TRY TT:TTD \
    TV:AUD TW:TWD TZ:TZS UA:UAH UG:UGX UM:USD US:USD UY:UYU UZ:UZS VA:EUR VC:XCD VE:VES VG:USD \
    VI:USD VN:VND VU:VUV WF:XPF WS:WST YE:YER YT:EUR ZA:ZAR ZM:ZMW ZW:ZWG";

/// Currencies whose minor unit is not 2 digits (ISO 4217); every other listed one has 2.
const MINOR_UNITS: &[(&str, u8)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
];

/// A country: an ISO 3166-1 alpha-2 code that exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses the `field` value (upper-case letters, e.g. `VN`).
    pub fn parse(field: &str, s: &str) -> ApiResult<CountryCode> {
        let b = s.as_bytes();
        if b.len() == 2
            && b.iter().all(u8::is_ascii_uppercase)
            && COUNTRIES.split(' ').any(|e| e.as_bytes().starts_with(b))
        {
            Ok(CountryCode([b[0], b[1]]))
        } else {
            Err(invalid(
                field,
                "must be an ISO 3166-1 alpha-2 country code like VN or US",
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).expect("country codes are ASCII")
    }

    /// The currency the country uses, which is the currency of an account there.
    pub fn currency(&self) -> Currency {
        let code = COUNTRIES
            .split(' ')
            .find_map(|e| {
                e.strip_prefix(self.as_str())
                    .and_then(|r| r.strip_prefix(':'))
            })
            .expect("every listed country has a currency");
        Currency(
            code.as_bytes()
                .try_into()
                .expect("currency codes have three letters"),
        )
    }
}

/// An ISO 4217 currency used by some country in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses the `field` value (e.g. `VND`).
    pub fn parse(field: &str, s: &str) -> ApiResult<Currency> {
        let known = s.len() == 3 && COUNTRIES.split(' ').any(|e| e.ends_with(s) && e.len() == 6);
        if !known || !s.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(
                field,
                "must be an ISO 4217 currency code like VND or USD",
            ));
        }
        Ok(Currency(
            s.as_bytes().try_into().expect("checked to be three bytes"),
        ))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("currency codes are ASCII")
    }

    /// Digits of the minor unit (VND 0, USD 2, KWD 3).
    pub fn minor_digits(&self) -> u8 {
        MINOR_UNITS
            .iter()
            .find(|(c, _)| *c == self.as_str())
            .map_or(2, |(_, d)| *d)
    }
}

/// An amount of money: integer minor units and a currency, never a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (cents, đồng…).
    pub amount: i64,
    /// ISO 4217 code.
    #[serde(with = "currency_str")]
    pub currency: Currency,
}

mod currency_str {
    use super::Currency;

    pub fn serialize<S: serde::Serializer>(c: &Currency, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.as_str())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Currency::parse("currency", &s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// A positive amount in minor units (a price, a debit): 1 up to 10^15.
pub fn positive_amount(field: &str, amount: i64) -> ApiResult<i64> {
    if (1..=1_000_000_000_000_000).contains(&amount) {
        Ok(amount)
    } else {
        Err(invalid(
            field,
            "must be a whole number of minor units above 0",
        ))
    }
}

/// A positive count of units (1 up to 1,000,000).
pub fn quantity(field: &str, n: i64) -> ApiResult<i32> {
    if (1..=1_000_000).contains(&n) {
        Ok(i32::try_from(n).expect("checked range fits i32"))
    } else {
        Err(invalid(field, "must be a whole number from 1 to 1000000"))
    }
}

/// A slug: 1–120 lower-case letters, digits and single `-` between them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Slug(String);

impl Slug {
    /// Parses the `field` value.
    pub fn parse(field: &str, s: &str) -> ApiResult<Slug> {
        let ok = (1..=120).contains(&s.len())
            && s.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if !ok {
            return Err(invalid(
                field,
                "must be lower-case letters and digits separated by single '-'",
            ));
        }
        Ok(Slug(s.to_string()))
    }

    /// Derives a slug from a name: letters folded to unaccented ASCII ([`fold_to_ascii`]:
    /// `"Điện thoại Đỏ 2"` → `dien-thoai-do-2`), runs of anything else one `-`, at most 120
    /// characters; `None` when no letter or digit is left.
    pub fn from_name(name: &str) -> Option<Slug> {
        let mut out = String::new();
        for c in fold_to_ascii(name).chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.truncate(120);
        let out = out.trim_end_matches('-').to_string();
        (!out.is_empty()).then_some(Slug(out))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lower-case letters of the Latin alphabets (Latin-1, Latin Extended-A and B, Vietnamese) and
/// the ASCII letters they fold to. Upper-case letters are lower-cased before the lookup.
const FOLDS: &[(&str, &str)] = &[
    ("àáâãäåāăąǎǟǡǻạảấầẩẫậắằẳẵặ", "a"),
    ("çćĉċč", "c"),
    ("ďđð", "d"),
    ("èéêëēĕėęěẹẻẽếềểễệ", "e"),
    ("ĝğġģǧ", "g"),
    ("ĥħ", "h"),
    ("ìíîïĩīĭįıǐỉị", "i"),
    ("ĵ", "j"),
    ("ķǩ", "k"),
    ("ĺļľŀł", "l"),
    ("ñńņňŉ", "n"),
    ("òóôõöøōŏőǒǫǭǿọỏốồổỗộớờởỡợơ", "o"),
    ("ŕŗř", "r"),
    ("śŝşšș", "s"),
    ("ţťŧț", "t"),
    ("ùúûüũūŭůűųưǔǖǘǚǜụủứừửữự", "u"),
    ("ŵ", "w"),
    ("ýÿŷỳỵỷỹ", "y"),
    ("źżž", "z"),
    ("ß", "ss"),
    ("æǽ", "ae"),
    ("œ", "oe"),
    ("þ", "th"),
    ("ĳ", "ij"),
];

/// `s` with every letter of [`FOLDS`] replaced by its unaccented ASCII letters (`Đường` →
/// `Duong`: the case of the first letter is kept), and combining accents (U+0300–U+036F, as in
/// text typed in decomposed form) dropped. Other characters are kept as they are.
pub fn fold_to_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        match FOLDS.iter().find(|(letters, _)| letters.contains(lower)) {
            Some((_, ascii)) if lower != c => {
                let mut letters = ascii.chars();
                out.extend(letters.next().map(|f| f.to_ascii_uppercase()));
                out.extend(letters);
            }
            Some((_, ascii)) => out.push_str(ascii),
            None => out.push(c),
        }
    }
    out
}

/// Whether `c` is a line break: CR, LF, NEL, or the Unicode line and paragraph separators.
fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Whether a text field refuses `c` wherever it is: a control character (C0, DEL, C1) other
/// than a line break or a tab, or a bidirectional embedding, override or isolate control
/// (U+202A–U+202E, U+2066–U+2069), which can make text read otherwise than it is stored.
fn is_refused(c: char) -> bool {
    (c.is_control() && !is_break(c) && c != '\t')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` with every line break — CRLF, CR, NEL, U+2028, U+2029 — written as one `\n`.
fn normalise_breaks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        out.push(if is_break(c) { '\n' } else { c });
    }
    out
}

/// Text of several lines (a description, a review, a message, a reason): trimmed of
/// surrounding space, line breaks normalised to `\n` (CRLF, CR, NEL, U+2028 and U+2029 are
/// stored as `\n`), tabs kept; then `min` to `max` characters. Any other control character and
/// the bidirectional controls are refused (422), so what is stored reads as it is written and
/// can be passed on to any other module. [`line`] is the one-line variant.
pub fn text(field: &str, s: &str, min: usize, max: usize) -> ApiResult<String> {
    let t = normalise_breaks(s.trim());
    if t.chars().any(is_refused) {
        return Err(invalid(field, "must not contain control characters"));
    }
    bounded(field, t, min, max)
}

/// One line of text (a name, a title, a label): as [`text`], but a line break or a tab is
/// refused too.
pub fn line(field: &str, s: &str, min: usize, max: usize) -> ApiResult<String> {
    let t = s.trim();
    if t.chars().any(|c| is_refused(c) || is_break(c) || c == '\t') {
        return Err(invalid(
            field,
            "must be one line, without control characters",
        ));
    }
    bounded(field, t.to_string(), min, max)
}

fn bounded(field: &str, t: String, min: usize, max: usize) -> ApiResult<String> {
    let n = t.chars().count();
    if n < min || n > max {
        return Err(invalid(
            field,
            &format!("must be {min} to {max} characters"),
        ));
    }
    Ok(t)
}

/// What [`text`] accepts of at most `max` characters, made of any `s`: for a sender whose
/// receiver validates with [`text`] (a notification built from stored text). Refused
/// characters become spaces, breaks `\n`; a longer text is cut and ends in `…`.
pub fn fit_text(s: &str, max: usize) -> String {
    let t: String = normalise_breaks(s)
        .chars()
        .map(|c| if is_refused(c) { ' ' } else { c })
        .collect();
    cut(t.trim(), max)
}

/// What [`line`] (and so [`text`]) accepts of at most `max` characters, made of any `s`:
/// refused characters, breaks and tabs become spaces; a longer line is cut and ends in `…`.
pub fn fit_line(s: &str, max: usize) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if is_refused(c) || is_break(c) || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .collect();
    cut(t.trim(), max)
}

/// `t` (trimmed) if it has at most `max` characters; else its first `max - 1`, trimmed, and `…`.
fn cut(t: &str, max: usize) -> String {
    if t.chars().count() <= max {
        return t.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let head: String = t.chars().take(max - 1).collect();
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("email", " Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for spelling in ["ÜNAL@Example.com", "Ünal@example.COM", "ünal@example.com"] {
            assert_eq!(
                Email::parse("email", spelling).unwrap().as_str(),
                "ünal@example.com",
                "{spelling}: non-ASCII letters fold too"
            );
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a@@b.com",
            "a@b..com",
            "a b@c.com",
            "a@.com",
            "a@b.com.",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(
            Username::parse("username", "Ann_99").unwrap().as_str(),
            "ann_99"
        );
        for bad in ["ab", "1ann", "ann!", "a".repeat(31).as_str(), "ann smith"] {
            assert!(Username::parse("username", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(
            Phone::parse("phone", "+84 90-123-4567").unwrap().as_str(),
            "+84901234567"
        );
        for bad in [
            "0901234567",
            "+0123456789",
            "+12",
            "+84abc1234567",
            "+1234567890123456",
        ] {
            assert!(Phone::parse("phone", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn countries_infer_their_currency() {
        let cases = [
            ("VN", "VND", 0),
            ("US", "USD", 2),
            ("DE", "EUR", 2),
            ("JP", "JPY", 0),
            ("KW", "KWD", 3),
        ];
        for (country, currency, digits) in cases {
            let c = CountryCode::parse("country", country).unwrap().currency();
            assert_eq!(
                (c.as_str(), c.minor_digits()),
                (currency, digits),
                "{country}"
            );
        }
        for bad in ["vn", "XX", "V", "VNM", "ZZ"] {
            assert!(CountryCode::parse("country", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn currencies_must_be_in_use() {
        assert!(Currency::parse("currency", "EUR").is_ok());
        assert!(Currency::parse("currency", "XYZ").is_err());
        assert!(Currency::parse("currency", "eur").is_err());
    }

    #[test]
    fn slugs_parse_and_derive() {
        assert!(Slug::parse("slug", "red-bike-2").is_ok());
        for bad in ["", "Red", "a--b", "-a", "a-", "a_b"] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad}");
        }
        assert_eq!(
            Slug::from_name("  Red Bike, 2! ").unwrap().as_str(),
            "red-bike-2"
        );
        assert!(Slug::from_name("!!!").is_none());
    }

    #[test]
    fn slugs_of_non_ascii_names_are_their_unaccented_words() {
        let cases = [
            ("Điện thoại", "dien-thoai"),
            ("Đồng hồ thông minh đẹp", "dong-ho-thong-minh-dep"),
            ("Bàn phím cơ Ưu việt", "ban-phim-co-uu-viet"),
            ("Crème brûlée à la française", "creme-brulee-a-la-francaise"),
            ("Straße Œuvre Æble Łódź", "strasse-oeuvre-aeble-lodz"),
            ("Nguyễn Thị Mỹ Dung", "nguyen-thi-my-dung"),
            // Decomposed: `e` and a combining acute accent.
            ("Cafe\u{301} Noi", "cafe-noi"),
            ("手机 Pro", "pro"),
        ];
        for (name, slug) in cases {
            assert_eq!(Slug::from_name(name).unwrap().as_str(), slug, "{name}");
        }
        assert!(Slug::from_name("手机").is_none());
        assert_eq!(fold_to_ascii("Đường ĐẸP"), "Duong DEP");
        let long = "Ả".repeat(300);
        assert_eq!(Slug::from_name(&long).unwrap().as_str().len(), 120);
    }

    #[test]
    fn text_normalises_line_breaks_and_refuses_other_controls() {
        assert_eq!(
            text("body", "one\r\ntwo\rthree\u{2028}four\tfive", 0, 100).unwrap(),
            "one\ntwo\nthree\nfour\tfive"
        );
        for bad in [
            "a\u{0}b",
            "a\u{7}b",
            "a\u{1b}[31mb",
            "a\u{7f}b",
            "a\u{9b}b",
            "a\u{202e}b",
        ] {
            assert!(text("body", bad, 0, 100).is_err(), "{bad:?}");
            assert!(line("name", bad, 0, 100).is_err(), "{bad:?}");
        }
        assert_eq!(
            line("name", "  Lamp 🛋️ ‍ Ưu  ", 1, 20).unwrap(),
            "Lamp 🛋️ ‍ Ưu"
        );
        for bad in ["a\nb", "a\rb", "a\tb", "a\u{2029}b"] {
            assert!(line("name", bad, 0, 100).is_err(), "{bad:?}");
        }
        // A CRLF counts as one character.
        assert!(text("body", "ab\r\ncd", 0, 5).is_ok());
    }

    #[test]
    fn fitted_text_is_always_accepted_by_the_validators() {
        let strange = [
            String::new(),
            "plain".to_string(),
            "\r\n\r\n  x \r".to_string(),
            "\u{0}\u{1}\u{7f}\u{85}\u{9b}\u{202e}\u{2066}evil\u{2069}".to_string(),
            "é".repeat(5000),
            "👩‍👩‍👧‍👦".repeat(300),
            format!("{}\r\n{}", "Ư".repeat(199), "x".repeat(10)),
            "a ".repeat(400),
            "\t\t\t".to_string(),
        ];
        for s in &strange {
            for max in [1, 2, 10, 200, 5000] {
                let fitted = fit_text(s, max);
                assert!(text("content", &fitted, 0, max).is_ok(), "{s:?} / {max}");
                let one = fit_line(s, max);
                assert!(line("title", &one, 0, max).is_ok(), "{s:?} / {max}");
                assert!(text("title", &one, 0, max).is_ok(), "{s:?} / {max}");
            }
        }
        assert_eq!(fit_line("abcdef", 4), "abc…");
        assert_eq!(fit_line("a\r\nb", 10), "a  b");
        assert_eq!(fit_text("a\r\nb\u{0}", 10), "a\nb");
    }

    #[test]
    fn amounts_quantities_and_text_are_bounded() {
        assert!(positive_amount("price", 0).is_err());
        assert!(positive_amount("price", 1).is_ok());
        assert!(quantity("quantity", 0).is_err());
        assert_eq!(quantity("quantity", 5).unwrap(), 5);
        assert_eq!(text("name", "  hi  ", 1, 10).unwrap(), "hi");
        assert!(text("name", "", 1, 10).is_err());
        assert!(text("name", "a\u{0}b", 1, 10).is_err());
    }
}
