//! English for counts in messages: "1 post", "2 posts", "no posts", with the verb that agrees.
//! Messages say "1 post is due", never "1 post(s) are due" (issue 10). Pure text; never prints.

/// `n` and the noun in the right number: `count(1, "post")` is "1 post", `count(2, "post")`
/// "2 posts". Nouns whose plural is not "+s" use [`count_irregular`].
pub fn count(n: usize, noun: &str) -> String {
    count_irregular(n, noun, &format!("{noun}s"))
}

/// `n` and `singular` or `plural`.
pub fn count_irregular(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// The verb agreeing with a count: `verb(1, "is", "are")` is "is".
pub fn verb<'a>(n: usize, singular: &'a str, plural: &'a str) -> &'a str {
    if n == 1 { singular } else { plural }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_right_number() {
        assert_eq!(count(0, "post"), "0 posts");
        assert_eq!(count(1, "post"), "1 post");
        assert_eq!(count(2, "video"), "2 videos");
        assert_eq!(
            count_irregular(1, "file or folder", "files or folders"),
            "1 file or folder"
        );
        assert_eq!(verb(1, "is", "are"), "is");
        assert_eq!(verb(3, "is", "are"), "are");
    }
}
