//! The messages of a shared session on the room bus (docs/serve.md, "Shared sessions across
//! hosts"). Every message starts with the version byte ([`BUS_VERSION`]) and a kind byte;
//! JSON frames travel as their text, audio as its raw PCM16 bytes (no base64: an audio frame
//! grows by 2 bytes plus the guest's link, not by a third; see benches/RESULTS.md).
//!
//! - To a guest (channel `room:ROOM:guest:LINK`): `T` + a JSON frame, `A` + audio, `C` (the
//!   socket closes after the frames before it), `H` (the room's host is alive).
//! - To the room (channel `room:ROOM:in`): `J` + link + the guest's caller as JSON, `F` + link +
//!   a client frame's JSON, `A` + link + audio, `L` + link (the guest left), `H` + link (the
//!   guest's host is alive). A link is one byte of length, then its ASCII.

use relay_core::store::BUS_VERSION;
use relay_core::team::Caller;

/// A room's channel of guests' input.
pub(crate) fn room_channel(room: &str) -> String {
    format!("room:{room}:in")
}

/// The channel of one remote guest's frames.
pub(crate) fn guest_channel(room: &str, link: &str) -> String {
    format!("room:{room}:guest:{link}")
}

/// From the owner's host to one remote guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToGuest {
    /// A JSON frame's text.
    Text(String),
    /// Reply audio.
    Audio(Vec<u8>),
    /// Close the guest's socket (after the frames before this).
    Close,
    /// The room's host is alive.
    Alive,
}

/// From a guest's host to the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToRoom {
    /// A guest joins, as the caller their host authenticated.
    Join {
        /// The guest's link (their channel's name).
        link: String,
        /// Who they are.
        caller: Caller,
    },
    /// A client frame's JSON (already checked by the guest's host).
    Frame {
        /// The guest.
        link: String,
        /// The frame's text.
        text: String,
    },
    /// Microphone audio.
    Audio {
        /// The guest.
        link: String,
        /// PCM16.
        audio: Vec<u8>,
    },
    /// The guest's socket closed.
    Left {
        /// The guest.
        link: String,
    },
    /// The guest's host is alive.
    Alive {
        /// The guest.
        link: String,
    },
}

fn header(kind: u8, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity + 2);
    out.push(BUS_VERSION as u8);
    out.push(kind);
    out
}

/// The kind byte and the rest, after checking the version.
fn split(bytes: &[u8]) -> Result<(u8, &[u8]), String> {
    match bytes {
        [v, kind, rest @ ..] if u32::from(*v) == BUS_VERSION => Ok((*kind, rest)),
        [v, ..] => Err(format!(
            "a bus message of version {v}; this Relay speaks version {BUS_VERSION} (run the same Relay on every host)"
        )),
        [] => Err("an empty bus message".into()),
    }
}

impl ToGuest {
    /// The message's bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            ToGuest::Text(text) => {
                let mut out = header(b'T', text.len());
                out.extend_from_slice(text.as_bytes());
                out
            }
            ToGuest::Audio(audio) => {
                let mut out = header(b'A', audio.len());
                out.extend_from_slice(audio);
                out
            }
            ToGuest::Close => header(b'C', 0),
            ToGuest::Alive => header(b'H', 0),
        }
    }

    /// The message in `bytes`.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, String> {
        let (kind, rest) = split(bytes)?;
        Ok(match kind {
            b'T' => ToGuest::Text(
                String::from_utf8(rest.to_vec()).map_err(|_| "a text frame that is not UTF-8")?,
            ),
            b'A' => ToGuest::Audio(rest.to_vec()),
            b'C' => ToGuest::Close,
            b'H' => ToGuest::Alive,
            other => return Err(format!("unknown bus message kind {other}")),
        })
    }
}

impl ToRoom {
    /// The guest this is about.
    pub(crate) fn link(&self) -> &str {
        match self {
            ToRoom::Join { link, .. }
            | ToRoom::Frame { link, .. }
            | ToRoom::Audio { link, .. }
            | ToRoom::Left { link }
            | ToRoom::Alive { link } => link,
        }
    }

