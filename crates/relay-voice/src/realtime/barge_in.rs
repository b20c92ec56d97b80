//! Where to cut the assistant's audio when the user talks over it.

/// What to do with an interrupted assistant item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Everything was heard: leave the item alone.
    Keep,
    /// Nothing was heard: delete the item.
    Delete,
    /// Keep the first `n` ms of audio.
    Truncate(u64),
}

/// How long after a playback report the position is still carried forward from it. The page
/// reports every 100 ms while it plays; a report older than this means the application stopped
/// reporting (it paused, or it reports only when it stops), so it is taken as it is.
pub const EXTRAPOLATE_MS: u64 = 1_000;

/// The playback position now, from a report of `reported_ms` that arrived `since_report_ms` ago,
/// for an application that reports periodically while it plays (the session applies it after
/// the second report of an item; a single report is taken as it is).
///
/// Why extrapolate: the service hears the user start speaking before the application does (it
/// learns of it from our `user_speech_started`, one network trip later), so at the moment of
/// the cut the application's final position is not known yet, only its latest periodic report.
/// Audio plays at one millisecond per millisecond, so the position when the user started
/// speaking is the report plus the time since it arrived — exact up to the jitter of the
/// report's trip (a few ms on a LAN) rather than up to a whole report interval behind. The
/// result is clamped by the caller to the audio received, so a stalled player is never cut
/// past what it was sent. A report older than [`EXTRAPOLATE_MS`] is not carried forward.
pub fn position_now(reported_ms: u64, since_report_ms: u64) -> u64 {
    if since_report_ms > EXTRAPOLATE_MS {
        reported_ms
    } else {
        reported_ms + since_report_ms
    }
}

/// Decides the cut for an item of which `received_ms` of audio arrived.
///
/// `reported_ms` is what the application said it played; without a report the wall-clock time
/// since the first audio chunk (`elapsed_ms`) stands in. Either way the position is clamped to
/// the audio received, so the cut never lies past the item's audio. When all audio arrived
/// (`audio_complete`) and all of it was played, nothing is cut.
pub fn decide(
    received_ms: u64,
    reported_ms: Option<u64>,
    elapsed_ms: u64,
    audio_complete: bool,
) -> Cut {
    let played = reported_ms.unwrap_or(elapsed_ms).min(received_ms);
    if played == 0 {
        Cut::Delete
    } else if played >= received_ms && audio_complete {
        Cut::Keep
    } else {
        Cut::Truncate(played)
    }
}

/// Shortens `text` to the share of it that was spoken by `kept_ms` of `total_ms`, on a word
/// boundary (used to replay what the user actually heard).
pub fn heard_text(text: &str, kept_ms: u64, total_ms: u64) -> String {
    if total_ms == 0 || kept_ms >= total_ms {
        return text.to_string();
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let keep = (words.len() as u64 * kept_ms / total_ms) as usize;
    words[..keep].join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_playback_wins_and_is_clamped() {
        assert_eq!(decide(3000, Some(1200), 5000, false), Cut::Truncate(1200));
        assert_eq!(decide(3000, Some(9000), 0, false), Cut::Truncate(3000));
        assert_eq!(decide(3000, Some(3000), 0, true), Cut::Keep);
    }

    #[test]
    fn without_report_wall_clock_is_clamped_to_received() {
        assert_eq!(decide(800, None, 450, false), Cut::Truncate(450));
        assert_eq!(decide(800, None, 2000, false), Cut::Truncate(800));
        assert_eq!(decide(800, None, 2000, true), Cut::Keep);
    }

    #[test]
    fn a_fresh_report_is_carried_forward_a_stale_one_is_not() {
        assert_eq!(position_now(1200, 0), 1200);
        assert_eq!(position_now(1200, 80), 1280);
        assert_eq!(position_now(1200, EXTRAPOLATE_MS), 1200 + EXTRAPOLATE_MS);
        assert_eq!(position_now(1200, EXTRAPOLATE_MS + 1), 1200);
        // Clamped to what arrived by `decide`.
        assert_eq!(
            decide(1250, Some(position_now(1200, 80)), 0, false),
            Cut::Truncate(1250)
        );
    }

    #[test]
    fn nothing_played_deletes() {
        assert_eq!(decide(0, None, 100, false), Cut::Delete);
        assert_eq!(decide(500, Some(0), 300, false), Cut::Delete);
    }

    #[test]
    fn heard_text_keeps_the_spoken_share() {
        assert_eq!(heard_text("one two three four", 500, 1000), "one two");
        assert_eq!(heard_text("one two", 1000, 1000), "one two");
    }
}
