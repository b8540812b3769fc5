//! Credentials out of every error text a guest receives.
//!
//! Connection errors name the address they failed on, and an address often carries its
//! password (`postgres://u:p@h`, `redis://:p@h`, libpq `password=p`). A guest tends to pass such
//! a text on — into a log, or into a client's error message — so the host never hands one over
//! with the secret in it: the user-info of every URL becomes `***@`, and every `password=`
//! value becomes `***`. The redis trigger's log lines name its address the same way.

/// What replaces a redacted secret.
const MASK: &str = "***";

/// `text` with the credentials of every URL and every `password=` value masked.
pub fn credentials(text: &str) -> String {
    mask_passwords(&mask_user_info(text))
}

/// Whether `c` ends the token a URL is read from. Quotes and backslashes end it because error
/// texts are often `Debug` output, where a URL sits inside `\"…\"`.
fn ends_token(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '\\' | '<' | '>')
}

/// Masks everything between `://` and the last `@` of the same token. The last `@`, not the
/// first: a password may hold an unescaped `@`, and URL parsers split at the last one. When the
/// `@` is further on (in a path or a query), more is masked than needed, never less.
fn mask_user_info(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let token_end = tail.find(ends_token).unwrap_or(tail.len());
        match tail[..token_end].rfind('@') {
            Some(at) => {
                out.push_str(MASK);
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Masks the value of every `password=` (any case), bare or quoted as libpq allows
/// (`password='a b'`), in key-value strings and URL queries alike.
fn mask_passwords(text: &str) -> String {
    const KEY: &str = "password=";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find(KEY) {
        let value_start = from + found + KEY.len();
        out.push_str(&text[from..value_start]);
        let value = &text[value_start..];
        let len = if let Some(quoted) = value.strip_prefix('\'') {
            // Up to the closing quote that is not escaped with a backslash.
            let mut escaped = false;
            quoted
                .char_indices()
                .find(|&(_, c)| {
                    let close = c == '\'' && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
                .map_or(value.len(), |(i, _)| i + 2)
        } else {
            value
                .find(|c: char| ends_token(c) || c == '&')
                .unwrap_or(value.len())
        };
        out.push_str(MASK);
        from = value_start + len;
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::credentials;

    #[test]
    fn url_user_info_is_masked_whatever_the_scheme() {
        let cases = [
            (
                "cannot connect to redis at redis://:s3cret@127.0.0.1:6379: refused",
                "cannot connect to redis at redis://***@127.0.0.1:6379: refused",
            ),
            (
                "postgres://souk:pa%40ss@db:5432/souk",
                "postgres://***@db:5432/souk",
            ),
            ("rediss://user:p@w@h/0", "rediss://***@h/0"),
            (
                "Other(\"bad url \\\"https://a:b@x.example/p\\\"\")",
                "Other(\"bad url \\\"https://***@x.example/p\\\"\")",
            ),
            (
                "two: redis://:a@h1 and postgres://u:b@h2,h3/db",
                "two: redis://***@h1 and postgres://***@h2,h3/db",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(credentials(text), want, "{text}");
        }
    }

    #[test]
    fn libpq_and_query_passwords_are_masked() {
        let cases = [
            (
                "host=db password=s3cret user=souk",
                "host=db password=*** user=souk",
            ),
            (
                "host=db PASSWORD='a \\' secret' dbname=x",
                "host=db PASSWORD=*** dbname=x",
            ),
            (
                "postgres://db/souk?user=u&password=s3cret&sslmode=off",
                "postgres://db/souk?user=u&password=***&sslmode=off",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(credentials(text), want, "{text}");
        }
    }

    #[test]
    fn texts_without_credentials_are_unchanged() {
        for text in [
            "address redis://127.0.0.1:1 is not permitted",
            "Connection refused (os error 111)",
            "ends with ://",
            "an e-mail a@b.example and a URL http://h/p",
        ] {
            assert_eq!(credentials(text), text);
        }
    }
}
