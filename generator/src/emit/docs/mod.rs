//! Markdown and self-contained HTML docs, rendered from templates over the IR.

pub mod context;
pub mod markdown;

use std::collections::BTreeMap;
use std::path::PathBuf;

use minijinja::Environment;
use serde::Serialize;

use crate::diag::{Code, Diagnostic, Result};
use crate::ir::Ir;

#[derive(Serialize)]
struct IndexEntry {
    module: String,
    title: String,
    version: String,
    description: Option<context::Text>,
    messages: usize,
    channels: usize,
}

fn render(env: &Environment<'_>, name: &str, ctx: impl Serialize) -> Result<String> {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| Diagnostic::new(Code::InvalidValue, name, format!("template error: {e:#}")).into())
}

/// `docs/<module>.md`, `docs/<module>.html` per document and `docs/index.html`.
pub fn files(env: &Environment<'_>, ir: &Ir, crate_name: &str) -> Result<BTreeMap<PathBuf, String>> {
    let mut out = BTreeMap::new();
    let mut index = Vec::new();
    let pages: Vec<context::Page> = ir.documents.iter().map(context::page).collect();
    let nav: Vec<(String, String)> = pages.iter().map(|p| (p.module.clone(), p.title.clone())).collect();
    for page in &pages {
        // Converted once, rendered twice.
        let value = minijinja::Value::from_serialize(page);
        let md = render(env, "docs/document.md.j2", minijinja::context! { page => value.clone(), crate_name })?;
        let html = render(env, "docs/document.html.j2", minijinja::context! { page => value, crate_name, nav })?;
        out.insert(PathBuf::from(format!("docs/{}.md", page.module)), md);
        out.insert(PathBuf::from(format!("docs/{}.html", page.module)), html);
        index.push(IndexEntry {
            module: page.module.clone(),
            title: page.title.clone(),
            version: page.version.clone(),
            description: page.description.clone(),
            messages: page.messages.len(),
            channels: page.channels.len(),
        });
    }
    out.insert(PathBuf::from("docs/index.html"), render(env, "docs/index.html.j2", minijinja::context! { documents => index, crate_name })?);
    Ok(out)
}
