//! SSH metadata: banners and HASSH / HASSHServer (Salesforce, BSD-3-Clause).

pub mod parser;

use parser::{Banner, Packet, banner, packet};
use serde::Serialize;

use crate::tls::fingerprint::md5_hex;

/// One SSH connection's cleartext start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SshRecord {
    /// Flow.
    pub flow_id: u64,
    /// Client identification line.
    pub client_banner: Option<String>,
    /// Server identification line.
    pub server_banner: Option<String>,
    /// HASSH string `kex;enc;mac;comp` (client→server lists).
    pub hassh_string: Option<String>,
    /// HASSH (MD5 of the string).
    pub hassh: Option<String>,
    /// HASSHServer string (server→client lists).
    pub hassh_server_string: Option<String>,
    /// HASSHServer.
    pub hassh_server: Option<String>,
    /// JA4SSH, one per window of 200 SSH packets in order, the last one
    /// possibly partial (`ja4plus` feature, FoxIO License 1.1).
    #[cfg(feature = "ja4plus")]
    pub ja4ssh: Vec<String>,
    /// JA4SSH windows past the per-record cap, counted only (`ja4plus` feature).
    #[cfg(feature = "ja4plus")]
    pub ja4ssh_windows_dropped: u32,
}

#[derive(Debug, Default)]
struct Side {
    banner_done: bool,
    done: bool,
}

/// Per-flow SSH state.
#[derive(Debug, Default)]
pub struct SshState {
    rec: SshRecord,
    client: Side,
    server: Side,
}

impl SshState {
    /// New state for a flow.
    pub fn new(flow_id: u64) -> Self {
        SshState {
            rec: SshRecord {
                flow_id,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Feed contiguous bytes of one direction; returns bytes consumed.
    pub fn on_data(&mut self, from_client: bool, buf: &[u8]) -> usize {
        let mut pos = 0;
        loop {
            let side = if from_client {
                &mut self.client
            } else {
                &mut self.server
            };
            if side.done {
                return buf.len();
            }
            if !side.banner_done {
                match banner(&buf[pos..]) {
                    Banner::Line(l, used) => {
                        let s = Some(String::from_utf8_lossy(l).into_owned());
                        if from_client {
                            self.rec.client_banner = s
                        } else {
                            self.rec.server_banner = s
                        }
                        side.banner_done = true;
                        pos += used;
                    }
                    Banner::Partial => return pos,
                    Banner::Invalid => {
                        side.done = true;
                        return buf.len();
                    }
                }
                continue;
            }
            match packet(&buf[pos..]) {
                Packet::KexInit(k, used) => {
                    pos += used;
                    side.done = true;
                    if from_client {
                        let s = format!("{};{};{};{}", k.kex, k.enc_c2s, k.mac_c2s, k.comp_c2s);
                        self.rec.hassh = Some(md5_hex(&s));
                        self.rec.hassh_string = Some(s);
                    } else {
                        let s = format!("{};{};{};{}", k.kex, k.enc_s2c, k.mac_s2c, k.comp_s2c);
                        self.rec.hassh_server = Some(md5_hex(&s));
                        self.rec.hassh_server_string = Some(s);
                    }
                }
                Packet::Other(_, used) => pos += used,
                Packet::Partial => return pos,
                Packet::Invalid => {
                    side.done = true;
                    return buf.len();
                }
            }
        }
    }

    /// Both KEXINITs seen (or given up).
    pub fn is_done(&self) -> bool {
        self.client.done && self.server.done
    }

    /// The record.
    pub fn finish(self) -> SshRecord {
        self.rec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssh::parser::tests::kexinit_packet;

    #[test]
    fn hassh_from_both_sides() {
        let mut st = SshState::new(3);
        let mut c = b"SSH-2.0-client\r\n".to_vec();
        c.extend_from_slice(&kexinit_packet([
            "k1,k2", "h", "e1", "e2", "m1", "m2", "none", "none", "", "",
        ]));
        // Split inside the KEXINIT.
        let used = st.on_data(true, &c[..30]);
        assert_eq!(used, 16);
        assert_eq!(st.on_data(true, &c[16..]), c.len() - 16);
        let mut s = b"SSH-2.0-server\r\n".to_vec();
        s.extend_from_slice(&kexinit_packet([
            "k1", "h", "e1", "e2", "m1", "m2", "none", "zlib", "", "",
        ]));
        st.on_data(false, &s);
        assert!(st.is_done());
        let r = st.finish();
        assert_eq!(r.client_banner.as_deref(), Some("SSH-2.0-client"));
        assert_eq!(r.hassh_string.as_deref(), Some("k1,k2;e1;m1;none"));
        assert_eq!(
            r.hassh.as_deref(),
            Some(md5_hex("k1,k2;e1;m1;none").as_str())
        );
        assert_eq!(r.hassh_server_string.as_deref(), Some("k1;e2;m2;zlib"));
    }
}
