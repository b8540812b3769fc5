//! `allowed_outbound_hosts`: which network destinations a component may reach, with Spin's
//! matching rules.
//!
//! An entry is `scheme://host[:port]`. The scheme may be `*`; the host may be `*`, `*.domain`
//! (any sub-domain), a name, an IP address or a CIDR block; the port may be `*`, a number or a
//! range `a..b` (end exclusive), and defaults to the scheme's well-known port — so a wildcard
//! scheme needs an explicit port. `http://<id>.spin.internal` allows service chaining to one
//! component, `http://*.spin.internal` to all. Entries may hold `{{ variable }}` templates,
//! expanded before parsing.

use std::net::IpAddr;

use anyhow::{Context, bail};

/// The host name suffix that addresses another component of the application in-process.
pub const SERVICE_CHAINING_SUFFIX: &str = ".spin.internal";

/// A component's parsed `allowed_outbound_hosts`.
#[derive(Clone, Debug, Default)]
pub struct AllowedHosts {
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Clone, Debug, PartialEq)]
enum HostPattern {
    Any,
    Subdomains(String),
    Exact(String),
    Cidr(IpAddr, u8),
}

#[derive(Clone, Debug, PartialEq)]
enum PortPattern {
    Any,
    Range(u16, u16),
}

/// A destination the guest asked for, reduced to what matching looks at.
#[derive(Clone, Debug, PartialEq)]
pub struct Destination {
    /// Lower-case scheme without `://`.
    pub scheme: String,
    /// Lower-case host name or IP address (without brackets).
    pub host: String,
    /// Explicit port, or the scheme's well-known one.
    pub port: Option<u16>,
}

/// The port a scheme uses when a URL or an entry names none.
pub fn well_known_port(scheme: &str) -> Option<u16> {
    Some(match scheme {
        "http" => 80,
        "https" => 443,
        "postgres" | "postgresql" => 5432,
        "mysql" => 3306,
        "redis" => 6379,
        "rediss" => 6380,
        "mqtt" => 1883,
        "mqtts" => 8883,
        _ => return None,
    })
}

impl AllowedHosts {
    /// Parses already-expanded entries; a malformed entry is an error naming it.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> anyhow::Result<AllowedHosts> {
        let entries = entries
            .iter()
            .map(|e| {
                Entry::parse(e.as_ref())
                    .with_context(|| format!("allowed_outbound_hosts entry `{}`", e.as_ref()))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(AllowedHosts { entries })
    }

    /// Whether `url` may be reached; `default_scheme` applies when the URL has none (Spin's
    /// Postgres and Redis interfaces accept bare `host:port` addresses in some forms).
    pub fn allows_url(&self, url: &str, default_scheme: &str) -> bool {
        match Destination::parse(url, default_scheme) {
            Some(dest) => self.allows(&dest),
            None => false,
        }
    }

    /// Whether the destination may be reached.
    pub fn allows(&self, dest: &Destination) -> bool {
        self.entries.iter().any(|e| e.allows(dest))
    }

    /// Whether service chaining to component `id` is allowed (exactly, or by the wildcard).
    pub fn allows_chaining_to(&self, id: &str) -> bool {
        self.allows(&Destination {
            scheme: "http".into(),
            host: format!("{id}{SERVICE_CHAINING_SUFFIX}"),
            port: Some(80),
        })
    }
}

impl Entry {
    fn parse(text: &str) -> anyhow::Result<Entry> {
        let (scheme, rest) = text
            .split_once("://")
            .context("expected `scheme://host[:port]`")?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let scheme = match scheme {
            "*" => None,
            s if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
            {
                Some(s.to_ascii_lowercase())
            }
            _ => bail!("invalid scheme `{scheme}`"),
        };
        let (host, port) = split_host_port(rest)?;
        let host = parse_host_pattern(host)?;
        let port = match port {
            Some("*") => PortPattern::Any,
            Some(p) => parse_port_pattern(p)?,
            None => {
                let well_known = scheme
                    .as_deref()
                    .and_then(well_known_port)
                    .context("a port is required when the scheme has no well-known port")?;
                PortPattern::Range(well_known, well_known)
            }
        };
        Ok(Entry { scheme, host, port })
    }

