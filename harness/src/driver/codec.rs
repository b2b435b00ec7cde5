//! The wire codec of the async drivers: one datagram carries the sender's id and one protocol
//! message, encoded with postcard (a compact, varint-based serde format that is maintained and
//! stable across platforms).
//!
//! The sender's id travels in the datagram, as in any real gossip header, so a receiver never
//! has to map socket addresses back to node ids (turmoil's addresses and loopback ports differ).

use hearsay_protocols::NodeId;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The largest datagram the drivers send: what fits one UDP/IPv4 datagram.
pub const MAX_DATAGRAM: usize = 65_507;

/// Why a datagram could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The message does not fit one datagram.
    #[error("message of {0} bytes does not fit one datagram ({MAX_DATAGRAM} bytes)")]
    TooLarge(usize),
    /// The bytes are not a message of this protocol.
    #[error("malformed datagram: {0}")]
    Malformed(#[from] postcard::Error),
}

/// Encodes and decodes `(sender, message)` datagrams.
#[derive(Clone, Copy, Debug, Default)]
pub struct Codec;

impl Codec {
    /// Encodes `msg` from `from` into `buf` (cleared first); returns the datagram's length.
    pub fn encode<M: Serialize>(
        from: NodeId,
        msg: &M,
        buf: &mut Vec<u8>,
    ) -> Result<usize, CodecError> {
        buf.clear();
        let taken = std::mem::take(buf);
        *buf = postcard::to_extend(&(from.0, msg), taken)?;
        if buf.len() > MAX_DATAGRAM {
            return Err(CodecError::TooLarge(buf.len()));
        }
        Ok(buf.len())
    }

    /// Decodes one datagram.
    pub fn decode<M: DeserializeOwned>(bytes: &[u8]) -> Result<(NodeId, M), CodecError> {
        let (from, msg): (u32, M) = postcard::from_bytes(bytes)?;
        Ok((NodeId(from), msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_protocols::anti_entropy::AntiEntropyMessage;
    use hearsay_protocols::rumor::RumorMessage;
    use hearsay_protocols::{Entries, Message, Version, Versioned};

    #[test]
    fn messages_round_trip_and_stay_near_their_modelled_size() {
        let entry = Versioned {
            value: 7,
            version: Version {
                stamp: 1_000_000,
                writer: NodeId(3),
            },
        };
        let updates: Entries = [(42, entry)].into_iter().collect();
        let msgs = [
            RumorMessage::Push {
                updates: updates.clone(),
            },
            RumorMessage::Feedback {
                known: [42u64].into_iter().collect(),
            },
        ];
        let mut buf = Vec::new();
        for m in msgs {
            let n = Codec::encode(NodeId(9), &m, &mut buf).unwrap();
            assert!(
                n <= m.wire_size(),
                "{n} encoded > {} modelled",
                m.wire_size()
            );
            let (from, back): (NodeId, RumorMessage) = Codec::decode(&buf).unwrap();
            assert_eq!((from, back), (NodeId(9), m));
        }
        let ae = AntiEntropyMessage::State {
            entries: updates,
            reply_wanted: true,
        };
        Codec::encode(NodeId(1), &ae, &mut buf).unwrap();
        let (_, back): (NodeId, AntiEntropyMessage) = Codec::decode(&buf).unwrap();
        assert_eq!(back, ae);
        assert!(Codec::decode::<AntiEntropyMessage>(&[0xff, 0xff, 0xff]).is_err());
    }
}
