//! What an operator writes of a category: its slug, name and description. The table's CHECKs
//! (`category_*_valid`) hold the same bounds; these give the client a clear message first.

use kit::{ApiError, ApiResult};

use super::is_slug;

/// Longest category slug.
pub const MAX_SLUG: usize = 100;
/// Longest category name.
pub const MAX_NAME: usize = 100;
/// Longest category description.
pub const MAX_DESCRIPTION: usize = 2000;

/// A slug of at most [`MAX_SLUG`] characters.
pub fn slug(value: &str) -> ApiResult<String> {
    if !is_slug(value) || value.len() > MAX_SLUG {
        return Err(ApiError::validation(format!(
            "slug: lower-case letters and digits joined by single hyphens, at most {MAX_SLUG} \
             characters"
        )));
    }
    Ok(value.to_string())
}

/// A trimmed name of 1–[`MAX_NAME`] characters, on one line.
pub fn name(value: &str) -> ApiResult<String> {
    kit::validate::line("name", value, 1, MAX_NAME)
}

/// A description of at most [`MAX_DESCRIPTION`] characters, trimmed, of several lines.
pub fn description(value: &str) -> ApiResult<String> {
    kit::validate::text("description", value, 0, MAX_DESCRIPTION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_slugs_names_and_descriptions_are_bounded() {
        assert_eq!(slug("home-audio").unwrap(), "home-audio");
        assert!(slug("Home Audio").is_err());
        assert!(slug(&"a".repeat(MAX_SLUG + 1)).is_err());
        assert_eq!(name("  Phones ").unwrap(), "Phones");
        assert!(name(" ").is_err());
        assert!(description(&"d".repeat(MAX_DESCRIPTION + 1)).is_err());
    }
}
