//! [`Secret`]: a value that zeroizes on drop and never prints.

use std::fmt;

use serde::{Deserialize, Deserializer};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret value: zeroized when dropped, printed as `[redacted]`.
///
/// Read it with [`expose`](Secret::expose), which makes every use easy to
/// find in review. It implements `Deserialize` (to read configuration) but
/// not `Serialize`, so it cannot end up in a JSON response by accident.
/// Equality is constant-time for byte-like contents.
pub struct Secret<T: Zeroize>(T);

/// A secret string, such as a password or an API key.
pub type SecretString = Secret<String>;

/// Secret bytes, such as key material.
pub type SecretBytes = Secret<Vec<u8>>;

impl<T: Zeroize> Secret<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret value. Keep the borrow short and never log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> ZeroizeOnDrop for Secret<T> {}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Secret(self.0.clone())
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: Zeroize + AsRef<[u8]>> PartialEq for Secret<T> {
    /// Compares in constant time (for inputs of equal length).
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ref().ct_eq(other.0.as_ref()).into()
    }
}

impl<T: Zeroize + AsRef<[u8]>> Eq for Secret<T> {}

impl<T: Zeroize + AsRef<[u8]>> Secret<T> {
    /// Compares with `other` in constant time (for inputs of equal length).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.as_ref().ct_eq(other).into()
    }
}

impl<'de, T: Zeroize + Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = SecretString::from("hunter2");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some([redacted])");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn secrets_compare_by_content() {
        let a = SecretBytes::new(vec![1, 2, 3]);
        assert_eq!(a, SecretBytes::new(vec![1, 2, 3]));
        assert_ne!(a, SecretBytes::new(vec![1, 2, 4]));
        assert_ne!(a, SecretBytes::new(vec![1, 2]));
        assert!(a.ct_eq(&[1, 2, 3]));
        assert!(!a.ct_eq(&[1, 2, 3, 4]));
    }

    #[test]
    fn secrets_deserialize_from_config() {
        let s: SecretString = serde_json::from_str("\"k3y\"").unwrap();
        assert_eq!(s.expose(), "k3y");
    }
}
