"""Stage 5, figures: maps (plotly and pre-drawn SVG), charts, map classes, colours, flag marks and PNG/SVG export."""