    fn allows(&self, dest: &Destination) -> bool {
        let scheme_ok = match &self.scheme {
            None => true,
            Some(s) => s == &dest.scheme || (s == "postgres" && dest.scheme == "postgresql"),
        };
        let port_ok = match (&self.port, dest.port) {
            (PortPattern::Any, _) => true,
            (PortPattern::Range(lo, hi), Some(p)) => (*lo..=*hi).contains(&p),
            (PortPattern::Range(..), None) => false,
        };
        scheme_ok && port_ok && self.host.allows(&dest.host)
    }
}

impl HostPattern {
    fn allows(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Exact(h) => h == host,
            HostPattern::Subdomains(domain) => host
                .strip_suffix(domain.as_str())
                .is_some_and(|prefix| !prefix.is_empty()),
            HostPattern::Cidr(net, bits) => host
                .parse::<IpAddr>()
                .is_ok_and(|ip| in_cidr(ip, *net, *bits)),
        }
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// Splits `host[:port]`, understanding `[v6]:port`.
fn split_host_port(authority: &str) -> anyhow::Result<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').context("unclosed `[` in host")?;
        return Ok(match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => bail!("unexpected text after `]`"),
        });
    }
    if authority.matches(':').count() > 1 && !authority.contains('/') {
        // A bare IPv6 address without brackets has no port.
        return Ok((authority, None));
    }
    Ok(match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn parse_host_pattern(host: &str) -> anyhow::Result<HostPattern> {
    if host.is_empty() {
        bail!("the host is empty");
    }
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if let Some(domain) = host.strip_prefix("*.") {
        if domain.is_empty() || domain.contains('*') {
            bail!("invalid wildcard host `{host}`");
        }
        return Ok(HostPattern::Subdomains(format!(
            ".{}",
            domain.to_ascii_lowercase()
        )));
    }
    if host.contains('*') {
        bail!("`*` is only allowed as the whole host or as `*.domain`");
    }
    if let Some((net, bits)) = host.split_once('/') {
        // A `/` is only meaningful in a CIDR block; anything else is a path, which entries
        // cannot have.
        let net: IpAddr = net
            .parse()
            .map_err(|_| anyhow::anyhow!("a path is not allowed"))?;
        let bits: u8 = bits.parse().context("invalid CIDR prefix length")?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        if bits > max {
            bail!("CIDR prefix length {bits} is over {max}");
        }
        return Ok(HostPattern::Cidr(net, bits));
    }
    Ok(HostPattern::Exact(host.to_ascii_lowercase()))
}

fn parse_port_pattern(port: &str) -> anyhow::Result<PortPattern> {
    let number = |p: &str| {
        p.parse::<u16>()
            .with_context(|| format!("invalid port `{p}`"))
    };
    match port.split_once("..") {
        Some((lo, hi)) => {
            let (lo, hi) = (number(lo)?, number(hi)?);
            if hi <= lo {
                bail!("empty port range `{port}`");
            }
            Ok(PortPattern::Range(lo, hi - 1))
        }
        None => {
            let p = number(port)?;
            Ok(PortPattern::Range(p, p))
        }
    }
}

impl Destination {
    /// Parses a URL (`scheme://[user[:password]@]host[:port][/…]`) or, with `default_scheme`,
    /// a bare `host[:port]`.
    pub fn parse(url: &str, default_scheme: &str) -> Option<Destination> {
        let (scheme, rest) = match url.split_once("://") {
            Some((s, rest)) => (s.to_ascii_lowercase(), rest),
            None => (default_scheme.to_string(), url),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let (host, port) = split_host_port(authority).ok()?;
        if host.is_empty() {
            return None;
        }
        let port = match port {
            Some(p) => Some(p.parse().ok()?),
            None => well_known_port(&scheme),
        };
        Some(Destination {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The component id when this destination is `<id>.spin.internal`.
    pub fn chaining_target(&self) -> Option<&str> {
        self.host
            .strip_suffix(SERVICE_CHAINING_SUFFIX)
            .filter(|id| !id.is_empty() && !id.contains('.'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entries: &[&str], url: &str) -> bool {
        AllowedHosts::parse(entries)
            .unwrap()
            .allows_url(url, "https")
    }

    #[test]
    fn exact_hosts_use_the_schemes_well_known_port() {
        assert!(allowed(
            &["https://api.example.com"],
            "https://api.example.com/v1"
        ));
        assert!(!allowed(
            &["https://api.example.com"],
            "https://api.example.com:8443/v1"
        ));
        assert!(!allowed(
            &["https://api.example.com"],
            "http://api.example.com/v1"
        ));
        assert!(!allowed(
            &["https://api.example.com"],
            "https://other.example.com/"
        ));
    }

    #[test]
    fn wildcards_cover_ports_hosts_and_subdomains() {
        assert!(allowed(&["http://localhost:*"], "http://localhost:3001/x"));
        assert!(allowed(&["*://localhost:8080"], "redis://localhost:8080"));
        assert!(allowed(
            &["https://*.example.com"],
            "https://a.b.example.com/"
        ));
        assert!(!allowed(&["https://*.example.com"], "https://example.com/"));
        assert!(!allowed(
            &["https://*.example.com"],
            "https://badexample.com/"
        ));
        assert!(allowed(&["https://*"], "https://anything.test/"));
    }

    #[test]
    fn port_ranges_exclude_their_end() {
        assert!(allowed(&["http://h:8000..8002"], "http://h:8001"));
        assert!(!allowed(&["http://h:8000..8002"], "http://h:8002"));
    }

    #[test]
    fn cidr_blocks_match_addresses() {
        assert!(allowed(
            &["postgres://127.0.0.0/8:5432"],
            "postgres://u@127.0.0.1:5432/db"
        ));
        assert!(!allowed(
            &["postgres://10.0.0.0/8:5432"],
            "postgres://u@127.0.0.1:5432/db"
        ));
    }

    #[test]
    fn database_urls_match_by_host_and_port_ignoring_credentials() {
        let hosts = ["postgres://127.0.0.1:55432", "redis://127.0.0.1:56379"];
        assert!(allowed(
            &hosts,
            "postgres://postgres:secret@127.0.0.1:55432/souk"
        ));
        assert!(allowed(
            &hosts,
            "postgresql://postgres@127.0.0.1:55432/souk"
        ));
        assert!(!allowed(&hosts, "postgres://postgres@127.0.0.1:5432/souk"));
        assert!(allowed(&hosts, "redis://127.0.0.1:56379"));
    }

    #[test]
    fn service_chaining_is_per_component_or_wildcard() {
        let one = AllowedHosts::parse(&["http://account.spin.internal"]).unwrap();
        assert!(one.allows_chaining_to("account"));
        assert!(!one.allows_chaining_to("catalog"));
        let all = AllowedHosts::parse(&["http://*.spin.internal"]).unwrap();
        assert!(all.allows_chaining_to("catalog"));
        let d = Destination::parse("http://account.spin.internal/internal/x", "https").unwrap();
        assert_eq!(d.chaining_target(), Some("account"));
    }

    #[test]
    fn malformed_entries_are_refused() {
        for bad in [
            "example.com",
            "https://",
            "*://host",
            "https://h:99999",
            "https://exa*mple.com",
            "https://h/path",
            "custom://h",
        ] {
            assert!(
                AllowedHosts::parse(&[bad]).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn no_entries_allow_nothing() {
        assert!(!allowed(&[], "https://example.com"));
    }
}
