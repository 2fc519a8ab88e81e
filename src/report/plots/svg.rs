//! A plotters drawing backend that writes SVG into a string.
//!
//! It writes the elements plotters' own `SVGBackend` writes (`line`, `rect`,
//! `polyline`, `polygon`, `circle`, `text`) and in the same way, so a browser shows
//! the same picture, but builds them straight into the output: no string per
//! attribute, integers written digit by digit, and the `opacity` attribute left out
//! when a colour is opaque. Plotters' backend formats every attribute into a string
//! of its own first, which made drawing most of a report's cost.

use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontStyle,
    FontTransform,
};
use std::fmt::Write as _;

/// Draws into `out`, which holds a whole `<svg>` element once the drawing is presented
/// (or the backend dropped).
pub struct Svg<'a> {
    out: &'a mut String,
    size: (u32, u32),
    closed: bool,
}

/// Drawing into a string cannot fail.
#[derive(Debug)]
pub enum Never {}

impl std::fmt::Display for Never {
    fn fmt(&self, _: &mut std::fmt::Formatter) -> std::fmt::Result {
        match *self {}
    }
}

impl std::error::Error for Never {}

type Drawn = Result<(), DrawingErrorKind<Never>>;

impl<'a> Svg<'a> {
    pub fn with_string(out: &'a mut String, size: (u32, u32)) -> Self {
        out.reserve(16 * 1024);
        out.push_str("<svg width=\"");
        int(out, size.0 as i32);
        out.push_str("\" height=\"");
        int(out, size.1 as i32);
        out.push_str("\" viewBox=\"0 0 ");
        int(out, size.0 as i32);
        out.push(' ');
        int(out, size.1 as i32);
        out.push_str("\" xmlns=\"http://www.w3.org/2000/svg\">\n");
        Self {
            out,
            size,
            closed: false,
        }
    }

    fn attr_int(&mut self, name: &str, value: i32) {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        int(self.out, value);
        self.out.push('"');
    }

    fn attr_color(&mut self, name: &str, color: BackendColor) {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        hex_color(self.out, color);
        self.out.push('"');
    }

    fn attr_str(&mut self, name: &str, value: &str) {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        self.out.push_str(value);
        self.out.push('"');
    }

    /// The opacity attribute, which an opaque colour does without.
    fn opacity(&mut self, color: BackendColor) {
        if color.alpha < 1.0 {
            let _ = write!(self.out, " opacity=\"{}\"", color.alpha);
        }
    }

    /// A shape filled with `color`, or outlined in it.
    fn fill_or_stroke(&mut self, color: BackendColor, fill: bool) {
        if fill {
            self.attr_color("fill", color);
            self.attr_str("stroke", "none");
        } else {
            self.attr_str("fill", "none");
            self.attr_color("stroke", color);
        }
    }

    fn points(&mut self, path: impl IntoIterator<Item = BackendCoord>) {
        self.out.push_str(" points=\"");
        for (x, y) in path {
            int(self.out, x);
            self.out.push(',');
            int(self.out, y);
            self.out.push(' ');
        }
        self.out.push('"');
    }
}

/// Writes `value` in decimal.
fn int(out: &mut String, value: i32) {
    let mut digits = [0u8; 11];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.push('-');
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

fn hex_color(out: &mut String, color: BackendColor) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let (r, g, b) = color.rgb;
    out.push('#');
    for byte in [r, g, b] {
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 15)] as char);
    }
}

/// Text and attribute values with XML's special characters escaped.
fn escaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['<', '>', '&', '"', '\'']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            _ => "&apos;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

