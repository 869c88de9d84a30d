//! Passes over the finished type graph: boxing recursive edges and computing derivable traits.

use std::collections::HashMap;

use super::types::*;

/// Direct containment edges (not through Vec or Map), the ones that make a type infinitely sized.
fn direct_edges(def: &TypeDef) -> Vec<TypeId> {
    match &def.kind {
        Kind::Struct(s) => s.fields.iter().filter_map(|f| f.ty.direct_named()).collect(),
        Kind::Union(u) => u.variants.iter().filter_map(|v| v.ty.direct_named()).collect(),
        Kind::Alias(t) => t.direct_named().into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Strongly connected components (Tarjan), as a component index per type.
fn components(types: &[TypeDef]) -> Vec<usize> {
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        comp: Vec<usize>,
        next: usize,
        comps: usize,
    }
    fn visit(v: usize, edges: &[Vec<TypeId>], st: &mut State) {
        st.index[v] = Some(st.next);
        st.low[v] = st.next;
        st.next += 1;
        st.stack.push(v);
        st.on_stack[v] = true;
        for w in &edges[v] {
            let w = w.0;
            match st.index[w] {
                None => {
                    visit(w, edges, st);
                    st.low[v] = st.low[v].min(st.low[w]);
                }
                Some(iw) if st.on_stack[w] => st.low[v] = st.low[v].min(iw),
                _ => {}
            }
        }
        if Some(st.low[v]) == st.index[v] {
            while let Some(w) = st.stack.pop() {
                st.on_stack[w] = false;
                st.comp[w] = st.comps;
                if w == v {
                    break;
                }
            }
            st.comps += 1;
        }
    }
    let edges: Vec<Vec<TypeId>> = types.iter().map(direct_edges).collect();
    let n = types.len();
    let mut st = State {
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        comp: vec![0; n],
        next: 0,
        comps: 0,
    };
    for v in 0..n {
        if st.index[v].is_none() {
            visit(v, &edges, &mut st);
        }
    }
    st.comp
}

/// Boxes every direct edge that stays inside a cycle.
pub fn box_recursion(types: &mut [TypeDef]) {
    let comp = components(types);
    for i in 0..types.len() {
        let own = comp[i];
        match &mut types[i].kind {
            Kind::Struct(s) => {
                for f in &mut s.fields {
                    f.boxed = f.ty.direct_named().is_some_and(|t| comp[t.0] == own);
                }
            }
            Kind::Union(u) => {
                for v in &mut u.variants {
                    v.boxed = v.ty.direct_named().is_some_and(|t| comp[t.0] == own);
                }
            }
            _ => {}
        }
    }
}

/// Which of `Eq`, `Hash` and `Default` a type can derive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Derives {
    pub eq: bool,
    pub hash: bool,
    /// A struct whose default value is valid: every field is optional, nullable, or of a type
    /// with a valid default itself (a `const`, such a struct). `Default` fills const tags in.
    pub default: bool,
}

fn ty_allows(ty: &Ty, types: &HashMap<TypeId, Derives>, hash: bool) -> bool {
    match ty {
        Ty::F32 | Ty::F64 => false,
        Ty::Any => !hash,
        Ty::Named(id) => {
            let d = types[id];
            if hash {
                d.hash
            } else {
                d.eq
            }
        }
        Ty::Vec(t) | Ty::Map(t) | Ty::Nullable(t) => ty_allows(t, types, hash),
        Ty::Tuple(items) => items.iter().all(|t| ty_allows(t, types, hash)),
        _ => true,
    }
}

/// Whether a required field of type `ty` has a valid default value.
fn ty_defaults(ty: &Ty, types: &HashMap<TypeId, Derives>) -> bool {
    match ty {
        Ty::Named(id) => types[id].default,
        Ty::Nullable(_) => true,
        _ => false,
    }
}

/// Greatest fixpoint: start from "everything derives" and remove what a member forbids.
pub fn derives(types: &[TypeDef]) -> Vec<Derives> {
    let mut d: HashMap<TypeId, Derives> = types
        .iter()
        .enumerate()
        .map(|(i, def)| {
            let default = matches!(def.kind, Kind::Struct(_) | Kind::Const { .. } | Kind::Alias(_));
            (TypeId(i), Derives { eq: true, hash: true, default })
        })
        .collect();
    loop {
        let mut changed = false;
        for (i, def) in types.iter().enumerate() {
            let members: Vec<&Ty> = match &def.kind {
                Kind::Struct(s) => {
                    let mut m: Vec<&Ty> = s.fields.iter().map(|f| &f.ty).collect();
                    if let Extra::Keep { value, .. } = &s.extra {
                        m.push(value);
                    }
                    m
                }
                Kind::Union(u) => u.variants.iter().map(|v| &v.ty).collect(),
                Kind::Alias(t) => vec![t],
                _ => Vec::new(),
            };
            let has_map = matches!(&def.kind, Kind::Struct(s) if matches!(s.extra, Extra::Keep { .. }));
            let const_non_string = matches!(&def.kind, Kind::Const { value } if !value.is_string());
            let default = match &def.kind {
                Kind::Struct(s) => s.fields.iter().all(|f| !f.required || f.nullable || ty_defaults(&f.ty, &d)),
                Kind::Alias(t) => ty_defaults(t, &d),
                Kind::Const { .. } => true,
                _ => false,
            };
            let new = Derives {
                eq: !const_non_string && members.iter().all(|t| ty_allows(t, &d, false)),
                hash: !has_map && !const_non_string && members.iter().all(|t| ty_allows(t, &d, true)),
                default,
            };
            let old = d[&TypeId(i)];
            let merged = Derives { eq: old.eq && new.eq, hash: old.hash && new.hash && new.eq, default: old.default && new.default };
            if merged != old {
                d.insert(TypeId(i), merged);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    (0..types.len()).map(|i| d[&TypeId(i)]).collect()
}
