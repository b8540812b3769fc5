//! The client's address, as the per-address limits count it (failed sign-ins, registrations).
//!
//! Spin gives the peer of the TCP connection in `spin-client-addr` and adds no forwarding
//! header of its own. Behind a proxy or an ingress (the SpinKube set-up) that peer is the proxy,
//! for every client, so the proxy's `X-Forwarded-For` is believed — but only when the peer is
//! one of the configured trusted proxies (`trusted_proxies`): anyone can write the header, so
//! from any other peer it is ignored. Each proxy appends the address it received the request
//! from, so the list is read from the right, past every trusted proxy, and the first address
//! that is not a trusted proxy is the client; addresses to its left were written by whoever sent
//! the request and prove nothing.
//!
//! IPv6 clients are counted by /64, the block one subscriber (one home, one phone) is given, so
//! that walking through the addresses of one's own block does not dodge the limit. IPv4-mapped
//! IPv6 addresses count as their IPv4 address.

use std::net::{IpAddr, Ipv6Addr};

/// A block of addresses: an address and how many leading bits of it are fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Reads `10.0.0.0/8`, `2001:db8::/32`, or a single address (all its bits fixed).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let network = canonical(addr.trim().parse().ok()?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.trim().parse().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { network, prefix })
    }

    /// Whether `ip` lies in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(net.to_bits()), self.prefix, 32)
                    == masked(u128::from(ip.to_bits()), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(net.to_bits(), self.prefix, 128) == masked(ip.to_bits(), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `width`-bit address.
fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    bits >> (width - prefix)
}

/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Reads the `trusted_proxies` variable: blocks or addresses separated by commas or
    /// spaces; empty trusts nothing. The entry that is not one is the error.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split([',', ' '])
            .filter(|s| !s.trim().is_empty())
            .map(|s| Cidr::parse(s).ok_or_else(|| s.trim().to_string()))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }
}

/// The peer's address from `spin-client-addr` (`ip:port`, `[v6]:port`), without its port;
/// `None` when missing, unreadable or unspecified (`0.0.0.0:0` is what a module calling
/// another through service chaining is seen as).
fn peer(header: &str) -> Option<IpAddr> {
    let ip = match header.rsplit_once(':') {
        Some((ip, port)) if port.bytes().all(|b| b.is_ascii_digit()) => ip,
        _ => header,
    };
    let ip: IpAddr = ip.trim_matches(['[', ']']).parse().ok()?;
    (!ip.is_unspecified()).then(|| canonical(ip))
}

/// One hop of `X-Forwarded-For`: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`), as some proxies write it.
fn hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse()
        .ok()
        .or_else(|| peer(s))
        .map(canonical)
        .filter(|ip| !ip.is_unspecified())
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the rightmost hop of
/// `forwarded_for` (every `X-Forwarded-For` value, in order) that is not a trusted proxy. A
/// hop that cannot be read ends the walk there, at the last address believed: what lies to
/// its left was not written by a trusted proxy.
pub fn client(
    spin_client_addr: Option<&str>,
    forwarded_for: &[&str],
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let mut client = peer(spin_client_addr?)?;
    if !trusted.trusts(client) {
        return Some(client);
    }
    let hops = forwarded_for.iter().flat_map(|v| v.split(','));
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        let Some(ip) = self::hop(hop) else { break };
        client = ip;
        if !trusted.trusts(ip) {
            break;
        }
    }
    Some(client)
}

/// What the per-address counters key on: an IPv4 address itself, an IPv6 address's /64.
pub fn bucket(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let block = Ipv6Addr::from_bits(v6.to_bits() & !((1u128 << 64) - 1));
            format!("{block}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    /// The trusted proxy of the tests.
    const PROXY: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 5);

    fn trusted(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_parse_and_contain_their_addresses() {
        let net = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(net.contains(IpAddr::V4(PROXY)));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(net.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped");
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let one = Cidr::parse("192.0.2.7").unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("203.0.113.9"))
        );
        for bad in [
            "10.0.0.0/33",
            "2001:db8::/129",
            "10.0.0/8",
            "proxy",
            "10.0.0.0/x",
            "",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_trusted_list_is_read_whole_or_refused_naming_the_bad_entry() {
        assert_eq!(trusted(""), TrustedProxies::default());
        assert_eq!(trusted(" 10.0.0.0/8, 2001:db8::/32 ").0.len(), 2);
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/8,ingress"),
            Err("ingress".into())
        );
    }

    #[test]
    fn the_peer_is_the_client_when_no_proxy_is_trusted() {
        let none = TrustedProxies::default();
        let spoofed = ["198.51.100.1"];
        assert_eq!(
            client(Some("203.0.113.7:51234"), &spoofed, &none),
            Some(ip("203.0.113.7")),
            "a forwarding header from an untrusted peer is ignored"
        );
        assert_eq!(
            client(Some("[2001:db8::1]:443"), &[], &none),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(client(Some("0.0.0.0:0"), &spoofed, &none), None);
        assert_eq!(client(Some(":80"), &[], &none), None);
        assert_eq!(client(None, &spoofed, &none), None);
    }

    #[test]
    fn an_untrusted_peer_is_the_client_even_with_trusted_proxies_configured() {
        let proxies = trusted("10.0.0.0/8");
        assert_eq!(
            client(Some("203.0.113.7:1"), &["10.0.0.9, 198.51.100.1"], &proxies),
            Some(ip("203.0.113.7"))
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let proxies = trusted("10.0.0.0/8");
        let peer = Some("10.0.0.5:3000");
        // The client wrote the first hop itself; the ingress appended the client's real address.
        assert_eq!(
            client(peer, &["1.2.3.4, 203.0.113.7"], &proxies),
            Some(ip("203.0.113.7"))
        );
        // Two proxies: the inner one appended the outer one's address.
        assert_eq!(
            client(peer, &["1.2.3.4, 203.0.113.7, 10.0.0.9"], &proxies),
            Some(ip("203.0.113.7"))
        );
        // Several header lines are one list, in order.
        assert_eq!(
            client(peer, &["1.2.3.4", "203.0.113.7:5555"], &proxies),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(
            client(peer, &["[2001:db8::9]:1"], &proxies),
            Some(ip("2001:db8::9"))
        );
        // Nothing forwarded: the proxy itself; all hops trusted: the leftmost of them.
        assert_eq!(client(peer, &[], &proxies), Some(IpAddr::V4(PROXY)));
        assert_eq!(client(peer, &["10.0.0.7"], &proxies), Some(ip("10.0.0.7")));
        // An unreadable hop stops the walk at the last address a trusted proxy wrote.
        assert_eq!(
            client(peer, &["203.0.113.7, garbage, 10.0.0.8"], &proxies),
            Some(ip("10.0.0.8"))
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_block_and_ipv4_by_address() {
        assert_eq!(bucket(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(bucket(ip("::ffff:203.0.113.7")), "203.0.113.7");
        let a = bucket(ip("2001:db8:1:2:aaaa::1"));
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, bucket(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        assert_ne!(a, bucket(ip("2001:db8:1:3::1")));
    }
}
