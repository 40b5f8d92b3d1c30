//! The AWS adapter. (Stub: being written.)
