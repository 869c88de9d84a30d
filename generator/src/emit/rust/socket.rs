//! WebSocket servers and clients per document: handler traits, typed sessions, routes,
//! typed clients. The shared machinery is in the runtime crate (`asyncapi-runtime`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::models::ty_path;
use crate::ir::sockets::Socket;
use crate::ir::{FieldRepr, IrDocument, IrMessage, Kind, Tagging, Ty, TypeId, Union};

/// A socket of a document, with the identifiers the emitters print.
pub struct Endpoint<'a> {
    pub doc: &'a IrDocument,
    pub socket: &'a Socket,
    /// Submodule when the document has several sockets.
    pub module: Option<syn::Ident>,
}

impl std::ops::Deref for Endpoint<'_> {
    type Target = Socket;
    fn deref(&self) -> &Socket {
        self.socket
    }
}

/// The socket endpoints of a document (none when it has no `ws`/`wss` server).
pub fn endpoints(doc: &IrDocument) -> Vec<Endpoint<'_>> {
    doc.sockets.iter().map(|socket| Endpoint { doc, socket, module: socket.module.as_ref().map(|m| format_ident!("{}", m)) }).collect()
}

pub fn union(doc: &IrDocument, id: Option<TypeId>) -> Option<(&str, &Union)> {
    let def = &doc.types[id?.0];
    match &def.kind {
        Kind::Union(u) => Some((def.name.as_str(), u)),
        _ => None,
    }
}

pub fn message<'a>(doc: &'a IrDocument, rust: &str) -> Option<&'a IrMessage> {
    doc.messages.iter().find(|m| m.rust == rust)
}

