//! Safety numbers against Signal's published vector.

use caas_crypto::e2e::safety::{display, safety_number};

#[test]
fn signals_published_safety_number_vector_is_reproduced() {
    let alice =
        hex::decode("0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868").unwrap();
    let bob =
        hex::decode("05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b").unwrap();
    let expected = "300354477692869396892869876765458257569162576843440918079131";
    assert_eq!(
        safety_number(&alice, b"+14152222222", &bob, b"+14153333333"),
        expected
    );
    assert_eq!(
        safety_number(&bob, b"+14153333333", &alice, b"+14152222222"),
        expected
    );
    assert_eq!(display(expected).split(' ').count(), 12);
    // Another key gives another number.
    let mut mallory = bob.clone();
    mallory[5] ^= 1;
    assert_ne!(
        safety_number(&alice, b"+14152222222", &mallory, b"+14153333333"),
        expected
    );
}
