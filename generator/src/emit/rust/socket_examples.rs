//! The `mock-server` and `tail` examples of a crate with WebSocket documents.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::socket::{address, endpoints, union, Endpoint};
use super::values::{literal, Paths};
use crate::ir::{Ir, IrDocument, Ty};
use crate::mock::order::{order, Candidate};

/// The server's outgoing examples, each a function building it as a value of the outgoing union.
struct Script {
    /// `(message, example index, function)` of every example that fits its type.
    built: Vec<(usize, usize, syn::Ident)>,
    /// The functions called in the order the mock plays them (`x-mock` included, see
    /// [`crate::mock::order`]).
    played: Vec<syn::Ident>,
    functions: Vec<TokenStream>,
    /// Examples that do not fit their types.
    left_out: Vec<String>,
}

impl Script {
    /// The function building a message's example, if it has one that fits.
    fn function(&self, message: usize, example: usize) -> Option<&syn::Ident> {
        self.built.iter().find(|(m, i, _)| *m == message && *i == example).map(|(_, _, f)| f)
    }
}

fn script(e: &Endpoint<'_>, paths: &Paths) -> Script {
    let mut script = Script { built: Vec::new(), played: Vec::new(), functions: Vec::new(), left_out: Vec::new() };
    let (Some(outgoing), Some((name, u))) = (e.outgoing, union(e.doc, e.outgoing)) else { return script };
    let union_ty = &paths.types;
    let union_name = format_ident!("{}", name);
    let messages: Vec<usize> = u.variants.iter().filter_map(|v| e.doc.messages.iter().position(|m| m.rust == v.rust)).collect();
    let mut names = crate::ir::naming::Scope::with_reserved(&["script", "api"]);
    // Per message, the examples that fit: (example index, function).
    let mut fitting: Vec<Vec<(usize, syn::Ident)>> = vec![Vec::new(); messages.len()];
    for (k, &mi) in messages.iter().enumerate() {
        let m = &e.doc.messages[mi];
        for (i, ex) in m.examples.iter().enumerate() {
            let Some(payload) = &ex.payload else { continue };
            let label = ex.name.clone().unwrap_or_else(|| (i + 1).to_string());
            let Some(value) = literal(e.doc, &Ty::Named(outgoing), false, payload, paths) else {
                script.left_out.push(format!("`{}` example {label}", m.key));
                continue;
            };
            let wanted = if i == 0 { m.rust.clone() } else { format!("{} {label}", m.rust) };
            let f = format_ident!("{}", names.claim(&crate::ir::naming::field_name(&wanted)));
            let note = format!(" Example `{label}` of message `{}`.", m.key);
            script.functions.push(quote! {
                #[doc = #note]
                fn #f() -> #union_ty #union_name {
                    #value
                }
            });
            script.built.push((mi, i, f.clone()));
            fitting[k].push((i, f));
        }
    }
    let unscripted = crate::spec::MockScript::default();
    let candidates = |scripted: bool| -> Vec<Candidate<'_>> {
        messages
            .iter()
            .zip(&fitting)
            .map(|(&mi, built)| {
                let m = &e.doc.messages[mi];
                let values = built.iter().map(|(i, _)| m.examples[*i].mock.as_ref().filter(|_| scripted).map(|(s, at)| (s, at))).collect();
                Candidate { key: &m.key, script: if scripted { &m.mock } else { &unscripted }, loc: m.loc.child("x-mock"), values, generated: false }
            })
            .collect()
    };
    // An `x-mock` that cannot be placed is `mock`'s located error; the example plays unscripted.
    let steps = order(&candidates(true)).or_else(|_| order(&candidates(false))).unwrap_or_default();
    script.played = steps.iter().map(|s| fitting[s.candidate][s.value].1.clone()).collect();
    script
}