/// How to build the outgoing union's variant from a send method's argument.
fn wrap(v: &crate::ir::UnionVariant, union_name: &syn::Ident, sup: &TokenStream) -> TokenStream {
    let variant = format_ident!("{}", v.rust);
    if v.boxed {
        quote!(#sup #union_name::#variant(::std::boxed::Box::new(message)))
    } else {
        quote!(#sup #union_name::#variant(message))
    }
}

/// The reply a handler error is answered with: the spec's error message, reason filled in.
fn error_constructor(e: &Endpoint<'_>, sup: &TokenStream) -> TokenStream {
    let doc = e.doc;
    let (Some(reply), Some((name, u))) = (&e.error_reply, union(doc, e.outgoing)) else { return quote!(::std::option::Option::None) };
    let union_ident = format_ident!("{}", name);
    let v = &u.variants[reply.variant];
    let Ty::Named(id) = &v.ty else { return quote!(::std::option::Option::None) };
    let def = &doc.types[id.0];
    let Kind::Struct(st) = &def.kind else { return quote!(::std::option::Option::None) };
    let struct_ident = format_ident!("{}", def.name);
    let inits = st.fields.iter().enumerate().map(|(i, f)| {
        let ident = format_ident!("{}", f.rust);
        if i == reply.field {
            match f.repr() {
                FieldRepr::Plain => quote!(#ident: reason.to_string(),),
                FieldRepr::RequiredNullable | FieldRepr::Optional => quote!(#ident: ::std::option::Option::Some(reason.to_string()),),
                FieldRepr::TriState => quote!(#ident: crate::rt::Nullable::Value(reason.to_string()),),
            }
        } else {
            quote!(#ident: ::std::default::Default::default(),)
        }
    });
    let extra = super::models::empty_extra(st);
    let value = quote!(#sup #struct_ident { #(#inits)* #extra });
    let message = if v.boxed { quote!(::std::boxed::Box::new(#value)) } else { value };
    let variant = format_ident!("{}", v.rust);
    quote! {
        ::serde_json::to_string(&#sup #union_ident::#variant(#message)).ok()
    }
}

pub fn address(e: &Endpoint<'_>) -> String {
    e.address.clone()
}

/// The `server` module items of one endpoint.
fn server_items(e: &Endpoint<'_>, sup: &TokenStream) -> TokenStream {
    let doc = e.doc;
    let address = address(e);
    let required = &e.required_query;
    let optional = &e.optional_query;
    let (incoming_name, incoming) = match union(doc, e.incoming) {
        Some((n, u)) => (Some(format_ident!("{}", n)), Some(u)),
        None => (None, None),
    };
    let methods: Vec<syn::Ident> = e.handlers.iter().map(|h| format_ident!("{}", h.method)).collect();
    let method_decls = incoming.into_iter().flat_map(|u| u.variants.iter().zip(&methods)).map(|(v, method)| {
        let t = ty_path(doc, &v.ty, v.boxed, sup);
        let what = message(doc, &v.rust).map(|m| m.key.clone()).unwrap_or_default();
        let note = format!(" Handles message `{what}`. An `Err` is answered on the error channel (or with a close) and logged.");
        quote! {
            #[doc = #note]
            fn #method(&self, session: &Session, message: #t) -> impl ::std::future::Future<Output = ::std::result::Result<(), HandlerError>> + Send;
        }
    });
    let dispatch = match (&incoming_name, incoming) {
        (Some(name), Some(u)) => {
            let arms = u.variants.iter().zip(&methods).map(|(v, method)| {
                let variant = format_ident!("{}", v.rust);
                quote!(#sup #name::#variant(message) => self.handler.#method(&session, message).await,)
            });
            quote! {
                let message: #sup #name = ::serde_json::from_str(text).map_err(|e| HandlerError::new(::std::format!("invalid message: {e}")))?;
                let session = Session { handle: handle.clone() };
                match message { #(#arms)* }
            }
        }
        _ => quote! {
            let _ = (handle, text);
            ::std::result::Result::Err(HandlerError::new("this socket accepts no messages from clients"))
        },
    };
    let (send_all, send_methods) = match union(doc, e.outgoing) {
        Some((name, u)) => {
            let name = format_ident!("{}", name);
            let methods = u.variants.iter().zip(&e.session_sends).map(|(v, method)| {
                let method = format_ident!("{}", method);
                let t = ty_path(doc, &v.ty, false, sup);
                let wrapped = wrap(v, &name, sup);
                let note = format!(" Queues a `{}` message.", message(doc, &v.rust).map(|m| m.key.as_str()).unwrap_or_default());
                quote! {
                    #[doc = #note]
                    pub fn #method(&self, message: #t) -> ::std::result::Result<(), SendError> {
                        self.send(#wrapped)
                    }
                }
            });
            (
                quote! {
                    /// Queues any message the server sends on this socket. A full queue fails at once
                    /// and closes the session (see [`SendError::QueueFull`]).
                    pub fn send(&self, message: #sup #name) -> ::std::result::Result<(), SendError> {
                        self.handle.send_json(&message)
                    }
                    /// Queues a message, waiting while the queue is full (backpressure).
                    pub async fn send_wait(&self, message: #sup #name) -> ::std::result::Result<(), SendError> {
                        self.handle.send_json_wait(&message).await
                    }
                    /// Encodes a message once, to push it to many sessions with [`Session::send_frame`].
                    pub fn encode(message: &#sup #name) -> ::std::result::Result<Frame, SendError> {
                        ::std::result::Result::Ok(Frame::json(message)?)
                    }
                    /// Queues a message encoded with [`Session::encode`].
                    pub fn send_frame(&self, frame: &Frame) -> ::std::result::Result<(), SendError> {
                        self.handle.send_frame(frame)
                    }
                    /// Queues a message encoded with [`Session::encode`], waiting while the queue is full.
                    pub async fn send_frame_wait(&self, frame: &Frame) -> ::std::result::Result<(), SendError> {
                        self.handle.send_frame_wait(frame).await
                    }
                },
                quote!(#(#methods)*),
            )
        }
        None => (quote!(), quote!()),
    };
    let error = error_constructor(e, sup);
    quote! {
        use ::std::sync::Arc;

        use crate::rt::server::SessionHandle;
        pub use crate::rt::server::{serve, Frame, HandlerError, Router, SendError, ServerConfig, Shutdown};
        pub use crate::rt::{AuthError, CloseCode, Credentials};

        /// Where the socket is mounted: the channel address.
        pub const ADDRESS: &str = #address;
        /// Query parameters the handshake must carry (checked before the upgrade: 401 when missing).
        pub const REQUIRED_QUERY: &[&str] = &[#(#required),*];
        /// Query parameters the handshake may carry.
        pub const OPTIONAL_QUERY: &[&str] = &[#(#optional),*];

        /// What the application implements. Regeneration never touches it.
        ///
        /// Messages of one session are handled one at a time, in order; what is pushed to that
        /// session meanwhile waits in its queue. Spawn a task for long work.
        pub trait Handler: Send + Sync + 'static {
            /// What `authenticate` learns about the client, handed to `on_connect`.
            type Auth: Send + 'static;
            /// Checks the handshake's credentials before the upgrade; `Err` answers HTTP 401.
            fn authenticate(&self, credentials: &Credentials) -> impl ::std::future::Future<Output = ::std::result::Result<Self::Auth, AuthError>> + Send;
            /// A session was opened.
            fn on_connect(&self, session: &Session, auth: Self::Auth) -> impl ::std::future::Future<Output = ()> + Send {
                let _ = (session, auth);
                async {}
            }
            #(#method_decls)*
            /// A session ended.
            fn on_close(&self, session: &Session) -> impl ::std::future::Future<Output = ()> + Send {
                let _ = session;
                async {}
            }
        }

        /// One connected client. `Clone + Send`: push messages to it from any task.
        #[derive(Clone, Debug)]
        pub struct Session {
            handle: SessionHandle,
        }

        impl Session {
            /// A process-unique id.
            pub fn id(&self) -> u64 {
                self.handle.id()
            }
            /// Closes the session with `code` and `reason`, after the messages already queued.
            pub fn close(&self, code: CloseCode, reason: &str) {
                self.handle.close(code, reason)
            }
            /// Whether the session has ended.
            pub fn is_closed(&self) -> bool {
                self.handle.is_closed()
            }
            #send_all
            #send_methods
        }

        struct Dispatcher<H> {
            handler: Arc<H>,
        }

        impl<H: Handler> crate::rt::server::Protocol for Dispatcher<H> {
            type Auth = H::Auth;
            fn authenticate(&self, credentials: &Credentials) -> impl ::std::future::Future<Output = ::std::result::Result<H::Auth, AuthError>> + Send {
                self.handler.authenticate(credentials)
            }
            fn on_connect(&self, handle: &SessionHandle, auth: H::Auth) -> impl ::std::future::Future<Output = ()> + Send {
                let session = Session { handle: handle.clone() };
                async move { self.handler.on_connect(&session, auth).await }
            }
            async fn on_text(&self, handle: &SessionHandle, text: &str) -> ::std::result::Result<(), HandlerError> {
                #dispatch
            }
            fn error_message(&self, reason: &str) -> ::std::option::Option<::std::string::String> {
                let _ = reason;
                #error
            }
            fn on_close(&self, handle: &SessionHandle) -> impl ::std::future::Future<Output = ()> + Send {
                let session = Session { handle: handle.clone() };
                async move { self.handler.on_close(&session).await }
            }
        }

        /// The socket mounted at [`ADDRESS`]; merge several routers to serve several sockets on one port.
        pub fn router<H: Handler>(handler: Arc<H>, config: ServerConfig, shutdown: Shutdown) -> Router {
            crate::rt::server::route(ADDRESS, REQUIRED_QUERY, Arc::new(Dispatcher { handler }), config, shutdown)
        }
    }
}

/// The `client` module items of one endpoint.
fn client_items(e: &Endpoint<'_>, sup: &TokenStream) -> TokenStream {
    let doc = e.doc;
    let address = address(e);
    let (send_all, send_methods) = match union(doc, e.incoming) {
        Some((name, u)) => {
            let name = format_ident!("{}", name);
            let methods = u.variants.iter().zip(&e.client_sends).map(|(v, method)| {
                let method = format_ident!("{}", method);
                let t = ty_path(doc, &v.ty, false, sup);
                let wrapped = wrap(v, &name, sup);
                let note = format!(" Sends a `{}` message.", message(doc, &v.rust).map(|m| m.key.as_str()).unwrap_or_default());
                quote! {
                    #[doc = #note]
                    pub async fn #method(&self, message: #t) -> ::std::result::Result<(), ClientError> {
                        self.send(#wrapped).await
                    }
                }
            });
            (
                quote! {
                    /// Sends any message the server accepts on this socket.
                    pub async fn send(&self, message: #sup #name) -> ::std::result::Result<(), ClientError> {
                        self.connection.send_json(&message).await
                    }
                },
                quote!(#(#methods)*),
            )
        }
        None => (quote!(), quote!()),
    };
    let (incoming_ty, decode) = match union(doc, e.outgoing) {
        Some((name, u)) => {
            let name = format_ident!("{}", name);
            let tag = match &u.tagging {
                Tagging::Adjacent { tag, .. } => Some(tag.clone()),
                Tagging::Property { property } if u.variants.iter().all(|v| v.tag.is_some()) => Some(property.clone()),
                _ => None,
            };
            let body = match tag {
                // Only the tag is read first (borrowed, no tree built); a known one decodes
                // straight from the text, so errors keep their line and column.
                Some(tag) => {
                    let known: Vec<&str> = u.variants.iter().filter_map(|v| v.tag.as_deref()).collect();
                    let tag_reader = super::tag_reader(&tag);
                    quote! {
                        #tag_reader
                        const KNOWN: &[&str] = &[#(#known),*];
                        if let ::std::result::Result::Ok(Tag { tag: ::std::option::Option::Some(tag) }) = ::serde_json::from_str::<Tag<'_>>(&raw) {
                            if !KNOWN.contains(&tag.as_ref()) {
                                return ::std::result::Result::Ok(Incoming::Unknown { raw });
                            }
                        }
                        ::serde_json::from_str(&raw).map(Incoming::Message).map_err(|error| ClientError::Decode { raw, error })
                    }
                }
                None => quote!(::serde_json::from_str(&raw).map(Incoming::Message).map_err(|error| ClientError::Decode { raw, error })),
            };
            (quote!(#sup #name), body)
        }
        None => (
            quote!(::serde_json::Value),
            quote!(::serde_json::from_str(&raw).map(Incoming::Message).map_err(|error| ClientError::Decode { raw, error })),
        ),
    };
    quote! {
        pub use crate::rt::client::{Backoff, ClientConfig, ClientError};
        pub use crate::rt::{CloseCode, Credentials};

        /// The socket path from the spec: append it to the server's base URL.
        pub const ADDRESS: &str = #address;

        /// What the server pushes, as the client sees it.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Incoming {
            /// A message of this document.
            Message(#incoming_ty),
            /// A message whose topic this version of the spec does not know: a newer server.
            Unknown {
                /// The message as received.
                raw: ::std::string::String,
            },
            /// The connection dropped and was re-established (with `ClientConfig::reconnect`).
            Reconnected,
        }

        impl crate::rt::client::Incoming for Incoming {
            fn decode(raw: ::std::string::String) -> ::std::result::Result<Self, ClientError> {
                #decode
            }
            fn reconnected() -> Self {
                Incoming::Reconnected
            }
        }

        /// The typed stream of what the server sends: a `futures::Stream` of
        /// `Result<Incoming, ClientError>`, with `next().await` as a shortcut. A message that does
        /// not decode is an `Err` and the stream goes on; it ends once the connection is over.
        pub type Events = crate::rt::client::Events<Incoming>;

        /// The sending half of a connection: cheap to clone and usable from any task.
        #[derive(Clone, Debug)]
        pub struct Client {
            connection: crate::rt::client::Connection,
        }

        impl Client {
            #send_all
            #send_methods
            /// Closes the connection with 1000 (no reconnect follows).
            pub async fn close(&self) {
                self.connection.close().await
            }
        }

        /// Connects to `url` (the full socket URL, e.g. `ws://host:port` + [`ADDRESS`]).
        pub async fn connect(url: &str, credentials: &Credentials) -> ::std::result::Result<(Client, Events), ClientError> {
            connect_with(url, credentials, ClientConfig::default()).await
        }

        /// Connects with limits, pings and reconnects configured.
        pub async fn connect_with(url: &str, credentials: &Credentials, config: ClientConfig) -> ::std::result::Result<(Client, Events), ClientError> {
            let (connection, events) = crate::rt::client::connect(url, credentials, config).await?;
            ::std::result::Result::Ok((Client { connection }, events))
        }
    }
}

/// `server.rs` and `client.rs` of a document, or `None` when it has no socket.
pub fn emit(doc: &IrDocument) -> Option<(TokenStream, TokenStream)> {
    let eps = endpoints(doc);
    if eps.is_empty() {
        return None;
    }
    let nest = |e: &Endpoint<'_>, make: &dyn Fn(&Endpoint<'_>, &TokenStream) -> TokenStream| match &e.module {
        Some(m) => {
            let note = format!(" The socket at `{}`.", address(e));
            let items = make(e, &quote!(super::super::));
            quote! {
                #[doc = #note]
                pub mod #m {
                    #items
                }
            }
        }
        None => make(e, &quote!(super::)),
    };
    let server: Vec<TokenStream> = eps.iter().map(|e| nest(e, &server_items)).collect();
    let client: Vec<TokenStream> = eps.iter().map(|e| nest(e, &client_items)).collect();
    Some((
        quote! {
            //! WebSocket server for this document: implement `Handler`, mount `router`.
            #(#server)*
        },
        quote! {
            //! WebSocket client for this document: `connect`, then `Events::next` and the typed sends.
            #(#client)*
        },
    ))
}
