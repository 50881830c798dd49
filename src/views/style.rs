//! How the page wants charts drawn, as it sends it: its colour scheme, its locale and a
//! size, checked field by field and turned into the chart engine's [`Options`].

use serde::Deserialize;

use crate::chart::{DateLocale, Options, Theme};
use crate::error::{Error, Result};

/// How the UI wants charts drawn: its colour scheme and locale, and a size.
#[derive(Debug, Clone, Deserialize)]
pub struct ChartStyle {
    /// `light` or `dark` (the system's `prefers-color-scheme`).
    pub theme: String,
    /// A BCP 47 tag from the webview (`en-US`, `de`); dates on the chart follow it.
    pub locale: String,
    pub width: u32,
    pub height: u32,
}

impl ChartStyle {
    /// Checks every field and turns them into the engine's options.
    pub fn options(&self) -> Result<Options> {
        let theme: Theme =
            self.theme.parse().map_err(|_| Error::invalid("theme", &self.theme, "expected light or dark"))?;
        let ok_tag = !self.locale.is_empty()
            && self.locale.len() <= 35
            && self.locale.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok_tag {
            return Err(Error::invalid("locale", &self.locale, "is not a locale tag (such as en-US)"));
        }
        // A well-formed tag the chart's date data lacks falls back to en-US dates.
        let locale = DateLocale::parse(&self.locale).unwrap_or_default();
        let (min, max) = (crate::chart::MIN_SIDE, crate::chart::MAX_SIDE);
        if !(min..=max).contains(&self.width) || !(min..=max).contains(&self.height) {
            return Err(crate::chart::ChartError::Size { width: self.width, height: self.height }.into());
        }
        Ok(Options { width: self.width, height: self.height, theme, locale })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(theme: &str, locale: &str, width: u32) -> ChartStyle {
        ChartStyle { theme: theme.into(), locale: locale.into(), width, height: 360 }
    }

    #[test]
    fn each_field_is_checked() {
        let o = style("dark", "de", 640).options().unwrap();
        assert_eq!((o.width, o.height), (640, 360));
        assert!(style("sepia", "de", 640).options().is_err());
        assert!(style("dark", "<b>", 640).options().unwrap_err().to_string().contains("not a locale tag"));
        assert!(style("dark", "", 640).options().is_err());
        assert!(style("dark", "de", 1).options().unwrap_err().to_string().contains("out of range"));
        // A well-formed tag without date data still draws (in en-US dates).
        assert!(style("light", "xx-YY", 640).options().is_ok());
    }
}
