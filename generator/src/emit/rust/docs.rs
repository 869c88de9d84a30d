//! Spec descriptions as doc comments that can never become failing doctests.

use proc_macro2::TokenStream;
use quote::quote;

/// Cleans Markdown so rustdoc sees no runnable code: fences become `text`, indented
/// lines lose their indentation, trailing spaces go, and blank runs collapse.
pub fn clean(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for raw in text.lines() {
        let expanded = raw.replace('\t', "    ");
        let trimmed = expanded.trim_end();
        let stripped = trimmed.trim_start();
        if stripped.starts_with("```") || stripped.starts_with("~~~") {
            if in_fence {
                out.push(String::from("```"));
            } else {
                out.push(String::from("```text"));
            }
            in_fence = !in_fence;
            continue;
        }
        // Four spaces would start an indented code block, which rustdoc runs as a doctest.
        let indent = (trimmed.len() - stripped.len()).min(3);
        let line = if in_fence { trimmed.to_string() } else { format!("{}{stripped}", " ".repeat(indent)) };
        if line.is_empty() && out.last().is_some_and(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    if in_fence {
        out.push(String::from("```"));
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    while out.first().is_some_and(|l| l.is_empty()) {
        out.remove(0);
    }
    out
}

/// `#[doc = "..."]` attributes for a description.
pub fn attrs(text: Option<&str>) -> TokenStream {
    let Some(text) = text else { return TokenStream::new() };
    let lines = clean(text);
    let lines = lines.iter().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    quote! { #( #[doc = #lines] )* }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_never_runs_as_doctest() {
        let text = "Intro.\n\n    let x = 1;\n\n```json\n{\"a\": 1}\n```\n\n```\nplain\n";
        let lines = clean(text);
        assert_eq!(lines, vec!["Intro.", "", "   let x = 1;", "", "```text", "{\"a\": 1}", "```", "", "```text", "plain", "```"]);
    }
}
