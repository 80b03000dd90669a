//! PBS walltimes: `HH:MM:SS` (hours may exceed 24), also `MM:SS` or plain seconds, as qsub accepts.

/// A walltime qsub would not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("walltime `{0}`: expected HH:MM:SS (or MM:SS, or seconds)")]
pub struct BadWalltime(pub String);

/// Seconds in a walltime string.
pub fn parse(text: &str) -> Result<u64, BadWalltime> {
    let parts: Vec<&str> = text.split(':').collect();
    let numbers: Option<Vec<u64>> = parts.iter().map(|p| p.parse::<u64>().ok()).collect();
    let bad = || BadWalltime(text.to_string());
    let numbers = numbers
        .filter(|n| !n.is_empty() && n.len() <= 3)
        .ok_or_else(bad)?;
    if numbers.len() > 1 && numbers[1..].iter().any(|&n| n >= 60) {
        return Err(bad());
    }
    Ok(numbers.iter().fold(0, |acc, n| acc * 60 + n))
}

/// `HH:MM:SS` with at least two hour digits.
pub fn format(seconds: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_qsub_accepts() {
        assert_eq!(parse("01:00:00"), Ok(3600));
        assert_eq!(parse("72:00:00"), Ok(72 * 3600));
        assert_eq!(parse("05:30"), Ok(330));
        assert_eq!(parse("90"), Ok(90));
        assert!(parse("1:75:00").is_err());
        assert!(parse("1h").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn formats_back() {
        assert_eq!(format(3600), "01:00:00");
        assert_eq!(format(30 * 3600 + 61), "30:01:01");
        assert_eq!(format(parse("6:0:0").unwrap()), "06:00:00");
    }
}
