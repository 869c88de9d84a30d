//! Examples are read by people: absolute `::std::…` paths, which generated library code needs
//! to stay clear of user names, become the prelude names (`Result`, `Some`, `String`, `format!`)
//! and `use std::…;` imports, module by module, wherever no name of the file is in the way.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Span;
use syn::visit_mut::{self, VisitMut};
use syn::{Item, Path, PathSegment, UseTree};

/// `std` paths that are in the prelude, and the name they are known by there.
const PRELUDE: &[(&str, &str)] = &[
    ("std::result::Result", "Result"),
    ("std::result::Result::Ok", "Ok"),
    ("std::result::Result::Err", "Err"),
    ("std::option::Option", "Option"),
    ("std::option::Option::Some", "Some"),
    ("std::option::Option::None", "None"),
    ("std::string::String", "String"),
    ("std::string::ToString", "ToString"),
    ("std::vec::Vec", "Vec"),
    ("std::boxed::Box", "Box"),
    ("std::default::Default", "Default"),
    ("std::convert::Into", "Into"),
    ("std::convert::From", "From"),
    ("std::clone::Clone", "Clone"),
    ("std::iter::Iterator", "Iterator"),
];

/// Macros of the prelude, called as `::std::name!`.
const PRELUDE_MACROS: &[&str] = &["format", "vec", "println", "eprintln", "print", "eprint", "write", "writeln", "panic", "assert", "assert_eq"];

/// Rewrites a file's `::std` paths as a person would write them.
pub(crate) fn simplify(file: &mut syn::File) {
    simplify_items(&mut file.items);
}

fn simplify_items(items: &mut Vec<Item>) {
    for item in items.iter_mut() {
        if let Item::Mod(m) = item {
            if let Some((_, inner)) = &mut m.content {
                simplify_items(inner);
            }
        }
    }
    let mut scope = Scope { taken: defined_names(items), ..Scope::default() };
    // First the imports this scope would want, then the rewrite with the ones that are free.
    for item in items.iter_mut().filter(|i| !matches!(i, Item::Mod(_))) {
        scope.visit_item_mut(item);
    }
    scope.decide();
    for item in items.iter_mut().filter(|i| !matches!(i, Item::Mod(_))) {
        scope.visit_item_mut(item);
    }
    let paths: BTreeSet<&String> = scope.imports.values().flatten().collect();
    let imports: Vec<Item> = paths.into_iter().map(|full| syn::parse_str::<Item>(&format!("use {full};")).expect("a std path parses")).collect();
    // After the file's inner attributes and docs (they are not items), before everything else.
    items.splice(0..0, imports);
}

/// The names items of this scope define or import: a `use std::…` must not shadow them.
fn defined_names(items: &[Item]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for item in items {
        let ident = match item {
            Item::Fn(f) => Some(&f.sig.ident),
            Item::Struct(s) => Some(&s.ident),
            Item::Enum(e) => Some(&e.ident),
            Item::Const(c) => Some(&c.ident),
            Item::Static(s) => Some(&s.ident),
            Item::Mod(m) => Some(&m.ident),
            Item::Type(t) => Some(&t.ident),
            Item::Trait(t) => Some(&t.ident),
            Item::Use(u) => {
                use_names(&u.tree, &mut out);
                None
            }
            _ => None,
        };
        out.extend(ident.map(ToString::to_string));
    }
    out
}

fn use_names(tree: &UseTree, out: &mut BTreeSet<String>) {
    match tree {
        UseTree::Path(p) => use_names(&p.tree, out),
        UseTree::Name(n) => {
            out.insert(n.ident.to_string());
        }
        UseTree::Rename(r) => {
            out.insert(r.rename.to_string());
        }
        UseTree::Glob(_) => {
            // Anything could come in: no `use std::…` is safe beside a glob.
            out.insert(String::from("*"));
        }
        UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
    }
}

#[derive(Default)]
struct Scope {
    taken: BTreeSet<String>,
    /// Imported name → the full path (`None` when two paths want the name, or it is taken).
    imports: BTreeMap<String, Option<String>>,
    rewriting: bool,
}

impl Scope {
    fn decide(&mut self) {
        let glob = self.taken.contains("*");
        for (name, full) in self.imports.iter_mut() {
            if glob || self.taken.contains(name) {
                *full = None;
            }
        }
        self.rewriting = true;
    }

    /// How a `std` path's segments split: the part to import and the name it is then known by.
    fn import_split(segments: &[String]) -> Option<usize> {
        // Up to the first type, trait or constant (`std::time::Duration`), else the module of a
        // function (`std::env` for `std::env::args`).
        match segments.iter().position(|s| s.starts_with(|c: char| c.is_ascii_uppercase())) {
            Some(k) => Some(k),
            None if segments.len() >= 3 => Some(segments.len() - 2),
            None => None,
        }
    }

