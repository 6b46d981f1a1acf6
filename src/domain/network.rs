//! Which address a request comes from, behind trusted reverse proxies.

use std::net::IpAddr;

/// A block of addresses, `192.0.2.0/24` or `2001:db8::/32` (a lone address is its own
/// block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Reads `address/prefix` or a lone address.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text}: not an IP address"))?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("{text}: the prefix length must be 0 to {width}"))?,
        };
        Ok(Cidr { network, prefix })
    }

    /// Reads a list separated by commas or spaces; empty when `text` is.
    pub fn parse_list(text: &str) -> Result<Vec<Cidr>, String> {
        text.split([',', ' '])
            .filter(|t| !t.trim().is_empty())
            .map(Cidr::parse)
            .collect()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        // An IPv4 peer may show as IPv4-mapped IPv6 on a dual-stack socket.
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
/// nearest address of `X-Forwarded-For` (read from the right) that is not itself a trusted
/// proxy. A client may write anything at the left of the header, so only what trusted
/// proxies appended counts; a header that cannot be read leaves the peer's address.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |a: IpAddr| trusted.iter().any(|c| c.contains(a));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for
        .iter()
        .flat_map(|header| header.split(','))
        .rev()
    {
        let Ok(address) = hop.trim().parse::<IpAddr>() else {
            return client;
        };
        client = address;
        if !is_trusted(address) {
            return address;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn blocks_contain_their_addresses_only() {
        let block = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(block.contains(ip("10.200.1.2")));
        assert!(block.contains(ip("::ffff:10.0.0.1")));
        assert!(!block.contains(ip("11.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("203.0.113.7")));
        assert!(Cidr::parse("2001:db8::/32")
            .unwrap()
            .contains(ip("2001:db8:1::5")));
        assert!(!Cidr::parse("2001:db8::/32")
            .unwrap()
            .contains(ip("2001:db9::5")));
        assert!(Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        assert!(!Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.2")));
        assert_eq!(Cidr::parse_list(" 10.0.0.0/8, ::1 ").unwrap().len(), 2);
        assert!(Cidr::parse_list("").unwrap().is_empty());
        for bad in ["10.0.0.0/33", "proxy", "10.0.0.0/", "::/129"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = Cidr::parse_list("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.2");
        // No trusted proxy: the header is the client's own word.
        assert_eq!(
            client_address(ip("203.0.113.7"), &["198.51.100.1"], &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("203.0.113.7"), &["198.51.100.1"], &[]),
            ip("203.0.113.7")
        );
        // Through a trusted proxy: what it appended, not what the client wrote before.
        assert_eq!(
            client_address(peer, &["198.51.100.1"], &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_address(peer, &["1.2.3.4, 198.51.100.1"], &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_address(peer, &["1.2.3.4", "198.51.100.1, 10.0.0.9"], &trusted),
            ip("198.51.100.1")
        );
        // Nothing readable: the proxy's own address.
        assert_eq!(client_address(peer, &[], &trusted), peer);
        assert_eq!(client_address(peer, &["inconnu"], &trusted), peer);
    }
}
