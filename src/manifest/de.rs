//! A serde `Deserializer` over the [`Node`] tree that remembers *where* it failed.
//!
//! serde stops at the first error. To report every error at once, [`collect`] runs the
//! raw types' own `Deserialize` impls over the tree, and each time one fails it records
//! the error with the path of the node that caused it, cuts that node out of the tree,
//! and tries again, until the rest deserializes. The raw types stay the only contract:
//! their field lists, types and `deny_unknown_fields` decide what is an error, and this
//! module only decides where to point.
//!
//! The path of the node being deserialized lives in a thread-local [`Trace`], because
//! serde creates errors through static constructors (`Error::custom`, ...) that cannot
//! see the deserializer.
//!
//! Two small protocols let raw wrapper types ask this deserializer for more than serde
//! offers: [`SPANNED`] hands the node's location to [`super::raw::Sp`], and [`BY_SHAPE`]
//! tells a one-or-many or string-or-mapping type which shape the node has.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, Expected, IntoDeserializer, Unexpected, Visitor};

use super::node::{Kind, Loc, Node};

/// Newtype-struct name that asks for `{ loc: [line, column, len], value: T }`.
pub(crate) const SPANNED: &str = "$__lade_spanned";
/// Newtype-struct name that records the node's [`Shape`] before visiting it.
pub(crate) const BY_SHAPE: &str = "$__lade_by_shape";

/// One step from a node to a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    /// The key of the i-th mapping entry.
    Key(usize),
    /// The value of the i-th mapping entry.
    Value(usize),
    /// The i-th sequence item.
    Item(usize),
}

/// Which struct each mapping was deserialized as, by path.
pub(crate) type Structs = HashMap<Vec<Step>, &'static str>;

/// The coarse shape of a node, for types that accept several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Scalar,
    Seq,
    Map,
}

#[derive(Default)]
struct Trace {
    path: Vec<Step>,
    /// Which struct each mapping was deserialized as, by path.
    structs: Structs,
    shape: Option<Shape>,
}

thread_local! {
    static TRACE: RefCell<Trace> = RefCell::new(Trace::default());
}

fn current_path() -> Vec<Step> {
    TRACE.with(|t| t.borrow().path.clone())
}

/// Takes the shape recorded by the last [`BY_SHAPE`] request.
pub(crate) fn take_shape() -> Option<Shape> {
    TRACE.with(|t| t.borrow_mut().shape.take())
}

/// What went wrong, in terms a message can be built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// The node has the wrong type; `found` and `expected` are already in words.
    Type {
        found: String,
        expected: String,
    },
    /// The node has the right type but an unacceptable value.
    Value {
        found: String,
        expected: String,
    },
    /// A key that the struct does not have.
    UnknownField {
        field: String,
        expected: &'static [&'static str],
    },
    /// A value that is not one of the enum's variants.
    UnknownVariant {
        variant: String,
        expected: &'static [&'static str],
    },
    /// A required key is absent from the mapping.
    MissingField(&'static str),
    Custom(String),
}

/// A deserialization error and the path of the node it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    pub kind: ErrorKind,
    pub path: Vec<Step>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(ErrorKind::Custom(msg.to_string()))
    }
    fn invalid_type(unexp: Unexpected, exp: &dyn Expected) -> Self {
        Error::new(ErrorKind::Type {
            found: describe_unexpected(&unexp),
            expected: describe_expected(exp),
        })
    }
    fn invalid_value(unexp: Unexpected, exp: &dyn Expected) -> Self {
        Error::new(ErrorKind::Value {
            found: describe_unexpected(&unexp),
            expected: describe_expected(exp),
        })
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Error::new(ErrorKind::UnknownField {
            field: field.to_owned(),
            expected,
        })
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Error::new(ErrorKind::UnknownVariant {
            variant: variant.to_owned(),
            expected,
        })
    }
    fn missing_field(field: &'static str) -> Self {
        Error::new(ErrorKind::MissingField(field))
    }
}

impl Error {
    fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            path: current_path(),
        }
    }
}

fn describe_unexpected(u: &Unexpected) -> String {
    match u {
        Unexpected::Bool(b) => format!("the boolean `{b}`"),
        Unexpected::Unsigned(n) => format!("the number `{n}`"),
        Unexpected::Signed(n) => format!("the number `{n}`"),
        Unexpected::Float(n) => format!("the number `{n}`"),
        Unexpected::Str(s) => format!("the string `{s}`"),
        Unexpected::Char(c) => format!("the string `{c}`"),
        Unexpected::Unit | Unexpected::Option => "nothing (null)".into(),
        Unexpected::Seq => "a list".into(),
        Unexpected::Map => "a mapping".into(),
        other => other.to_string(),
    }
}

/// Turns serde's `Expected` (`i64`, `struct Function`, `a map`, ...) into words.
fn describe_expected(exp: &dyn Expected) -> String {
    let raw = exp.to_string();
    match raw.as_str() {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "i128" | "u128" => {
            "a whole number".into()
        }
        "f32" | "f64" => "a number".into(),
        "a boolean" => "`true` or `false`".into(),
        "a map" => "a mapping".into(),
        "a sequence" => "a list".into(),
        s if s.starts_with("struct ") => "a mapping".into(),
        s if s.starts_with("tuple") => "a list".into(),
        _ => raw,
    }
}

