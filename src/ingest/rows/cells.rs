//! Cells as delivered, made plain before typing: numbers written the spreadsheet way
//! (full-width digits, thousands separators), and the markers that mean "no value" in a count.

/// Raw cells that mean "no value" in count columns.
pub(super) const MISSING_MARKERS: &[&str] = &["-", "--", "—", "－", "/", "／"];

/// A number as spreadsheets and Chinese input methods write it, made plain: full-width digits
/// (１２３), a full-width point or minus, and thousands separators ("1,234", "1，234,567.5")
/// where every group after the first has exactly three digits. `None` when there is nothing to
/// change or the result would still not be a plain number: such cells stay as they are and
/// meet the row rules ("1,23" is not read as 123).
pub(super) fn plain_number(cell: &str) -> Option<String> {
    if cell.is_ascii() && !cell.contains(',') {
        // Nothing to map and nothing grouped: the common cell, without a copy.
        return None;
    }
    let mut out = String::with_capacity(cell.len());
    let mut changed = false;
    for c in cell.chars() {
        let mapped = match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '－' => '-',
            '，' => ',',
            _ => c,
        };
        changed |= mapped != c;
        out.push(mapped);
    }
    if out.contains(',') {
        let (sign, body) = out.strip_prefix('-').map_or(("", out.as_str()), |b| ("-", b));
        let (int, frac) = body.split_once('.').map_or((body, None), |(i, f)| (i, Some(f)));
        let mut groups = int.split(',');
        let first = groups.next().unwrap_or("");
        let grouped = (1..=3).contains(&first.len())
            && first.bytes().all(|b| b.is_ascii_digit())
            && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
            && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
        if !grouped {
            return None;
        }
        out = format!(
            "{sign}{}{}",
            int.replace(',', ""),
            frac.map(|f| format!(".{f}")).unwrap_or_default()
        );
        changed = true;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::plain_number;

    #[test]
    fn plain_numbers() {
        assert_eq!(plain_number("1,234").as_deref(), Some("1234"));
        assert_eq!(plain_number("-1,234,567.50").as_deref(), Some("-1234567.50"));
        assert_eq!(plain_number("１２３").as_deref(), Some("123"));
        assert_eq!(plain_number("１，２３４．５").as_deref(), Some("1234.5"));
        assert_eq!(plain_number("３岁").as_deref(), Some("3岁"));
        // Nothing to change, or not a well-formed grouping: left for the row rules.
        for cell in ["1234", "1,23", "12,3456", ",123", "1,234.", "1,2a4", "一千", "1,234,5"] {
            assert_eq!(plain_number(cell), None, "{cell}");
        }
    }
}
