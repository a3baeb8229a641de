//! Parsers of numeric flag values that say what is allowed, whatever was written: a negative
//! number (the flags that take numbers let one through to here instead of reading it as a
//! flag), a fraction where a whole number is needed, a value out of range.

/// A whole number from `min` to `max` (`u64::MAX`: no upper limit).
pub fn whole(min: u64, max: u64) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync {
    move |s: &str| {
        let allowed = if max == u64::MAX {
            format!("a whole number, {min} or more")
        } else {
            format!("a whole number from {min} to {max}")
        };
        match s.trim().parse::<u64>() {
            Ok(x) if (min..=max).contains(&x) => Ok(x),
            Ok(x) => Err(format!("{x} is out of range; allowed: {allowed}")),
            Err(_) => Err(format!("not a whole number; allowed: {allowed}")),
        }
    }
}

/// [`whole`] for a count that fits 32 bits (threads).
pub fn whole32(min: u32, max: u32) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync {
    move |s: &str| whole(min.into(), max.into())(s).map(|x| x as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_is_allowed() {
        assert_eq!(whole(2, 10)("5"), Ok(5));
        for bad in ["-5", "1.5", "x", "11", "1"] {
            let e = whole(2, 10)(bad).unwrap_err();
            assert!(
                e.ends_with("allowed: a whole number from 2 to 10"),
                "{bad}: {e}"
            );
        }
        assert!(whole(0, u64::MAX)("-1").unwrap_err().contains("0 or more"));
    }
}
