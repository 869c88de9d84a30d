//! CommonMark descriptions rendered to HTML, with raw HTML shown as text so a spec cannot
//! inject markup or scripts into the page.

use pulldown_cmark::{html, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

fn level(n: usize) -> HeadingLevel {
    match n {
        0 | 1 => HeadingLevel::H1,
        2 => HeadingLevel::H2,
        3 => HeadingLevel::H3,
        4 => HeadingLevel::H4,
        5 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// Renders `text`; its headings are renumbered to start at `base` with no level skipped, so
/// they nest under the page's own headings.
pub fn to_html(text: &str, base: usize) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut used: Vec<usize> = Parser::new_ext(text, options)
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(level as usize),
            _ => None,
        })
        .collect();
    used.sort_unstable();
    used.dedup();
    let renumber = |l: HeadingLevel| level(base + used.iter().position(|u| *u == l as usize).unwrap_or(0));
    let parser = Parser::new_ext(text, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Heading { level, id, classes, attrs }) => Event::Start(Tag::Heading { level: renumber(level), id, classes, attrs }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(renumber(level))),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown_and_escapes_raw_html() {
        let html = to_html("Some *emphasis* and `code`.\n\n<script>alert(1)</script>", 4);
        assert!(html.contains("<em>emphasis</em>") && html.contains("<code>code</code>"));
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    }

    #[test]
    fn headings_nest_under_the_page() {
        let html = to_html("### Deep\n\ntext\n\n##### Deeper", 2);
        assert!(html.contains("<h2>Deep</h2>") && html.contains("<h3>Deeper</h3>"), "{html}");
    }
}
