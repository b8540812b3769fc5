//! `application/x-www-form-urlencoded`, as the services write and read it: query strings,
//! form bodies, and the strings VNPay signs.

use std::collections::BTreeMap;

/// `s` form-URL-encoded: space as `+`, `A–Z a–z 0–9 - _ .` kept, every other byte `%XX` in
/// upper-case hex (what VNPay signs, and what PHP's `urlencode` writes).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `s` form-URL-decoded (`+` as space, `%XX` in either case); `None` for a broken escape or
/// bytes that are not UTF-8.
pub fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `pairs` encoded and joined with `&`, in the order given.
pub fn encode_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The parameters of a query string, decoded; `None` when one is broken or named twice.
pub fn parse(query: &str) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if params.insert(decode(name)?, decode(value)?).is_some() {
            return None;
        }
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_the_unreserved_bytes_and_decoding_undoes_it() {
        assert_eq!(encode("a b~*!'()/:"), "a+b%7E%2A%21%27%28%29%2F%3A");
        assert_eq!(encode("Điện"), "%C4%90i%E1%BB%87n");
        assert_eq!(decode("a+b%7e%2A").as_deref(), Some("a b~*"));
        assert_eq!(decode("%ZZ"), None);
        assert_eq!(decode("%4"), None);
        assert_eq!(decode("%FF"), None, "not UTF-8");
    }

    #[test]
    fn a_query_is_parsed_once_per_name() {
        let q = parse("a=1&b=x+y&c").unwrap();
        assert_eq!(
            (q["a"].as_str(), q["b"].as_str(), q["c"].as_str()),
            ("1", "x y", "")
        );
        assert_eq!(parse("a=1&a=2"), None);
        assert_eq!(encode_pairs([("k", "v w"), ("a", "é")]), "k=v+w&a=%C3%A9");
    }
}
