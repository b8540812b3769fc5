//! What reviewers write and how their votes count: scores, review and reply texts, review
//! images, votes, and the orders a product's reviews are listed in.

use kit::{ApiError, ApiResult};

/// Longest review text.
pub const MAX_BODY: usize = 4000;
/// Most images on a review.
pub const MAX_IMAGES: usize = 5;
/// Longest reply.
pub const MAX_REPLY: usize = 2000;
/// Characters of a review that its seller's notification quotes.
pub const NOTICE_EXCERPT: usize = 200;

/// A score of 1 to 5.
pub fn score(value: i16) -> ApiResult<i16> {
    if (1..=5).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::validation("score: a whole number from 1 to 5"))
    }
}

/// A review's text, trimmed: empty (a score alone) up to [`MAX_BODY`] characters.
pub fn body(value: &str) -> ApiResult<String> {
    bounded_text(value, MAX_BODY, false)
}

/// A reply's text, trimmed: 1 to [`MAX_REPLY`] characters.
pub fn reply(value: &str) -> ApiResult<String> {
    bounded_text(value, MAX_REPLY, true)
}

/// Text of several lines, as every module's: line breaks stored as `\n`, no other control.
fn bounded_text(value: &str, limit: usize, required: bool) -> ApiResult<String> {
    kit::validate::text("body", value, usize::from(required), limit)
}

/// A review's images: at most [`MAX_IMAGES`] http(s) URLs.
pub fn images(values: &[String]) -> ApiResult<Vec<String>> {
    if values.len() > MAX_IMAGES {
        return Err(ApiError::validation(format!(
            "images: at most {MAX_IMAGES}"
        )));
    }
    super::images(values)
}

/// The title of the notification that tells a seller of a new review.
pub fn notice_title(score: i16, product_name: &str) -> String {
    format!("{score}★ review of {product_name}")
}

/// The start of a review that its notification quotes: at most [`NOTICE_EXCERPT`]
/// characters, cut with `…`.
pub fn notice_excerpt(body: &str) -> String {
    kit::validate::fit_text(body, NOTICE_EXCERPT)
}

/// One account's vote on a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    /// Helpful.
    Up,
    /// Not helpful.
    Down,
    /// No vote (taken back, or never cast).
    None,
}

impl Vote {
    /// `up`, `down` or `none`.
    pub fn parse(value: &str) -> ApiResult<Vote> {
        match value {
            "up" => Ok(Vote::Up),
            "down" => Ok(Vote::Down),
            "none" => Ok(Vote::None),
            _ => Err(ApiError::validation("vote: up, down or none")),
        }
    }

    /// The vote a stored value means (`catalog.review_vote.vote`: 1 or -1; no row is none).
    pub fn stored(value: Option<i16>) -> Vote {
        match value {
            Some(1) => Vote::Up,
            Some(-1) => Vote::Down,
            _ => Vote::None,
        }
    }

    /// The value stored for the vote; `None` for no vote, which has no row.
    pub fn value(self) -> Option<i16> {
        match self {
            Vote::Up => Some(1),
            Vote::Down => Some(-1),
            Vote::None => None,
        }
    }

    /// How a review's up and down counters move when `self` replaces `before`.
    pub fn deltas(self, before: Vote) -> (i32, i32) {
        let count = |vote: Vote, of: Vote| i32::from(vote == of);
        (
            count(self, Vote::Up) - count(before, Vote::Up),
            count(self, Vote::Down) - count(before, Vote::Down),
        )
    }
}

/// The order of a product's reviews.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewSort {
    /// Newest first (the default).
    Newest,
    /// Most helpful first: upvotes minus downvotes.
    Helpful,
}

impl ReviewSort {
    /// `newest` (also when absent) or `helpful`.
    pub fn parse(value: Option<&str>) -> ApiResult<ReviewSort> {
        match value {
            None | Some("newest") => Ok(ReviewSort::Newest),
            Some("helpful") => Ok(ReviewSort::Helpful),
            Some(other) => Err(ApiError::bad_request(
                "invalid_sort",
                format!("unknown sort `{other}`; one of newest, helpful"),
            )),
        }
    }
}

/// The `score` filter of a review list: 1 to 5.
pub fn score_filter(value: &str) -> ApiResult<i16> {
    value
        .parse::<i16>()
        .ok()
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| ApiError::bad_request("invalid_score", "score is 1 to 5"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_texts_are_bounded() {
        assert!(score(0).is_err() && score(6).is_err());
        assert_eq!(score(5).unwrap(), 5);
        assert!(body(&"x".repeat(MAX_BODY + 1)).is_err());
        assert_eq!(body("  ").unwrap(), "");
        assert!(reply("  ").is_err());
        assert!(images(&vec!["https://i.example/a.png".to_string(); MAX_IMAGES + 1]).is_err());
        assert_eq!(score_filter("4").unwrap(), 4);
        assert_eq!(score_filter("9").unwrap_err().code, "invalid_score");
    }

    #[test]
    fn changing_a_vote_moves_each_counter_by_the_difference() {
        assert_eq!(Vote::Up.deltas(Vote::None), (1, 0));
        assert_eq!(Vote::Down.deltas(Vote::Up), (-1, 1));
        assert_eq!(Vote::None.deltas(Vote::Down), (0, -1));
        assert_eq!(Vote::Up.deltas(Vote::Up), (0, 0));
        assert_eq!(Vote::stored(Vote::Down.value()), Vote::Down);
        assert!(Vote::parse("sideways").is_err());
    }

    #[test]
    fn a_notice_quotes_the_start_of_the_review() {
        assert_eq!(notice_title(4, "Lamp"), "4★ review of Lamp");
        assert_eq!(
            notice_excerpt(&"é".repeat(300)).chars().count(),
            NOTICE_EXCERPT
        );
    }

    #[test]
    fn reviews_sort_by_newest_unless_asked_for_helpful() {
        assert_eq!(ReviewSort::parse(None).unwrap(), ReviewSort::Newest);
        assert_eq!(
            ReviewSort::parse(Some("helpful")).unwrap(),
            ReviewSort::Helpful
        );
        assert!(ReviewSort::parse(Some("oldest")).is_err());
    }
}