fn path(doc: &IrDocument, e: &Endpoint<'_>, crate_ident: &syn::Ident, side: &str) -> TokenStream {
    let module = format_ident!("{}", doc.module);
    let side = format_ident!("{}", side);
    match &e.module {
        Some(m) => quote!(#crate_ident::#module::#side::#m),
        None => quote!(#crate_ident::#module::#side),
    }
}

fn mock(e: &Endpoint<'_>, index: usize, crate_ident: &syn::Ident) -> TokenStream {
    let doc = e.doc;
    let server = path(doc, e, crate_ident, "server");
    let module = format_ident!("{}", doc.module);
    let mock = format_ident!("mock_{}", index);
    let api = format_ident!("api");
    let paths = Paths::from_example(crate_ident, &api);
    let prefix = &paths.types;
    let script = script(e, &paths);
    let outgoing = union(doc, e.outgoing).map(|(n, _)| format_ident!("{}", n));
    let token_param = e.required_query.first().cloned();
    let auth_check = match &token_param {
        Some(name) => quote!(credentials.get(#name) == ::std::option::Option::Some(self.token.as_str())),
        // No credentials in the spec: every client is accepted.
        None => quote!({
            let _ = (credentials, &self.token);
            true
        }),
    };
    let play = outgoing.as_ref().map(|_| {
        quote! {
            let session = session.clone();
            let interval = self.interval;
            ::tokio::spawn(async move {
                for message in script() {
                    ::tokio::time::sleep(interval).await;
                    if session.send(message).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let handlers = union(doc, e.incoming).map(|(_, u)| {
        let items = u.variants.iter().zip(&e.handlers).map(|(v, handler)| {
            let method = format_ident!("{}", handler.method);
            let t = super::models::ty_path(doc, &v.ty, v.boxed, &quote!(api::));
            let reply = handler.replies.first().and_then(|r| script.function(*r, 0));
            let body = match reply {
                Some(reply) => quote! {
                    let _ = session.send(#reply());
                },
                None => quote!(let _ = session;),
            };
            quote! {
                fn #method(&self, session: &Session, message: #t) -> impl ::std::future::Future<Output = ::std::result::Result<(), HandlerError>> + Send {
                    println!("session {}: {:?}", session.id(), message);
                    #body
                    async { ::std::result::Result::Ok(()) }
                }
            }
        });
        quote!(#(#items)*)
    });
    let script_fn = outgoing.as_ref().map(|o| {
        let note = if script.left_out.is_empty() {
            String::from(" The server's examples, in the order the mock plays them.")
        } else {
            format!(" The server's examples, in the order the mock plays them. Left out, as they do not fit their types: {}.", script.left_out.join(", "))
        };
        let calls = script.played.iter().map(|f| quote!(#f()));
        let functions = &script.functions;
        quote! {
            #[doc = #note]
            fn script() -> ::std::vec::Vec<#prefix #o> {
                ::std::vec::Vec::from([#(#calls),*])
            }
            #(#functions)*
        }
    });
    let addr = address(e);
    let handler_error = handlers.is_some().then(|| quote!(HandlerError,));
    quote! {
        mod #mock {
            use #crate_ident::#module as api;
            use #server::{AuthError, Credentials, Handler, #handler_error Session};

            const ADDRESS: &str = #addr;

            #script_fn

            pub struct Mock {
                pub token: ::std::string::String,
                pub interval: ::std::time::Duration,
            }

            impl Handler for Mock {
                type Auth = ();
                fn authenticate(&self, credentials: &Credentials) -> impl ::std::future::Future<Output = ::std::result::Result<(), AuthError>> + Send {
                    let ok = #auth_check;
                    async move {
                        if ok { ::std::result::Result::Ok(()) } else { ::std::result::Result::Err(AuthError::new("invalid or missing token")) }
                    }
                }
                fn on_connect(&self, session: &Session, _auth: ()) -> impl ::std::future::Future<Output = ()> + Send {
                    println!("session {} connected to {}", session.id(), ADDRESS);
                    #play
                    async {}
                }
                #handlers
            }
        }
    }
}

fn tail(e: &Endpoint<'_>, index: usize, crate_ident: &syn::Ident) -> TokenStream {
    let client = path(e.doc, e, crate_ident, "client");
    let f = format_ident!("tail_{}", index);
    let token = e.required_query.first().cloned().unwrap_or_else(|| String::from("token"));
    quote! {
        async fn #f(url: &str, token: &str) -> ::std::result::Result<(), ::std::string::String> {
            let credentials = #client::Credentials::new().with(#token, token);
            let (_client, mut events) = #client::connect(url, &credentials).await.map_err(|e| e.to_string())?;
            use ::std::io::Write;
            let mut out = ::std::io::stdout();
            while let ::std::option::Option::Some(event) = events.next().await {
                let written = match event {
                    ::std::result::Result::Ok(message) => writeln!(out, "{message:?}"),
                    ::std::result::Result::Err(e) => writeln!(out, "error: {e}"),
                };
                // Stop quietly when the reader of our output has gone (`tail | head`).
                if written.and_then(|()| out.flush()).is_err() {
                    break;
                }
            }
            ::std::result::Result::Ok(())
        }
    }
}

/// `examples/mock-server.rs` and `examples/tail.rs`, when the crate has sockets.
pub fn emit(ir: &Ir, crate_name: &str) -> Option<(TokenStream, TokenStream)> {
    let crate_ident = format_ident!("{}", crate_name.replace('-', "_"));
    let eps: Vec<Endpoint<'_>> = ir.documents.iter().flat_map(endpoints).collect();
    if eps.is_empty() {
        return None;
    }
    let mocks = eps.iter().enumerate().map(|(i, e)| mock(e, i, &crate_ident));
    let routers = eps.iter().enumerate().map(|(i, e)| {
        let server = path(e.doc, e, &crate_ident, "server");
        let m = format_ident!("mock_{}", i);
        quote!(.merge(#server::router(::std::sync::Arc::new(#m::Mock { token: token.clone(), interval }), config.clone(), shutdown.clone())))
    });
    let addresses: Vec<String> = eps.iter().map(address).collect();
    let first_address = addresses[0].clone();
    let first_server = path(eps[0].doc, &eps[0], &crate_ident, "server");
    let mock_server = quote! {
        //! Mock server: serves every socket of the spec on one port, plays each session a script
        //! made of the spec's message examples, and answers commands as the operations' replies say.
        //!
        //! `cargo run --all-features --example mock-server -- [--listen 127.0.0.1:8080] [--token TOKEN] [--interval-ms 200]`
        #(#mocks)*

        fn flag(args: &[::std::string::String], name: &str) -> ::std::option::Option<::std::string::String> {
            args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
        }

        #[::tokio::main]
        async fn main() {
            let args: ::std::vec::Vec<::std::string::String> = ::std::env::args().collect();
            let listen = flag(&args, "--listen").unwrap_or_else(|| "127.0.0.1:8080".into());
            let token = flag(&args, "--token").unwrap_or_else(|| "demo-token".into());
            let interval = ::std::time::Duration::from_millis(flag(&args, "--interval-ms").and_then(|v| v.parse().ok()).unwrap_or(200));
            let config = #first_server::ServerConfig::default();
            let shutdown = #first_server::Shutdown::new();
            let router = #first_server::Router::new() #(#routers)*;
            let listener = match ::tokio::net::TcpListener::bind(&listen).await {
                ::std::result::Result::Ok(l) => l,
                ::std::result::Result::Err(e) => {
                    eprintln!("mock-server: cannot listen on {listen}: {e}");
                    ::std::process::exit(2);
                }
            };
            println!("mock-server listening on {} (token {token}); sockets: {}", listen, [#(#addresses),*].join(", "));
            let stop = shutdown.clone();
            ::tokio::spawn(async move {
                let _ = ::tokio::signal::ctrl_c().await;
                stop.trigger();
            });
            if let ::std::result::Result::Err(e) = #first_server::serve(listener, router, shutdown).await {
                eprintln!("mock-server: {e}");
                ::std::process::exit(1);
            }
        }
    };
    let tails = eps.iter().enumerate().map(|(i, e)| tail(e, i, &crate_ident));
    let dispatch = eps.iter().enumerate().map(|(i, e)| {
        let f = format_ident!("tail_{}", i);
        let addr = address(e);
        quote!(if path == #addr { return #f(&url, &token).await; })
    });
    let tail = quote! {
        //! Connects to a socket of the spec and prints the typed events.
        //!
        //! `cargo run --all-features --example tail -- --url ws://127.0.0.1:8080/PATH [--token TOKEN]`
        #(#tails)*

        fn flag(args: &[::std::string::String], name: &str) -> ::std::option::Option<::std::string::String> {
            args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
        }

        async fn run(url: ::std::string::String, token: ::std::string::String) -> ::std::result::Result<(), ::std::string::String> {
            let path = url.splitn(4, '/').nth(3).map(|p| ::std::format!("/{}", p.split('?').next().unwrap_or_default())).unwrap_or_default();
            #(#dispatch)*
            ::std::result::Result::Err(::std::format!("no socket of the spec at path `{path}`; known: {}", [#(#addresses),*].join(", ")))
        }

        #[::tokio::main]
        async fn main() {
            let args: ::std::vec::Vec<::std::string::String> = ::std::env::args().collect();
            let url = flag(&args, "--url").unwrap_or_else(|| ::std::format!("ws://127.0.0.1:8080{}", #first_address));
            let token = flag(&args, "--token").unwrap_or_else(|| "demo-token".into());
            if let ::std::result::Result::Err(e) = run(url, token).await {
                eprintln!("tail: {e}");
                ::std::process::exit(1);
            }
        }
    };
    Some((mock_server, tail))
}
