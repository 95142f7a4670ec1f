"""The evidence page as a PDF (ReportLab): the same content as the HTML page from the same
context (declaration, light and reason, the season plot from the same numbers the SVG
draws, and per event its chips before and after, the PNGs of the chip store)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

LIGHTS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}
CHIP_MM = 28


def _plot(plot: dict[str, Any], width: float) -> Drawing:
    """The season plot: the SVG's numbers (y down) in a drawing (y up), scaled to `width`."""
    w, h = plot["width"], plot["height"]
    d = Drawing(w, h)

    def y(v: float) -> float:
        return h - float(v)

    for yy, label in plot["ticks"]:
        d.add(
            Line(plot["left"], y(yy), plot["right"], y(yy), strokeColor=colors.HexColor("#eeeeee"))
        )
        d.add(String(plot["left"] - 4, y(yy) - 3, label, fontSize=7, textAnchor="end"))
    for x, label in plot["months"]:
        d.add(String(x, y(plot["bottom"] + 12), label, fontSize=7))
    for m in plot["marks"]:
        colour = colors.HexColor(m["colour"])
        band = Rect(m["x0"], y(plot["bottom"]), m["w"], plot["bottom"] - plot["top"])
        band.fillColor, band.fillOpacity, band.strokeColor = colour, 0.2, None
        d.add(band)
        if not m["period"]:
            d.add(Line(m["x"], y(plot["top"]), m["x"], y(plot["bottom"]), strokeColor=colour,
                       strokeDashArray=[4, 2]))  # fmt: skip
            d.add(String(m["x"], y(m["label_y"]), m["label"], fontSize=7, textAnchor="middle",
                         fillColor=colour))  # fmt: skip
    for r in plot.get("rain", []):
        bar = Rect(r["x"], y(r["y"] + r["h"]), 2, r["h"])
        bar.fillColor, bar.fillOpacity, bar.strokeColor = colors.HexColor("#1e88e5"), 0.5, None
        d.add(bar)
    for v in plot.get("vh", []):
        pts = [float(n) for xy in v["line"].split() for n in xy.split(",")]
        d.add(PolyLine([p if i % 2 == 0 else y(p) for i, p in enumerate(pts)],
                       strokeColor=colors.HexColor("#00838f")))  # fmt: skip
    for c in plot.get("coherence", []):
        pts = [float(v) for xy in c["line"].split() for v in xy.split(",")]
        d.add(PolyLine([p if i % 2 == 0 else y(p) for i, p in enumerate(pts)],
                       strokeColor=colors.HexColor("#6a1b9a"), strokeDashArray=[2, 2]))  # fmt: skip
    valid = [p for p in plot["points"] if p["kind"] == "valid"]
    if len(valid) > 1:
        d.add(PolyLine([v for p in valid for v in (p["x"], y(p["y"]))],
                       strokeColor=colors.HexColor("#2e7d32")))  # fmt: skip
    for p in plot["points"]:
        fill = colors.HexColor("#2e7d32") if p["kind"] == "valid" else colors.white
        edge = colors.HexColor("#e65100") if p["kind"] == "artefact" else colors.grey
        d.add(Circle(p["x"], y(p["y"]), 2.2, fillColor=fill, strokeColor=edge))
    d.add(Line(plot["left"], y(plot["top"]), plot["left"], y(plot["bottom"])))
    d.add(Line(plot["left"], y(plot["bottom"]), plot["right"], y(plot["bottom"])))
    scale = width / w
    d.scale(scale, scale)
    d.width, d.height = w * scale, h * scale
    return d


def _chip(chip: Any) -> Flowable | str:
    if chip is None or chip.path is None:
        return "no chip"
    return Image(str(chip.path), width=CHIP_MM * mm, height=CHIP_MM * mm)


def _background(backdrop: dict[str, Any] | None) -> list[Flowable]:
    """The background image and its attribution, or the source's note; nothing without."""
    if not backdrop:
        return []
    if backdrop.get("path") is None:
        note = backdrop.get("error") or "the background image is not in the chip store"
        return [Paragraph(escape(f"background: {note}"), getSampleStyleSheet()["Italic"])]
    source = backdrop["source"]
    caption = source.name + (f" · {source.attribution}" if source.attribution else "")
    return [Spacer(1, 3 * mm), Image(str(backdrop["path"]), width=60 * mm, height=60 * mm),
            Paragraph(escape(caption), getSampleStyleSheet()["Italic"])]  # fmt: skip


def render(context: dict[str, Any]) -> bytes:
    styles = getSampleStyleSheet()
    body, muted = styles["BodyText"], styles["Italic"]
    parcel, light = context["parcel"], context["light"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"Evidence {parcel.pid}",
                            leftMargin=15 * mm, rightMargin=15 * mm)  # fmt: skip
    story: list[Flowable] = [
        Paragraph(f"Evidence: parcel {escape(parcel.pid)} ({escape(str(context['dataset']))})",
                  styles["Title"]),  # fmt: skip
        Table([
            ["parcel", parcel.pid],
            ["declared crop", f"{parcel.crop_name} ({parcel.crop_code})"],
            ["practice", light.practice or "no rule for this crop"],
            ["area", f"{parcel.area} m²"],
        ], style=TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.lightgrey)])),  # fmt: skip
        *_background(context.get("background")),
        Spacer(1, 4 * mm),
        Paragraph(f'Light: <font color="{LIGHTS.get(light.light, "#555")}"><b>{light.light}'
                  f"</b></font> ({escape(light.reason_code)}): {escape(light.reason)}",
                  styles["Heading2"]),  # fmt: skip
        Paragraph(escape(f"observability {light.observability}; {light.clear_observations} "
                         f"valid observations; {light.events} events; detector "
                         f"{light.detector}; rules {light.rules or 'none'}"), muted),  # fmt: skip
        _plot(context["plot"], doc.width),
        Paragraph("Dots: NDVI per acquisition (filled: valid; hollow: not clear enough; orange: "
                  "set aside as undetected cloud or shadow); dashed: events with their "
                  "bracket shaded; purple dotted: Sentinel-1 coherence per orbit; teal: "
                  "Sentinel-1 VH backscatter per orbit (-25 dB at 0, -5 dB at 1); blue bars: "
                  "daily rain of the parcel's weather cell.", muted),
        Spacer(1, 4 * mm),
    ]  # fmt: skip
    rows: list[list[Any]] = [["event", "date", "between", "sensors", "confidence", "before",
                              "after"]]  # fmt: skip
    for r in context["events"]:
        e = r["event"]
        # Sentinel-1's composites where S2 has no chip on a side of the bracket.
        s1 = [c for _, _, c in r.get("s1_chips", [])]
        before = r["chip_before"] or (s1[0] if s1 else None)
        after = r["chip_after"] or (s1[-1] if len(s1) > 1 else None)
        rows.append([e.marker, str(e.date_main),
                     Paragraph(f"{e.date_start} … {e.date_end}<br/>({r['duration']} d)", body),
                     e.marker_type, f"{e.confidence:.2f}", _chip(before),
                     _chip(after)])  # fmt: skip
    if len(rows) > 1:
        story.append(Table(rows, repeatRows=1, style=TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.3, colors.lightgrey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTSIZE", (0, 0), (-1, -1), 8)])))  # fmt: skip
    else:
        story.append(Paragraph("No event found.", body))
    if context.get("chips_note"):
        story.append(Paragraph(escape(f"Chips: {context['chips_note']}"), muted))
    doc.build(story)
    return out.getvalue()