impl DrawingBackend for Svg<'_> {
    type ErrorType = Never;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Drawn {
        Ok(())
    }

    fn present(&mut self) -> Drawn {
        if !self.closed {
            self.out.push_str("</svg>\n");
            self.closed = true;
        }
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawn {
        if color.alpha == 0.0 {
            return Ok(());
        }
        self.out.push_str("<rect");
        self.attr_int("x", point.0);
        self.attr_int("y", point.1);
        self.out.push_str(" width=\"1\" height=\"1\" stroke=\"none\"");
        self.opacity(color);
        self.attr_color("fill", color);
        self.out.push_str("/>\n");
        Ok(())
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Drawn {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        self.out.push_str("<line");
        self.opacity(color);
        self.attr_color("stroke", color);
        self.attr_int("stroke-width", style.stroke_width() as i32);
        self.attr_int("x1", from.0);
        self.attr_int("y1", from.1);
        self.attr_int("x2", to.0);
        self.attr_int("y2", to.1);
        self.out.push_str("/>\n");
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Drawn {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        self.out.push_str("<rect");
        self.attr_int("x", upper_left.0);
        self.attr_int("y", upper_left.1);
        self.attr_int("width", bottom_right.0 - upper_left.0);
        self.attr_int("height", bottom_right.1 - upper_left.1);
        self.opacity(color);
        self.fill_or_stroke(color, fill);
        self.out.push_str("/>\n");
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Drawn {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        self.out.push_str("<polyline fill=\"none\"");
        self.opacity(color);
        self.attr_color("stroke", color);
        self.attr_int("stroke-width", style.stroke_width() as i32);
        self.points(path);
        self.out.push_str("/>\n");
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Drawn {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        self.out.push_str("<polygon");
        self.opacity(color);
        self.attr_color("fill", color);
        self.points(path);
        self.out.push_str("/>\n");
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(&mut self, center: BackendCoord, radius: u32, style: &S, fill: bool) -> Drawn {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        self.out.push_str("<circle");
        self.attr_int("cx", center.0);
        self.attr_int("cy", center.1);
        self.attr_int("r", radius as i32);
        self.opacity(color);
        self.fill_or_stroke(color, fill);
        self.attr_int("stroke-width", style.stroke_width() as i32);
        self.out.push_str("/>\n");
        Ok(())
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, (x, y): BackendCoord) -> Drawn {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        self.out.push_str("<text");
        self.attr_int("x", x);
        self.attr_int("y", y);
        self.attr_str(
            "dy",
            match style.anchor().v_pos {
                VPos::Top => "0.76em",
                VPos::Center => "0.5ex",
                VPos::Bottom => "-0.5ex",
            },
        );
        self.attr_str(
            "text-anchor",
            match style.anchor().h_pos {
                HPos::Left => "start",
                HPos::Right => "end",
                HPos::Center => "middle",
            },
        );
        self.out.push_str(" font-family=\"");
        escaped(self.out, style.family().as_str());
        // Plotters sizes fonts in its own points; SVG's are 1.24 times smaller.
        let _ = write!(self.out, "\" font-size=\"{}\"", style.size() / 1.24);
        self.opacity(color);
        self.attr_color("fill", color);
        match style.style() {
            FontStyle::Normal => {}
            FontStyle::Bold => self.attr_str("font-weight", "bold"),
            other => self.attr_str("font-style", other.as_str()),
        }
        let degrees = match style.transform() {
            FontTransform::Rotate90 => Some(90),
            FontTransform::Rotate180 => Some(180),
            FontTransform::Rotate270 => Some(270),
            _ => None,
        };
        if let Some(degrees) = degrees {
            let _ = write!(self.out, " transform=\"rotate({degrees}, {x}, {y})\"");
        }
        self.out.push('>');
        escaped(self.out, text);
        self.out.push_str("</text>\n");
        Ok(())
    }
}

impl Drop for Svg<'_> {
    fn drop(&mut self) {
        let _ = self.present();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_written_in_decimal() {
        let mut out = String::new();
        for v in [0, 7, -7, 10, 1234567, i32::MIN, i32::MAX] {
            int(&mut out, v);
            out.push(' ');
        }
        assert_eq!(out, "0 7 -7 10 1234567 -2147483648 2147483647 ");
    }

    #[test]
    fn special_characters_are_escaped() {
        let mut out = String::new();
        escaped(&mut out, "a<b & \"c\" > 'd'");
        assert_eq!(out, "a&lt;b &amp; &quot;c&quot; &gt; &apos;d&apos;");
    }

    #[test]
    fn a_drawing_is_one_closed_svg_element() {
        use plotters::prelude::*;
        let mut out = String::new();
        {
            let root = Svg::with_string(&mut out, (100, 50)).into_drawing_area();
            root.fill(&WHITE).expect("draws");
            root.draw(&Rectangle::new([(10, 10), (20, 30)], RED.mix(0.5).filled()))
                .expect("draws");
            root.draw(&Text::new("x<y", (5, 5), ("sans-serif", 12))).expect("draws");
            root.present().expect("presents");
        }
        assert!(out.starts_with("<svg width=\"100\" height=\"50\" viewBox=\"0 0 100 50\""));
        assert!(out.contains(
            "<rect x=\"10\" y=\"10\" width=\"10\" height=\"20\" opacity=\"0.5\" fill=\"#FF0000\" stroke=\"none\"/>"
        ));
        assert!(out.contains(">x&lt;y</text>"));
        assert!(out.ends_with("</svg>\n"));
        assert_eq!(out.matches("</svg>").count(), 1);
    }
}