    /// The message's bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let (kind, body): (u8, std::borrow::Cow<'_, [u8]>) = match self {
            ToRoom::Join { caller, .. } => {
                (b'J', serde_json::to_vec(caller).unwrap_or_default().into())
            }
            ToRoom::Frame { text, .. } => (b'F', text.as_bytes().into()),
            ToRoom::Audio { audio, .. } => (b'A', audio.as_slice().into()),
            ToRoom::Left { .. } => (b'L', Vec::new().into()),
            ToRoom::Alive { .. } => (b'H', Vec::new().into()),
        };
        let link = self.link().as_bytes();
        let link = &link[..link.len().min(255)];
        let mut out = header(kind, 1 + link.len() + body.len());
        out.push(link.len() as u8);
        out.extend_from_slice(link);
        out.extend_from_slice(&body);
        out
    }

    /// The message in `bytes`.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, String> {
        let (kind, rest) = split(bytes)?;
        let (&len, rest) = rest.split_first().ok_or("a bus message without its link")?;
        if rest.len() < usize::from(len) {
            return Err("a bus message cut short".into());
        }
        let (link, body) = rest.split_at(usize::from(len));
        let link = std::str::from_utf8(link)
            .map_err(|_| "a link that is not ASCII")?
            .to_string();
        Ok(match kind {
            b'J' => ToRoom::Join {
                link,
                caller: serde_json::from_slice(body)
                    .map_err(|e| format!("a join without a caller: {e}"))?,
            },
            b'F' => ToRoom::Frame {
                link,
                text: String::from_utf8(body.to_vec())
                    .map_err(|_| "a client frame that is not UTF-8")?,
            },
            b'A' => ToRoom::Audio {
                link,
                audio: body.to_vec(),
            },
            b'L' => ToRoom::Left { link },
            b'H' => ToRoom::Alive { link },
            other => return Err(format!("unknown bus message kind {other}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use relay_core::team::Role;

    use super::*;

    #[test]
    fn every_message_round_trips() {
        for m in [
            ToGuest::Text(r#"{"type":"ready"}"#.into()),
            ToGuest::Audio(vec![1, 2, 3, 4]),
            ToGuest::Close,
            ToGuest::Alive,
        ] {
            assert_eq!(ToGuest::decode(&m.encode()), Ok(m));
        }
        let link = "0a1b2c".to_string();
        for m in [
            ToRoom::Join {
                link: link.clone(),
                caller: Caller::new("bob", Role::Developer),
            },
            ToRoom::Frame {
                link: link.clone(),
                text: r#"{"type":"commit"}"#.into(),
            },
            ToRoom::Audio {
                link: link.clone(),
                audio: vec![0; 4800],
            },
            ToRoom::Left { link: link.clone() },
            ToRoom::Alive { link },
        ] {
            assert_eq!(ToRoom::decode(&m.encode()), Ok(m));
        }
    }

    #[test]
    fn audio_costs_a_few_bytes_not_a_third() {
        let audio = ToRoom::Audio {
            link: "0123456789abcdef01234567".into(),
            audio: vec![7; 4800],
        };
        assert_eq!(audio.encode().len(), 4800 + 2 + 1 + 24);
        assert_eq!(ToGuest::Audio(vec![7; 4800]).encode().len(), 4802);
    }

    #[test]
    fn bad_messages_say_what_is_wrong() {
        let e = ToGuest::decode(&[9, b'T']).unwrap_err();
        assert!(e.contains("version 9") && e.contains("same Relay"), "{e}");
        assert!(ToGuest::decode(&[]).unwrap_err().contains("empty"));
        assert!(ToGuest::decode(&[1, b'Z']).unwrap_err().contains("unknown"));
        assert!(
            ToRoom::decode(&[1, b'F', 9, b'a'])
                .unwrap_err()
                .contains("cut short")
        );
        assert!(
            ToRoom::decode(&[1, b'J', 1, b'a', b'{'])
                .unwrap_err()
                .contains("caller")
        );
    }
}