/// Deserializes `T` from `root`, collecting every error instead of stopping at the first.
///
/// `on_error` gets each error, the tree as it was when the error happened (so the node
/// can be looked up by path) and the struct each mapping on the path was read as. The
/// failing node is then removed and deserialization starts over. Returns `None` when the
/// root itself is unusable.
pub(crate) fn collect<T: DeserializeOwned>(
    root: &mut Node,
    on_error: &mut dyn FnMut(&Error, &Node, &Structs),
) -> Option<T> {
    // Each round removes one node, so this terminates; the cap only bounds the work a
    // hostile file can cause.
    for _ in 0..1000 {
        TRACE.with(|t| *t.borrow_mut() = Trace::default());
        let result = T::deserialize(NodeDe { node: root });
        let structs = TRACE.with(|t| std::mem::take(&mut t.borrow_mut().structs));
        match result {
            Ok(value) => return Some(value),
            Err(err) => {
                on_error(&err, root, &structs);
                if !remove(root, &err.path) {
                    return None;
                }
            }
        }
    }
    None
}

/// Follows `path` from `root`.
pub(crate) fn lookup<'a>(root: &'a Node, path: &[Step]) -> Option<&'a Node> {
    let mut node = root;
    for step in path {
        node = match (&node.kind, step) {
            (Kind::Map(entries), Step::Key(i)) => &entries.get(*i)?.0,
            (Kind::Map(entries), Step::Value(i)) => &entries.get(*i)?.1,
            (Kind::Seq(items), Step::Item(i)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Removes the node at `path` (a whole entry, for a key or a value). `false` for the root.
fn remove(root: &mut Node, path: &[Step]) -> bool {
    let Some((last, parent_path)) = path.split_last() else {
        return false;
    };
    let mut node = root;
    for step in parent_path {
        node = match (&mut node.kind, step) {
            (Kind::Map(entries), Step::Key(i)) => &mut entries[*i].0,
            (Kind::Map(entries), Step::Value(i)) => &mut entries[*i].1,
            (Kind::Seq(items), Step::Item(i)) => &mut items[*i],
            _ => return false,
        };
    }
    match (&mut node.kind, last) {
        (Kind::Map(entries), Step::Key(i) | Step::Value(i)) if *i < entries.len() => {
            entries.remove(*i);
            true
        }
        (Kind::Seq(items), Step::Item(i)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

struct NodeDe<'a> {
    node: &'a Node,
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(*b),
            Kind::Int(i) => {
                if let Ok(i) = i64::try_from(*i) {
                    visitor.visit_i64(i)
                } else if let Ok(u) = u64::try_from(*i) {
                    visitor.visit_u64(u)
                } else {
                    visitor.visit_i128(*i)
                }
            }
            Kind::Float(f) => visitor.visit_f64(*f),
            Kind::Str(s) => visitor.visit_str(s),
            Kind::Seq(items) => visitor.visit_seq(SeqAcc { items, next: 0 }),
            Kind::Map(entries) => visitor.visit_map(MapAcc { entries, next: 0 }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.kind {
            Kind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match name {
            SPANNED => visitor.visit_map(SpanAcc {
                node: self.node,
                state: 0,
            }),
            BY_SHAPE => {
                let shape = match self.node.kind {
                    Kind::Seq(_) => Shape::Seq,
                    Kind::Map(_) => Shape::Map,
                    _ => Shape::Scalar,
                };
                TRACE.with(|t| t.borrow_mut().shape = Some(shape));
                visitor.visit_newtype_struct(self)
            }
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        TRACE.with(|t| {
            let mut t = t.borrow_mut();
            let path = t.path.clone();
            t.structs.insert(path, name);
        });
        // A derived struct also accepts a list of its fields in order, which no manifest
        // means: a list where a mapping belongs is a wrong type, not a short tuple.
        if let Kind::Seq(_) = self.node.kind {
            return Err(de::Error::invalid_type(Unexpected::Seq, &visitor));
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.kind {
            Kind::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.text {
            Some(text) => visitor.visit_str(text),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

struct SeqAcc<'a> {
    items: &'a [Node],
    next: usize,
}

impl<'de> de::SeqAccess<'de> for SeqAcc<'_> {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(node) = self.items.get(self.next) else {
            return Ok(None);
        };
        let value = with_step(Step::Item(self.next), || seed.deserialize(NodeDe { node }))?;
        self.next += 1;
        Ok(Some(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

struct MapAcc<'a> {
    entries: &'a [(Node, Node)],
    next: usize,
}

impl<'de> de::MapAccess<'de> for MapAcc<'_> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, _)) = self.entries.get(self.next) else {
            return Ok(None);
        };
        with_step(Step::Key(self.next), || {
            seed.deserialize(NodeDe { node: key })
        })
        .map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let i = self.next;
        self.next += 1;
        let (_, value) = &self.entries[i];
        with_step(Step::Value(i), || seed.deserialize(NodeDe { node: value }))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

/// Answers a [`SPANNED`] request: `loc: [line, column, len]`, then `value`.
struct SpanAcc<'a> {
    node: &'a Node,
    state: u8,
}

impl<'de> de::MapAccess<'de> for SpanAcc<'_> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let key = match self.state {
            0 => "loc",
            1 => "value",
            _ => return Ok(None),
        };
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.state += 1;
        if self.state == 1 {
            let Loc { line, column, len } = self.node.loc;
            seed.deserialize(de::value::SeqDeserializer::new(
                [line, column, len].into_iter(),
            ))
        } else {
            seed.deserialize(NodeDe { node: self.node })
        }
    }
}

fn with_step<R>(step: Step, f: impl FnOnce() -> Result<R, Error>) -> Result<R, Error> {
    TRACE.with(|t| t.borrow_mut().path.push(step));
    let result = f();
    TRACE.with(|t| t.borrow_mut().path.pop());
    result
}