    fn rewrite(&mut self, path: &mut Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if names.first().map(String::as_str) != Some("std") {
            return;
        }
        let joined = names.join("::");
        let prelude = PRELUDE.iter().filter(|(full, _)| joined == *full || joined.starts_with(&format!("{full}::"))).max_by_key(|(full, _)| full.len());
        if let Some((full, short)) = prelude {
            let rest = full.split("::").count();
            if self.rewriting {
                replace_prefix(path, rest, short);
            }
            return;
        }
        let Some(k) = Self::import_split(&names) else { return };
        let full = names[..=k].join("::");
        let name = names[k].clone();
        // `std::fmt::Result` and the like would hide the prelude's name.
        if PRELUDE.iter().any(|(_, short)| *short == name) {
            return;
        }
        if !self.rewriting {
            let entry = self.imports.entry(name).or_insert_with(|| Some(full.clone()));
            if entry.as_deref() != Some(full.as_str()) {
                *entry = None;
            }
            return;
        }
        if self.imports.get(&name).is_some_and(|f| f.as_deref() == Some(full.as_str())) {
            replace_prefix(path, k + 1, &name);
        }
    }
}

/// Replaces the path's first `count` segments with one segment `name`, relative.
fn replace_prefix(path: &mut Path, count: usize, name: &str) {
    let mut segments = std::mem::take(&mut path.segments).into_iter();
    let replaced = segments.by_ref().take(count).last();
    let mut first = PathSegment::from(syn::Ident::new(name, Span::call_site()));
    first.arguments = replaced.map(|s| s.arguments).unwrap_or_default();
    path.leading_colon = None;
    path.segments = std::iter::once(first).chain(segments).collect();
}

/// Leaves a qualified path (`<T as ::std::default::Default>::default`) as it is: its segment
/// count is tied to the `as` position. Only the type inside is visited.
fn qualified(scope: &mut Scope, qself: &mut Option<syn::QSelf>) -> bool {
    match qself {
        Some(q) => {
            scope.visit_type_mut(&mut q.ty);
            true
        }
        None => false,
    }
}

impl VisitMut for Scope {
    fn visit_expr_path_mut(&mut self, e: &mut syn::ExprPath) {
        if !qualified(self, &mut e.qself) {
            visit_mut::visit_expr_path_mut(self, e);
        }
    }

    fn visit_type_path_mut(&mut self, t: &mut syn::TypePath) {
        if !qualified(self, &mut t.qself) {
            visit_mut::visit_type_path_mut(self, t);
        }
    }

    fn visit_path_mut(&mut self, path: &mut Path) {
        if path.leading_colon.is_some() {
            self.rewrite(path);
        }
        visit_mut::visit_path_mut(self, path);
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        let names: Vec<String> = mac.path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let [std, name] = names.as_slice() {
            if mac.path.leading_colon.is_some() && std == "std" && PRELUDE_MACROS.contains(&name.as_str()) {
                if self.rewriting {
                    replace_prefix(&mut mac.path, 2, name);
                }
                return;
            }
        }
        visit_mut::visit_macro_mut(self, mac);
    }

    fn visit_item_use_mut(&mut self, u: &mut syn::ItemUse) {
        // `use ::std::io::Write;` → `use std::io::Write;`
        if self.rewriting && matches!(&u.tree, UseTree::Path(p) if p.ident == "std") {
            u.leading_colon = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simplified(code: &str) -> String {
        let mut file: syn::File = syn::parse_str(code).expect("parses");
        simplify(&mut file);
        prettyplease::unparse(&file)
    }

    #[test]
    fn prelude_paths_become_prelude_names_and_others_imports() {
        let out = simplified(
            "fn run(args: ::std::vec::Vec<::std::string::String>) -> ::std::result::Result<(), ::std::string::String> {
                let d = ::std::time::Duration::from_millis(5);
                let _ = ::std::env::args();
                use ::std::io::Write;
                if args.is_empty() { return ::std::result::Result::Err(::std::format!(\"none after {d:?}\")); }
                ::std::result::Result::Ok(())
            }",
        );
        assert!(out.starts_with("use std::env;\nuse std::time::Duration;\n"), "{out}");
        assert!(out.contains("fn run(args: Vec<String>) -> Result<(), String>"), "{out}");
        assert!(out.contains("Duration::from_millis(5)") && out.contains("env::args()") && out.contains("use std::io::Write;"), "{out}");
        assert!(out.contains("return Err(format!(") && out.contains("Ok(())"), "{out}");
        assert!(!out.contains("::std"), "{out}");
    }

    #[test]
    fn names_the_file_uses_keep_their_full_paths() {
        let out = simplified(
            "struct Duration;
            fn f() -> ::std::time::Duration { ::std::time::Duration::from_secs(1) }
            fn g() -> ::std::fmt::Result { let _: ::std::io::Result<()> = ::std::result::Result::Ok(()); ::std::result::Result::Ok(()) }
            mod inner { use super::*; fn h() -> ::std::sync::Arc<u8> { ::std::sync::Arc::new(1) } }
            fn q() -> u8 { <u8 as ::std::default::Default>::default() }",
        );
        // A local `Duration`: the std one stays qualified. Two `Result`s of other modules: both stay.
        assert!(out.contains("fn f() -> ::std::time::Duration"), "{out}");
        assert!(out.contains("fn g() -> ::std::fmt::Result") && out.contains("::std::io::Result<()>"), "{out}");
        // Beside a glob import nothing is imported, but prelude names are still safe.
        assert!(out.contains("fn h() -> ::std::sync::Arc<u8>"), "{out}");
        assert!(out.contains("= Ok(())"), "{out}");
        // A qualified path keeps its segments (their count is tied to the `as`).
        assert!(out.contains("<u8 as ::std::default::Default>::default()"), "{out}");
    }
}
